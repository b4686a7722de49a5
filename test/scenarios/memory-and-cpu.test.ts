// memory-leak and high-cpu through the process-level checks that serve where `docker stats` cannot: real processes of
// the bot (found by process_pattern) that really grow their memory or spin, and others that fill the host's CPUs.
import { cpus } from 'node:os';
import { readFileSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { DB_NAME, DB_USER } from './postgres.js';
import { start, waitFor } from './services.js';
import { expectCauses, expectChecks, row, scenario, useServices } from './scenario.js';

const services = useServices();

function rssMb(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : 0;
}

// Memory, sessions and absent processes measure nothing that the others disturb: side by side. The CPU scenarios
// below measure CPU shares, and run one at a time after them.
describe.concurrent('memory-leak', () => {
  scenario('a bot process whose memory keeps growing', { vars: { memory_max_mb: 256 } }, services, async (s) => {
    const leak = await s.botProcess('grow');
    await waitFor('the leaking process past 256 MB', () => rssMb(leak.pid) > 280 || undefined, 20_000, 100);
    const r = await s.run('memory-leak');
    expectCauses(r, { 'app-memory-leak': 'confirmed', 'unclosed-db-connections': 'ruled-out' });
    const checks = Object.fromEntries(r.report.checks.map((c) => [c.id, c]));
    expect(checks['memory-usage']!.verdict).toBe('problem');
    expect(checks['memory-usage']!.output!.excerpt).toMatch(new RegExp(`pid ${leak.pid}: rss \\d+ MB`));
    expect(checks['memory-growth']!.verdict).toBe('problem');
    // The bot's API process, which does not grow, is measured too and is within bounds.
    expect(checks['memory-growth']!.output!.excerpt).toMatch(new RegExp(`pid ${s.bot!.pid}: rss \\d+ MB -> \\d+ MB, [+-]\\d+ MB`));
    const c = await s.checkAll();
    expectChecks(c, { 'memory-leak/memory-usage': 'problem', 'memory-leak/memory-growth': 'problem', 'memory-leak/idle-in-transaction': 'healthy' });
  });

  scenario('a session left idle in a transaction (a real BEGIN never committed)', { vars: { idle_transaction_seconds: 2 } }, services, async (s) => {
    const pg = services().pg;
    // psql keeps reading its open standard input: the transaction stays open until the test ends the session.
    const open = start('psql', ['-X', '-q', '-h', '127.0.0.1', '-p', String(pg.port), '-U', DB_USER, '-d', DB_NAME], {
      env: { ...process.env, HOME: s.home, PGAPPNAME: 'irm-scenario-leaky-session' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    try {
      open.proc.stdin!.write('BEGIN;\nSELECT count(*) FROM trades;\n');
      await waitFor('the session idle in its transaction for 2 seconds', () =>
        pg.sql(`SELECT count(*) FROM pg_stat_activity WHERE application_name = 'irm-scenario-leaky-session' AND state = 'idle in transaction' AND now() - state_change > interval '2.3 seconds'`) === '1' || undefined, 15_000, 100);
      const r = await s.run('memory-leak');
      expectCauses(r, { 'app-memory-leak': 'ruled-out', 'unclosed-db-connections': 'confirmed' });
      expect(r.report.checks.find((c) => c.id === 'idle-in-transaction')!.output!.excerpt).toMatch(/^\d+\|tradingbot\|irm-scenario-leaky-session\|00:00:0\d$/m);
      expectChecks(await s.checkAll(), { 'memory-leak/idle-in-transaction': 'problem' });
    } finally {
      await open.stop();
    }
  });

  scenario('the bot not running: nothing measured is not "no leak"', { bot: false }, services, async (s) => {
    // Before this issue "no process matches" was a warning, and a warning rules a cause out: a bot that is down
    // (perhaps killed for lack of memory) had its memory leak ruled out with nothing measured.
    const r = await s.run('memory-leak');
    expectCauses(r, { 'app-memory-leak': 'unknown', 'unclosed-db-connections': 'ruled-out' });
    for (const id of ['memory-usage', 'memory-growth', 'container-stats']) {
      const c = r.report.checks.find((x) => x.id === id)!;
      expect(c, id).toMatchObject({ verdict: 'error', error: { kind: 'unavailable' } });
      expect(c.error!.message).toContain(`no process matches ${s.tag}`);
    }
    const h = await s.run('high-cpu');
    expect(h.report.checks.find((x) => x.id === 'process-cpu')).toMatchObject({ verdict: 'error', error: { kind: 'unavailable' } });
    expect(h.report.diagnosis.causes.find((x) => x.id === 'hot-code-paths')!.status).toBe('unknown');
  });
});

describe('high-cpu', () => {
  // The CPU a spinning process gets depends on what else the machine runs: Linux shares it between sessions
  // (autogroups), and a developer's machine or CI runs the rest of the suite, irm check's ~50 commands, maybe other
  // sessions' tests. A two-thread spinner measured 50-200% of a core here. So this scenario sets the limit at 25% of a
  // core, which the spinner crosses under any of that load and an idle bot (under 5%) never reaches.
  scenario('a bot process spinning the CPU', { vars: { cpu_sample_seconds: 2, cpu_max_percent: 25 } }, services, async (s) => {
    const hot = await s.botProcess('spin', '2');
    const r = await s.run('high-cpu');
    const st = Object.fromEntries(r.report.diagnosis.causes.map((c) => [c.id, c.status]));
    // cpu-capacity depends on everything else this machine runs meanwhile, so it is not asserted here.
    expect(st['hot-code-paths'], JSON.stringify(r.report.diagnosis.causes, null, 1)).toBe('confirmed');
    const cpu = r.report.checks.find((c) => c.id === 'process-cpu')!;
    expect(cpu.verdict).toBe('problem');
    expect(cpu.output!.excerpt).toMatch(new RegExp(`pid ${hot.pid}: cpu \\d+% over 2s`));
    const c = await s.checkAll();
    expectChecks(c, { 'high-cpu/process-cpu': 'problem' });
  }, 90_000);

  scenario('the host\'s CPUs busy with other processes, the bot idle', { vars: { cpu_max_percent: 80 } }, services, async (s) => {
    // Not the bot's: no tag in their command line. One spinning thread per core.
    const n = cpus().length;
    await s.otherProcess(`const { Worker } = require('worker_threads'); for (let i = 1; i < ${n}; i++) new Worker('for (;;) {}', { eval: true }); console.log('up'); for (;;) {}`, /up/);
    const r = await s.run('high-cpu');
    expectCauses(r, { 'hot-code-paths': 'ruled-out', 'cpu-capacity': 'confirmed' });
    expect(row((await s.checkAll()).report, 'high-cpu', 'host-cpu').verdict).toBe('problem');
  }, 90_000);
});
