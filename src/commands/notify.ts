// irm notify test [CHANNEL], irm notify flush: trying a channel, and delivering what waits in the outbox.
import { randomUUID } from 'node:crypto';
import type { Context } from '../context.js';
import { UsageError } from '../errors.js';
import { maskSecrets } from '../model/redact.js';
import { allSecrets, httpTransport, secretsFor, type DeliveryResult } from '../notify/deliver.js';
import { deliver, outboxFor, settings, tellStuck } from '../notify/index.js';
import { CHANNELS, configured, pdEvent, type Channel, type Message } from '../notify/messages.js';
import { nowOf, operatorName } from './incident.js';

export interface TestResult {
  channel: Channel;
  ok: boolean;
  status?: number | string;
  response?: string;
  error?: string;
  /** --dry-run: what would be sent, secrets masked. */
  would_send?: unknown;
}

/**
 * A clearly marked test message on each configured channel (or the one named), sent now, not through the outbox:
 * the operator wants to see what comes back. PagerDuty gets a P3-mapped "info" trigger and its resolve at once, so
 * nobody is left paged; Jira is asked who the token is (GET /rest/api/2/myself), so no test ticket is made.
 */
export async function notifyTest(ctx: Context, channel?: string, opts: { dryRun?: boolean } = {}): Promise<TestResult[]> {
  const s = settings(ctx);
  const on = configured(s);
  let chosen: Channel[] = on;
  if (channel) {
    const c = channel.toLowerCase() as Channel;
    if (!CHANNELS.includes(c)) throw new UsageError(`no channel "${channel}"`, `channels: ${CHANNELS.join(', ')}`);
    if (!s[c]) throw new UsageError(`${c} is not configured`, `add notify.${c} to irm.yaml (the README's "Telling the team" shows how)`);
    chosen = [c];
  }
  if (!chosen.length) throw new UsageError('no notification channel is configured', 'add a notify: section to irm.yaml (the README\'s "Telling the team" shows how)');
  const mask = (t: string) => maskSecrets(t, allSecrets(s, ctx.io.env));
  const at = nowOf(ctx.io.env)().toISOString();
  const testId = `irm-test-${randomUUID().slice(0, 8)}`;
  const text = `[TEST] irm notification test from ${operatorName(ctx.io.env)} at ${at}: no incident, nothing to do.`;
  const fakeIncident = { id: testId, title: text, severity: 'P3' } as Parameters<typeof pdEvent>[1];
  const results: TestResult[] = [];
  for (const c of chosen) {
    const base = { key: `${testId}:${c}`, channel: c, incident: testId, event_id: testId, kind: 'test' as const, created_at: at, attempts: 0 };
    const bodies: unknown[] =
      c === 'slack'
        ? [{ text }]
        : c === 'pagerduty'
          ? [pdEvent('trigger', fakeIncident, s, { test: true }), pdEvent('resolve', fakeIncident, s)]
          : c === 'jira'
            ? [{ op: 'whoami' }]
            : [{ subject: '[TEST] irm notification test', text }];
    if (opts.dryRun) {
      results.push({ channel: c, ok: true, would_send: JSON.parse(mask(JSON.stringify(bodies.length === 1 ? bodies[0] : bodies))) });
      continue;
    }
    const missing = secretsFor(c, s, ctx.io.env).missing;
    if (missing.length) {
      results.push({ channel: c, ok: false, error: `${missing.join(', ')} not set` });
      continue;
    }
    try {
      let last: { status: number | string; response?: string } = { status: '' };
      for (const body of bodies) {
        if (c === 'jira') {
          last = await jiraWhoami(ctx, s.jira!, s.timeoutMs);
          continue;
        }
        // Two requests, two idempotency keys: with one, a receiver that honours it would drop the resolve as a repeat.
        const key = bodies.length > 1 ? `${base.key}:${(body as { event_action?: string }).event_action}` : base.key;
        last = await httpTransport(s, ctx.io.env, s.timeoutMs).deliver({ ...base, key, body } as Message, {});
      }
      results.push({ channel: c, ok: true, status: last.status, ...(last.response !== undefined ? { response: mask(last.response).slice(0, 300) } : {}) });
    } catch (e) {
      const err = e as Error & { status?: number | string };
      results.push({ channel: c, ok: false, error: mask(err.message), ...(err.status !== undefined ? { status: err.status } : {}) });
    }
  }
  return results;
}

async function jiraWhoami(ctx: Context, j: NonNullable<ReturnType<typeof settings>['jira']>, timeoutMs: number) {
  const token = ctx.io.env[j.token_env]!;
  const email = j.email_env ? ctx.io.env[j.email_env] : undefined;
  const auth = email ? `Basic ${Buffer.from(`${email}:${token}`).toString('base64')}` : `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(`${j.url.replace(/\/+$/, '')}/rest/api/2/myself`, { headers: { Accept: 'application/json', Authorization: auth }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    throw new Error(err.name === 'TimeoutError' ? `no answer within ${timeoutMs}ms` : err.cause?.code ?? err.message);
  }
  const text = await res.text();
  if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`), { status: res.status });
  let who = text;
  try {
    const me = JSON.parse(text) as { displayName?: string; name?: string; emailAddress?: string };
    who = `authenticated as ${me.displayName ?? me.name ?? me.emailAddress ?? 'someone'}`;
  } catch {
    /* not JSON */
  }
  return { status: res.status, response: who };
}

export interface OutboxEntry {
  key: string;
  channel: Channel;
  incident: string;
  kind: string;
  attempts: number;
  created_at: string;
  next_at?: string;
  failed_at?: string;
  last_error?: string;
}

const entry = (m: Message): OutboxEntry => ({
  key: m.key,
  channel: m.channel,
  incident: m.incident,
  kind: m.kind,
  attempts: m.attempts,
  created_at: m.created_at,
  ...(m.next_at ? { next_at: m.next_at } : {}),
  ...(m.failed_at ? { failed_at: m.failed_at } : {}),
  ...(m.last_error ? { last_error: m.last_error } : {}),
});

export interface FlushReport {
  delivered: DeliveryResult[];
  failed: DeliveryResult[];
  pending: number;
  /** Given up on (now or before): in the outbox's failed/ until dropped or retried. */
  given_up: OutboxEntry[];
  /** Another irm was flushing this outbox. */
  busy: boolean;
  /** --dry-run: the messages waiting, with what they would send. */
  waiting?: { key: string; channel: Channel; incident: string; kind: string; attempts: number; last_error?: string; body: unknown }[];
}

/** Deliver everything waiting now, ignoring the backoff (the operator asks), with up to three attempts each. */
export async function notifyFlush(ctx: Context, opts: { dryRun?: boolean } = {}): Promise<FlushReport> {
  const s = settings(ctx);
  if (opts.dryRun) {
    const mask = (t: string) => maskSecrets(t, allSecrets(s, ctx.io.env));
    const outbox = outboxFor(ctx);
    const waiting = outbox
      .list()
      .map(({ message: m }) => ({ key: m.key, channel: m.channel, incident: m.incident, kind: m.kind, attempts: m.attempts, ...(m.last_error ? { last_error: m.last_error } : {}), body: JSON.parse(mask(JSON.stringify(m.body))) }));
    return { delivered: [], failed: [], pending: waiting.length, given_up: outbox.listFailed().map((x) => entry(x.message)), busy: false, waiting };
  }
  // Three attempts per message, each within the timeout, and the waits between them: a bounded command.
  const r = await deliver(ctx, { force: true, maxAttempts: 3, budgetMs: s.timeoutMs * 4 + 5000 });
  tellStuck(ctx, r.results);
  return { delivered: r.results.filter((x) => x.ok), failed: r.results.filter((x) => !x.ok), pending: r.pending, given_up: r.outbox.listFailed().map((x) => entry(x.message)), busy: r.locked };
}

/** irm notify status: what waits in the outbox (and why), and what was given up. */
export function notifyStatus(ctx: Context): { pending: OutboxEntry[]; failed: OutboxEntry[]; sent: number } {
  const outbox = outboxFor(ctx);
  return { pending: outbox.list().map((x) => entry(x.message)), failed: outbox.listFailed().map((x) => entry(x.message)), sent: outbox.sentCount() };
}

/** irm notify drop ID: discard a message that can never be delivered (pending or failed); it is never sent. */
export function notifyDrop(ctx: Context, id: string): OutboxEntry {
  try {
    return entry(outboxFor(ctx).drop(id));
  } catch (e) {
    throw new UsageError((e as Error).message, 'irm notify status lists the messages and their ids');
  }
}

/** irm notify retry ID: queue a given-up message again, once its cause is fixed. */
export function notifyRetry(ctx: Context, id: string): OutboxEntry {
  try {
    return entry(outboxFor(ctx).retry(id));
  } catch (e) {
    throw new UsageError((e as Error).message, 'irm notify status lists the messages and their ids');
  }
}
