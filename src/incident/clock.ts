// The incident clock: where the manual's windows say an incident should be, given its record and the time now.
import type { Manual } from '../model/schema.js';
import { levelAt } from '../commands/reference.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { Incident } from './model.js';

/** When a P2's end-of-day update is due: 18:00 local time. */
export const END_OF_DAY_HOUR = 18;

export interface ClockReport {
  now: string;
  elapsed_ms: number;
  elapsed: string;
  step: { expected: number; expected_title: string; current: number; current_title: string; behind: boolean };
  response: { within: string; due_at: string; acknowledged_at?: string; state: 'met' | 'missed' | 'due' | 'overdue'; remaining_ms?: number };
  escalation: { should_be: number; should_title: string; recorded: number; behind: boolean; next_level?: number; next_at?: string; because?: string };
  next_update?: { every: string; due_at: string; overdue: boolean };
  postmortem?: { due_at: string; overdue: boolean };
  overdue: string[];
}

function minutes(d: string | number | undefined): number | undefined {
  return d === undefined ? undefined : parseDuration(d);
}

/** The procedure step the manual's windows put an incident in, this long after detection. */
export function expectedStep(manual: Manual, elapsedMs: number, resolved: boolean): number {
  if (resolved) return 5;
  for (const s of manual.procedure) {
    const from = minutes(s.window.from);
    const to = minutes(s.window.to);
    // Only the windows counted from detection (steps 1-3); step 5's window counts from the fix.
    if (s.step > 3 || from === undefined || to === undefined) continue;
    if (elapsedMs >= from && elapsedMs < to) return s.step;
  }
  return 4;
}

type Level = Manual['escalation'][number];

/**
 * The level that handles a severity whole ("All P2/P3 incidents" in level 1's list): for those severities the timed
 * windows of the levels above (30-60 minutes, >60 minutes) are the P0/P1 path and do not apply.
 */
function handlesWhole(levels: readonly Level[], severity: string): Level | undefined {
  return levels.find((l) => l.handles.some((h) => {
    const m = /^all\s+(P\d(?:\s*\/\s*P\d)*)\s+incidents$/i.exec(h.trim());
    return !!m && m[1]!.split('/').map((x) => x.trim().toUpperCase()).includes(severity);
  }));
}

/** The one escalation condition a clock can judge: "Cannot resolve within 30 minutes". */
function timedCondition(level: Level): { ms: number; text: string } | undefined {
  for (const text of level.escalate_if ?? []) {
    const m = /within\s+(\d+)\s*(minutes?|mins?|m|hours?|h)\b/i.exec(text);
    if (m) return { ms: Number(m[1]) * (/^h/i.test(m[2]!) ? 3_600_000 : 60_000), text };
  }
  return undefined;
}

/**
 * Who should own an incident this long after detection. P0/P1 follow the matrix's windows (level 1 for 0-30
 * minutes, level 2 for 30-60, level 3 after). A severity a level handles whole (P2/P3: level 1) stays there, unless
 * one of that level's conditions holds that the clock can see: unresolved past "within 30 minutes" means level 2.
 * The other conditions (code changes, data loss...) are the responder's to judge, with irm escalate.
 */
export function owningLevel(levels: readonly Level[], severity: string, elapsedMs: number): { level: Level; because?: string; next?: { level: Level; atMs: number } } {
  const home = handlesWhole(levels, severity);
  if (!home) {
    const level = levelAt(levels, elapsedMs) as Level;
    const next = levels.find((l) => l.level === level.level + 1 && l.window);
    return { level, ...(next?.window?.from !== undefined ? { next: { level: next, atMs: parseDuration(next.window.from) } } : {}) };
  }
  const up = levels.find((l) => l.level === home.level + 1);
  const cond = timedCondition(home);
  if (!up || !cond) return { level: home };
  if (elapsedMs >= cond.ms) return { level: up, because: cond.text };
  return { level: home, next: { level: up, atMs: cond.ms } };
}

function endOfDay(after: Date): Date {
  const d = new Date(after);
  d.setHours(END_OF_DAY_HOUR, 0, 0, 0);
  if (d.getTime() <= after.getTime()) d.setDate(d.getDate() + 1);
  return d;
}

export function clock(inc: Incident, manual: Manual, now: Date): ClockReport {
  const detected = new Date(inc.detected_at);
  const end = inc.resolved_at ? new Date(inc.resolved_at) : now;
  const elapsed = Math.max(0, end.getTime() - detected.getTime());
  const sev = manual.severities.find((s) => s.level === inc.severity) ?? manual.severities[manual.severities.length - 1]!;
  const stepTitle = (n: number) => manual.procedure.find((s) => s.step === n)?.title ?? (n > 5 ? 'Done' : '');
  const current = Math.min(5, inc.steps.filter((s) => s.completed_at).reduce((m, s) => Math.max(m, s.step), 0) + 1);
  const expected = expectedStep(manual, elapsed, !!inc.resolved_at);
  const overdue: string[] = [];

  const within = parseDuration(sev.respond_within);
  const dueAt = new Date(detected.getTime() + within);
  const response: ClockReport['response'] = { within: formatDuration(within), due_at: dueAt.toISOString(), state: 'due' };
  if (inc.acknowledged_at) {
    response.acknowledged_at = inc.acknowledged_at;
    response.state = new Date(inc.acknowledged_at).getTime() <= dueAt.getTime() ? 'met' : 'missed';
  } else if (now.getTime() > dueAt.getTime()) {
    response.state = 'overdue';
    overdue.push(`response (${sev.level}: within ${formatDuration(within)})`);
  } else response.remaining_ms = dueAt.getTime() - now.getTime();

  const owning = owningLevel(manual.escalation, inc.severity, elapsed);
  const should = owning.level;
  const escalation: ClockReport['escalation'] = {
    should_be: should.level,
    should_title: should.title,
    recorded: inc.escalation_level,
    behind: inc.escalation_level < should.level && !inc.resolved_at,
  };
  if (owning.because) escalation.because = owning.because;
  if (owning.next) {
    escalation.next_level = owning.next.level.level;
    escalation.next_at = new Date(detected.getTime() + owning.next.atMs).toISOString();
  }
  if (escalation.behind) overdue.push(`escalation to level ${should.level} (${should.title})`);

  const report: ClockReport = {
    now: now.toISOString(),
    elapsed_ms: elapsed,
    elapsed: formatDuration(elapsed),
    step: { expected, expected_title: stepTitle(expected), current, current_title: stepTitle(current), behind: current < expected },
    response,
    escalation,
    overdue,
  };
  if (report.step.behind) overdue.push(`procedure: step ${expected} (${stepTitle(expected)}) by now, the record is at step ${current}`);

  if (sev.updates_every && !inc.resolved_at) {
    const last = new Date(inc.last_update_at);
    const due = sev.updates_every === 'end of day' ? endOfDay(last) : new Date(last.getTime() + parseDuration(sev.updates_every));
    const late = now.getTime() > due.getTime();
    report.next_update = { every: sev.updates_every, due_at: due.toISOString(), overdue: late };
    if (late) overdue.push(`status update (every ${sev.updates_every})`);
  }
  const pm = manual.post_incident.postmortem;
  if (inc.resolved_at && pm.for.includes(inc.severity as 'P0')) {
    const due = new Date(new Date(inc.resolved_at).getTime() + parseDuration(pm.within));
    const written = inc.events.some((e) => e.type === 'postmortem' && e.file);
    report.postmortem = { due_at: due.toISOString(), overdue: !written && now.getTime() > due.getTime() };
    if (report.postmortem.overdue) overdue.push(`post-mortem (within ${formatDuration(parseDuration(pm.within))} of resolution)`);
  }
  return report;
}
