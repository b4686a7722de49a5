// app-wont-start on real faults: PostgreSQL and Redis really stopped, a real wrong password, a real process on the port.
import { describe, expect } from 'vitest';
import { expectCauses, expectChecks, row, scenario, useServices } from './scenario.js';

const services = useServices();
const ALL_FINE = { 'database-connection': 'ruled-out', 'port-in-use': 'ruled-out', 'missing-env-vars': 'ruled-out', 'redis-connection': 'ruled-out' } as const;

// Outages stop the file's PostgreSQL or Redis: one at a time.
describe('app-wont-start: outages', () => {
  scenario('database down: PostgreSQL stopped', {}, services, async (s) => {
    await services().pg.stop();
    const r = await s.run('app-wont-start');
    expectCauses(r, { ...ALL_FINE, 'database-connection': 'confirmed' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c.verdict]));
    // What needs a running database is blocked, not blamed.
    expect(checks).toMatchObject({ 'db-ready': 'problem', 'db-select': 'blocked', 'db-url': 'blocked', 'engine-connect': 'blocked' });
    const c = await s.checkAll();
    expectChecks(c, {
      'app-wont-start/db-ready': 'problem',
      'db-performance/db-answers': 'problem',
      'db-performance/long-queries': 'blocked',
      'db-performance/pool-size': 'healthy',
      // It cannot see sessions of a database that does not answer: no evidence, not an unclosed-connections problem.
      'memory-leak/idle-in-transaction': 'error',
    });
    expect(row(c.report, 'memory-leak', 'idle-in-transaction').error?.message).toMatch(/database does not answer/);
  });

  scenario('Redis down: Redis stopped', {}, services, async (s) => {
    await services().redis.stop();
    const r = await s.run('app-wont-start');
    expectCauses(r, { ...ALL_FINE, 'redis-connection': 'confirmed' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c.verdict]));
    expect(checks).toMatchObject({ 'redis-ping': 'problem', 'redis-service': 'problem', 'redis-url': 'blocked' });
    expectChecks(await s.checkAll(), { 'app-wont-start/redis-ping': 'problem', 'app-wont-start/db-ready': 'healthy' });
  });
});

// The other faults change nothing shared (their own .env, ports and processes): they run side by side.
describe.concurrent('app-wont-start', () => {
  scenario('wrong DATABASE_URL: a password PostgreSQL refuses', () => ({ env: { DATABASE_URL: services().pg.url({ password: 'not-the-password' }) } }), services, async (s) => {
    const r = await s.run('app-wont-start');
    expectCauses(r, { ...ALL_FINE, 'database-connection': 'confirmed' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c]));
    expect(checks['db-ready']!.verdict).toBe('healthy');
    expect(checks['db-select']!.verdict).toBe('healthy');
    expect(checks['db-url']!.verdict).toBe('problem');
    expect(checks['db-url']!.reasons.find((x) => !x.ok)!.got).toMatch(/password authentication failed/);
    expect(checks['engine-connect']!.verdict).toBe('problem');
    // The wrong password is never shown.
    expect(JSON.stringify(r.report)).not.toContain('not-the-password');
    expectChecks(await s.checkAll(), { 'app-wont-start/db-url': 'problem', 'app-wont-start/db-ready': 'healthy', 'app-wont-start/engine-connect': 'problem' });
  });

  scenario('wrong DATABASE_URL: a port where nothing listens', () => ({ env: { DATABASE_URL: services().pg.url({ port: 1 }) } }), services, async (s) => {
    const r = await s.run('app-wont-start');
    expectCauses(r, { ...ALL_FINE, 'database-connection': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'db-url')!.reasons.find((x) => !x.ok)!.got).toMatch(/port 1 failed: Connection refused/);
  });

  scenario('API port already taken by another process (the bot not running)', { bot: false }, services, async (s) => {
    const other = await s.otherProcess(`require('http').createServer((q, r) => r.end('other')).listen(${s.apiPort}, '127.0.0.1', () => console.log('up'))`, /up/);
    const r = await s.run('app-wont-start');
    expectCauses(r, { ...ALL_FINE, 'port-in-use': 'confirmed' });
    const port = r.report.checks.find((c) => c.id === 'api-port-free')!;
    expect(port.verdict).toBe('problem');
    expect(port.output!.excerpt).toContain(`port ${s.apiPort} taken by pid ${other.pid}`);
    expectChecks(await s.checkAll(), { 'app-wont-start/api-port-free': 'problem' });
  });

  scenario('the bot itself on its API port is no port conflict', {}, services, async (s) => {
    // Before this issue any listener was a conflict, so every healthy running bot confirmed "port already in use".
    const r = await s.run('app-wont-start');
    const port = r.report.checks.find((c) => c.id === 'api-port-free')!;
    expect(port.verdict).toBe('healthy');
    expect(port.output!.excerpt).toContain(`port ${s.apiPort} held by the bot itself: pid ${s.bot!.pid}`);
    expectCauses(r, ALL_FINE);
  });

  scenario('required variables missing from .env', { env: { BINANCE_API_KEY: null } }, services, async (s) => {
    const r = await s.run('app-wont-start');
    expectCauses(r, { ...ALL_FINE, 'missing-env-vars': 'confirmed' });
    const vars = r.report.checks.find((c) => c.id === 'required-vars')!;
    expect(vars.output!.excerpt).toContain('missing: BINANCE_API_KEY');
    expect(vars.output!.excerpt).toContain('set: DATABASE_URL');
    expectChecks(await s.checkAll(), { 'app-wont-start/required-vars': 'problem', 'exchange-connection/api-key-set': 'problem' });
  });

  scenario('REDIS_URL missing: the missing setting, not a failing Redis', { env: { REDIS_URL: null } }, services, async (s) => {
    // Before this issue the URL check failed on "no REDIS_URL", confirming a Redis failure with Redis fine. There is
    // no URL to try: the check could not run, and decides nothing. (The same holds for DATABASE_URL's check.)
    const r = await s.run('app-wont-start');
    expectCauses(r, { ...ALL_FINE, 'missing-env-vars': 'confirmed', 'redis-connection': 'unknown' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c]));
    expect(checks['required-vars']!.output!.excerpt).toContain('missing: REDIS_URL');
    expect(checks['redis-url']).toMatchObject({ verdict: 'error', error: { kind: 'unavailable' } });
    expect(checks['redis-ping']!.verdict).toBe('healthy');
  });

});
