// db-performance on a real PostgreSQL: a real pg_sleep found through pg_stat_activity, real tables without an index,
// real connections filling max_connections, and the pool setting of the bot's .env.
import { beforeEach, describe, expect } from 'vitest';
import { closeSync, fsyncSync, openSync, statfsSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DB_NAME, DB_PASSWORD, DB_USER, MAX_CONNECTIONS, startPostgres } from './postgres.js';
import { start, waitFor, type Child } from './services.js';
import { expectCauses, expectChecks, scenario, useServices } from './scenario.js';

const services = useServices();
const ALL_FINE = { 'long-running-queries': 'ruled-out', 'missing-indexes': 'ruled-out', 'pool-exhausted': 'ruled-out', 'disk-full': 'ruled-out' } as const;

/** A session of the bot's user, over TCP as the bot connects. */
function session(sql: string | undefined, home: string): Child {
  const pg = services().pg;
  const args = ['-X', '-q', '-h', '127.0.0.1', '-p', String(pg.port), '-U', DB_USER, '-d', DB_NAME, ...(sql ? ['-c', sql] : [])];
  // Without a command, psql waits on its open standard input: an idle connection held for as long as the test wants.
  return start('psql', args, { env: { ...process.env, HOME: home, PGAPPNAME: 'irm-scenario' }, stdio: [sql ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
}

// These scenarios share one server, whose pg_stat_activity every check reads: they run one at a time, each on a
// freshly reset schema.
beforeEach(() => services().pg.reset());

describe('db-performance', () => {
  scenario('a query running longer than 5 seconds (a real pg_sleep)', {}, services, async (s) => {
    const slow = session('SELECT pg_sleep(120) /* irm-scenario-slow-query */', s.home);
    try {
      const pg = services().pg;
      await waitFor('the slow query to pass 5 seconds', () =>
        pg.sql(`SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%irm-scenario-slow-query%' AND state = 'active' AND now() - query_start > interval '5.2 seconds' AND pid <> pg_backend_pid()`) === '1' || undefined, 15_000, 200);
      const r = await s.run('db-performance');
      expectCauses(r, { ...ALL_FINE, 'long-running-queries': 'confirmed' });
      const long = r.report.checks.find((c) => c.id === 'long-queries')!;
      expect(long.output!.excerpt).toMatch(/^\d+\|00:00:\d\d[.\d]*\|SELECT pg_sleep\(120\)/m);
      expectChecks(await s.checkAll(), { 'db-performance/long-queries': 'problem', 'db-performance/db-answers': 'healthy' });
    } finally {
      await slow.stop();
    }
  });

  scenario('a query of 2 seconds is not a long-running query', {}, services, async (s) => {
    const quick = session('SELECT pg_sleep(3)', s.home);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expectCauses(await s.run('db-performance'), ALL_FINE);
    } finally {
      await quick.stop();
    }
  });

  scenario('connection pool setting below the manual\'s advice (DB_POOL_SIZE=10)', { env: { DB_POOL_SIZE: '10' } }, services, async (s) => {
    const r = await s.run('db-performance');
    expectCauses(r, { ...ALL_FINE, 'pool-exhausted': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'pool-size')!.reasons.find((x) => !x.ok)!.got).toBe('10');
    expectChecks(await s.checkAll(), { 'db-performance/pool-size': 'problem' });
  });

  scenario('DB_POOL_SIZE=25: a warning (the manual advises 30-40), not the cause', { env: { DB_POOL_SIZE: '25' } }, services, async (s) => {
    const r = await s.run('db-performance');
    expectCauses(r, ALL_FINE);
    expect(r.report.checks.find((c) => c.id === 'pool-size')!.verdict).toBe('warning');
  });

  scenario('DB_POOL_SIZE not set: the default of 20, a warning', { env: { DB_POOL_SIZE: null } }, services, async (s) => {
    // Before this issue no DB_POOL_SIZE line found no number: a problem, confirming an exhausted pool on the default.
    const r = await s.run('db-performance');
    expectCauses(r, ALL_FINE);
    const pool = r.report.checks.find((c) => c.id === 'pool-size')!;
    expect(pool.verdict).toBe('warning');
    expect(pool.output!.excerpt).toContain("not set: the bot's default");
  });

  scenario('connections filling max_connections (the pool really exhausted)', {}, services, async (s) => {
    const pg = services().pg;
    const held = Math.ceil(MAX_CONNECTIONS * 0.85) - 5;
    const sessions = Array.from({ length: held }, () => session(undefined, s.home));
    try {
      await waitFor(`${held} idle sessions`, () => Number(pg.sql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'irm-scenario'`)) >= held || undefined, 20_000, 100);
      const r = await s.run('db-performance');
      expectCauses(r, { ...ALL_FINE, 'pool-exhausted': 'confirmed' });
      const used = r.report.checks.find((c) => c.id === 'connections-used')!;
      expect(used.verdict).toBe('problem');
      expect(Number(used.reasons.find((x) => !x.ok)!.got)).toBeGreaterThan(80);
    } finally {
      await Promise.all(sessions.map((c) => c.stop()));
    }
  });

  scenario('tables without indexes', {}, services, async (s) => {
    services().pg.sql(`SET ROLE ${DB_USER}; CREATE TABLE order_events (order_id bigint, kind text, at timestamptz); CREATE TABLE signals (strategy text, symbol text, at timestamptz);`, DB_NAME);
    const r = await s.run('db-performance');
    expectCauses(r, { ...ALL_FINE, 'missing-indexes': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'unindexed-tables')!.output!.excerpt.trim().split('\n')).toEqual(['order_events', 'signals']);
    expectChecks(await s.checkAll(), { 'db-performance/unindexed-tables': 'problem' });
  });

  scenario('the database disk over 90% full (PostgreSQL on a small disk of its own, filled)', {}, services, async (s) => {
    // A PostgreSQL of this scenario's own, on a 128 MB filesystem, so that filling its disk harms nothing else.
    const small = await startPostgres(128);
    try {
      s.writeConfig({ db_port: small.port, db_data_dir: small.data });
      s.writeEnv({ DATABASE_URL: small.url() });
      writeFileSync(join(s.home, '.pgpass'), `127.0.0.1:${small.port}:${DB_NAME}:${DB_USER}:${DB_PASSWORD}\n`);
      fill(small.dir, 0.95);
      const r = await s.run('db-performance');
      expectCauses(r, { ...ALL_FINE, 'disk-full': 'confirmed' });
      expect(Number(r.report.checks.find((c) => c.id === 'db-disk')!.reasons.find((x) => !x.ok)!.got)).toBeGreaterThan(90);
      expectChecks(await s.checkAll(), { 'db-performance/db-disk': 'problem', 'db-performance/db-answers': 'healthy' });
    } finally {
      await small.destroy();
    }
  });
});

/** Write a file until the filesystem holding dir is this full. */
function fill(dir: string, fraction: number): void {
  const st = statfsSync(dir);
  const total = st.blocks * st.bsize;
  const used = total - st.bfree * st.bsize;
  const want = Math.ceil(total * fraction) - used;
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(1 << 20, 7);
  try {
    for (let n = 0; n < want; n += chunk.length) writeSync(fd, chunk, 0, Math.min(chunk.length, want - n));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
