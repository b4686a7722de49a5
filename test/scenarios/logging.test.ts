// logging: the bot's settings, a real log file past the size threshold (sparse, so it takes no disk), a log left
// unwritten, and Prometheus and Loki answering "not ready" or not answering at all.
import { truncateSync, utimesSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { freePort } from './services.js';
import { expectCauses, expectChecks, scenario, useServices } from './scenario.js';

const services = useServices();
const ALL_FINE = { 'log-level-too-verbose': 'ruled-out', 'log-too-large': 'ruled-out', 'logs-not-written': 'ruled-out', 'log-shipping': 'ruled-out' } as const;

// Independent scenarios (own directory, ports and bot; nothing shared is changed): they run side by side.
describe.concurrent('logging', () => {
  scenario('LOG_LEVEL=DEBUG', { env: { LOG_LEVEL: 'DEBUG' } }, services, async (s) => {
    const r = await s.run('logging');
    expectCauses(r, { ...ALL_FINE, 'log-level-too-verbose': 'confirmed' });
    expectChecks(await s.checkAll(), { 'logging/log-config': 'problem' });
  });

  scenario('no .env: the log level is not known, so that cause is not ruled out', { vars: { env_file: 'no-such.env' } }, services, async (s) => {
    // Before, the grep's "|| echo defaults apply" fallback ruled the cause out on a file that was not there.
    const r = await s.run('logging');
    expectCauses(r, { ...ALL_FINE, 'log-level-too-verbose': 'unknown', 'logs-not-written': 'unknown' });
    expect(r.report.checks.find((c) => c.id === 'log-config')!.verdict).toBe('blocked');
  });

  scenario('a log file over the size threshold (101 MB, default 100 MB)', {}, services, async (s) => {
    const big = join(s.dir, 'logs', 'app.log.1');
    writeFileSync(big, '');
    truncateSync(big, 101 * 1024 * 1024);
    const r = await s.run('logging');
    expectCauses(r, { ...ALL_FINE, 'log-too-large': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'log-size')!.output!.excerpt).toMatch(/101M .*logs\/app\.log\.1/);
    expectChecks(await s.checkAll(), { 'logging/log-size': 'problem' });
  });

  scenario('a log file just under the threshold', {}, services, async (s) => {
    const file = join(s.dir, 'logs', 'app.log.1');
    writeFileSync(file, '');
    truncateSync(file, 99 * 1024 * 1024);
    expectCauses(await s.run('logging'), ALL_FINE);
  });

  scenario('the application log not written for an hour', {}, services, async (s) => {
    const hourAgo = new Date(Date.now() - 3600_000);
    utimesSync(join(s.dir, 'logs', 'app.log'), hourAgo, hourAgo);
    const r = await s.run('logging');
    expectCauses(r, { ...ALL_FINE, 'logs-not-written': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'log-fresh')!.output!.excerpt).toMatch(/^stale: logs\/app\.log last written/);
  });

  scenario('Prometheus not ready (503)', { state: { prometheus: { code: 503, body: 'Service Unavailable' } } }, services, async (s) => {
    const r = await s.run('logging');
    expectCauses(r, { ...ALL_FINE, 'log-shipping': 'confirmed' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c.verdict]));
    expect(checks).toMatchObject({ 'prometheus-healthy': 'problem', 'loki-ready': 'healthy' });
    expectChecks(await s.checkAll(), { 'logging/prometheus-healthy': 'problem', 'logging/loki-ready': 'healthy' });
  });

  scenario('Loki not ready (503 while its ingester starts)', { state: { loki: { code: 503, body: 'Ingester not ready: waiting for 15s after being ready' } } }, services, async (s) => {
    const r = await s.run('logging');
    expectCauses(r, { ...ALL_FINE, 'log-shipping': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'loki-ready')!.verdict).toBe('problem');
    expectChecks(await s.checkAll(), { 'logging/loki-ready': 'problem', 'logging/prometheus-healthy': 'healthy' });
  });

  scenario('Loki down (nothing listening)', {}, services, async (s) => {
    s.writeConfig({ loki_url: `http://127.0.0.1:${await freePort()}` });
    const r = await s.run('logging');
    expectCauses(r, { ...ALL_FINE, 'log-shipping': 'confirmed' });
    expect(r.report.checks.find((c) => c.id === 'loki-ready')!.reasons[0]!.got).toMatch(/exit status 7/);
  });

  scenario('no log directory: the size check could not run', {}, services, async (s) => {
    // Before this issue find printed nothing for a missing directory, and "no file too large" was healthy.
    rmSync(join(s.dir, 'logs'), { recursive: true });
    const r = await s.run('logging');
    const size = r.report.checks.find((c) => c.id === 'log-size')!;
    expect(size).toMatchObject({ verdict: 'error', error: { kind: 'unavailable' } });
    expect(size.error!.message).toContain('no log directory logs');
    // The hint with its variables filled in (before this issue, "could not run" hints showed the raw placeholders).
    expect(size.error!.hint).toBe('These files are larger than 100 MB; rotate them, and check that logrotate runs.');
    expect(r.report.diagnosis.causes.find((c) => c.id === 'log-too-large')!.status).toBe('unknown');
    // With no log at all, the log is not being written: that cause is confirmed.
    expect(r.report.diagnosis.confirmed).toContain('logs-not-written');
  });
});
