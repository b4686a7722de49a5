// irm check: every read check of the named runbooks (or all), unattended and concurrent, for scripts, cron and CI.
import { cpus } from 'node:os';
import type { Context } from '../context.js';
import { blockedBy, deploymentOf, Interrupts, longestRun, runCheck, scriptedOperator, type CheckOutcome, type Mode } from '../engine/engine.js';
import type { Check, Runbook } from '../model/schema.js';
import type { RunbookEntry } from '../load/catalog.js';
import { EXIT, UsageError } from '../errors.js';
import { session, type RunOptions } from './run.js';
import { checkSetNames, parseSets, variableScope } from '../load/variables.js';

export interface CheckRow extends Omit<CheckOutcome, 'fullOutput'> {
  runbook: string;
}

export interface CheckReport {
  started_at: string;
  duration_ms: number;
  concurrency: number;
  deployment: string;
  results: CheckRow[];
  summary: Record<'healthy' | 'warning' | 'problem' | 'error' | 'skipped', number>;
  interrupted: boolean;
  exit_code: number;
}

export interface CheckOptions extends RunOptions {
  all?: boolean;
  concurrency?: string;
}

/**
 * A pool of at most n tasks at once. Of the tasks waiting, the one of highest rank starts first (ties: the first to
 * ask). Slots are handed out a microtask after a task asks, so that the tasks asked for together compete by rank
 * rather than the first n asked taking the slots.
 */
function pool(n: number) {
  let active = 0;
  let asked = 0;
  let scheduled = false;
  const waiting: { rank: readonly number[]; seq: number; start: () => void }[] = [];
  const before = (a: (typeof waiting)[number], b: (typeof waiting)[number]) => {
    for (let i = 0; i < Math.max(a.rank.length, b.rank.length); i++) {
      const d = (b.rank[i] ?? 0) - (a.rank[i] ?? 0);
      if (d) return d < 0;
    }
    return a.seq < b.seq;
  };
  const dispatch = () => {
    scheduled = false;
    while (active < n && waiting.length) {
      let best = 0;
      for (let i = 1; i < waiting.length; i++) if (before(waiting[i]!, waiting[best]!)) best = i;
      active++;
      waiting.splice(best, 1)[0]!.start();
    }
  };
  return async <T>(task: () => Promise<T>, rank: readonly number[] = []): Promise<T> => {
    await new Promise<void>((start) => {
      waiting.push({ rank, seq: asked++, start });
      if (!scheduled) {
        scheduled = true;
        queueMicrotask(dispatch);
      }
    });
    try {
      return await task();
    } finally {
      active--;
      dispatch();
    }
  };
}

/**
 * Which checks start first when there are more than slots: a following command (logs -f), which surely lasts its
 * window, then the longest a check may take, longest first. A slow check queued behind quick ones would otherwise
 * start late and end the run alone; the report keeps the runbooks' order whatever the start order.
 */
function startRank(chk: Check, rb: Runbook, mode: Mode): readonly number[] {
  return [chk.stream === true ? 1 : 0, longestRun(chk, rb, mode)];
}

/** A check as the progress view names it. */
export interface CheckRef {
  runbook: string;
  id: string;
  title: string;
}

/** What a view may learn while the checks run, besides each row as it ends (onResult). */
export interface CheckProgress {
  /** Every check of the report, in its order, before any starts. */
  planned?(checks: CheckRef[]): void;
  /** A check has its slot: its command starts. */
  started?(check: CheckRef): void;
}

export function defaultConcurrency(): number {
  return Math.max(2, cpus().length * 4);
}

export async function check(ctx: Context, ids: string[], opts: CheckOptions, interrupts: Interrupts, onResult?: (row: CheckRow) => void, progress?: CheckProgress): Promise<CheckReport> {
  const catalog = ctx.catalog();
  if (!ids.length && !opts.all) throw new UsageError('name the runbooks to check, or --all', `runbooks: ${catalog.runbooks.map((r) => r.runbook.id).join(', ')}`);
  const entries: RunbookEntry[] = ids.length ? ids.map((id) => ctx.runbook(id)) : catalog.runbooks;
  const concurrency = opts.concurrency !== undefined ? Number(opts.concurrency) : defaultConcurrency();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency takes a whole number of at least 1, got "${opts.concurrency}"`);
  const started = new Date();
  const t0 = performance.now();
  const limit = pool(concurrency);
  const rows: CheckRow[] = [];
  let deployment = 'docker';
  const all: Promise<void>[] = [];
  const checksOf = (rb: Runbook) => [...(rb.preflight ?? []).map((k) => [undefined, k] as const), ...rb.causes.flatMap((c) => c.checks.map((k) => [c.id, k] as const))];
  progress?.planned?.(entries.flatMap((e) => checksOf(e.runbook).map(([, k]) => ({ runbook: e.runbook.id, id: k.id, title: k.title }))));
  // --set cpu_max_percent=90 with --all: a name any of the runbooks declares is fine; each gets the ones it declares.
  const scope = variableScope(catalog, entries.map((e) => e.runbook));
  checkSetNames(parseSets(ctx.options.set), scope, { why: 'no runbook checked here declares it', hint: 'see the variables with: irm config ID' });
  for (const entry of entries) {
    const rb = entry.runbook;
    // No prompts, ever: read checks run (this is what check is for), nothing else does.
    const s = session(ctx, rb, { ...opts, yes: true, fix: false, allow: [] }, scriptedOperator, () => {}, interrupts, scope);
    deployment = deploymentOf(s.vars);
    const done = new Map<string, Promise<CheckOutcome>>();
    for (const [causeId, chk] of checksOf(rb)) {
      const run = (async (): Promise<CheckOutcome> => {
        const needed = new Map<string, CheckOutcome>();
        for (const n of chk.needs ?? []) {
          const o = await done.get(n);
          if (o) needed.set(n, o);
        }
        const base = { kind: 'check' as const, id: chk.id, title: chk.title, risk: chk.risk ?? 'read', reasons: [], warnings: [], ...(causeId ? { cause: causeId } : {}) };
        const blocker = blockedBy(chk, needed);
        if (blocker) return { ...base, verdict: 'blocked', note: blocker };
        if ((chk.risk ?? 'read') !== 'read') return { ...base, verdict: 'skipped', note: `not a read check (${chk.risk}): irm run ${rb.id} runs it with a confirmation` };
        if (interrupts.quit) return { ...base, verdict: 'interrupted', note: 'not run: interrupted' };
        return limit(() => {
          progress?.started?.({ runbook: rb.id, id: chk.id, title: chk.title });
          return runCheck(s.engine, rb, causeId, chk);
        }, startRank(chk, rb, s.engine.mode));
      })();
      done.set(chk.id, run);
      all.push(
        run.then((o) => {
          const { fullOutput: _f, ...rest } = o;
          void _f;
          const row = { runbook: rb.id, ...rest };
          rows.push(row);
          onResult?.(row);
        })
      );
    }
  }
  await Promise.all(all);
  // Stable order: as the runbooks list their checks.
  const order = entries.flatMap((e) => checksOf(e.runbook).map(([, k]) => `${e.runbook.id}/${k.id}`));
  rows.sort((a, b) => order.indexOf(`${a.runbook}/${a.id}`) - order.indexOf(`${b.runbook}/${b.id}`));
  const summary = { healthy: 0, warning: 0, problem: 0, error: 0, skipped: 0 };
  for (const r of rows) {
    if (r.verdict === 'healthy' || r.verdict === 'warning' || r.verdict === 'problem' || r.verdict === 'error') summary[r.verdict]++;
    else summary.skipped++;
  }
  const interrupted = interrupts.quit || rows.some((r) => r.verdict === 'interrupted');
  return {
    started_at: started.toISOString(),
    duration_ms: Math.round(performance.now() - t0),
    concurrency,
    deployment,
    results: rows,
    summary,
    interrupted,
    exit_code: interrupted ? EXIT.interrupted : summary.problem || summary.error ? EXIT.problem : EXIT.ok,
  };
}

// ---- formats -------------------------------------------------------------------------------------

function xml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');
}

function detail(r: CheckRow): string {
  const lines: string[] = [];
  for (const x of [...r.reasons, ...r.warnings].filter((x) => !x.ok)) lines.push(`expected ${x.wanted}, got: ${x.got}`);
  if (r.hint) lines.push(`hint: ${r.hint}`);
  if (r.error) lines.push(r.error.message + (r.error.hint ? ` (hint: ${r.error.hint})` : ''));
  if (r.note) lines.push(r.note);
  return lines.join('\n');
}

/** JUnit XML for CI: a problem is a failure, a check that could not run is an error. */
export function junit(report: CheckReport): string {
  const byRunbook = new Map<string, CheckRow[]>();
  for (const r of report.results) byRunbook.set(r.runbook, [...(byRunbook.get(r.runbook) ?? []), r]);
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const s = report.summary;
  out.push(`<testsuites name="irm check" tests="${report.results.length}" failures="${s.problem}" errors="${s.error}" skipped="${s.skipped}" time="${(report.duration_ms / 1000).toFixed(3)}">`);
  for (const [rb, rows] of byRunbook) {
    const f = rows.filter((r) => r.verdict === 'problem').length;
    const e = rows.filter((r) => r.verdict === 'error').length;
    const sk = rows.filter((r) => !['healthy', 'warning', 'problem', 'error'].includes(r.verdict)).length;
    const time = rows.reduce((t, r) => t + (r.duration_ms ?? 0), 0) / 1000;
    out.push(`  <testsuite name="${xml(rb)}" tests="${rows.length}" failures="${f}" errors="${e}" skipped="${sk}" time="${time.toFixed(3)}" timestamp="${report.started_at}">`);
    for (const r of rows) {
      const open = `    <testcase classname="${xml(`${rb}.${r.cause ?? ''}`)}" name="${xml(`${r.id}: ${r.title}`)}" time="${((r.duration_ms ?? 0) / 1000).toFixed(3)}"`;
      const d = xml(detail(r));
      if (r.verdict === 'problem') out.push(`${open}>\n      <failure message="${xml(detail(r).split('\n')[0] ?? 'problem')}" type="problem">${d}</failure>\n    </testcase>`);
      else if (r.verdict === 'error') out.push(`${open}>\n      <error message="${xml(r.error?.message ?? 'could not run')}" type="${r.error?.kind ?? 'error'}">${d}</error>\n    </testcase>`);
      else if (r.verdict === 'healthy' || r.verdict === 'warning') out.push(r.verdict === 'warning' ? `${open}>\n      <system-out>warning: ${d}</system-out>\n    </testcase>` : `${open}/>`);
      else out.push(`${open}>\n      <skipped message="${xml(`${r.verdict}${r.note ? `: ${r.note}` : ''}`)}"/>\n    </testcase>`);
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}

function label(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The Prometheus text format, for node_exporter's textfile collector. */
export function prometheus(report: CheckReport): string {
  const verdicts = ['healthy', 'warning', 'problem', 'error', 'skipped', 'blocked', 'not-applicable', 'refused', 'interrupted'];
  const out = [
    '# HELP irm_check_healthy 1 when the check is healthy (or a warning), 0 otherwise.',
    '# TYPE irm_check_healthy gauge',
  ];
  const l = (r: CheckRow) => `runbook="${label(r.runbook)}",check="${label(r.id)}"`;
  for (const r of report.results) out.push(`irm_check_healthy{${l(r)}} ${r.verdict === 'healthy' || r.verdict === 'warning' ? 1 : 0}`);
  out.push('# HELP irm_check_verdict The verdict of each check: 1 for its verdict, 0 for the others.', '# TYPE irm_check_verdict gauge');
  for (const r of report.results) for (const v of verdicts) out.push(`irm_check_verdict{${l(r)},verdict="${v}"} ${r.verdict === v ? 1 : 0}`);
  out.push('# HELP irm_check_duration_seconds How long the check took.', '# TYPE irm_check_duration_seconds gauge');
  for (const r of report.results) if (r.duration_ms !== undefined) out.push(`irm_check_duration_seconds{${l(r)}} ${(r.duration_ms / 1000).toFixed(3)}`);
  out.push('# HELP irm_check_last_run_timestamp_seconds When irm check last ran.', '# TYPE irm_check_last_run_timestamp_seconds gauge');
  out.push(`irm_check_last_run_timestamp_seconds ${Math.floor(Date.parse(report.started_at) / 1000)}`);
  return out.join('\n') + '\n';
}
