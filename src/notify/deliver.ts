// Delivering the outbox: Slack webhooks, PagerDuty Events API v2, the Jira REST API and SMTP, each attempt bounded by
// the configured timeout, retried with backoff (429 and Retry-After honoured), secrets read from the environment at
// this moment and masked in every error.
import { maskSecrets } from '../model/redact.js';
import type { Channel, JiraOp, Message, Settings } from './messages.js';
import type { Outbox } from './outbox.js';

export interface DeliveryResult {
  key: string;
  channel: Channel;
  incident: string;
  kind: string;
  ok: boolean;
  /** HTTP status, or the SMTP reply code. */
  status?: number | string;
  error?: string;
  /** Jira: the issue created. */
  jira_key?: string;
  attempts: number;
  retry_at?: string;
  /** True the first time a message is reported stuck: the operator is told once. */
  newly_stuck?: boolean;
  /** Given up: refused for good, moved to failed/ and not retried (irm notify retry queues it again). */
  gave_up?: boolean;
  /** Jira: the response text, for irm notify test. */
  response?: string;
}

export class DeliveryError extends Error {
  /** A configuration error (a secret's variable not set): trying again in this command cannot help. */
  config = false;
  constructor(message: string, readonly retryAfterMs?: number, readonly status?: number | string, readonly permanent = false) {
    super(message);
  }
}

/** The secrets a channel needs, from the variables the config names. */
export function secretsFor(channel: Channel, s: Settings, env: NodeJS.ProcessEnv): { values: Record<string, string>; missing: string[] } {
  const names: Record<string, string | undefined> =
    channel === 'slack'
      ? { webhook: s.slack?.webhook_env }
      : channel === 'pagerduty'
        ? { routing_key: s.pagerduty?.routing_key_env }
        : channel === 'jira'
          ? { token: s.jira?.token_env, ...(s.jira?.email_env ? { email: s.jira.email_env } : {}) }
          : { ...(s.email?.user_env ? { user: s.email.user_env } : {}), ...(s.email?.password_env ? { password: s.email.password_env } : {}) };
  const values: Record<string, string> = {};
  const missing: string[] = [];
  for (const [k, name] of Object.entries(names)) {
    if (!name) continue;
    const v = env[name];
    if (v) values[k] = v;
    else missing.push(name);
  }
  return { values, missing };
}

/** Every secret value irm.yaml names, for masking: a URL or token must not reach a message even by accident. */
export function allSecrets(s: Settings, env: NodeJS.ProcessEnv): string[] {
  const names = [s.slack?.webhook_env, s.pagerduty?.routing_key_env, s.jira?.token_env, s.jira?.email_env, s.email?.user_env, s.email?.password_env];
  const out: string[] = [];
  for (const n of names) {
    const v = n ? env[n] : undefined;
    if (!v) continue;
    out.push(v);
    // Basic auth carries it base64-encoded; a webhook URL's path is the secret part too.
    try {
      const u = new URL(v);
      if (u.pathname.length > 8) out.push(u.pathname);
    } catch {
      /* not a URL */
    }
  }
  if (s.jira?.email_env && s.jira.token_env && env[s.jira.email_env] && env[s.jira.token_env]) out.push(Buffer.from(`${env[s.jira.email_env]}:${env[s.jira.token_env]}`).toString('base64'));
  return out.sort((a, b) => b.length - a.length);
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Exponential backoff after a failed attempt: 0.5s, 1s, 2s, 4s ... up to 10 minutes. */
export function backoffMs(attempts: number): number {
  return Math.min(600_000, 500 * 2 ** Math.max(0, attempts - 1));
}

interface Http {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: unknown;
}

async function send(req: Http, timeoutMs: number): Promise<{ status: number; text: string; json?: unknown }> {
  let res: Response;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: JSON.stringify(req.body) } : {}),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (e) {
    const err = e as Error & { cause?: { code?: string; message?: string } };
    if (err.name === 'TimeoutError' || err.name === 'AbortError') throw new DeliveryError(`no answer within ${timeoutMs}ms`);
    throw new DeliveryError(err.cause?.code ?? err.cause?.message ?? err.message);
  }
  const text = await res.text().catch(() => '');
  if (res.status === 429 || res.status >= 500) throw new DeliveryError(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`, retryAfterMs(res.headers.get('retry-after')), res.status);
  // Any other 4xx will not get better by itself (a bad key, a bad field): it is given up, not retried. A 408 is the
  // receiver's timeout, worth another try.
  if (res.status === 408) throw new DeliveryError(`HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`, undefined, res.status);
  if (res.status >= 400) throw new DeliveryError(`HTTP ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`, undefined, res.status, true);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* Slack answers "ok" */
  }
  return { status: res.status, text, json };
}

/** The HTTP requests one message makes (a Jira transition makes two: it looks its id up), and what the answer tells the record. */
export interface Transport {
  deliver(m: Message, ctx: { jiraKey?: string }): Promise<{ status: number | string; jira_key?: string; response?: string }>;
}

export function httpTransport(s: Settings, env: NodeJS.ProcessEnv, timeoutMs: number): Transport {
  return {
    async deliver(m, ctx) {
      const { values, missing } = secretsFor(m.channel, s, env);
      if (missing.length) {
        throw Object.assign(new DeliveryError(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not set (irm.yaml names ${missing.length === 1 ? 'it' : 'them'} for ${m.channel})`), { config: true });
      }
      const idem = { 'Idempotency-Key': m.key };
      switch (m.channel) {
        case 'slack': {
          const r = await send({ method: 'POST', url: values.webhook!, headers: { 'Content-Type': 'application/json', ...idem }, body: m.body }, timeoutMs);
          return { status: r.status, response: r.text };
        }
        case 'pagerduty': {
          const body = { routing_key: values.routing_key, ...(m.body as object) };
          const r = await send({ method: 'POST', url: s.pagerduty!.url, headers: { 'Content-Type': 'application/json', ...idem }, body }, timeoutMs);
          return { status: r.status, response: r.text };
        }
        case 'jira':
          return jira(m, s, values, ctx.jiraKey, timeoutMs);
        case 'email':
          return email(m, s, values, timeoutMs);
      }
    },
  };
}

async function jira(m: Message, s: Settings, secrets: Record<string, string>, jiraKey: string | undefined, timeoutMs: number) {
  const j = s.jira!;
  const base = j.url.replace(/\/+$/, '');
  const auth = secrets.email ? `Basic ${Buffer.from(`${secrets.email}:${secrets.token}`).toString('base64')}` : `Bearer ${secrets.token}`;
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: auth, 'Idempotency-Key': m.key };
  const op = m.body as JiraOp;
  if (op.op === 'create') {
    // A create that timed out may have been made: look for the issue labelled with this incident before making another.
    // (attempts counts this one.) A search Jira refuses (4xx) does not stop the create: a duplicate beats no ticket.
    if (m.attempts > 1) {
      const jql = `project = "${j.project}" AND labels = "irm-${m.incident}"`;
      try {
        const found = await send({ method: 'GET', url: `${base}/rest/api/2/search?jql=${encodeURIComponent(jql)}&fields=key&maxResults=1`, headers }, timeoutMs);
        const key = (found.json as { issues?: { key?: string }[] } | undefined)?.issues?.[0]?.key;
        if (key) return { status: found.status, jira_key: key, response: `found ${key}` };
      } catch (e) {
        if (!(e instanceof DeliveryError && e.permanent)) throw e;
      }
    }
    const r = await send({ method: 'POST', url: `${base}/rest/api/2/issue`, headers, body: { fields: op.fields } }, timeoutMs);
    const key = (r.json as { key?: string } | undefined)?.key;
    if (!key) throw new DeliveryError(`Jira created no issue key: ${r.text.slice(0, 200)}`, undefined, r.status, true);
    return { status: r.status, jira_key: key, response: key };
  }
  // flush() gives a comment up before this when its issue cannot come; here only as a guard.
  if (!jiraKey) throw new DeliveryError(`no Jira issue for ${m.incident}`, undefined, undefined, true);
  const issue = `${base}/rest/api/2/issue/${encodeURIComponent(jiraKey)}`;
  if (op.op === 'priority') {
    // The severity changed: the ticket's priority follows (irm.yaml's jira.priority map).
    const r = await send({ method: 'PUT', url: issue, headers, body: { fields: { priority: { name: op.priority } } } }, timeoutMs);
    return { status: r.status, response: `priority ${op.priority}` };
  }
  if (op.op === 'comment') {
    const r = await send({ method: 'POST', url: `${issue}/comment`, headers, body: { body: op.body } }, timeoutMs);
    return { status: r.status, response: r.text };
  }
  const list = await send({ method: 'GET', url: `${issue}/transitions`, headers }, timeoutMs);
  const transitions = (list.json as { transitions?: { id: string; name: string }[] } | undefined)?.transitions ?? [];
  const t = transitions.find((x) => x.name.toLowerCase() === op.transition.toLowerCase());
  // Already done, or a workflow without it: asking again will not help; the comment has told the ticket.
  if (!t) return { status: list.status, response: `no transition "${op.transition}" (available: ${transitions.map((x) => x.name).join(', ') || 'none'})` };
  const done = await send({ method: 'POST', url: `${issue}/transitions`, headers, body: { transition: { id: t.id } } }, timeoutMs);
  return { status: done.status, response: `moved to ${t.name}` };
}

/** Just what irm uses of nodemailer (which ships no types). */
interface Mailer {
  sendMail(m: Record<string, unknown>): Promise<{ response?: string; messageId?: string }>;
  close(): void;
}

async function email(m: Message, s: Settings, secrets: Record<string, string>, timeoutMs: number) {
  const e = s.email!;
  // Loaded here only: no other command pays for the SMTP library.
  const nodemailer = ((await import('nodemailer')) as unknown as { default: { createTransport(o: unknown): Mailer } }).default;
  const transport = nodemailer.createTransport({
    host: e.host,
    port: e.port,
    secure: e.secure,
    ...(secrets.user ? { auth: { user: secrets.user, pass: secrets.password ?? '' } } : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Past the deadline the socket is destroyed, not ended and waited on (5 s by default): a relay that accepts and
    // never greets must not keep irm alive after its output is done.
    socketCloseTimeout: 0,
  });
  const body = m.body as { subject: string; text: string };
  try {
    // The message id is the idempotency key: a relay or a mailbox that sees it twice knows it is one message.
    const info = await withTimeout(
      transport.sendMail({ from: e.from, to: e.to, subject: body.subject, text: body.text, messageId: `<${m.key.replace(/[^A-Za-z0-9.-]/g, '.')}@irm>`, headers: { 'X-Irm-Idempotency-Key': m.key } }),
      timeoutMs
    );
    // The status is the reply code, as for a refusal (and HTTP's); the response is the relay's words.
    const reply = info.response ?? '';
    const code = /^\d{3}\b/.exec(reply);
    return { status: code ? Number(code[0]) : reply || 'sent', response: reply };
  } catch (err) {
    if (err instanceof DeliveryError) throw err;
    const x = err as Error & { responseCode?: number; code?: string };
    const permanent = typeof x.responseCode === 'number' && x.responseCode >= 500 && x.responseCode < 600 && x.code !== 'ECONNECTION';
    throw new DeliveryError(`SMTP: ${x.message}`, undefined, x.responseCode, permanent);
  } finally {
    transport.close();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new DeliveryError(`no answer within ${ms}ms`)), ms)))]).finally(() => clearTimeout(timer));
}

export interface FlushOptions {
  settings: Settings;
  env: NodeJS.ProcessEnv;
  /** The most this flush may take, all attempts and waits included. */
  budgetMs: number;
  /** Ignore the backoff times (irm notify flush: the operator asks now). */
  force?: boolean;
  /** Attempts per message in this flush. */
  maxAttempts?: number;
  /** The Jira issue already on the record for an incident. */
  jiraKey: (incident: string) => string | undefined;
  /** Called after each message is delivered or given up on for now, to record it. */
  onResult?: (r: DeliveryResult, m: Message) => void;
  transport?: Transport;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A pending message this flush did not try, and why: the queuing command tells the operator. */
export interface Held {
  key: string;
  channel: Channel;
  incident: string;
  kind: string;
  reason: string;
}

/**
 * Deliver what waits. Order matters only within one incident's messages to one channel (a PagerDuty resolve after its
 * trigger, a Jira comment after its issue's creation), so each incident and channel is a lane of its own: a message
 * that fails holds back the later ones of its lane, never another incident's or another channel's. A message refused
 * for good (a 4xx other than 408 and 429, a Jira comment whose issue can never be made) is given up: it moves to
 * failed/ and its lane goes on. The lanes go side by side, under one deadline: the whole flush takes at most the budget.
 */
export async function flush(outbox: Outbox, o: FlushOptions): Promise<{ results: DeliveryResult[]; pending: number; locked: boolean; held: Held[] }> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + o.budgetMs;
  // Another irm delivering this outbox holds the lock: wait for it (within the budget), then deliver what it left,
  // so that a command's own messages do not sit unsent until some later command.
  const staleMs = Math.max(60_000, o.budgetMs * 4);
  let release = outbox.lock(staleMs);
  while (!release && deadline - now() > 150) {
    await sleep(Math.min(100, deadline - now() - 100));
    release = outbox.lock(staleMs);
  }
  if (!release) {
    const waiting = outbox.list();
    return { results: [], pending: waiting.length, locked: true, held: waiting.map(({ message: m }) => ({ key: m.key, channel: m.channel, incident: m.incident, kind: m.kind, reason: 'another irm was delivering the outbox until the notify timeout' })) };
  }
  const secrets = allSecrets(o.settings, o.env);
  const mask = (t: string) => maskSecrets(t, secrets);
  const results: DeliveryResult[] = [];
  const held: Held[] = [];
  const jiraKeys = new Map<string, string>();
  const maxAttempts = o.maxAttempts ?? 3;
  const hold = (m: Message, reason: string) => held.push({ key: m.key, channel: m.channel, incident: m.incident, kind: m.kind, reason });

  /** Give a message up: failed/, reported once. */
  const giveUp = (file: string, m: Message, error: string, status?: number | string): DeliveryResult => {
    m.last_error = mask(error);
    m.failed_at = new Date(now()).toISOString();
    delete m.next_at;
    m.warned = true;
    outbox.markFailed(file, m);
    return { key: m.key, channel: m.channel, incident: m.incident, kind: m.kind, ok: false, gave_up: true, newly_stuck: true, error: m.last_error, attempts: m.attempts, ...(status !== undefined ? { status } : {}) };
  };

  /** The Jira issue of an incident: made in this flush, on the record, or by a delivered creation. */
  const jiraKeyOf = (incident: string) => jiraKeys.get(incident) ?? o.jiraKey(incident) ?? outbox.sentJiraKey(incident);

  /** One message, with its retries; undefined when there was no time left to try. */
  const one = async (file: string, m: Message): Promise<DeliveryResult | undefined> => {
    // Only Jira messages need the issue's key, which the record holds: the others do not read it.
    const jiraKey = m.channel === 'jira' ? jiraKeyOf(m.incident) : undefined;
    if (m.channel === 'jira' && !jiraKey && (m.body as JiraOp).op !== 'create') {
      // Its lane has no creation before it (that would have gone first, or held this back): the issue never comes.
      const failedCreate = outbox.failedJiraCreate(m.incident);
      return giveUp(file, m, failedCreate ? `the Jira issue for ${m.incident} could not be created (${failedCreate.last_error ?? 'given up'})` : `no Jira issue for ${m.incident}: its creation was never queued (the incident was created with --no-notify, a dry run, or before Jira was configured)`);
    }
    let result: DeliveryResult | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      const left = deadline - now();
      if (left <= 50) break;
      const transport = o.transport ?? httpTransport(o.settings, o.env, Math.min(o.settings.timeoutMs, left));
      m.attempts += 1;
      try {
        const r = await transport.deliver(m, jiraKey ? { jiraKey } : {});
        delete m.next_at;
        delete m.last_error;
        if (r.jira_key) {
          jiraKeys.set(m.incident, r.jira_key);
          m.jira_key = r.jira_key;
        }
        outbox.markSent(file, m);
        return { key: m.key, channel: m.channel, incident: m.incident, kind: m.kind, ok: true, status: r.status, attempts: m.attempts, ...(r.jira_key ? { jira_key: r.jira_key } : {}), ...(r.response ? { response: mask(r.response).slice(0, 300) } : {}) };
      } catch (e) {
        const err = e instanceof DeliveryError ? e : new DeliveryError((e as Error).message);
        if (err.permanent) return giveUp(file, m, err.message, err.status);
        const wait = err.retryAfterMs ?? backoffMs(m.attempts);
        m.last_error = mask(err.message);
        m.next_at = new Date(now() + wait).toISOString();
        result = { key: m.key, channel: m.channel, incident: m.incident, kind: m.kind, ok: false, error: m.last_error, attempts: m.attempts, retry_at: m.next_at, ...(err.status !== undefined ? { status: err.status } : {}) };
        // Wait and try again only when the wait fits in what is left, and the answer may change: a variable that
        // is not set stays unset for this process, so that is said at once (the message waits for the next command).
        if (err.config || attempt + 1 >= maxAttempts || now() + wait >= deadline - 50) break;
        await sleep(wait);
      }
    }
    if (result && !m.warned) {
      m.warned = true;
      result.newly_stuck = true;
    }
    if (result) outbox.update(file, m);
    return result;
  };

  const lanes = new Map<string, { file: string; message: Message }[]>();
  for (const x of outbox.list()) {
    const lane = `${x.message.channel}\u0000${x.message.incident}`;
    lanes.set(lane, [...(lanes.get(lane) ?? []), x]);
  }
  const lane = async (items: { file: string; message: Message }[]) => {
    for (const [i, { file, message: m }] of items.entries()) {
      const holdRest = (reason: string) => {
        hold(m, reason);
        for (const later of items.slice(i + 1)) hold(later.message, `behind an earlier ${m.kind} message of ${m.incident} to ${m.channel}, which waits: ${reason}`);
      };
      if (!o.settings[m.channel]) return holdRest(`${m.channel} is not configured in irm.yaml any more`);
      if (!o.force && m.next_at && Date.parse(m.next_at) > now()) return holdRest(`its retry waits until ${m.next_at}${m.last_error ? ` (last: ${m.last_error})` : ''}`);
      const r = await one(file, m);
      if (!r) return holdRest('no time was left within notify.timeout');
      results.push(r);
      o.onResult?.(r, m);
      if (!r.ok && !r.gave_up) {
        for (const later of items.slice(i + 1)) hold(later.message, `behind an earlier ${m.kind} message of ${m.incident} to ${m.channel}, which could not be sent`);
        return;
      }
    }
  };
  try {
    await Promise.all([...lanes.values()].map(lane));
  } finally {
    release();
  }
  return { results, pending: outbox.list().length, locked: false, held };
}
