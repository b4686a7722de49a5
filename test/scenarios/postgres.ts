// A real PostgreSQL from Debian's packages, in a temporary data directory on a free loopback port, run as the postgres user.
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, onFreePorts, ready, start, type Child } from './services.js';

export const DB_USER = 'tradingbot';
export const DB_NAME = 'tradingbot';
/** The bot's database password: host connections need it (scram), so a wrong one in DATABASE_URL is refused for real. */
export const DB_PASSWORD = 'tb-scenario-pw';
/** Low enough that a scenario can fill most of it with idle connections. */
export const MAX_CONNECTIONS = 40;

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions.length) throw new Error('PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or run .ci/run');
  return join(root, versions[0]!, 'bin');
}

function uid(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`no "${name}" system user: the postgresql package creates it`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/** As root (CI), PostgreSQL's programs run as the postgres user; as anyone else, as that user. */
function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

const mounts = new Set<string>();
// After services.ts's own hook has killed the servers: a failed run leaves no filesystem mounted.
process.on('exit', () => {
  for (const m of mounts) spawnSync('umount', ['-l', m]);
});

export class Postgres {
  readonly bin = binDir();
  readonly dir: string;
  readonly data: string;
  port = 0;
  private server?: Child;

  private mounted = false;

  /** With diskMb, the server lives on a filesystem of its own that size (a tmpfs: root only), which a test can fill. */
  constructor(readonly diskMb?: number) {
    this.dir = mkdtempSync(join(tmpdir(), 'irm-pg-'));
    this.data = join(this.dir, 'data');
    if (diskMb !== undefined) {
      if (process.getuid?.() !== 0) throw new Error('a PostgreSQL on a disk of its own needs root, to mount a small tmpfs (CI runs as root)');
      const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${diskMb}m,mode=0700`, 'irm-test-pgdisk', this.dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`cannot mount a ${diskMb} MB tmpfs for PostgreSQL: ${r.stderr || r.error}`);
      this.mounted = true;
      mounts.add(this.dir);
    }
    if (process.getuid?.() === 0) {
      const { uid: u, gid } = uid('postgres');
      chownSync(this.dir, u, gid);
    }
  }

  private run(cmd: string, args: string[], input?: string): string {
    const [file, argv] = asPostgres(cmd, args);
    const r = spawnSync(file, argv, { encoding: 'utf8', input, timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error}`);
    return r.stdout;
  }

  async init(): Promise<void> {
    this.port = await freePort();
    const pw = join(this.dir, 'superuser-pw');
    writeFileSync(pw, 'unused\n');
    if (process.getuid?.() === 0) chownSync(pw, uid('postgres').uid, uid('postgres').gid);
    this.run(join(this.bin, 'initdb'), ['-D', this.data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '--pwfile', pw, '--no-sync', '-E', 'UTF8', '--locale=C']);
    await onFreePorts(`PostgreSQL`, async (fresh) => {
      if (fresh) this.port = await freePort();
      await this.start();
    });
    this.sql(`CREATE ROLE ${DB_USER} LOGIN PASSWORD '${DB_PASSWORD}'`);
    this.sql(`CREATE DATABASE ${DB_NAME} OWNER ${DB_USER}`);
  }

  /** Start the server (again, after stop) on the same port; only 127.0.0.1 and a socket in the temporary folder. */
  async start(): Promise<void> {
    const [file, argv] = asPostgres(join(this.bin, 'postgres'), [
      '-D', this.data, '-p', String(this.port),
      '-c', 'listen_addresses=127.0.0.1',
      '-c', `unix_socket_directories=${this.dir}`,
      '-c', `max_connections=${MAX_CONNECTIONS}`,
      '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
      '-c', 'logging_collector=off',
    ]);
    this.server = start(file, argv);
    await ready(this.server, /ready to accept connections/, `PostgreSQL on 127.0.0.1:${this.port}`, 30_000);
  }

  /** A fast shutdown (open sessions are ended), as an outage looks to the bot. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const pidFile = join(this.data, 'postmaster.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGINT');
      } catch {
        /* already gone */
      }
      const t = setTimeout(() => void server.stop('SIGKILL'), 10_000);
      await server.exited;
      clearTimeout(t);
    }
    await server.stop('SIGKILL');
  }

  get running(): boolean {
    return !!this.server;
  }

  /** SQL as the superuser, through the socket; returns the unaligned output. */
  sql(sql: string, db = 'postgres'): string {
    const r = spawnSync('psql', ['-X', '-At', '-v', 'ON_ERROR_STOP=1', '-h', this.dir, '-p', String(this.port), '-U', 'postgres', '-d', db, '-c', sql], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim();
  }

  /** The bot's schema as a healthy deployment has it: every table with a primary key. */
  reset(): void {
    if (!this.running) throw new Error('PostgreSQL is not running');
    // Sessions a scenario left behind (a long query, held connections) go first.
    this.sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${DB_NAME}' AND pid <> pg_backend_pid()`);
    this.sql(
      `DROP SCHEMA public CASCADE; CREATE SCHEMA public AUTHORIZATION ${DB_USER};
       SET ROLE ${DB_USER};
       CREATE TABLE trades (id bigserial PRIMARY KEY, symbol text NOT NULL, side text NOT NULL, qty numeric NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
       CREATE INDEX trades_created_at ON trades (created_at);
       CREATE TABLE positions (id bigserial PRIMARY KEY, symbol text NOT NULL UNIQUE, qty numeric NOT NULL);
       INSERT INTO trades (symbol, side, qty) VALUES ('BTCUSDT', 'buy', 0.01), ('ETHUSDT', 'sell', 0.2);`,
      DB_NAME
    );
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (this.mounted) {
      const r = spawnSync('umount', [this.dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`cannot unmount ${this.dir}: ${r.stderr}`);
      this.mounted = false;
      mounts.delete(this.dir);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** DATABASE_URL as the bot has it. */
  url(overrides: { password?: string; port?: number; db?: string } = {}): string {
    return `postgresql+asyncpg://${DB_USER}:${overrides.password ?? DB_PASSWORD}@127.0.0.1:${overrides.port ?? this.port}/${overrides.db ?? DB_NAME}`;
  }
}

export async function startPostgres(diskMb?: number): Promise<Postgres> {
  const pg = new Postgres(diskMb);
  try {
    await pg.init();
  } catch (e) {
    await pg.destroy();
    throw e;
  }
  pg.reset();
  return pg;
}
