// Terminal views of the incident record and its clock.
import type { ClockReport } from '../incident/clock.js';
import type { Incident } from '../incident/model.js';
import { describeEvent } from '../incident/postmortem.js';
import { formatDuration } from '../util/duration.js';
import type { UI } from './ui.js';

// Every time irm shows is UTC, labelled Z: one zone for everyone on the incident, whatever their machines say.
const hhmm = (iso: string) => new Date(iso).toISOString().slice(11, 16) + 'Z';
const stamp = (iso: string) => new Date(iso).toISOString().slice(0, 16).replace('T', ' ') + 'Z';

export function renderIncidentList(ui: UI, items: { id: string; title: string; severity: string; status: string; owner: string; detected_at: string }[]): string {
  if (!items.length) return ui.c.dim('No incidents in the last 7 days (irm incident list --all shows every one; irm triage starts one).');
  return ui.table(['ID', 'Title', 'Severity', 'Status', 'Owner', 'Detected'], items.map((i) => [i.id, i.title, i.severity, i.status, i.owner, stamp(i.detected_at)]));
}

export function renderClock(ui: UI, inc: Incident, k: ClockReport): string {
  const { c } = ui;
  const late = (s: string) => c.red.bold(s);
  const lines = [
    `${c.bold(inc.title)} ${c.dim(`(${inc.id}, ${inc.status}, owner ${inc.owner})`)}`,
    `Elapsed: ${k.elapsed} since detection at ${stamp(inc.detected_at)}${inc.resolved_at ? ` (resolved at ${stamp(inc.resolved_at)})` : ''}`,
  ];
  const step = `Procedure: step ${k.step.current} (${k.step.current_title}) on the record; by the manual's windows, step ${k.step.expected} (${k.step.expected_title})`;
  lines.push(k.step.behind ? late(step + ' - behind') : step);
  const r = k.response;
  const resp =
    r.state === 'met' ? c.green(`Response: met (acknowledged at ${hhmm(r.acknowledged_at!)}, due within ${r.within})`)
    : r.state === 'missed' ? late(`Response: missed (acknowledged at ${hhmm(r.acknowledged_at!)}, due within ${r.within} by ${hhmm(r.due_at)})`)
    : r.state === 'overdue' ? late(`Response: OVERDUE (due within ${r.within}, by ${hhmm(r.due_at)}; not acknowledged)`)
    : `Response: due by ${hhmm(r.due_at)} (${formatDuration(r.remaining_ms ?? 0)} left)`;
  lines.push(resp);
  const e = k.escalation;
  const esc = `Escalation: level ${e.should_be} (${e.should_title}) should own it now${e.because ? ` (${e.because})` : ''}; the record says level ${e.recorded}${e.next_at ? `; level ${e.next_level} from ${hhmm(e.next_at)}` : ''}`;
  lines.push(e.behind ? late(esc + ' - escalate (irm escalate)') : esc);
  if (k.next_update) {
    const u = `Next status update: due ${stamp(k.next_update.due_at)} (every ${k.next_update.every})`;
    lines.push(k.next_update.overdue ? late(u + ' - OVERDUE') : u);
  }
  if (k.postmortem) {
    const p = `Post-mortem: due ${stamp(k.postmortem.due_at)}`;
    lines.push(k.postmortem.overdue ? late(p + ' - OVERDUE') : p);
  }
  if (k.overdue.length) lines.push(late(`Overdue: ${k.overdue.join('; ')}`));
  return lines.join('\n');
}

export function renderIncident(ui: UI, inc: Incident, k: ClockReport): string {
  const out = [renderClock(ui, inc, k), '', ui.heading('Timeline')];
  for (const e of inc.events) {
    const text = describeEvent(e);
    if (!text) continue;
    const t = e.type === 'note' && e.happened_at ? `${hhmm(e.happened_at)}` : e.type === 'created' ? hhmm(e.detected_at) : hhmm(e.at);
    out.push(`  ${t}  ${text}${ui.c.dim(` (${e.by})`)}`);
  }
  if (inc.confirmed.length) {
    out.push('', ui.heading('Confirmed causes'));
    for (const c of inc.confirmed) out.push(`  - ${c.title} (${c.runbook})`);
  }
  return out.join('\n');
}
