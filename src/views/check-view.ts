// The terminal view of irm check: one row per check, its verdict and why; and, on a terminal, the progress before it.
import ora, { type Ora } from 'ora';
import type { CheckRef, CheckReport, CheckRow } from '../commands/check.js';
import { outcomeDetail, verdictLabel } from './run-view.js';
import type { UI } from './ui.js';

export function renderCheck(ui: UI, r: CheckReport): string {
  const { c } = ui;
  const rows = r.results.map((x) => [
    `${x.runbook}\n${c.dim(x.id)}`,
    x.title,
    verdictLabel(ui, { ...x, kind: 'check' }),
    outcomeDetail({ ...x, kind: 'check' }).join('\n') || (x.duration_ms !== undefined ? c.dim(`${(x.duration_ms / 1000).toFixed(1)}s`) : ''),
  ]);
  const s = r.summary;
  const summary = [
    s.healthy && c.green(`${s.healthy} healthy`),
    s.warning && c.yellow(`${s.warning} warning${s.warning === 1 ? '' : 's'}`),
    s.problem && c.red.bold(`${s.problem} problem${s.problem === 1 ? '' : 's'}`),
    s.error && c.magenta(`${s.error} could not run`),
    s.skipped && c.dim(`${s.skipped} blocked or skipped`),
  ].filter(Boolean).join(', ');
  return [ui.table(['Runbook', 'Check', 'Verdict', 'Detail'], rows), ...hints(ui, r), `${summary} in ${(r.duration_ms / 1000).toFixed(1)}s (${r.deployment} deployment, ${r.concurrency} at once)`].join('\n');
}

/**
 * The hints of the problems and warnings, below the table rather than in its Detail column: a hint is a sentence or
 * three, and in a cell it would stretch the table past any terminal's width.
 */
function hints(ui: UI, r: CheckReport): string[] {
  const { c } = ui;
  const hinted = r.results.filter((x) => x.hint);
  if (!hinted.length) return [];
  return ['', c.bold('Where to look next:'), ...hinted.map((x) => `  ${x.verdict === 'problem' ? c.red.bold('✖') : c.yellow('⚠')} ${x.runbook}/${x.id}: ${x.hint}`), ''];
}

/**
 * irm check on a terminal, while the checks run: a spinner on stderr saying how many are done and which are running,
 * and each problem, warning or check that could not run as it is found. The table on stdout is unchanged.
 */
export class CheckProgressView {
  private spin?: Ora;
  private total = 0;
  private done = 0;
  private readonly running = new Set<string>();

  constructor(private readonly ui: UI, private readonly out: NodeJS.WriteStream) {}

  planned = (checks: CheckRef[]): void => {
    this.total = checks.length;
    if (!this.total) return;
    const spin = ora({ text: this.text(), stream: this.out, color: this.ui.color ? 'cyan' : false, discardStdin: false });
    // ora draws only where it can redraw (not TERM=dumb, not CI): elsewhere, nothing rather than a line per update.
    if (spin.isEnabled) this.spin = spin.start();
  };

  started = (k: CheckRef): void => {
    this.running.add(`${k.runbook}/${k.id}`);
    this.update();
  };

  result = (row: CheckRow): void => {
    this.running.delete(`${row.runbook}/${row.id}`);
    this.done++;
    if (this.spin && (row.verdict === 'problem' || row.verdict === 'warning' || row.verdict === 'error')) {
      // ora clears its line around a write to the stream it draws on, and draws again below it.
      this.out.write(`${verdictLabel(this.ui, { ...row, kind: 'check' })} ${row.runbook}/${row.id}: ${row.title}\n`);
    }
    this.update();
  };

  /** Clear the spinner's line before the report is printed. */
  stop(): void {
    this.spin?.stop();
    this.spin = undefined;
  }

  private update(): void {
    if (this.spin) this.spin.text = this.text();
  }

  private text(): string {
    const names = [...this.running];
    const head = `${this.done} of ${this.total} check${this.total === 1 ? '' : 's'} done`;
    // One line, however many run (those running longest first): a wrapped line leaves debris on some terminals.
    const room = Math.max(20, (this.out.columns || this.ui.width) - 3);
    for (let n = names.length; n > 0; n--) {
      const line = `${head}; running: ${names.slice(0, n).join(', ')}${n < names.length ? ` and ${names.length - n} more` : ''}`;
      if (line.length <= room) return line;
    }
    return (names.length ? `${head}; ${names.length} running` : head).slice(0, room);
  }
}
