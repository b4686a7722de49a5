// One scenario: a directory that is the bot's checkout (scripts, src, .env, logs/, irm.yaml), the bot's API running as
// its own process, pointed at the file's PostgreSQL and Redis; irm run and irm check run there as an operator would.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIN } from '../helpers.js';
import { DB_NAME, DB_PASSWORD, DB_USER, startPostgres, type Postgres } from './postgres.js';
import { startRedis, type Redis } from './redis.js';
import { freePort, onFreePorts, ready, start, stopAll, type Child } from './services.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const FAKE_BOT = join(HERE, 'fake-bot.mjs');

export interface Services {
  pg: Postgres;
  redis: Redis;
}

/** What the bot's API and the services around it answer: see fake-bot.mjs. */
export interface BotState {
  health?: unknown;
  status?: unknown;
  exchange_status?: unknown;
  prometheus?: unknown;
  loki?: unknown;
  public_ip?: unknown;
  binance_status?: unknown;
}

export interface ScenarioOptions {
  /** .env lines to change; null removes the line. */
  env?: Record<string, string | null>;
  /** irm.yaml variables to change. */
  vars?: Record<string, string | number>;
  state?: BotState;
  /** What the exchanges answer the bot's scripts (fake-exchange.json). */
  exchange?: unknown;
  /** Start the bot's API (default: yes). */
  bot?: boolean;
  /** The application log's lines (default: a few ordinary INFO lines). */
  log?: string[];
}

export interface CauseRow {
  id: string;
  status: 'confirmed' | 'ruled-out' | 'unknown' | 'skipped';
  evidence: string[];
}
export interface CheckRow {
  id: string;
  runbook?: string;
  verdict: string;
  reasons: { ok: boolean; wanted: string; got: string }[];
  warnings: { ok: boolean; wanted: string; got: string }[];
  error?: { kind: string; message: string; hint?: string };
  output?: { excerpt: string };
  note?: string;
}
export interface RunReport {
  diagnosis: { confirmed: string[]; causes: CauseRow[] };
  checks: CheckRow[];
  exit_code: number;
}
export interface CheckReport {
  results: (CheckRow & { runbook: string })[];
  summary: Record<'healthy' | 'warning' | 'problem' | 'error' | 'skipped', number>;
  exit_code: number;
}

export interface Ran<T> {
  code: number | null;
  stdout: string;
  stderr: string;
  report: T;
}

const NORMAL_LOG = [
  '2025-01-01 10:00:00,000 INFO tradingbot.main: starting, 2 exchanges, 3 strategies',
  '2025-01-01 10:00:01,000 INFO tradingbot.db: connected to the database',
  '2025-01-01 10:00:02,000 INFO tradingbot.strategy: signal BUY BTCUSDT from momentum',
  '2025-01-01 10:00:02,500 INFO tradingbot.orders: order filled BTCUSDT buy 0.01',
];

export class Scenario {
  readonly dir: string;
  readonly home: string;
  /** In the command line of every process of the bot, and the scenario's process_pattern. */
  readonly tag = `irm-fakebot-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  apiPort = 0;
  outsidePort = 0;
  bot?: Child;
  /** Extra environment for irm (e.g. a PATH without docker). */
  irmEnv: Record<string, string> = {};
  private extra: Child[] = [];
  private env: Record<string, string | null> = {};
  private vars: Record<string, string | number> = {};

  private constructor(readonly services: Services) {
    this.dir = mkdtempSync(join(tmpdir(), 'irm-scenario-'));
    this.home = mkdtempSync(join(tmpdir(), 'irm-scenario-home-'));
  }

  static async create(services: Services, opts: ScenarioOptions = {}): Promise<Scenario> {
    const s = new Scenario(services);
    try {
      await s.setUp(opts);
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  private async setUp(opts: ScenarioOptions): Promise<void> {
    const { pg, redis } = this.services;
    this.apiPort = await freePort();
    this.outsidePort = await freePort();
    cpSync(join(HERE, 'bot'), this.dir, { recursive: true });
    rmSync(join(this.dir, 'README.md'));
    this.env = {
      DATABASE_URL: pg.url(),
      REDIS_URL: redis.url(),
      BINANCE_API_KEY: 'scenario-binance-key-0123456789',
      BINANCE_API_SECRET: 'scenario-binance-secret-0123456789',
      UPBIT_ACCESS_KEY: 'scenario-upbit-access-0123456789',
      UPBIT_SECRET_KEY: 'scenario-upbit-secret-0123456789',
      ENABLE_AUTO_TRADING: 'true',
      MAX_POSITION_SIZE: '1000',
      RISK_PER_TRADE: '0.02',
      DB_POOL_SIZE: '30',
      LOG_LEVEL: 'INFO',
      API_PORT: String(this.apiPort),
      REQUEST_RATE: '10',
      ...opts.env,
    };
    this.vars = {
      deployment: 'host',
      db_host: '127.0.0.1',
      db_port: pg.port,
      db_user: DB_USER,
      db_name: DB_NAME,
      db_data_dir: pg.data,
      redis_host: '127.0.0.1',
      redis_port: redis.port,
      api_host: '127.0.0.1',
      api_port: this.apiPort,
      env_file: '.env',
      log_dir: 'logs',
      app_dir: '.',
      process_pattern: this.tag,
      prometheus_url: `http://127.0.0.1:${this.outsidePort}`,
      loki_url: `http://127.0.0.1:${this.outsidePort}`,
      binance_api_url: `http://127.0.0.1:${this.outsidePort}`,
      public_ip_url: `http://127.0.0.1:${this.outsidePort}/ip`,
      // Short samples keep the suite fast; the thresholds stay the runbooks' own.
      memory_sample_seconds: 1,
      cpu_sample_seconds: 1,
      ...opts.vars,
    };
    this.writeEnv();
    this.writeConfig();
    mkdirSync(join(this.dir, 'logs'));
    writeFileSync(join(this.dir, 'logs', 'app.log'), (opts.log ?? NORMAL_LOG).join('\n') + '\n');
    if (opts.exchange !== undefined) writeFileSync(join(this.dir, 'fake-exchange.json'), JSON.stringify(opts.exchange));
    this.setState(opts.state ?? {});
    // The operator's ~/.pgpass, as psql finds it; a password inside DATABASE_URL takes precedence over it.
    const pgpass = join(this.home, '.pgpass');
    writeFileSync(pgpass, `127.0.0.1:${pg.port}:${DB_NAME}:${DB_USER}:${DB_PASSWORD}\n`);
    chmodSync(pgpass, 0o600);
    if (opts.bot !== false) await this.startBot();
  }

  writeEnv(changes: Record<string, string | null> = {}): void {
    Object.assign(this.env, changes);
    const lines = Object.entries(this.env).filter(([, v]) => v !== null).map(([k, v]) => `${k}=${v}`);
    writeFileSync(join(this.dir, '.env'), lines.join('\n') + '\n');
  }

  writeConfig(changes: Record<string, string | number> = {}): void {
    Object.assign(this.vars, changes);
    const lines = Object.entries(this.vars).map(([k, v]) => `  ${k}: ${typeof v === 'number' ? v : JSON.stringify(v)}`);
    writeFileSync(join(this.dir, 'irm.yaml'), `variables:\n${lines.join('\n')}\n`);
  }

  setState(state: BotState): void {
    writeFileSync(join(this.dir, 'bot-state.json'), JSON.stringify(state));
  }

  async startBot(): Promise<void> {
    await onFreePorts("the bot's API", async (fresh) => {
      if (fresh) await this.movePorts();
      this.bot = start(process.execPath, [FAKE_BOT, 'api', this.tag, join(this.dir, 'bot-state.json'), String(this.apiPort), String(this.outsidePort)]);
      await ready(this.bot, /listening/, "the bot's API");
    });
  }

  /** New ports for the bot and the outside services, wherever .env and irm.yaml name the old ones. */
  private async movePorts(): Promise<void> {
    const moves: [number, number][] = [[this.apiPort, await freePort()], [this.outsidePort, await freePort()]];
    const move = (v: string | number) => {
      let out = String(v);
      for (const [from, to] of moves) out = out === String(from) ? String(to) : out.replace(`127.0.0.1:${from}`, `127.0.0.1:${to}`);
      return typeof v === 'number' ? Number(out) : out;
    };
    this.env = Object.fromEntries(Object.entries(this.env).map(([k, v]) => [k, v === null ? null : String(move(v))]));
    this.vars = Object.fromEntries(Object.entries(this.vars).map(([k, v]) => [k, move(v)]));
    [this.apiPort, this.outsidePort] = [moves[0]![1], moves[1]![1]];
    this.writeEnv();
    this.writeConfig();
  }

  async stopBot(): Promise<void> {
    await this.bot?.stop();
    this.bot = undefined;
  }

  /** Another process of the bot's (its command line matches process_pattern): grow or spin. */
  async botProcess(mode: 'grow' | 'spin', ...args: string[]): Promise<Child> {
    const c = start(process.execPath, [FAKE_BOT, mode, this.tag, ...args]);
    this.extra.push(c);
    await ready(c, mode === 'grow' ? /growing/ : /spinning/, `the bot's ${mode} process`);
    return c;
  }

  /** A process that is not the bot's (no tag in its command line). */
  async otherProcess(script: string, marker: RegExp): Promise<Child> {
    const c = start(process.execPath, ['-e', script]);
    this.extra.push(c);
    await ready(c, marker, 'another process');
    return c;
  }

  /** The environment an operator runs irm in: no irm variables or colour forcing (as test/helpers.ts's cleanEnv), this
   * scenario's HOME (its ~/.pgpass), and irmEnv. */
  private operatorEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^(IRM_|FORCE_COLOR|NO_COLOR|XDG_|NODE_OPTIONS|VITEST|TERM$|PG)/.test(k)) env[k] = v;
    return { ...env, HOME: this.home, XDG_CONFIG_HOME: join(this.home, '.config'), XDG_STATE_HOME: join(this.home, '.state'), ...this.irmEnv };
  }

  irm(args: string[], timeoutMs = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: this.dir, env: this.operatorEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
      child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
      const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(t);
        resolve({ code, stdout, stderr });
      });
    });
  }

  private async json<T>(args: string[]): Promise<Ran<T>> {
    const r = await this.irm(args);
    try {
      return { ...r, report: JSON.parse(r.stdout) as T };
    } catch {
      throw new Error(`irm ${args.join(' ')}: not JSON (exit ${r.code}):\n${r.stdout}\n--- stderr:\n${r.stderr}`);
    }
  }

  /** irm run ID --yes --json */
  run(id: string): Promise<Ran<RunReport>> {
    return this.json<RunReport>(['run', id, '--yes', '--json']);
  }

  /** irm check --all --format json */
  checkAll(): Promise<Ran<CheckReport>> {
    return this.json<CheckReport>(['check', '--all', '--format', 'json']);
  }

  async close(): Promise<void> {
    await Promise.all([this.bot?.stop(), ...this.extra.map((c) => c.stop())]);
    rmSync(this.dir, { recursive: true, force: true });
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** The status of each cause, by id. */
export function statuses(r: RunReport): Record<string, string> {
  return Object.fromEntries(r.diagnosis.causes.map((c) => [c.id, c.status]));
}

/** One row of irm check --all. */
export function row(r: CheckReport, runbook: string, id: string): CheckRow {
  const found = r.results.find((x) => x.runbook === runbook && x.id === id);
  if (!found) throw new Error(`no check ${runbook}/${id} in irm check --all`);
  return found;
}

/** Why a diagnosis came out as it did, for a failed assertion's message. */
export function explain(r: RunReport): string {
  return r.diagnosis.causes.map((c) => `${c.id}: ${c.status}\n  ${c.evidence.join('\n  ')}`).join('\n');
}

/** Assert the status of each named cause (and that the confirmed list is exactly the confirmed ones). */
export function expectCauses(r: Ran<RunReport>, want: Record<string, CauseRow['status']>): void {
  const got = statuses(r.report);
  const picked = Object.fromEntries(Object.keys(want).map((k) => [k, got[k]]));
  expect(picked, explain(r.report)).toEqual(want);
  const confirmed = Object.entries(got).filter(([, v]) => v === 'confirmed').map(([k]) => k);
  expect(r.report.diagnosis.confirmed, explain(r.report)).toEqual(confirmed);
  expect(r.code, r.stderr).toBe(confirmed.length ? 1 : r.report.exit_code);
}

/** Assert irm check --all surfaces the problem: each named check has the verdict, and the exit status is 1. */
export function expectChecks(r: Ran<CheckReport>, want: Record<string, string>): void {
  const got = Object.fromEntries(Object.keys(want).map((k) => {
    const [rb, id] = k.split('/') as [string, string];
    return [k, row(r.report, rb, id).verdict];
  }));
  const detail = r.report.results.filter((x) => x.verdict !== 'healthy').map((x) => `${x.runbook}/${x.id}: ${x.verdict} ${x.error?.message ?? ''}${x.reasons.filter((y) => !y.ok).map((y) => y.got).join('; ')}`).join('\n');
  expect(got, detail).toEqual(want);
  if (Object.values(want).some((v) => v === 'problem' || v === 'error')) expect(r.code).toBe(1);
}

/**
 * PostgreSQL and Redis for one test file: started once before its scenarios, stopped after. A scenario that stops
 * one (an outage) starts it again before the next; one that changes the database resets it (Postgres.reset) first.
 */
export function useServices(): () => Services {
  let services: Services | undefined;
  beforeAll(async () => {
    const [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
    services = { pg, redis };
  });
  beforeEach(async () => {
    const s = services!;
    if (!s.pg.running) await s.pg.start();
    if (!s.redis.running) await s.redis.start();
  });
  afterAll(async () => {
    await Promise.all([services?.pg.destroy(), services?.redis.destroy()]);
    await stopAll();
  });
  return () => services!;
}

/** A scenario of its own (directory, ports, bot) around one test; closed whatever the test does. */
export function scenario(name: string, opts: ScenarioOptions | (() => ScenarioOptions), services: () => Services, body: (s: Scenario) => Promise<void>, timeoutMs = 90_000): void {
  it(name, async () => {
    const s = await Scenario.create(services(), typeof opts === 'function' ? opts() : opts);
    try {
      await body(s);
    } finally {
      await s.close();
    }
  }, timeoutMs);
}
