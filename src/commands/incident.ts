// irm incident, irm status, irm escalate, irm postmortem: the incident record and what the manual says about it.
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { BoundedOutput } from '../engine/output.js';
import { createRedactor, notifySecretValues } from '../engine/redactor.js';
import { IncidentStore } from '../incident/store.js';
import { clock, type ClockReport } from '../incident/clock.js';
import { isOpen, STATUSES, type Incident, type NewEvent, type Status, type TimelineEvent } from '../incident/model.js';
import { renderPostmortem } from '../incident/postmortem.js';
import { stateDir } from '../util/paths.js';
import { NotFoundError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { people } from './reference.js';

/** Attachments keep at most this much: the head and the tail, like command output. */
export const ATTACH_HEAD = 512 * 1024;
export const ATTACH_TAIL = 512 * 1024;

export function operatorName(env: NodeJS.ProcessEnv): string {
  if (env.USER) return env.USER;
  if (env.LOGNAME) return env.LOGNAME;
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** The time now; IRM_NOW (an ISO time) fixes it, for drills and tests. */
export function nowOf(env: NodeJS.ProcessEnv): () => Date {
  const fixed = env.IRM_NOW;
  if (!fixed) return () => new Date();
  const t = new Date(fixed);
  if (Number.isNaN(t.getTime())) throw new UsageError(`IRM_NOW is not a time: "${fixed}"`, 'use an ISO time such as 2026-11-27T14:05:00Z');
  return () => new Date(t);
}

export function incidentStore(ctx: Context): IncidentStore {
  if (ctx.scratchState) return new IncidentStore(join(ctx.scratchState, 'incidents'), nowOf(ctx.io.env), operatorName(ctx.io.env));
  const cfg = ctx.catalog().config;
  const fromConfig = cfg.config.state_dir && cfg.file ? resolve(cfg.file, '..', cfg.config.state_dir) : undefined;
  const dir = ctx.io.env.IRM_HOME ? stateDir(ctx.io.env) : fromConfig ?? stateDir(ctx.io.env);
  return new IncidentStore(join(dir, 'incidents'), nowOf(ctx.io.env), operatorName(ctx.io.env));
}

/**
 * irm triage/resume --dry-run: from here on this command's record lives in a temporary folder, removed when irm exits,
 * so that the dry run walks the same steps and prints what it would notify, and leaves no incident behind. A resumed
 * incident's record is copied there first: the dry run reads it and never adds to it.
 */
export function useScratchState(ctx: Context, copyIncident?: string): void {
  const real = incidentStore(ctx);
  const dir = mkdtempSync(join(tmpdir(), 'irm-dry-run-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  ctx.scratchState = dir;
  if (copyIncident) {
    mkdirSync(join(dir, 'incidents'), { recursive: true, mode: 0o700 });
    copyFileSync(join(real.dir, `${copyIncident}.jsonl`), join(dir, 'incidents', `${copyIncident}.jsonl`));
  }
}

/** Warn once about unreadable lines of a record; the readable events are used. */
function load(ctx: Context, store: IncidentStore, id?: string, anyStatus = false): Incident {
  const resolved = store.resolve(id, anyStatus);
  const { incident, damage } = store.load(resolved);
  for (const d of damage) ctx.io.stderr.write(`irm: warning: ${resolved}.jsonl:${d.line}: ${d.message}\n`);
  return incident;
}

/**
 * The notify step after an append: queue what the team is told for these events and try to deliver it within the
 * configured timeout (src/notify). Loaded only by the commands that change an incident, and never throws.
 */
export async function tell(ctx: Context, id: string, events: readonly TimelineEvent[]): Promise<void> {
  const { notifyEvents } = await import('../notify/index.js');
  await notifyEvents(ctx, id, events);
}

export function summary(inc: Incident) {
  return {
    id: inc.id,
    title: inc.title,
    severity: inc.severity,
    status: inc.status,
    owner: inc.owner,
    detected_at: inc.detected_at,
    ...(inc.resolved_at ? { resolved_at: inc.resolved_at } : {}),
    escalation_level: inc.escalation_level,
    ...(inc.jira_key ? { jira_key: inc.jira_key } : {}),
  };
}

export function list(ctx: Context, opts: { all?: boolean } = {}) {
  const store = incidentStore(ctx);
  return store
    .all()
    .map((x) => x.incident)
    .filter((i) => opts.all || isOpen(i) || Date.now() - new Date(i.detected_at).getTime() < 7 * 86_400_000)
    .sort((a, b) => b.detected_at.localeCompare(a.detected_at))
    .map(summary);
}

export function show(ctx: Context, id?: string): { incident: Incident; clock: ClockReport } {
  const store = incidentStore(ctx);
  const incident = load(ctx, store, id, true);
  return { incident, clock: clock(incident, ctx.catalog().manual, nowOf(ctx.io.env)()) };
}

/** "14:05" UTC, the zone irm shows (today, or yesterday when that is still to come), or an ISO time. */
export function parseWhen(text: string, now: Date): Date {
  const hm = text.match(/^(\d{1,2}):(\d{2})$/);
  if (hm) {
    const h = Number(hm[1]);
    const m = Number(hm[2]);
    if (h > 23 || m > 59) throw new UsageError(`--at ${text}: not a time of day`);
    const d = new Date(now);
    d.setUTCHours(h, m, 0, 0);
    if (d.getTime() > now.getTime()) d.setUTCDate(d.getUTCDate() - 1);
    return d;
  }
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) throw new UsageError(`--at "${text}" is not a time`, 'write 14:05 (UTC, today) or an ISO time such as 2026-11-27T14:05:00Z');
  if (d.getTime() > now.getTime()) throw new UsageError(`--at ${text} is in the future`);
  return d;
}

export async function note(ctx: Context, id: string | undefined, text: string, opts: { at?: string; kind?: string; broadcast?: boolean } = {}) {
  if (!text.trim()) throw new UsageError('a note needs text');
  const kinds = ['note', 'finding', 'hypothesis', 'fix', 'action'] as const;
  const kind = (opts.kind ?? 'note') as (typeof kinds)[number];
  if (!kinds.includes(kind)) throw new UsageError(`--kind takes ${kinds.join(', ')}, got "${opts.kind}"`);
  const store = incidentStore(ctx);
  const inc = load(ctx, store, id);
  const e: NewEvent = { type: 'note', text: text.trim(), kind };
  if (opts.at) e.happened_at = parseWhen(opts.at, nowOf(ctx.io.env)()).toISOString();
  if (opts.broadcast) e.broadcast = true;
  const [event] = store.append(inc.id, [e]);
  await tell(ctx, inc.id, [event!]);
  return { incident: inc.id, event };
}

/** irm update: the periodic status update, a note broadcast to the team. */
export async function update(ctx: Context, id: string | undefined, text: string) {
  return note(ctx, id, text, { broadcast: true });
}

export function parseStatus(s: string): Status {
  const v = s.toLowerCase();
  if ((STATUSES as readonly string[]).includes(v)) return v as Status;
  const c = closest(v, STATUSES);
  throw new UsageError(`no status "${s}"`, `${c ? `did you mean "${c}"? ` : ''}statuses: ${STATUSES.join(', ')}`);
}

export async function setStatus(ctx: Context, id: string | undefined, to: Status, reason?: string) {
  const store = incidentStore(ctx);
  // Closing (or reopening) the last incident works on a resolved one too.
  const inc = load(ctx, store, id, true);
  if (inc.status === to) return { incident: inc.id, changed: false, status: to };
  const e: NewEvent = { type: 'status', from: inc.status, to };
  if (reason) e.reason = reason;
  await tell(ctx, inc.id, store.append(inc.id, [e]));
  return { incident: inc.id, changed: true, from: inc.status, status: to };
}

/** A resolved or closed incident takes no severity change or escalation: they would page and post about it. */
function mustBeOpen(inc: Incident, what: string): void {
  if (!isOpen(inc)) throw new UsageError(`incident ${inc.id} is ${inc.status}: ${what} needs an open incident`, `reopen it first: irm incident status ${inc.id} investigating`);
}

export async function setSeverity(ctx: Context, id: string | undefined, level: string, reason?: string) {
  const to = level.toUpperCase();
  if (!ctx.catalog().manual.severities.some((s) => s.level === to)) throw new NotFoundError(`no severity level "${level}"`, 'levels: P0, P1, P2, P3');
  const store = incidentStore(ctx);
  const inc = load(ctx, store, id);
  mustBeOpen(inc, 'a severity change');
  if (inc.severity === to) return { incident: inc.id, changed: false, severity: to };
  const e: NewEvent = { type: 'severity', from: inc.severity, to };
  if (reason) e.reason = reason;
  await tell(ctx, inc.id, store.append(inc.id, [e]));
  return { incident: inc.id, changed: true, from: inc.severity, severity: to };
}

export function setOwner(ctx: Context, id: string | undefined, owner: string) {
  if (!owner.trim()) throw new UsageError('an owner needs a name');
  const store = incidentStore(ctx);
  const inc = load(ctx, store, id);
  store.append(inc.id, [{ type: 'owner', from: inc.owner, to: owner.trim() }]);
  return { incident: inc.id, from: inc.owner, owner: owner.trim() };
}

/** Keep a copy of a log or export with the incident: size-capped (head and tail) and redacted like command output. */
export function attach(ctx: Context, id: string | undefined, file: string) {
  const store = incidentStore(ctx);
  const inc = load(ctx, store, id);
  const path = resolve(ctx.io.cwd, file);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`not a file: ${file}`);
    size = st.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const redact = createRedactor(ctx.variables(), ctx.io.cwd, notifySecretValues(ctx.catalog().config.config.notify, ctx.io.env));
  const kept = new BoundedOutput(ATTACH_HEAD, ATTACH_TAIL, redact.reach);
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n <= 0) break;
      kept.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    closeSync(fd);
  }
  const text = kept.text(redact);
  const dir = join(store.dir, `${inc.id}.files`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let name = basename(path);
  for (let i = 2; existsSync(join(dir, name)); i++) name = `${i}-${basename(path)}`;
  writeFileSync(join(dir, name), text, { mode: 0o600 });
  const [event] = store.append(inc.id, [{ type: 'attachment', file: path, stored_as: join(`${inc.id}.files`, name), bytes: size, kept_bytes: Buffer.byteLength(text), truncated: kept.truncated }]);
  return { incident: inc.id, event, path: join(dir, name) };
}

export function escalateOptions(ctx: Context, id?: string) {
  const store = incidentStore(ctx);
  const inc = load(ctx, store, id);
  const manual = ctx.catalog().manual;
  const current = manual.escalation.find((l) => l.level === inc.escalation_level);
  const next = manual.escalation.find((l) => l.level === inc.escalation_level + 1);
  return { incident: inc, current, next, triggers: current?.escalate_if ?? [] };
}

/** Record an escalation to the next level, with its contacts and the trigger. */
export async function escalate(ctx: Context, id: string | undefined, trigger: string) {
  const { incident, current, next, triggers } = escalateOptions(ctx, id);
  mustBeOpen(incident, 'an escalation');
  if (!next) throw new UsageError(`incident ${incident.id} is at level ${incident.escalation_level}, the top of the matrix`);
  let chosen = trigger.trim();
  if (/^\d+$/.test(chosen) && triggers[Number(chosen) - 1]) chosen = triggers[Number(chosen) - 1]!;
  else {
    const exact = triggers.find((t) => t.toLowerCase() === chosen.toLowerCase());
    if (exact) chosen = exact;
  }
  if (!chosen) throw new UsageError('an escalation needs its trigger', `one of: ${triggers.map((t, i) => `${i + 1}. ${t}`).join('; ')}`);
  const everyone = people(ctx.catalog());
  const contacts = next.roles.map((r) => {
    const p = everyone.find((x) => x.role === r);
    if (!p) return r;
    const reach = p.phone ?? p.email ?? p.slack ?? '';
    return `${p.title}: ${p.tbd ? 'TBD' : p.name}${reach ? ` (${reach})` : ''}`;
  });
  const store = incidentStore(ctx);
  await tell(ctx, incident.id, store.append(incident.id, [{ type: 'escalation', from_level: current?.level ?? incident.escalation_level, to_level: next.level, trigger: chosen, contacts }]));
  return { incident: incident.id, from_level: incident.escalation_level, to_level: next.level, title: next.title, trigger: chosen, contacts, handles: next.handles };
}

export function postmortem(ctx: Context, id: string | undefined, out?: string) {
  const store = incidentStore(ctx);
  const inc = load(ctx, store, id, true);
  const manual = ctx.catalog().manual;
  const now = nowOf(ctx.io.env)();
  const markdown = renderPostmortem(inc, manual, now);
  const report = clock(inc, manual, now);
  let file: string | undefined;
  if (out) {
    file = resolve(ctx.io.cwd, out);
    writeFileSync(file, markdown, { mode: 0o600 });
  }
  const required = manual.post_incident.postmortem.for.includes(inc.severity as 'P0');
  const due = report.postmortem?.due_at;
  // Written to a file, the post-mortem is on the record (the clock stops asking for it); printing it is reading.
  if (required && file) {
    const e: NewEvent = { type: 'postmortem', due: due ?? 'when resolved' };
    if (file) e.file = file;
    store.append(inc.id, [e]);
  }
  return { incident: inc.id, severity: inc.severity, required, due_at: due ?? null, file: file ?? null, markdown };
}

