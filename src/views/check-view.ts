// The terminal view of irm check: one row per check, its verdict and why.
import type { CheckReport } from '../commands/check.js';
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
  return [ui.table(['Runbook', 'Check', 'Verdict', 'Detail'], rows), `${summary} in ${(r.duration_ms / 1000).toFixed(1)}s (${r.deployment} deployment, ${r.concurrency} at once)`].join('\n');
}
