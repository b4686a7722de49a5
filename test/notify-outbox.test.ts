// The outbox and its flush in-process: queued once per event and channel, order kept within a channel, one flush at a
// time, and the messages each event of an incident makes.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { fold, type TimelineEvent } from '../src/incident/model.js';
import { backoffMs, flush, retryAfterMs, type Transport } from '../src/notify/deliver.js';
import { messagesFor, settingsOf, type Message, type Settings } from '../src/notify/messages.js';
import { Outbox } from '../src/notify/outbox.js';
import { parseDuration } from '../src/util/duration.js';
import { tmp } from './helpers.js';

const T0 = '2026-11-27T14:00:00.000Z';
const settings: Settings = settingsOf(
  {
    enabled: true,
    timeout: '2s',
    slack: { webhook_env: 'SLACK_URL' },
    pagerduty: { routing_key_env: 'PD_KEY', url: 'http://127.0.0.1:9/v2/enqueue', severities: ['P0', 'P1'], source: 'tradingbot' },
    jira: { url: 'http://127.0.0.1:9', project: 'OPS', issue_type: 'Incident', token_env: 'JIRA_TOKEN' },
  },
  parseDuration
);

let n = 0;
function ev(e: Record<string, unknown>): TimelineEvent {
  return { id: `e${n++}`, at: T0, by: 'dana', ...e } as TimelineEvent;
}
function created(severity: string) {
  return ev({ type: 'created', title: `[${severity}] Orders stuck`, severity, detected_at: T0, detected_by: 'alert', symptoms: ['Orders not filled'], owner: 'dana' });
}

describe('the messages each event makes', () => {
  it('maps P0-P3 to PagerDuty critical, error, warning, info, and pages only the configured severities', () => {
    const all = { ...settings, pagerduty: { ...settings.pagerduty!, severities: ['P0', 'P1', 'P2', 'P3'] } };
    const got = ['P0', 'P1', 'P2', 'P3'].map((sev) => {
      const c = created(sev);
      const m = messagesFor(fold('inc-1', [c]), [c], all).find((x) => x.channel === 'pagerduty')!;
      return (m.body as { payload: { severity: string } }).payload.severity;
    });
    expect(got).toEqual(['critical', 'error', 'warning', 'info']);
    const p2 = created('P2');
    expect(messagesFor(fold('inc-2', [p2]), [p2], settings).map((m) => m.channel)).toEqual(['slack', 'jira']);
  });

  it('a plain note and an owner change tell nobody; a broadcast note tells Slack and Jira', () => {
    const c = created('P1');
    const quiet = [ev({ type: 'note', text: 'x', kind: 'note' }), ev({ type: 'owner', from: 'dana', to: 'lee' })];
    expect(messagesFor(fold('inc-3', [c, ...quiet]), quiet, settings)).toEqual([]);
    const loud = ev({ type: 'note', text: 'Failover done', kind: 'note', broadcast: true });
    expect(messagesFor(fold('inc-3', [c, loud]), [loud], settings).map((m) => [m.channel, m.key])).toEqual([
      ['slack', `${loud.id}:slack`],
      ['jira', `${loud.id}:jira`],
    ]);
  });

  it('an incident paged as P1 and lowered to P2 is still resolved on PagerDuty', () => {
    const c = created('P1');
    const lower = ev({ type: 'severity', from: 'P1', to: 'P2' });
    const resolve = ev({ type: 'status', from: 'investigating', to: 'resolved' });
    const inc = fold('inc-4', [c, lower, resolve]);
    expect(messagesFor(inc, [resolve], settings).find((m) => m.channel === 'pagerduty')?.body).toEqual({ event_action: 'resolve', dedup_key: 'inc-4' });
  });
});

describe('the outbox', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  function queued(outbox: Outbox, events = 3): Message[] {
    const c = created('P1');
    const rest = Array.from({ length: events - 1 }, (_, i) => ev({ type: 'note', text: `update ${i}`, kind: 'note', broadcast: true }));
    const inc = fold('inc-5', [c, ...rest]);
    return outbox.enqueue(messagesFor(inc, [c, ...rest], settings).filter((m) => m.channel === 'slack'));
  }

  it('queues a message once per event and channel, 0600, and never again once sent', async () => {
    const dir = tmp();
    const outbox = new Outbox(join(dir, 'outbox'), () => new Date(T0), dir);
    const c = created('P1');
    const msgs = messagesFor(fold('inc-6', [c]), [c], settings);
    expect(outbox.enqueue(msgs)).toHaveLength(3);
    expect(outbox.enqueue(msgs)).toHaveLength(0);
    for (const f of readdirSync(outbox.pending)) expect(statSync(join(outbox.pending, f)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'notify-pending'))).toBe(true);
    const ok: Transport = { deliver: async () => ({ status: 200 }) };
    const r = await flush(outbox, { settings, env: {}, budgetMs: 1000, jiraKey: () => 'OPS-1', transport: ok });
    expect(r.results.filter((x) => x.ok)).toHaveLength(3);
    expect(existsSync(outbox.pending)).toBe(false);
    expect(existsSync(join(dir, 'notify-pending'))).toBe(false);
    expect(outbox.enqueue(msgs)).toHaveLength(0);
    expect(outbox.sentCount()).toBe(3);
  });

  it('a failed message holds back the later ones of its channel, not the other channels', async () => {
    const dir = tmp();
    const outbox = new Outbox(join(dir, 'outbox'));
    const c = created('P1');
    const ack = ev({ type: 'status', from: 'detected', to: 'investigating' });
    const inc = fold('inc-7', [c, ack]);
    outbox.enqueue(messagesFor(inc, [c, ack], settings));
    const seen: string[] = [];
    const transport: Transport = {
      deliver: async (m) => {
        seen.push(`${m.channel}:${m.kind}`);
        if (m.channel === 'pagerduty') throw Object.assign(new Error('HTTP 503'), {});
        return { status: 200, ...(m.channel === 'jira' && m.kind === 'created' ? { jira_key: 'OPS-9' } : {}) };
      },
    };
    const r = await flush(outbox, { settings, env: {}, budgetMs: 2000, maxAttempts: 1, jiraKey: () => undefined, transport });
    expect(seen.sort()).toEqual(['jira:acknowledged', 'jira:created', 'pagerduty:created', 'slack:acknowledged', 'slack:created']);
    expect(r.pending).toBe(2);
    expect(outbox.list().map((x) => `${x.message.channel}:${x.message.kind}`)).toEqual(['pagerduty:created', 'pagerduty:acknowledged']);
    expect(r.results.find((x) => x.channel === 'pagerduty')).toMatchObject({ ok: false, newly_stuck: true, error: 'HTTP 503' });
  });

  it('two flushes at once send each message once: the second waits for the first, within its budget', async () => {
    const got: string[] = [];
    const server = createServer((req, res) => {
      got.push(String(req.headers['idempotency-key']));
      setTimeout(() => res.writeHead(200).end('ok'), 150);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const dir = tmp();
    const a = new Outbox(join(dir, 'outbox'));
    const b = new Outbox(join(dir, 'outbox'));
    const msgs = queued(a, 3);
    const env = { SLACK_URL: url };
    const [ra, rb] = await Promise.all([
      flush(a, { settings, env, budgetMs: 3000, jiraKey: () => undefined }),
      flush(b, { settings, env, budgetMs: 3000, jiraKey: () => undefined }),
    ]);
    expect([ra.locked, rb.locked]).toEqual([false, false]);
    expect(got.sort()).toEqual(msgs.map((m) => m.key).sort());
    expect((await flush(b, { settings, env, budgetMs: 3000, jiraKey: () => undefined })).results).toEqual([]);
    expect(got).toHaveLength(3);
    // With no budget left to wait, a flush finds the outbox busy and says what it leaves waiting.
    const more = queued(a, 2);
    const hold = a.lock(60_000)!;
    const busy = await flush(b, { settings, env, budgetMs: 300, jiraKey: () => undefined });
    hold();
    expect(busy.locked).toBe(true);
    expect(busy.held.map((h) => h.key)).toEqual(more.map((m) => m.key));
    expect(busy.held[0]!.reason).toContain('another irm was delivering');
    got.length = 0;
    await flush(b, { settings, env, budgetMs: 3000, jiraKey: () => undefined });
    expect(got.sort()).toEqual(more.map((m) => m.key).sort());
  });

  it('a 408 is tried again; a 400 is given up into failed/ and the lane goes on', async () => {
    const answers = [408, 200, 400, 200];
    const got: number[] = [];
    const server = createServer((req, res) => {
      const status = answers.shift() ?? 200;
      got.push(status);
      res.writeHead(status).end(status === 200 ? 'ok' : 'no');
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const env = { SLACK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
    const outbox = new Outbox(join(tmp(), 'outbox'));
    const msgs = queued(outbox, 3);
    const r = await flush(outbox, { settings, env, budgetMs: 3000, jiraKey: () => undefined, sleep: async () => {} });
    expect(got).toEqual([408, 200, 400, 200]);
    expect(r.results.map((x) => [x.key, x.ok, !!x.gave_up])).toEqual([
      [msgs[0]!.key, true, false],
      [msgs[1]!.key, false, true],
      [msgs[2]!.key, true, false],
    ]);
    expect(outbox.list()).toEqual([]);
    expect(outbox.listFailed().map((x) => x.message.key)).toEqual([msgs[1]!.key]);
    // Not tried again by a later flush, forced or not.
    expect((await flush(outbox, { settings, env, budgetMs: 3000, force: true, jiraKey: () => undefined })).results).toEqual([]);
    expect(got).toHaveLength(4);
  });

  it('a lock left by a killed irm is taken over', () => {
    const outbox = new Outbox(join(tmp(), 'outbox'));
    const release = outbox.lock(60_000)!;
    expect(outbox.lock(60_000)).toBeUndefined();
    release();
    // A pid that is not running: the lock is stale at once.
    writeFileSync(join(outbox.dir, 'flush.lock'), '999999999\n');
    expect(outbox.lock(60_000)).toBeTypeOf('function');
  });
});

describe('retry timing', () => {
  it('Retry-After as seconds or an HTTP date; backoff doubles from 0.5s up to 10 minutes', () => {
    expect(retryAfterMs('7')).toBe(7000);
    const now = Date.parse('2026-11-27T14:00:00Z');
    expect(retryAfterMs('Fri, 27 Nov 2026 14:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
    expect([1, 2, 3, 4].map(backoffMs)).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(40)).toBe(600_000);
  });
});
