// Telling the team: real HTTP receivers on loopback stand in for Slack, PagerDuty and Jira, and a real SMTP server for
// the mail relay; the built irm runs as an operator would run it, and every request is asserted as it arrived.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// @ts-expect-error smtp-server ships no types
import { SMTPServer } from 'smtp-server';
import { BIN, cleanEnv, tmp, tree, type Result } from './helpers.js';

interface Req {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  at: number;
}

type Handler = (req: Req, res: ServerResponse) => void | Promise<void>;

/** An HTTP server on 127.0.0.1 that records every request whole and answers as the test says. */
class Receiver {
  requests: Req[] = [];
  /** Requests answered with a 2xx: what the receiver took. */
  taken: Req[] = [];
  handler: Handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
  };
  private server!: Server;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: any = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          /* not JSON */
        }
        const r: Req = { method: req.method!, path: req.url!, headers: req.headers, body, at: Date.now() };
        this.requests.push(r);
        const end = res.end.bind(res);
        res.end = ((...args: any[]) => {
          if (res.statusCode < 300) this.taken.push(r);
          return end(...args);
        }) as any;
        await this.handler(r, res);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path = ''): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  reset(): void {
    this.requests = [];
    this.taken = [];
    this.handler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    };
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

interface Mail {
  from: string;
  to: string[];
  data: string;
  user?: string;
}

/** A mail relay on loopback: smtp-server, plain SMTP (no STARTTLS), with login. */
async function smtpRelay(): Promise<{ mails: Mail[]; port: number; stop: () => Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth: any, _session: any, cb: any) {
      if (auth.username === 'irm-bot' && auth.password === 'smtp-pass-5678') cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream: any, session: any, cb: any) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom.address, to: session.envelope.rcptTo.map((r: any) => r.address), data: Buffer.concat(chunks).toString('utf8'), user: session.user });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  return { mails, port, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The built irm, run asynchronously: the receivers answer from this same process. */
function irmAsync(args: string[], opts: { cwd: string; env: Record<string, string | undefined> }): Promise<Result & { ms: number }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd, env: cleanEnv(opts.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout,
        stderr,
        ms: Date.now() - started,
        json() {
          try {
            return JSON.parse(stdout);
          } catch {
            throw new Error(`not JSON (exit ${code}):\n${stdout}\n--- stderr:\n${stderr}`);
          }
        },
      });
    });
  });
}

const SLACK_PATH = '/services/T0000/B0000/slack-secret-1234';
const ROUTING_KEY = 'pd-routing-key-abcdef0123456789';
const JIRA_TOKEN = 'jira-token-secret-9876';
const JIRA_EMAIL = 'irm-bot@company.com';

let slack: Receiver;
let pd: Receiver;
let jira: Receiver;
let relay: Awaited<ReturnType<typeof smtpRelay>>;
let jiraComments = 0;

function jiraHandler(): Handler {
  return (req, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'POST' && req.path === '/rest/api/2/issue') return json(201, { id: '10007', key: 'OPS-7', self: jira.url('/rest/api/2/issue/10007') });
    if (req.method === 'POST' && /^\/rest\/api\/2\/issue\/OPS-7\/comment$/.test(req.path)) return json(201, { id: String(++jiraComments) });
    if (req.method === 'GET' && req.path === '/rest/api/2/issue/OPS-7/transitions') return json(200, { transitions: [{ id: '11', name: 'In Progress' }, { id: '31', name: 'Done' }] });
    if (req.method === 'POST' && req.path === '/rest/api/2/issue/OPS-7/transitions') return res.writeHead(204).end();
    if (req.method === 'PUT' && req.path === '/rest/api/2/issue/OPS-7') return res.writeHead(204).end();
    if (req.method === 'GET' && req.path.startsWith('/rest/api/2/search?')) return json(200, { startAt: 0, maxResults: 1, total: 0, issues: [] });
    if (req.method === 'GET' && req.path === '/rest/api/2/myself') return json(200, { displayName: 'IRM Bot', emailAddress: JIRA_EMAIL });
    return json(404, { errorMessages: [`no route ${req.method} ${req.path}`] });
  };
}

function config(extra = '', timeout = '3s', slackEnv = 'SLACK_WEBHOOK_URL'): string {
  return `notify:
  timeout: ${timeout}
  slack:
    webhook_env: ${slackEnv}
  pagerduty:
    routing_key_env: PAGERDUTY_ROUTING_KEY
    url: ${pd.url('/v2/enqueue')}
    severities: [P0, P1]
  jira:
    url: ${jira.url()}
    project: OPS
    issue_type: Incident
    priority: { P0: Highest, P1: High, P2: Medium, P3: Low }
    token_env: JIRA_TOKEN
    email_env: JIRA_EMAIL
    resolve_transition: Done
  email:
    host: 127.0.0.1
    port: ${relay.port}
    from: irm@company.com
    to: [tradingbot-team@company.com, product-owner@company.com]
    user_env: SMTP_USER
    password_env: SMTP_PASSWORD
${extra}`;
}

function workspace(yaml = config()) {
  const home = tmp('irm-notify-home-');
  const dir = tree({ 'irm.yaml': yaml });
  const env = {
    IRM_HOME: home,
    USER: 'dana',
    SLACK_WEBHOOK_URL: slack.url(SLACK_PATH),
    PAGERDUTY_ROUTING_KEY: ROUTING_KEY,
    JIRA_TOKEN,
    JIRA_EMAIL,
    SMTP_USER: 'irm-bot',
    SMTP_PASSWORD: 'smtp-pass-5678',
  };
  const run = (args: string[], extraEnv: Record<string, string | undefined> = {}) => irmAsync(args, { cwd: dir, env: { ...env, ...extraEnv } });
  return { home, dir, env, run };
}

function pending(home: string): string[] {
  const d = join(home, 'outbox', 'pending');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.json')) : [];
}

function everyFile(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...everyFile(p));
    else out.push(p);
  }
  return out;
}

beforeAll(async () => {
  slack = await new Receiver().start();
  pd = await new Receiver().start();
  jira = await new Receiver().start();
  relay = await smtpRelay();
});

afterAll(async () => {
  await Promise.all([slack.stop(), pd.stop(), jira.stop(), relay.stop()]);
});

beforeEach(() => {
  for (const r of [slack, pd, jira]) r.reset();
  jira.handler = jiraHandler();
  pd.handler = (_req, res) => {
    res.writeHead(202, { 'Content-Type': 'application/json' }).end(JSON.stringify({ status: 'success', message: 'Event processed', dedup_key: 'x' }));
  };
  relay.mails.length = 0;
  jiraComments = 0;
});

describe("an incident's life, told to Slack, PagerDuty, Jira and the stakeholders", () => {
  it('sends the exact requests for creation, acknowledgement, updates, escalation and resolution, each once', async () => {
    const w = workspace();
    const t = await w.run(['triage', '--severity', 'P1', '--title', 'Slow queries', '--symptom', 'Slow query responses', '--detected-by', 'alert', '--until', '1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const id = t.json().incident as string;
    expect(t.stderr).not.toContain('warning');

    // Slack: the incoming webhook, one JSON message.
    expect(slack.requests).toHaveLength(1);
    const s0 = slack.requests[0]!;
    expect(s0.method).toBe('POST');
    expect(s0.path).toBe(SLACK_PATH);
    expect(s0.headers['content-type']).toBe('application/json');
    expect(s0.headers['idempotency-key']).toBe(`${readRecord(w.home, id)[0].id}:slack`);
    expect(Object.keys(s0.body)).toEqual(['text']);
    for (const part of [`New incident ${id}`, '*[P1] Slow queries*', 'Severity: P1   Status: detected', 'Detected by: alert', 'Symptoms: Slow query responses', 'On it: dana']) expect(s0.body.text).toContain(part);

    // PagerDuty: Events API v2 trigger, the incident id as dedup_key, P1 as "error".
    expect(pd.requests).toHaveLength(1);
    const p0 = pd.requests[0]!;
    expect([p0.method, p0.path, p0.headers['content-type']]).toEqual(['POST', '/v2/enqueue', 'application/json']);
    expect(p0.body).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: id,
      payload: {
        summary: '[P1] Slow queries',
        source: 'tradingbot',
        severity: 'error',
        custom_details: { incident: id, severity: 'P1', detected_by: 'alert', detected_at: expect.any(String), symptoms: ['Slow query responses'], owner: 'dana' },
      },
    });

    // Jira: one issue, basic auth, the configured type and priority; its key goes on the record.
    expect(jira.requests).toHaveLength(1);
    const j0 = jira.requests[0]!;
    expect([j0.method, j0.path]).toEqual(['POST', '/rest/api/2/issue']);
    expect(j0.headers.authorization).toBe(`Basic ${Buffer.from(`${JIRA_EMAIL}:${JIRA_TOKEN}`).toString('base64')}`);
    expect(j0.headers.accept).toBe('application/json');
    expect(j0.body).toEqual({
      fields: {
        project: { key: 'OPS' },
        summary: '[P1] Slow queries',
        description: expect.stringContaining('Symptoms:\n* Slow query responses'),
        issuetype: { name: 'Incident' },
        priority: { name: 'High' },
        labels: [`irm-${id}`],
      },
    });

    // Email to the stakeholders, through the relay, logged in.
    expect(relay.mails).toHaveLength(1);
    expect(relay.mails[0]).toMatchObject({ from: 'irm@company.com', to: ['tradingbot-team@company.com', 'product-owner@company.com'], user: 'irm-bot' });
    expect(relay.mails[0]!.data).toContain(`Subject: [P1] Incident ${id}: Slow queries\r\n`);

    const shown = (await w.run(['incident', 'show', id, '--json'])).json();
    expect(shown.incident.jira_key).toBe('OPS-7');
    const sent = shown.incident.events.filter((e: any) => e.type === 'notification');
    expect(sent.map((e: any) => `${e.channel}:${e.status}`).sort()).toEqual(['email:sent', 'jira:sent', 'pagerduty:sent', 'slack:sent']);

    // Acknowledged: PagerDuty acknowledge with the same dedup_key, Slack, a comment on OPS-7.
    expect((await w.run(['incident', 'status', id, 'investigating'])).code).toBe(0);
    expect(pd.requests.at(-1)!.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'acknowledge', dedup_key: id });
    expect(slack.requests.at(-1)!.body.text).toContain(`Acknowledged ${id}`);
    expect(slack.requests.at(-1)!.body.text).toContain('Status: detected → investigating');
    expect(jira.requests.at(-1)).toMatchObject({ method: 'POST', path: '/rest/api/2/issue/OPS-7/comment', body: { body: expect.stringContaining('Status: detected → investigating') } });

    // The periodic update, a broadcast note, a plain note (not sent), an escalation.
    expect((await w.run(['update', id, 'Failover to the replica in progress'])).code).toBe(0);
    expect(slack.requests.at(-1)!.body.text).toContain('Update: Failover to the replica in progress');
    expect(jira.requests.at(-1)!.body).toEqual({ body: expect.stringContaining('Update: Failover to the replica in progress') });
    expect((await w.run(['incident', 'note', id, '--broadcast', 'Replica is serving reads'])).code).toBe(0);
    expect(slack.requests.at(-1)!.body.text).toContain('Update: Replica is serving reads');
    const before = slack.requests.length;
    expect((await w.run(['incident', 'note', id, 'only for the record'])).code).toBe(0);
    expect(slack.requests).toHaveLength(before);
    expect((await w.run(['escalate', id, '--trigger', '1'])).code).toBe(0);
    expect(slack.requests.at(-1)!.body.text).toContain('Escalated to level 2');
    expect(jira.requests.at(-1)!.body.body).toContain('Escalated to level 2');

    // Resolved: PagerDuty resolve, Slack with the duration, Jira comment then the "Done" transition, email.
    expect((await w.run(['incident', 'status', id, 'resolved', '--reason', 'index rebuilt'])).code).toBe(0);
    expect(pd.requests.at(-1)!.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: id });
    const resolved = slack.requests.at(-1)!.body.text as string;
    expect(resolved).toContain(`Resolved ${id}`);
    expect(resolved).toMatch(/Duration: \d+(ms|s|m)/);
    const last3 = jira.requests.slice(-3).map((r) => `${r.method} ${r.path}`);
    expect(last3).toEqual(['POST /rest/api/2/issue/OPS-7/comment', 'GET /rest/api/2/issue/OPS-7/transitions', 'POST /rest/api/2/issue/OPS-7/transitions']);
    expect(jira.requests.at(-3)!.body.body).toContain('Resolved after');
    expect(jira.requests.at(-1)!.body).toEqual({ transition: { id: '31' } });
    expect(relay.mails).toHaveLength(2);
    expect(relay.mails[1]!.data).toContain(`Subject: [P1] Resolved ${id}: Slow queries\r\n`);

    // Each event once on each channel: no request repeated.
    expect(pd.requests.map((r) => r.body.event_action)).toEqual(['trigger', 'acknowledge', 'resolve']);
    expect(slack.requests).toHaveLength(6);
    expect(new Set(slack.requests.map((r) => r.headers['idempotency-key'])).size).toBe(6);
    expect(jira.requests.filter((r) => r.path === '/rest/api/2/issue')).toHaveLength(1);

    // A later command has nothing to send; the outbox is empty and its sent messages are the user's alone.
    const again = await w.run(['incident', 'show', id]);
    expect(again.code).toBe(0);
    expect(slack.requests).toHaveLength(6);
    expect(pending(w.home)).toEqual([]);
    expect(existsSync(join(w.home, 'notify-pending'))).toBe(false);

    // No secret anywhere irm writes: the record, the outbox.
    for (const f of everyFile(w.home)) {
      const text = readFileSync(f, 'utf8');
      for (const secret of [SLACK_PATH, ROUTING_KEY, JIRA_TOKEN, 'smtp-pass-5678']) expect(text, f).not.toContain(secret);
      if (f.includes('outbox')) expect(statSync(f).mode & 0o777, f).toBe(0o600);
    }
  });

  it("irm triage's initial response acknowledges: PagerDuty acknowledge, Slack, a Jira comment, as it happens", async () => {
    const w = workspace();
    const t = await w.run(['triage', '--severity', 'P0', '--title', 'Bot down', '--until', '1', '--json']);
    const id = t.json().incident as string;
    expect(t.stderr).toContain('irm: notified slack, pagerduty, jira (OPS-7), email');
    expect(pd.requests[0]!.body.payload.severity).toBe('critical');
    const r = await w.run(['resume', id, '--until', '2', '--yes', '--json']);
    expect(r.json().status).toBe('investigating');
    expect(pd.requests.map((x) => x.body.event_action)).toEqual(['trigger', 'acknowledge']);
    expect(slack.requests.at(-1)!.body.text).toContain('Status: detected → investigating (acknowledged)');
    expect(jira.requests.at(-1)!.path).toBe('/rest/api/2/issue/OPS-7/comment');
    // The acknowledgement went out before the quick health checks ran: it is on the record before them.
    const kinds = readRecord(w.home, id).map((e) => (e.type === 'notification' ? `${e.channel}:${e.status}` : e.type));
    expect(kinds.indexOf('pagerduty:sent', kinds.indexOf('status'))).toBeLessThan(kinds.indexOf('command'));
  });

  it('does not page for a P3, and sends no email for it', async () => {
    const w = workspace();
    const t = await w.run(['triage', '--severity', 'P3', '--title', 'Log rotation late', '--until', '1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    expect(pd.requests).toHaveLength(0);
    expect(relay.mails).toHaveLength(0);
    expect(slack.requests).toHaveLength(1);
    expect(jira.requests[0]!.body.fields.priority).toEqual({ name: 'Low' });
  });
});

describe('a severity that changes, an incident reopened', () => {
  const mailSubjects = () => relay.mails.map((m) => /^Subject: (.*)$/m.exec(m.data)?.[1]);

  it('a P3 raised to P0 pages and mails as creation at P0 would have; the ticket gets its priority; reopening pages again', async () => {
    const w = workspace();
    const t = await w.run(['triage', '--severity', 'P3', '--title', 'Log rotation noisy', '--until', '1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const id = t.json().incident as string;
    expect(pd.requests).toHaveLength(0);
    expect(relay.mails).toHaveLength(0);

    expect((await w.run(['incident', 'severity', 'P0', '--reason', 'trading halted'])).code).toBe(0);
    expect(pd.requests).toHaveLength(1);
    expect(pd.requests[0]!.body).toEqual({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: id,
      payload: { summary: '[P0] Log rotation noisy', source: 'tradingbot', severity: 'critical', custom_details: { incident: id, severity: 'P0', raised_from: 'P3', reason: 'trading halted' } },
    });
    expect(mailSubjects()).toEqual([`[P0] Incident ${id}: Log rotation noisy`]);
    expect(relay.mails[0]!.data).toContain('raised from P3: trading halted');
    const put = jira.requests.filter((r) => r.method === 'PUT');
    expect(put.map((r) => [r.path, r.body])).toEqual([['/rest/api/2/issue/OPS-7', { fields: { priority: { name: 'Highest' } } }]]);
    expect(jira.requests.some((r) => r.path === '/rest/api/2/issue/OPS-7/comment' && r.body.body.includes('Severity: P3 → P0 (trading halted)'))).toBe(true);

    expect((await w.run(['incident', 'status', 'investigating'])).code).toBe(0);
    expect((await w.run(['incident', 'status', id, 'resolved'])).code).toBe(0);
    expect(mailSubjects().at(-1)).toBe(`[P0] Resolved ${id}: Log rotation noisy`);
    // Reopened: a new trigger on the same dedup_key, and the stakeholders told it is back.
    expect((await w.run(['incident', 'status', id, 'investigating', '--reason', 'halted again'])).code).toBe(0);
    expect(pd.requests.map((r) => r.body.event_action)).toEqual(['trigger', 'acknowledge', 'resolve', 'trigger']);
    expect(pd.requests.at(-1)!.body.payload).toMatchObject({ severity: 'critical', custom_details: { reopened: true, reason: 'halted again' } });
    expect(mailSubjects()).toHaveLength(3);
    expect(mailSubjects().at(-1)).toBe(`[P0] Incident ${id}: Log rotation noisy`);
    expect(slack.requests.at(-1)!.body.text).toContain(`Reopened ${id}`);
  });

  it('a P1 raised to P0 updates the open alert to critical and the ticket to Highest; no second creation mail', async () => {
    const w = workspace();
    const t = await w.run(['triage', '--severity', 'P1', '--title', 'Fills slow', '--until', '1', '--json']);
    const id = t.json().incident as string;
    expect((await w.run(['incident', 'severity', id, 'P0'])).code).toBe(0);
    expect(pd.requests.map((r) => [r.body.event_action, r.body.payload?.severity])).toEqual([['trigger', 'error'], ['trigger', 'critical']]);
    expect(jira.requests.filter((r) => r.method === 'PUT').map((r) => r.body)).toEqual([{ fields: { priority: { name: 'Highest' } } }]);
    expect(mailSubjects()).toEqual([`[P1] Incident ${id}: Fills slow`]);
    // Lowered below paging: the alert stays open (its severity follows) until resolved.
    expect((await w.run(['incident', 'severity', id, 'P2'])).code).toBe(0);
    expect(pd.requests.at(-1)!.body.payload.severity).toBe('warning');
    expect((await w.run(['incident', 'status', id, 'resolved'])).code).toBe(0);
    expect(pd.requests.at(-1)!.body).toEqual({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: id });
  });
});

function readRecord(home: string, id: string): any[] {
  return readFileSync(join(home, 'incidents', `${id}.jsonl`), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('a channel that fails loses nothing and sends nothing twice', () => {
  /** A P3 incident with Slack only (so that one channel is watched). */
  async function slackOnly(timeout = '1s') {
    const w = workspace(`notify:\n  timeout: ${timeout}\n  slack:\n    webhook_env: SLACK_WEBHOOK_URL\n`);
    const t = await w.run(['triage', '--severity', 'P3', '--title', 'Disk filling', '--until', '1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    slack.requests = [];
    slack.taken = [];
    return { ...w, id: t.json().incident as string };
  }

  it('down: the command goes on, the operator is told once, flush delivers it later exactly once', async () => {
    const w = await slackOnly();
    const down = await new Receiver().start();
    const url = down.url('/services/T/B/down-secret-path');
    await down.stop();
    const first = await w.run(['update', w.id, 'Cleaning old logs'], { SLACK_WEBHOOK_URL: url });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Status update recorded');
    expect(first.stderr.match(/could not notify slack/g)).toHaveLength(1);
    expect(first.stderr).toContain('ECONNREFUSED');
    expect(first.stderr).not.toContain('down-secret-path');
    expect(pending(w.home)).toHaveLength(1);
    expect(readRecord(w.home, w.id).filter((e) => e.type === 'notification' && e.status === 'failed')).toHaveLength(1);

    // Still down: a later command says nothing more about it.
    const second = await w.run(['notify', 'flush'], { SLACK_WEBHOOK_URL: url });
    expect(second.stderr).not.toContain('could not notify');
    expect(second.stdout).toContain('1 still waiting in the outbox');
    expect(second.code).toBe(1);

    // Back up, on the same address: flush sends it, once; another flush has nothing to send.
    const up = await new Receiver().start(Number(new URL(url).port));
    try {
      const third = await w.run(['notify', 'flush'], { SLACK_WEBHOOK_URL: url });
      expect(third.code, third.stderr).toBe(0);
      expect(third.stdout).toContain('slack: sent update');
      expect(up.taken).toHaveLength(1);
      expect(up.taken[0]!.body.text).toContain('Update: Cleaning old logs');
      expect((await w.run(['notify', 'flush'], { SLACK_WEBHOOK_URL: url })).stdout).toContain('Nothing waits');
      expect(up.requests).toHaveLength(1);
      expect(pending(w.home)).toEqual([]);
    } finally {
      await up.stop();
    }
  });

  it('slow past the timeout: the command waits no longer than the timeout; the retry carries the same idempotency key', async () => {
    const w = await slackOnly('1s');
    slack.handler = async (_req, res) => {
      await new Promise((r) => setTimeout(r, 4000));
      if (!res.destroyed) res.writeHead(200).end('ok');
    };
    const base = await w.run(['incident', 'note', w.id, 'baseline', '--no-notify']);
    const slow = await w.run(['update', w.id, 'Still cleaning']);
    expect(slow.code).toBe(0);
    expect(slow.stderr).toContain('no answer within');
    // The command's own time is its startup (as a command that notifies nobody) plus the 1s timeout, well short of
    // the 4s the server takes to answer (the margin allows for a machine busy with the rest of the suite).
    expect(slow.ms).toBeLessThan(base.ms + 1000 + 1500);
    expect(pending(w.home)).toHaveLength(1);

    slack.handler = (_req, res) => {
      res.writeHead(200).end('ok');
    };
    // The backoff has passed by the time a later command starts; it delivers at its start.
    await new Promise((r) => setTimeout(r, 600));
    const later = await w.run(['incident', 'list']);
    expect(later.code).toBe(0);
    expect(pending(w.home)).toEqual([]);
    const keys = slack.requests.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    expect(slack.taken).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 100));
  }, 20_000);

  it('500 then 200: retried after a short backoff within the command, delivered once, nobody warned', async () => {
    const w = await slackOnly('3s');
    let n = 0;
    slack.handler = (_req, res) => {
      if (n++ === 0) res.writeHead(500).end('internal error');
      else res.writeHead(200).end('ok');
    };
    const r = await w.run(['update', w.id, 'Half the disk freed']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('could not notify');
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]!.at - slack.requests[0]!.at).toBeGreaterThanOrEqual(450);
    expect(slack.requests[0]!.headers['idempotency-key']).toBe(slack.requests[1]!.headers['idempotency-key']);
    expect(slack.taken).toHaveLength(1);
    expect(pending(w.home)).toEqual([]);
  });

  it('429 with Retry-After: waits as told when it fits in the timeout; otherwise keeps it until then', async () => {
    const w = await slackOnly('3s');
    let n = 0;
    slack.handler = (_req, res) => {
      if (n++ === 0) res.writeHead(429, { 'Retry-After': '1' }).end('rate limited');
      else res.writeHead(200).end('ok');
    };
    const r = await w.run(['update', w.id, 'Rate limited once']);
    expect(r.code).toBe(0);
    expect(slack.requests).toHaveLength(2);
    expect(slack.requests[1]!.at - slack.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(slack.taken).toHaveLength(1);

    slack.reset();
    slack.handler = (_req, res) => {
      res.writeHead(429, { 'Retry-After': '120' }).end('slow down');
    };
    const limited = await w.run(['update', w.id, 'Rate limited for two minutes']);
    expect(limited.code).toBe(0);
    expect(limited.ms).toBeLessThan(3000 + 2500);
    expect(limited.stderr).toContain('HTTP 429');
    expect(slack.requests).toHaveLength(1);
    const [file] = pending(w.home);
    const waiting = JSON.parse(readFileSync(join(w.home, 'outbox', 'pending', file!), 'utf8'));
    expect(Date.parse(waiting.next_at) - Date.now()).toBeGreaterThan(100_000);
    // A later command honours Retry-After: it does not ask again.
    slack.handler = (_req, res) => {
      res.writeHead(200).end('ok');
    };
    await w.run(['incident', 'list']);
    expect(slack.requests).toHaveLength(1);
    // The operator's flush sends it now, once.
    const f = await w.run(['notify', 'flush']);
    expect(f.code).toBe(0);
    expect(slack.taken).toHaveLength(1);
    expect(slack.taken[0]!.body.text).toContain('Rate limited for two minutes');
  });

  it('a secret variable that is not set is reported at once, not retried with backoff', async () => {
    const w = await slackOnly('3s');
    const r = await w.run(['update', w.id, 'No webhook'], { SLACK_WEBHOOK_URL: undefined });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('could not notify slack (update');
    expect(r.stderr).toContain('SLACK_WEBHOOK_URL is not set (irm.yaml names it for slack)');
    const [file] = pending(w.home);
    // One attempt: waiting 0.5s and 1s for a variable of this process to appear only holds the command up.
    expect(JSON.parse(readFileSync(join(w.home, 'outbox', 'pending', file!), 'utf8')).attempts).toBe(1);
    // Set again, the next command delivers it.
    await new Promise((res) => setTimeout(res, 600));
    expect((await w.run(['notify', 'flush'])).code).toBe(0);
    expect(slack.taken.map((x) => x.body.text)).toEqual([expect.stringContaining('Update: No webhook')]);
  });

  it('Jira comments wait for the issue: the create fails, the comments are held, then all go in order', async () => {
    const w = workspace(`notify:\n  timeout: 1s\n  jira:\n    url: ${jira.url()}\n    project: OPS\n    token_env: JIRA_TOKEN\n`);
    jira.handler = (_req, res) => {
      res.writeHead(503).end('maintenance');
    };
    const t = await w.run(['triage', '--severity', 'P2', '--title', 'Memory creeping', '--until', '1', '--json']);
    const id = t.json().incident as string;
    expect(t.stderr).toContain('could not notify jira');
    await w.run(['update', id, 'Heap dump taken']);
    // Only the create was tried (twice within the timeout, the second looking for the first's issue); no comment.
    expect(jira.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['POST /rest/api/2/issue', 'GET /rest/api/2/search']);
    jira.reset();
    jira.handler = jiraHandler();
    const f = await w.run(['notify', 'flush']);
    expect(f.code, f.stdout + f.stderr).toBe(0);
    // The retried create looks for the issue it may have made first; then creates; then comments on it.
    expect(jira.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual(['GET /rest/api/2/search', 'POST /rest/api/2/issue', 'POST /rest/api/2/issue/OPS-7/comment']);
    expect(jira.requests[0]!.path).toContain(encodeURIComponent(`labels = "irm-${id}"`));
    // Bearer token without email_env (Jira Data Center).
    expect(jira.requests[1]!.headers.authorization).toBe(`Bearer ${JIRA_TOKEN}`);
    expect((await w.run(['incident', 'show', id, '--json'])).json().incident.jira_key).toBe('OPS-7');
  });
});

describe('one message that cannot go out holds back nothing else', () => {
  it('a Jira comment whose issue was never queued is given up with a report; a later incident gets its issue; drop clears it', async () => {
    const w = workspace();
    // Created with --no-notify: no Jira issue was ever queued for it.
    const quiet = await w.run(['triage', '--severity', 'P2', '--title', 'Quiet one', '--until', '1', '--no-notify', '--json']);
    const quietId = quiet.json().incident as string;
    const u = await w.run(['update', quietId, 'rollback started']);
    expect(u.code).toBe(0);
    expect(u.stderr).toContain(`could not notify jira (update, ${quietId}): no Jira issue for ${quietId}: its creation was never queued`);
    expect(u.stderr).toContain('given up, not retried');
    // The comment was never sent: Jira saw no request at all.
    expect(jira.requests).toEqual([]);
    expect(pending(w.home)).toEqual([]);

    // A new P1: every channel is told, Jira's issue included.
    const t = await w.run(['triage', '--severity', 'P1', '--title', 'Bot down', '--until', '1', '--json']);
    expect(t.stderr).toContain('irm: notified slack, pagerduty, jira (OPS-7), email');
    expect(jira.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /rest/api/2/issue']);

    // Listed as given up by status and flush (exit 1), not retried; drop discards it.
    const st = await w.run(['notify', 'status', '--json']);
    expect(st.code).toBe(1);
    const failed = st.json().failed;
    expect(failed).toEqual([expect.objectContaining({ channel: 'jira', kind: 'update', incident: quietId, last_error: expect.stringContaining('never queued') })]);
    const f = await w.run(['notify', 'flush']);
    expect(f.code).toBe(1);
    expect(f.stdout).toContain('1 given up, not retried');
    expect(f.stdout).toContain(failed[0].key);
    expect(jira.requests).toHaveLength(1);
    const d = await w.run(['notify', 'drop', failed[0].key.slice(0, 8)]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toContain('Dropped jira update');
    expect((await w.run(['notify', 'flush'])).code).toBe(0);
    expect((await w.run(['notify', 'status'])).stdout).toContain('Nothing waits in the outbox.');
    expect((await w.run(['notify', 'drop', 'no-such-message'])).code).toBe(2);
  });

  it('Slack: a 400 is given up at once, a 429 for two minutes holds back only its own incident', async () => {
    const w = workspace(`notify:\n  timeout: 2s\n  slack:\n    webhook_env: SLACK_WEBHOOK_URL\n`);
    const a = (await w.run(['triage', '--severity', 'P3', '--title', 'First', '--until', '1', '--json'])).json().incident as string;
    slack.reset();
    slack.handler = (_req, res) => void res.writeHead(400).end('invalid_payload');
    const bad = await w.run(['update', a, 'refused']);
    expect(bad.stderr).toContain(`could not notify slack (update, ${a}): HTTP 400: invalid_payload; given up, not retried`);
    // Once: a permanent refusal is not asked again.
    expect(slack.requests).toHaveLength(1);

    slack.reset();
    slack.handler = (req, res) => {
      if (req.body.text.includes('limited')) return void res.writeHead(429, { 'Retry-After': '120' }).end('slow down');
      res.writeHead(200).end('ok');
    };
    const limited = await w.run(['update', a, 'limited']);
    expect(limited.stderr).toContain('HTTP 429');
    // Another incident's creation goes out at once; the same incident's later update waits behind its 429, and says so.
    const b = await w.run(['triage', '--severity', 'P3', '--title', 'Second', '--until', '1', '--json']);
    expect(b.stderr).toContain('irm: notified slack');
    expect(slack.taken.map((r) => r.body.text)).toEqual([expect.stringContaining('*[P3] Second*')]);
    const later = await w.run(['update', a, 'after the limit']);
    expect(later.stderr).toMatch(new RegExp(`not sent to slack yet \\(update, ${a}\\): behind an earlier update message of ${a} to slack, which waits: its retry waits until`));
    expect(slack.requests.filter((r) => r.body.text.includes('after the limit'))).toEqual([]);
  });
});

describe('one budget for the whole command', () => {
  it("the delivery at a command's start and its own share notify.timeout; what does not fit is reported", async () => {
    const w = workspace(`notify:\n  timeout: 3s\n  slack:\n    webhook_env: SLACK_WEBHOOK_URL\n`);
    const a = (await w.run(['triage', '--severity', 'P3', '--title', 'First', '--until', '1', '--no-notify', '--json'])).json().incident as string;
    const b = (await w.run(['triage', '--severity', 'P3', '--title', 'Second', '--until', '1', '--no-notify', '--json'])).json().incident as string;
    slack.handler = async (_req, res) => {
      await new Promise((r) => setTimeout(r, 8000));
      if (!res.destroyed) res.writeHead(200).end('ok');
    };
    expect((await w.run(['update', a, 'waiting one'])).stderr).toContain('no answer within');
    // Past its backoff: the next command's start tries it again, for the whole budget.
    await new Promise((r) => setTimeout(r, 700));
    const base = await w.run(['incident', 'note', b, 'baseline', '--no-notify']);
    const r = await w.run(['update', b, 'its own']);
    expect(r.code).toBe(0);
    // One timeout (3s), not two: the machine may be busy, hence the margin, still short of a second timeout.
    expect(r.ms).toBeLessThan(base.ms + 3000 + 1800);
    expect(r.stderr).toContain(`not sent to slack yet (update, ${b}): no time was left within notify.timeout; it waits in the outbox`);
    expect(slack.requests.filter((x) => x.body.text.includes('its own'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 100));
  }, 30_000);

  it('two irm at once: the second waits for the first to finish delivering, then delivers its own', async () => {
    const w = workspace(`notify:\n  timeout: 5s\n  slack:\n    webhook_env: SLACK_WEBHOOK_URL\n`);
    const id = (await w.run(['triage', '--severity', 'P3', '--title', 'Busy', '--until', '1', '--no-notify', '--json'])).json().incident as string;
    slack.handler = async (_req, res) => {
      await new Promise((r) => setTimeout(r, 1500));
      res.writeHead(200).end('ok');
    };
    const first = w.run(['update', id, 'first']);
    await new Promise((r) => setTimeout(r, 400));
    const second = await w.run(['update', id, 'second']);
    expect(second.code).toBe(0);
    expect(second.stderr).toBe('irm: notified slack\n');
    // Delivered by the second command itself, after the first's (one incident's order kept), not left for later.
    expect(slack.taken.map((r) => r.body.text.split('\n')[1])).toEqual(['Update: first', 'Update: second']);
    expect(pending(w.home)).toEqual([]);
    expect((await first).code).toBe(0);
  }, 30_000);

  it('a mail relay that accepts and never greets does not keep irm alive past the timeout', async () => {
    const { createServer: tcp } = await import('node:net');
    const sockets: import('node:net').Socket[] = [];
    // Half-open allowed: like a stuck relay, it does not answer the client's FIN either.
    const silent = tcp({ allowHalfOpen: true }, (sock) => void sockets.push(sock));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    try {
      const w = workspace(`notify:\n  timeout: 2s\n  email:\n    host: 127.0.0.1\n    port: ${port}\n    from: irm@company.com\n    to: [team@company.com]\n`);
      const base = await w.run(['triage', '--severity', 'P1', '--title', 'Quiet relay', '--until', '1', '--no-notify']);
      const r = await w.run(['triage', '--severity', 'P1', '--title', 'Silent relay', '--until', '1']);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('could not notify email');
      expect(sockets.length).toBeGreaterThan(0);
      // The process exits at the timeout (2s), not when nodemailer would have waited for the socket to close (5s more).
      expect(r.ms).toBeLessThan(base.ms + 2000 + 2000);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  }, 30_000);
});

describe('titles and text', () => {
  it('a title with a line break is refused (exit 2, no record); Slack text is escaped, the others get it as typed', async () => {
    const w = workspace();
    const bad = await w.run(['triage', '--severity', 'P1', '--title', 'Orders stuck\n## Root Cause\nnot us', '--until', '1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--title must be one line of text');
    expect((await w.run(['triage', '--severity', 'P1', '--symptom', 'a\rb', '--until', '1'])).code).toBe(2);
    expect(existsSync(join(w.home, 'incidents')) ? readdirSync(join(w.home, 'incidents')) : []).toEqual([]);
    expect([slack.requests, pd.requests, jira.requests].map((x) => x.length)).toEqual([0, 0, 0]);

    const t = await w.run(['triage', '--severity', 'P1', '--title', 'API <-> DB & <!channel> ping', '--until', '1', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const id = t.json().incident as string;
    expect(slack.requests[0]!.body.text).toContain('*[P1] API &lt;-&gt; DB &amp; &lt;!channel&gt; ping*');
    expect(slack.requests[0]!.body.text).not.toContain('<!channel>');
    expect(pd.requests[0]!.body.payload.summary).toBe('[P1] API <-> DB & <!channel> ping');
    expect(jira.requests[0]!.body.fields.summary).toBe('[P1] API <-> DB & <!channel> ping');
    await w.run(['update', id, 'Heads up <!here> & co']);
    expect(slack.requests.at(-1)!.body.text).toContain('Update: Heads up &lt;!here&gt; &amp; co');

    // A note may hold line breaks; the post-mortem keeps each on its own line, with no heading injected.
    await w.run(['incident', 'note', id, '--kind', 'finding', 'disk full\n## Root Cause\nnot us']);
    const pm = (await w.run(['postmortem', id])).stdout;
    expect(pm.match(/^## Root Cause$/gm)).toHaveLength(1);
    expect(pm).toContain('- Finding: disk full ## Root Cause not us');
    expect(pm).toMatch(/^ {4}title inc-[\d-]+: \[P1\] API <-> DB & <!channel> ping$/m);
  });
});

describe('Jira resolution', () => {
  it('a transition that fails is retried alone: the resolution comment is posted once', async () => {
    const w = workspace(`notify:\n  timeout: 3s\n  jira:\n    url: ${jira.url()}\n    project: OPS\n    token_env: JIRA_TOKEN\n    resolve_transition: done\n`);
    const t = await w.run(['triage', '--severity', 'P2', '--title', 'Fills slowly', '--until', '1', '--json']);
    const id = t.json().incident as string;
    const normal = jiraHandler();
    let failed = false;
    jira.handler = (req, res) => {
      if (req.method === 'POST' && req.path.endsWith('/transitions') && !failed) {
        failed = true;
        return void res.writeHead(503).end('busy');
      }
      return normal(req, res);
    };
    const r = await w.run(['incident', 'status', id, 'resolved']);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('could not notify');
    expect(jira.requests.slice(1).map((x) => `${x.method} ${x.path}`)).toEqual([
      'POST /rest/api/2/issue/OPS-7/comment',
      'GET /rest/api/2/issue/OPS-7/transitions',
      'POST /rest/api/2/issue/OPS-7/transitions',
      'GET /rest/api/2/issue/OPS-7/transitions',
      'POST /rest/api/2/issue/OPS-7/transitions',
    ]);
    // The transition is matched by name whatever its case.
    expect(jira.requests.at(-1)!.body).toEqual({ transition: { id: '31' } });
  });
});

describe('secrets, switches and the test command', () => {
  it('a secret echoed back by a receiver is masked in every message', async () => {
    const w = workspace(`notify:\n  timeout: 1s\n  jira:\n    url: ${jira.url()}\n    project: OPS\n    token_env: JIRA_TOKEN\n    email_env: JIRA_EMAIL\n`);
    jira.handler = (req, res) => {
      res.writeHead(401).end(`bad credentials: ${req.headers.authorization} (${JIRA_TOKEN})`);
    };
    const t = await w.run(['triage', '--severity', 'P2', '--title', 'Token test', '--until', '1']);
    expect(t.stderr).toContain('HTTP 401');
    expect(t.stderr).toContain('********');
    expect(t.stderr).not.toContain(JIRA_TOKEN);
    expect(t.stderr).not.toContain(Buffer.from(`${JIRA_EMAIL}:${JIRA_TOKEN}`).toString('base64'));
    for (const f of everyFile(w.home)) expect(readFileSync(f, 'utf8')).not.toContain(JIRA_TOKEN);
    const test = await w.run(['notify', 'test', 'jira']);
    expect(test.code).toBe(1);
    expect(test.stdout).toContain('jira: FAILED (401)');
    expect(test.stdout).not.toContain(JIRA_TOKEN);
  });

  it('the notification secrets are masked in attachments and in command output kept on the record', async () => {
    const log = `INFO posting to ${slack.url(SLACK_PATH)}\nDEBUG routing ${ROUTING_KEY} ok\nDEBUG jira ${JIRA_TOKEN}\n`;
    const yaml = config('variables:\n  deployment: host\n  api_port: 1\n  log_dir: logs\nrecent_changes:\n  run: cat app.log\n');
    const w = workspace(yaml);
    writeFileSync(join(w.dir, 'app.log'), log);
    const t = await w.run(['triage', '--severity', 'P1', '--title', 'Leaky log', '--until', '2', '--yes', '--json']);
    expect(t.code, t.stderr).toBe(0);
    const id = t.json().incident as string;
    const a = await w.run(['incident', 'attach', id, 'app.log']);
    expect(a.code, a.stderr).toBe(0);
    const shown = await w.run(['--json', 'incident', 'show', id]);
    const excerpt = shown.json().incident.events.find((e: any) => e.type === 'command' && e.check === 'recent-changes')?.excerpt as string;
    expect(excerpt).toContain('INFO posting to');
    expect(excerpt).toContain('DEBUG routing ******** ok');
    const stored = readFileSync(join(w.home, 'incidents', `${id}.files`, 'app.log'), 'utf8');
    expect(stored).toContain('DEBUG routing ******** ok');
    for (const text of [excerpt, stored, shown.stdout, t.stdout + t.stderr]) {
      for (const secret of [SLACK_PATH, ROUTING_KEY, JIRA_TOKEN]) expect(text).not.toContain(secret);
    }
  }, 30_000);

  it('--no-notify and notify.enabled: false send nothing and queue nothing', async () => {
    const w = workspace();
    const t = await w.run(['triage', '--severity', 'P1', '--title', 'Quiet drill', '--until', '1', '--no-notify', '--json']);
    expect(t.code).toBe(0);
    const id = t.json().incident as string;
    await w.run(['incident', 'status', id, 'investigating', '--no-notify']);
    const off = workspace(config().replace('notify:\n', 'notify:\n  enabled: false\n'));
    expect((await off.run(['triage', '--severity', 'P0', '--title', 'Off', '--until', '1'])).code).toBe(0);
    expect([slack.requests, pd.requests, jira.requests, relay.mails].map((x) => x.length)).toEqual([0, 0, 0, 0]);
    expect(pending(w.home)).toEqual([]);
    expect(pending(off.home)).toEqual([]);
  });

  it('--dry-run prints what would be sent, secrets masked, and sends nothing', async () => {
    const w = workspace();
    const t = await w.run(['triage', '--severity', 'P1', '--title', 'Dry', '--until', '1', '--dry-run']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toContain('Would notify slack (created)');
    expect(t.stderr).toContain('Would notify pagerduty (created): {"event_action":"trigger"');
    expect(t.stderr).toContain('Would notify jira (created)');
    expect([slack.requests, pd.requests, jira.requests].map((x) => x.length)).toEqual([0, 0, 0]);
    // A dry run keeps no record: no incident to list, none to become the default target of a later command.
    expect(t.stdout).toContain('Dry run');
    expect(existsSync(join(w.home, 'incidents')) ? readdirSync(join(w.home, 'incidents')) : []).toEqual([]);
    expect((await w.run(['incident', 'list', '--all', '--json'])).json()).toEqual([]);
    const u = await w.run(['update', 'rollback started']);
    expect(u.code).toBe(2);
    expect(pending(w.home)).toEqual([]);
    // Also past step 1 (the acknowledgement would be an event, and a message).
    const t2 = await w.run(['triage', '--dry-run', '--severity', 'P0', '--title', 'dry run drill', '--until', '2', '--yes']);
    expect(t2.code, t2.stderr).toBe(0);
    expect(t2.stderr).toContain('Would notify pagerduty (acknowledged)');
    expect((await w.run(['incident', 'list', '--all', '--json'])).json()).toEqual([]);
    expect([slack.requests, pd.requests, jira.requests].map((x) => x.length)).toEqual([0, 0, 0]);
    const d = await w.run(['notify', 'test', '--dry-run', '--json']);
    expect(d.json().map((x: any) => x.channel)).toEqual(['slack', 'pagerduty', 'jira', 'email']);
    expect(d.stdout).not.toContain(ROUTING_KEY);
    expect([slack.requests, pd.requests, jira.requests].map((x) => x.length)).toEqual([0, 0, 0]);
  });

  it('irm notify test sends a marked test on each channel and says what came back', async () => {
    const w = workspace();
    const r = await w.run(['notify', 'test']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('slack: ok (200): ok');
    expect(r.stdout).toContain('pagerduty: ok (202)');
    expect(r.stdout).toContain('jira: ok (200): authenticated as IRM Bot');
    // The reply code, then the relay's words once.
    expect(r.stdout).toMatch(/^email: ok \(250\): 250 [^\n]*$/m);
    const reply = /^email: ok \(250\): (.*)$/m.exec(r.stdout)![1]!;
    expect(r.stdout.split(reply.slice(4)).length - 1).toBe(1);
    expect(slack.requests[0]!.body.text).toMatch(/^\[TEST\] irm notification test/);
    // Paged and resolved at once, as info: nobody is left paged by a test.
    expect(pd.requests.map((x) => [x.body.event_action, x.body.payload?.severity])).toEqual([
      ['trigger', 'info'],
      ['resolve', undefined],
    ]);
    expect(pd.requests[0]!.body.dedup_key).toBe(pd.requests[1]!.body.dedup_key);
    // One key per request: a receiver that honours Idempotency-Key would otherwise drop the resolve as a repeat.
    expect(pd.requests[0]!.headers['idempotency-key']).not.toBe(pd.requests[1]!.headers['idempotency-key']);
    expect(pd.requests[0]!.body.payload.summary).toMatch(/^\[TEST\] irm notification test/);
    expect(pd.requests[0]!.body.payload.summary).not.toContain('[TEST] [TEST]');
    expect(jira.requests.map((x) => `${x.method} ${x.path}`)).toEqual(['GET /rest/api/2/myself']);
    expect(relay.mails[0]!.data).toContain('Subject: [TEST] irm notification test');
    const one = await w.run(['notify', 'test', 'slack', '--json']);
    expect(one.json()).toEqual([{ channel: 'slack', ok: true, status: 200, response: 'ok' }]);
    const unset = await w.run(['notify', 'test', 'slack'], { SLACK_WEBHOOK_URL: undefined });
    expect(unset.code).toBe(1);
    expect(unset.stdout).toContain('slack: FAILED: SLACK_WEBHOOK_URL not set');
    expect((await w.run(['notify', 'test', 'fax'])).stderr).toContain('no channel "fax"');
  });
});
