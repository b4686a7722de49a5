// Terminal rendering helpers: one chalk instance and one table style, both told whether colour is on.
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { CONTROL_CHARACTER, type Paint } from '../load/diagnostics.js';

const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');

export interface UI {
  color: boolean;
  c: ChalkInstance;
  paint: Paint;
  /** The terminal's width, or 100 where there is no terminal. */
  width: number;
  table(head: string[], rows: (string | number)[][], opts?: { colWidths?: (number | null)[]; wrap?: boolean }): string;
  risk(risk: string): string;
  heading(s: string): string;
}

/**
 * @param columns the terminal's width when the output is a terminal: a table wider than it is then fitted to it (a
 *   table wrapped by the terminal is unreadable). Without a terminal (a pipe, a file) tables keep their natural width.
 */
export function createUI(color: boolean, columns?: number): UI {
  const c = new Chalk({ level: color ? 1 : 0 });
  return {
    color,
    c,
    width: columns || 100,
    paint: { error: (s) => c.red.bold(s), warning: (s) => c.yellow.bold(s), dim: (s) => c.dim(s), bold: (s) => c.bold(s) },
    table(head, rows, opts = {}) {
      let cells = rows.map((r) => r.map((x) => String(x)));
      let colWidths = opts.colWidths;
      if (columns && (opts.wrap ?? true)) {
        const fitted = fitColumns([head, ...cells], columns, colWidths);
        if (fitted) {
          colWidths = fitted;
          // cli-table3 wraps at spaces and cuts a word longer than its column with an ellipsis: break such words
          // (a URL, a path) so that nothing is lost.
          cells = cells.map((r) => r.map((x, i) => breakLongWords(x, fitted[i]! - PADDING)));
        }
      }
      const t = new Table({
        head: head.map((h) => c.bold(h)),
        style: { head: [], border: [], compact: false, 'padding-left': 1, 'padding-right': 1 },
        wordWrap: opts.wrap ?? true,
        ...(colWidths ? { colWidths } : {}),
      });
      for (const r of cells) t.push(r);
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

const PADDING = 2;
const MIN_COLUMN = 10;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** The width a line takes on screen (colour codes take none). */
function shownWidth(line: string): number {
  return [...line.replace(ANSI, '')].length;
}

/**
 * Column widths (padding included, as cli-table3 counts them) that fit a table into `columns`, or undefined when it
 * fits as it is. `preset` gives a column's width where the view chose one. A column about as narrow as its share (a
 * verdict, a severity) keeps its width. The wider ones get at least their longest word where there is room for that
 * (a phone number, an id is not broken), otherwise their heading or MIN_COLUMN, and share the room left in proportion
 * to what they lack.
 */
export function fitColumns(rows: string[][], columns: number, preset: (number | null)[] = []): number[] | undefined {
  const n = Math.max(preset.length, ...rows.map((r) => r.length));
  if (!n) return undefined;
  const lines = (i: number) => rows.flatMap((r) => String(r[i] ?? '').split('\n'));
  const natural = Array.from({ length: n }, (_, i) => preset[i] ?? PADDING + Math.max(1, ...lines(i).map(shownWidth)));
  const borders = n + 1;
  if (natural.reduce((a, b) => a + b, 0) + borders <= columns) return undefined;
  const order = natural.map((_, i) => i).sort((a, b) => natural[a]! - natural[b]!);
  const widths = new Array<number>(n);
  let room = columns - borders;
  let k = 0;
  for (; k < n; k++) {
    const i = order[k]!;
    if (natural[i]! > (1.25 * room) / (n - k)) break;
    widths[i] = natural[i]!;
    room -= natural[i]!;
  }
  const rest = order.slice(k);
  const heading = (i: number) => PADDING + Math.max(MIN_COLUMN, shownWidth(rows[0]?.[i] ?? ''));
  const word = (i: number) => PADDING + Math.max(0, ...lines(i).flatMap((l) => l.split(/\s+/)).map(shownWidth));
  let least = rest.map((i) => Math.min(natural[i]!, Math.max(heading(i), word(i))));
  if (sum(least) > room) least = rest.map((i) => Math.min(natural[i]!, heading(i)));
  let extra = Math.max(0, room - sum(least));
  let lack = rest.reduce((total, i, j) => total + natural[i]! - least[j]!, 0);
  rest.forEach((i, j) => {
    const wants = natural[i]! - least[j]!;
    const more = lack ? Math.floor((extra * wants) / lack) : 0;
    widths[i] = least[j]! + more;
    extra -= more;
    lack -= wants;
  });
  return widths;
}

function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Splits every word longer than `width` into pieces of `width`, on lines of their own. */
export function breakLongWords(text: string, width: number): string {
  if (width < 1 || !text.split(/\s+/).some((w) => shownWidth(w) > width)) return text;
  return text
    .split('\n')
    .map((line) =>
      line
        .split(/( +)/)
        .map((part) => {
          if (shownWidth(part) <= width) return part;
          const pieces: string[] = [];
          // Walk the word by code points, keeping colour codes whole and out of the count.
          let piece = '';
          let w = 0;
          for (const token of part.match(/\u001b\[[0-9;]*m|[\s\S]/gu) ?? []) {
            if (!token.startsWith('\u001b') && w === width) {
              pieces.push(piece);
              piece = '';
              w = 0;
            }
            piece += token;
            if (!token.startsWith('\u001b')) w++;
          }
          pieces.push(piece);
          return pieces.join('\n');
        })
        .join(''),
    )
    .join('\n');
}

/**
 * Text from outside irm (a command's output, an error it printed) made safe to show on a terminal: control characters
 * other than newline and tab are shown in caret notation (ESC as ^[), so a command cannot clear the screen, retitle
 * the window or move the cursor over irm's verdicts. A CRLF line end is a line end.
 */
export function printable(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(CONTROL_CHARACTERS, (ch) => {
    const code = ch.charCodeAt(0);
    if (code < 0x20) return '^' + String.fromCharCode(code + 0x40);
    if (code === 0x7f) return '^?';
    return `\\x${code.toString(16)}`;
  });
}

/** A line cut to `max` characters, saying how many more there were. */
export function clipLine(line: string, max: number): string {
  return line.length <= max ? line : `${line.slice(0, max)} … (${line.length - max} more characters)`;
}
