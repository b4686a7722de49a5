// Terminal rendering helpers: one chalk instance and one table style, both told whether colour is on.
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import type { Paint } from '../load/diagnostics.js';

export interface UI {
  color: boolean;
  c: ChalkInstance;
  paint: Paint;
  width: number;
  table(head: string[], rows: (string | number)[][], opts?: { colWidths?: (number | null)[]; wrap?: boolean }): string;
  risk(risk: string): string;
  heading(s: string): string;
}

export function createUI(color: boolean, width = 100): UI {
  const c = new Chalk({ level: color ? 1 : 0 });
  return {
    color,
    c,
    width,
    paint: { error: (s) => c.red.bold(s), warning: (s) => c.yellow.bold(s), dim: (s) => c.dim(s), bold: (s) => c.bold(s) },
    table(head, rows, opts = {}) {
      const t = new Table({
        head: head.map((h) => c.bold(h)),
        style: { head: [], border: [], compact: false, 'padding-left': 1, 'padding-right': 1 },
        wordWrap: opts.wrap ?? true,
        ...(opts.colWidths ? { colWidths: opts.colWidths } : {}),
      });
      for (const r of rows) t.push(r.map((x) => String(x)));
      return t.toString();
    },
    risk(risk) {
      if (risk === 'destructive') return c.red.bold('[destructive]');
      if (risk === 'change') return c.yellow.bold('[change]');
      return c.green('[read]');
    },
    heading(s) {
      return c.bold.underline(s);
    },
  };
}
