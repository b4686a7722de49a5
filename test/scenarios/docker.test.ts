// The docker forms of the checks, on machines with no docker engine (these): each could not run, says why, and hints
// at deployment: host. None may pass or fail on nothing, so no cause is confirmed or ruled out by them.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect } from 'vitest';
import { ROOT } from '../helpers.js';
import { scenario, useServices, type CheckRow } from './scenario.js';

const services = useServices();
// host-cpu has one form for both deployments and measures this machine, busy with the rest of the suite: its limit
// is set where no load can cross it (as in healthy.test.ts), so that only the docker forms are judged here.

interface Spec { id: string; run?: unknown; needs?: string[] }
/** Every check whose command differs for docker: runbook/id → its needs. */
function dockerChecks(): Map<string, Spec & { runbook: string }> {
  const out = new Map<string, Spec & { runbook: string }>();
  for (const f of readdirSync(join(ROOT, 'runbooks')).filter((x) => x.endsWith('.yaml') && x !== 'manual.yaml')) {
    const rb = parse(readFileSync(join(ROOT, 'runbooks', f), 'utf8')) as { id: string; preflight?: Spec[]; causes: { checks?: Spec[] }[] };
    for (const c of [...(rb.preflight ?? []), ...rb.causes.flatMap((x) => x.checks ?? [])]) {
      if (c.run && typeof c.run === 'object' && 'docker' in c.run) out.set(`${rb.id}/${c.id}`, { ...c, runbook: rb.id });
    }
  }
  return out;
}

/** PATH without the folders that hold docker or docker-compose: a machine where docker is not installed at all. */
function pathWithoutDocker(): string {
  return (process.env.PATH ?? '').split(delimiter).filter((d) => !existsSync(join(d, 'docker')) && !existsSync(join(d, 'docker-compose'))).join(delimiter);
}

const DOCKER_KINDS = ['docker-unavailable', 'missing-command'];

function expectDockerVerdict(key: string, r: CheckRow | undefined, all: Map<string, CheckRow>): void {
  expect(r, key).toBeDefined();
  if (r!.verdict === 'blocked') {
    // Blocked only by a docker-form check that could not run.
    const need = dockerChecks().get(key)!.needs ?? [];
    expect(need.length, key).toBeGreaterThan(0);
    for (const n of need) expect(all.get(`${key.split('/')[0]}/${n}`)?.verdict, `${key} needs ${n}`).toBe('error');
    return;
  }
  expect({ key, verdict: r!.verdict }).toEqual({ key, verdict: 'error' });
  expect(DOCKER_KINDS, `${key}: ${JSON.stringify(r!.error)}`).toContain(r!.error!.kind);
  expect(r!.error!.hint, key).toMatch(/deployment: host/);
}

// Independent scenarios (own directory, ports and bot; nothing shared is changed): they run side by side.
describe.concurrent('docker forms without a docker engine', () => {
  const variants: [string, () => Record<string, string>][] = [
    ['as this machine is (no docker daemon)', () => ({})],
    ['docker not installed at all', () => ({ PATH: pathWithoutDocker() })],
  ];
  for (const [name, env] of variants) {
    scenario(`${name}: every docker-form check could not run, with the hint; no cause decided by them`, { vars: { deployment: 'docker', cpu_max_percent: 100 } }, services, async (s) => {
      s.irmEnv = env();
      const checks = dockerChecks();
      expect(checks.size).toBeGreaterThan(20);
      const c = await s.checkAll();
      const rows = new Map(c.report.results.map((x) => [`${x.runbook}/${x.id}`, x as CheckRow]));
      for (const key of checks.keys()) expectDockerVerdict(key, rows.get(key), rows);
      expect(c.code).toBe(1);
      // In a diagnosis the same checks confirm nothing: the healthy system stays unblamed.
      for (const id of ['app-wont-start', 'db-performance', 'memory-leak', 'high-cpu', 'trades-not-executing']) {
        const r = await s.run(id);
        expect({ id, confirmed: r.report.diagnosis.confirmed }).toEqual({ id, confirmed: [] });
      }
    }, 120_000);
  }
});
