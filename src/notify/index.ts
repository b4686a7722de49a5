// The notify step the incident commands take after they append to the record: queue the messages for the new events
// in the outbox, then try to deliver them within the configured timeout. It never throws into the incident work: what
// cannot be delivered now stays in the outbox, and the operator is told once.
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Context } from '../context.js';
import { incidentStore, nowOf } from '../commands/incident.js';
import type { IncidentStore } from '../incident/store.js';
import type { TimelineEvent } from '../incident/model.js';
import { maskSecrets } from '../model/redact.js';
import { parseDuration } from '../util/duration.js';
import { stateDir } from '../util/paths.js';
import { allSecrets, flush, type DeliveryResult, type FlushOptions } from './deliver.js';
import { CHANNELS, configured, messagesFor, settingsOf, type Channel, type Message, type NewMessage, type Settings } from './messages.js';
import { Outbox } from './outbox.js';
import { HINT_FILE } from './pending.js';

export function settings(ctx: Context): Settings {
  return settingsOf(ctx.catalog().config.config.notify, parseDuration);
}

/** The outbox sits beside the incident records, under the same state folder. */
export function outboxFor(ctx: Context): Outbox {
  return new Outbox(join(dirname(incidentStore(ctx).dir), 'outbox'), nowOf(ctx.io.env), stateDir(ctx.io.env));
}

function options(ctx: Context): { notify?: boolean; dryRun?: boolean } {
  return ctx.options as { notify?: boolean; dryRun?: boolean };
}

/** Off with --no-notify, with notify.enabled: false, or when irm.yaml configures no channel. */
export function notifyOn(ctx: Context, s = settings(ctx)): boolean {
  return options(ctx).notify !== false && s.enabled && configured(s).length > 0;
}

const warn = (ctx: Context, text: string) => ctx.io.stderr.write(`irm: warning: ${text}\n`);

const AUDIENCE: Record<Channel, string> = { slack: 'the team', pagerduty: 'on-call', jira: 'the incident ticket', email: 'stakeholders' };

/** A record line for a delivery: sent (with the Jira key when one was made), or failed the first time it sticks. */
function record(store: IncidentStore, r: DeliveryResult, m: Message): void {
  if (!r.ok && !r.newly_stuck) return;
  try {
    store.append(r.incident, [
      {
        type: 'notification',
        channel: r.channel,
        audience: AUDIENCE[r.channel],
        message: `${r.kind}${r.jira_key ? `: ${r.jira_key}` : ''}`,
        status: r.ok ? 'sent' : 'failed',
        key: m.key,
        ...(r.jira_key ? { jira_key: r.jira_key } : {}),
        ...(r.error ? { error: r.error } : {}),
      },
    ]);
  } catch {
    /* the record is gone (a test, a deleted incident): the outbox keeps the delivery */
  }
}

/** One line for a message that did not go out: why, and what becomes of it. */
function stuckLine(r: DeliveryResult): string {
  const what = `${r.channel} (${r.kind}, ${r.incident})`;
  if (r.gave_up) return `could not notify ${what}: ${r.error}; given up, not retried (irm notify status lists it; irm notify retry ${r.key} queues it again, irm notify drop ${r.key} discards it)`;
  return `could not notify ${what}: ${r.error}; it stays in the outbox, irm notify flush sends it (retried automatically from ${r.retry_at})`;
}

/** Tell the operator once about each message newly stuck or given up. */
export function tellStuck(ctx: Context, results: DeliveryResult[]): void {
  for (const r of results.filter((x) => x.newly_stuck)) warn(ctx, stuckLine(r));
}

/**
 * The time a command has spent waiting on notifications. notify.timeout is one budget for the whole command: the
 * delivery at its start (what earlier commands left) and each of its own notify steps share it, so that a command is
 * never held up longer than the timeout in all, whatever the receivers do. What does not fit waits in the outbox.
 */
const spent = new WeakMap<Context, number>();

/** Deliver what waits in this context's outbox, recording each delivery on its incident. */
export async function deliver(ctx: Context, opts: Partial<FlushOptions> = {}) {
  const s = settings(ctx);
  const started = Date.now();
  try {
    return await deliverWithin(ctx, s, { budgetMs: Math.max(0, s.timeoutMs - (spent.get(ctx) ?? 0)), ...opts });
  } finally {
    spent.set(ctx, (spent.get(ctx) ?? 0) + Date.now() - started);
  }
}

async function deliverWithin(ctx: Context, s: Settings, opts: Partial<FlushOptions>) {
  const outbox = outboxFor(ctx);
  const store = incidentStore(ctx);
  const jiraKey = (id: string) => {
    try {
      return store.load(id).incident.jira_key;
    } catch {
      return undefined;
    }
  };
  const r = await flush(outbox, { settings: s, env: ctx.io.env, budgetMs: 0, jiraKey, ...opts, onResult: (res, m) => record(store, res, m) });
  return { ...r, outbox };
}

/** Queue the messages for events just appended to an incident. Returns what was queued (or, with --dry-run, would be). */
export function queue(ctx: Context, incidentId: string, events: readonly TimelineEvent[]): NewMessage[] {
  let s: Settings;
  try {
    s = settings(ctx);
  } catch {
    return [];
  }
  if (!events.length || !notifyOn(ctx, s)) return [];
  const store = incidentStore(ctx);
  const inc = store.load(incidentId).incident;
  const messages = messagesFor(inc, events, s);
  if (options(ctx).dryRun) {
    for (const m of messages) ctx.io.stderr.write(`Would notify ${m.channel} (${m.kind}): ${maskSecrets(JSON.stringify(m.body), allSecrets(s, ctx.io.env))}\n`);
    return messages;
  }
  return outboxFor(ctx).enqueue(messages);
}

/**
 * The notify step: queue the messages for the events, then deliver within the timeout. Never throws: the record is
 * written already, and telling the team must not undo or hold up the incident work.
 */
export async function notifyEvents(ctx: Context, incidentId: string, events: readonly TimelineEvent[]): Promise<void> {
  try {
    const queued = queue(ctx, incidentId, events);
    if (!queued.length || options(ctx).dryRun) return;
    const { results, held } = await deliver(ctx);
    const mine = new Set(queued.map((m) => m.key));
    const sent = results.filter((r) => r.ok && r.incident === incidentId).sort((a, b) => CHANNELS.indexOf(a.channel) - CHANNELS.indexOf(b.channel));
    if (sent.length) ctx.io.stderr.write(`irm: notified ${[...new Set(sent.map((r) => (r.jira_key ? `${r.channel} (${r.jira_key})` : r.channel)))].join(', ')}\n`);
    // Every message this command queued and did not deliver is told here, whether it failed or was not tried;
    // the others (older ones delivered on the way) only when newly stuck.
    for (const r of results) if (!r.ok && (r.newly_stuck || mine.has(r.key))) warn(ctx, stuckLine(r));
    for (const h of held) if (mine.has(h.key)) warn(ctx, `not sent to ${h.channel} yet (${h.kind}, ${h.incident}): ${h.reason}; it waits in the outbox, irm notify flush sends it`);
  } catch (e) {
    warn(ctx, `notifications: ${maskSecrets((e as Error).message)}`);
  }
}

/** The flush at the start of a later command, once the cheap check (cli.ts) has seen messages waiting. */
export async function flushPending(ctx: Context): Promise<void> {
  try {
    const s = settings(ctx);
    if (options(ctx).notify === false || !s.enabled) return;
    const { results, outbox } = await deliver(ctx);
    tellStuck(ctx, results);
    forgetStaleHint(ctx, outbox.dir);
  } catch (e) {
    warn(ctx, `notifications: ${maskSecrets((e as Error).message)}`);
  }
}

/**
 * The hint names the outbox of the irm.yaml that queued; run under another (a different state_dir), this command
 * flushed its own. A hint whose outbox has nothing pending is dropped, so that later commands stop looking.
 */
function forgetStaleHint(ctx: Context, ours: string): void {
  const file = join(stateDir(ctx.io.env), HINT_FILE);
  try {
    const named = readFileSync(file, 'utf8').trim();
    if (named !== ours && !existsSync(join(named, 'pending'))) unlinkSync(file);
  } catch {
    /* no hint */
  }
}
