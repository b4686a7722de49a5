// irm run ID and irm ref run NAME: walk a runbook (or run one quick-reference command) with the engine.
import { readFileSync } from 'node:fs';
import { readError } from '../load/read.js';
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { diagnose, Interrupts, runCommand, scriptedOperator, type CheckOutcome, type Diagnosis, type EngineContext, type EngineEvent, type Mode, type Operator } from '../engine/engine.js';
import { createRedactor, notifySecretValues, parseDotenv } from '../engine/redactor.js';
import { LocalRunner } from '../engine/runner.js';
import { displayValue, envName, parseSets, resolveVariables, type ResolvedVariable } from '../load/variables.js';
import type { CommandSpec, Runbook } from '../model/schema.js';
import { EXIT, NotFoundError, UsageError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import { closest } from '../util/suggest.js';

export interface RunOptions {
  yes?: boolean;
  allow?: string[];
  dryRun?: boolean;
  nonInteractive?: boolean;
  fix?: boolean;
  waitHealthy?: string;
  window?: string;
  varsFile?: string;
}

export function parseMode(opts: RunOptions): Mode {
  const allow = new Set<'change' | 'destructive'>();
  for (const a of (opts.allow ?? []).flatMap((x) => x.split(','))) {
    const v = a.trim();
    if (v === 'change' || v === 'destructive') allow.add(v);
    else throw new UsageError(`--allow takes change or destructive, got "${v}"`, 'read commands need --yes instead');
  }
  // Allowing destructive commands implies allowing changes.
  if (allow.has('destructive')) allow.add('change');
  const mode: Mode = { yes: !!opts.yes, allow, dryRun: !!opts.dryRun, fix: !!opts.fix };
  if (opts.waitHealthy !== undefined) mode.waitHealthyMs = parseDuration(opts.waitHealthy);
  if (opts.window !== undefined) mode.windowMs = parseDuration(opts.window);
  return mode;
}

/** Variables from --vars-file: lines of name=value (irm's names, or IRM_VAR_<NAME>), as the environment would give them. */
export function envFromFile(file: string | undefined, cwd: string, known: Iterable<string>): Record<string, string> {
  if (!file) return {};
  let text: string;
  try {
    text = readFileSync(resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --vars-file ${file}: ${readError(e)}`);
  }
  const names = [...known];
  const out: Record<string, string> = {};
  for (const [key, value] of parseDotenv(text)) {
    if (key.startsWith('IRM_VAR_')) out[key] = value;
    else if (names.includes(key)) out[envName(key)] = value;
    else {
      const c = closest(key, names);
      throw new UsageError(`unknown variable "${key}" in ${file}`, c ? `did you mean "${c}"?` : 'use the variable names irm config lists');
    }
  }
  return out;
}

export interface Session {
  engine: EngineContext;
  vars: Map<string, ResolvedVariable>;
}

/**
 * The engine's context for one runbook: variables (flags, --vars-file, environment, irm.yaml, defaults), runner, redaction.
 * `scope`: for a command over several runbooks (irm check), every variable any of them declares; a --set or
 * --vars-file name this runbook does not declare but another does is left to that one, not an error here.
 */
export function session(ctx: Context, runbook: Runbook | undefined, opts: RunOptions, operator: Operator, emit: (e: EngineEvent) => void, interrupts: Interrupts, scope?: ReadonlySet<string>): Session {
  const catalog = ctx.catalog();
  const known = [...Object.keys(catalog.manual.variables), ...Object.keys(runbook?.variables ?? {})];
  const fromFile = envFromFile(opts.varsFile, ctx.io.cwd, scope ?? known);
  const env = { ...ctx.io.env, ...fromFile };
  const sets = parseSets(ctx.options.set);
  if (scope) for (const name of Object.keys(sets)) if (!known.includes(name) && scope.has(name)) delete sets[name];
  const where = Object.fromEntries(Object.keys(fromFile).map((k) => [k, `--vars-file ${opts.varsFile}`]));
  const vars = resolveVariables(catalog, runbook, { sets, env, where });
  const engine: EngineContext = {
    runner: new LocalRunner(),
    operator,
    vars,
    redact: createRedactor(vars, ctx.io.cwd, notifySecretValues(catalog.config.config.notify, ctx.io.env)),
    mode: parseMode(opts),
    emit,
    interrupts,
    cwd: ctx.io.cwd,
  };
  return { engine, vars };
}

export function operatorFor(ctx: Context, opts: RunOptions): { interactive: boolean } {
  return { interactive: ctx.io.stdinIsTTY && !opts.nonInteractive && !opts.dryRun };
}

/**
 * The exit code a diagnosis earns: 130 interrupted (quit, or a command stopped with Ctrl-C: the diagnosis lacks its
 * evidence), 4 refused, 1 a problem or a check that could not run, else 0.
 */
export function exitCodeOf(outcomes: CheckOutcome[], d: { interrupted: boolean; refused: number; confirmed?: string[] }): number {
  if (d.interrupted || outcomes.some((o) => o.verdict === 'interrupted')) return EXIT.interrupted;
  if (d.refused) return EXIT.refused;
  if (d.confirmed?.length || outcomes.some((o) => o.kind === 'check' && (o.verdict === 'problem' || o.verdict === 'error'))) return EXIT.problem;
  if (outcomes.some((o) => o.kind !== 'check' && (o.verdict === 'problem' || o.verdict === 'error'))) return EXIT.problem;
  return EXIT.ok;
}

function stripOutcome(o: CheckOutcome): Omit<CheckOutcome, 'fullOutput'> {
  const { fullOutput: _full, ...rest } = o;
  void _full;
  return rest;
}

export interface RunReport {
  runbook: string;
  title: string;
  deployment: string;
  started_at: string;
  finished_at: string;
  mode: { interactive: boolean; yes: boolean; dry_run: boolean; allow: string[]; fix: boolean };
  variables: Record<string, string | null>;
  answers: Diagnosis['answers'];
  checks: Omit<CheckOutcome, 'fullOutput'>[];
  diagnosis: {
    confirmed: string[];
    conclusion?: string;
    causes: { id: string; title: string; status: string; evidence: string[]; manual_check?: string; solution: unknown[] }[];
  };
  decisions: Diagnosis['decisions'];
  refused: number;
  interrupted: boolean;
  exit_code: number;
}

export function buildReport(d: Diagnosis, s: Session, interactive: boolean, started: Date): RunReport {
  const checks = [...d.preflight, ...d.causes.flatMap((c) => c.checks)];
  const solutions = d.causes.flatMap((c) => c.solution.map((x) => x.outcome).filter((x): x is CheckOutcome => !!x));
  const mode = s.engine.mode;
  const variables: Record<string, string | null> = {};
  for (const v of s.vars.values()) variables[v.name] = v.value === undefined ? null : displayValue(v);
  const report: RunReport = {
    runbook: d.runbook,
    title: d.title,
    deployment: d.deployment,
    started_at: started.toISOString(),
    finished_at: new Date().toISOString(),
    mode: { interactive, yes: mode.yes, dry_run: mode.dryRun, allow: [...mode.allow], fix: mode.fix },
    variables,
    answers: d.answers,
    checks: [...checks, ...solutions].map(stripOutcome),
    diagnosis: {
      confirmed: d.confirmed,
      causes: d.causes.map((c) => ({
        id: c.id,
        title: c.title,
        status: c.status,
        evidence: c.evidence,
        ...(c.manual_check ? { manual_check: c.manual_check } : {}),
        solution: c.solution.map((x) => {
          const { outcome, ...rest } = x;
          return outcome ? { ...rest, outcome: { verdict: outcome.verdict, exit_code: outcome.exit_code, note: outcome.note } } : rest;
        }),
      })),
    },
    decisions: d.decisions,
    refused: d.refused,
    interrupted: d.interrupted,
    exit_code: exitCodeOf([...checks, ...solutions], d),
  };
  if (d.conclusion) report.diagnosis.conclusion = d.conclusion;
  return report;
}

/** Run a runbook's diagnosis. The CLI supplies the operator and the view. */
export async function runRunbook(ctx: Context, id: string, opts: RunOptions, operator: Operator, emit: (e: EngineEvent) => void, interrupts: Interrupts): Promise<RunReport> {
  const entry = ctx.runbook(id);
  const started = new Date();
  const s = session(ctx, entry.runbook, opts, operator, emit, interrupts);
  const d = await diagnose(entry.runbook, s.engine);
  return buildReport(d, s, operator.interactive, started);
}

// ---- the quick reference ---------------------------------------------------------------------------

export function findQuick(ctx: Context, name: string): { group: string; items: { id: string; title: string; spec: CommandSpec }[] } {
  const groups = ctx.catalog().manual.quick_reference;
  const g = groups.find((x) => x.id === name);
  if (g) return { group: g.id, items: g.commands.map((c) => ({ id: c.id, title: c.title, spec: c })) };
  for (const grp of groups) {
    const c = grp.commands.find((x) => x.id === name);
    if (c) return { group: grp.id, items: [{ id: c.id, title: c.title, spec: c }] };
  }
  const all = [...groups.map((x) => x.id), ...groups.flatMap((x) => x.commands.map((c) => c.id))];
  const c = closest(name, all);
  throw new NotFoundError(`no quick-reference group or command "${name}"`, `${c ? `did you mean "${c}"? ` : ''}groups: ${groups.map((x) => x.id).join(', ')}`);
}

export interface QuickReport {
  group: string;
  commands: Omit<CheckOutcome, 'fullOutput'>[];
  refused: number;
  interrupted: boolean;
  exit_code: number;
}

export async function runQuick(ctx: Context, name: string, opts: RunOptions, operator: Operator, emit: (e: EngineEvent) => void, interrupts: Interrupts): Promise<QuickReport> {
  const { group, items } = findQuick(ctx, name);
  const s = session(ctx, undefined, opts, operator, emit, interrupts);
  const outcomes: CheckOutcome[] = [];
  for (const item of items) {
    if (interrupts.quit) break;
    outcomes.push(await runCommand(s.engine, { ...item, runbookId: group }));
  }
  const refused = outcomes.filter((o) => o.verdict === 'refused').length;
  // A command stopped with Ctrl-C did not do its work, as one quit before it ran did not.
  const interrupted = interrupts.quit || outcomes.some((o) => o.verdict === 'interrupted');
  const exit = interrupted ? EXIT.interrupted : refused ? EXIT.refused : outcomes.some((o) => o.verdict === 'problem' || o.verdict === 'error') ? EXIT.problem : EXIT.ok;
  return { group, commands: outcomes.map(stripOutcome), refused, interrupted, exit_code: exit };
}

export { scriptedOperator };
