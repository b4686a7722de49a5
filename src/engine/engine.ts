// Walks a runbook: asks its questions, runs each cause's checks with the confirmation their risk demands, and diagnoses.
// Knows nothing of the terminal: it asks an Operator and emits events that views and reports consume.
import type { Branch, Cause, Check, CommandSpec, Question, Risk, Runbook, Step } from '../model/schema.js';
import { displayForm, expandForm, formsOf, selectForm, type CommandForm } from '../model/command.js';
import { expandText, findPlaceholders, MissingVariableError, shellQuote, UnsafeValueError } from '../model/placeholders.js';
import { checkValue } from '../load/validate.js';
import { displayValue, envName, lookupOf, type ResolvedVariable } from '../load/variables.js';
import { InterruptedError, InvalidVariableError, UsageError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import { excerpt } from './output.js';
import { StreamRedactor, type Redact } from './redactor.js';
import type { RunResult, Runner } from './runner.js';
import { couldNotRun, evaluate, judge, type CouldNotRun, type Reason, type Verdict } from './verdict.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_WINDOW_MS = 10_000;

// ---- the operator ----------------------------------------------------------------------------------

export type Decision = 'run' | 'skip' | 'skip-cause' | 'run-all-read' | 'quit';

export interface ConfirmRequest {
  kind: 'check' | 'solution' | 'quick';
  runbookId: string;
  title: string;
  command: string;
  risk: Risk;
  impact?: string;
  /** For destructive commands: the word the operator must type. */
  confirmWord?: string;
  cause?: string;
}

export interface Operator {
  readonly interactive: boolean;
  /** The id of the chosen answer, or undefined to skip the question. */
  answer(q: Question): Promise<string | undefined>;
  confirm(req: ConfirmRequest): Promise<Decision>;
  /** A value for a variable that has none, or undefined to give up. */
  variable(v: ResolvedVariable, usedBy: string): Promise<string | undefined>;
}

export interface Mode {
  /** --yes: read commands run without asking. */
  yes: boolean;
  /** --allow change / --allow destructive: without a terminal, these run without a confirmation. */
  allow: ReadonlySet<'change' | 'destructive'>;
  dryRun: boolean;
  /** --fix: without a terminal, also run the confirmed causes' solution commands (within what --allow permits). */
  fix: boolean;
  /** Diagnose only: the fixes are offered elsewhere (triage's resolution step). */
  noFixes?: boolean;
  /** --wait-healthy: re-run failing checks until they pass or this much time, for the whole run, is up. */
  waitHealthyMs?: number;
  windowMs?: number;
}

// ---- what happens ----------------------------------------------------------------------------------

export interface CheckOutcome {
  kind: 'check' | 'solution' | 'quick';
  id: string;
  cause?: string;
  title: string;
  /** The command line as it runs, secrets masked. */
  command?: string;
  risk: Risk;
  verdict: Verdict;
  decision?: Decision | 'auto' | 'refused';
  exit_code?: number | null;
  signal?: string | null;
  duration_ms?: number;
  attempts?: number;
  reasons: Reason[];
  warnings: Reason[];
  error?: CouldNotRun;
  /** A problem or warning: the check's hint (what it means, where to look next), expanded, secrets masked. */
  hint?: string;
  /** Why it was skipped, blocked or refused. */
  note?: string;
  output?: { excerpt: string; bytes: number; truncated: boolean };
  /** The whole (bounded, redacted) output, for views that keep it. */
  fullOutput?: string;
  stream?: boolean;
}

export type CauseStatus = 'confirmed' | 'ruled-out' | 'unknown' | 'skipped';

export interface CauseResult {
  id: string;
  title: string;
  status: CauseStatus;
  evidence: string[];
  checks: CheckOutcome[];
  manual_check?: string;
  solution: { title: string; text?: string; command?: string; risk?: Risk; impact?: string; outcome?: CheckOutcome }[];
}

export interface Diagnosis {
  runbook: string;
  title: string;
  deployment: string;
  symptoms: string[];
  answers: { question: string; ask: string; answer?: string; label?: string }[];
  /** The runbook's preflight checks: what must hold before any cause can be judged. */
  preflight: CheckOutcome[];
  causes: CauseResult[];
  confirmed: string[];
  conclusion?: string;
  decisions: { at: string; decision: string }[];
  /** Incomplete: the operator quit, or a command was stopped (Ctrl-C) and its check has no verdict. */
  interrupted: boolean;
  refused: number;
  dry_run: boolean;
}

export type EngineEvent =
  | { type: 'start'; runbook: Runbook; deployment: string }
  | { type: 'answer'; question: Question; answer?: string }
  | { type: 'cause'; cause: Cause; index: number; total: number }
  /** A command about to be confirmed (or refused): what it is and exactly what would run. */
  | { type: 'check-ready'; kind: CheckOutcome['kind']; id: string; title: string; command: string; risk: Risk; impact?: string; env?: EnvShown[] }
  | { type: 'check-start'; kind: CheckOutcome['kind']; id: string; title: string; command: string; risk: Risk; stream: boolean }
  | { type: 'output'; id: string; chunk: string }
  | { type: 'check-end'; outcome: CheckOutcome }
  | { type: 'cause-end'; result: CauseResult }
  /** The commands of one cause's fixes come next (offered after the walk, or planned in a dry run). */
  | { type: 'fixes'; cause: Cause }
  | { type: 'plan'; kind: CheckOutcome['kind']; cause?: string; id: string; title: string; command?: string; risk: Risk; note?: string; impact?: string; confirm?: string; env?: EnvShown[] }
  | { type: 'note'; message: string }
  | { type: 'diagnosis'; diagnosis: Diagnosis };

export interface EngineContext {
  runner: Runner;
  operator: Operator;
  vars: Map<string, ResolvedVariable>;
  redact: Redact;
  mode: Mode;
  emit: (e: EngineEvent) => void;
  /** Set by the CLI on Ctrl-C: the current command is aborted; on a second Ctrl-C `quit` is set too. */
  interrupts: Interrupts;
  cwd?: string;
  sleep?: (ms: number) => Promise<void>;
  /** The runbook being walked (the default confirmation word). */
  currentRunbook?: string;
  /**
   * When --wait-healthy's time is up (ms since the epoch): one budget for the whole run, set when it starts, so that
   * three checks that keep failing take the budget once, not three times.
   */
  waitHealthyUntil?: number;
}

/** Ctrl-C: the first ends the running command; a second one soon after (or one with nothing running) quits. */
export class Interrupts {
  quit = false;
  /** The signal that is ending irm (SIGTERM, SIGHUP), once one has come: see terminate(). */
  terminatedBy?: NodeJS.Signals;
  private readonly terminating = new AbortController();
  /** Aborted when irm is being ended by a signal: a prompt waiting on the operator gives up. */
  readonly ending: AbortSignal = this.terminating.signal;
  /** Every command running now: irm check runs several at once, and Ctrl-C must reach each of them. */
  private readonly running = new Map<AbortSignal, AbortController>();
  private last = -Infinity;

  constructor(private readonly windowMs = 3000, private readonly now: () => number = () => Date.now()) {}

  /** A signal for a command about to run; end(signal) when it has ended. */
  begin(): AbortSignal {
    const c = new AbortController();
    if (this.quit) c.abort();
    this.running.set(c.signal, c);
    return c.signal;
  }

  end(signal: AbortSignal): void {
    this.running.delete(signal);
  }

  /** One Ctrl-C: ends the commands running now, or, a second time within the window (or with none), quits. */
  interrupt(): 'command' | 'quit' {
    const t = this.now();
    const again = t - this.last < this.windowMs;
    this.last = t;
    const live = [...this.running.values()].filter((c) => !c.signal.aborted);
    if (live.length && !again && !this.quit) {
      for (const c of live) c.abort();
      return 'command';
    }
    this.quit = true;
    for (const c of this.running.values()) c.abort();
    return 'quit';
  }

  /** irm is being ended (SIGTERM, SIGHUP): every running command is stopped, no other starts, and the walk ends. */
  terminate(signal: NodeJS.Signals): void {
    this.terminatedBy ??= signal;
    this.quit = true;
    for (const c of this.running.values()) c.abort();
    this.terminating.abort();
  }
}

// ---- commands: forms, variables, confirmations ---------------------------------------------------

export function deploymentOf(vars: Map<string, ResolvedVariable>): string {
  return vars.get('deployment')?.value ?? 'docker';
}

function commandEnv(vars: Map<string, ResolvedVariable>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const v of vars.values()) if (v.value !== undefined) env[envName(v.name)] = v.value;
  return env;
}

/** Fill in a value for every variable a command needs, asking the operator where one is missing. */
async function ensureVariables(ctx: EngineContext, names: string[], usedBy: string): Promise<void> {
  for (const name of names) {
    const v = ctx.vars.get(name);
    if (!v || v.value !== undefined) continue;
    if (!ctx.operator.interactive) {
      throw new UsageError(`no value for variable "${name}" (needed by "${usedBy}")`, `set it with --set ${name}=VALUE or ${envName(name)}=VALUE${v.declaration.description ? `: ${v.declaration.description}` : ''}`);
    }
    for (;;) {
      const value = await ctx.operator.variable(v, usedBy);
      if (value === undefined) throw new UsageError(`no value for variable "${name}" (needed by "${usedBy}")`, `set it with --set ${name}=VALUE`);
      const problem = checkValue(v.declaration, value, v.secret);
      if (!problem) {
        ctx.vars.set(name, { ...v, value, source: 'flag', where: 'typed in' });
        break;
      }
      ctx.emit({ type: 'note', message: `${name}: ${problem}` });
    }
  }
}

function formVariables(form: CommandForm): string[] {
  const text = form.shell ? form.line : form.argv.join(' ');
  return [...new Set(findPlaceholders(text).found.map((p) => p.name))];
}

/** A value that would not stay data where it stands refuses the command before anyone is asked to run it. */
function refuseUnsafeValues(ctx: EngineContext, form: CommandForm): void {
  try {
    expandForm(form, lookupOf(ctx.vars));
  } catch (e) {
    if (e instanceof UnsafeValueError) throw new InvalidVariableError(e.message, e.hint);
    if (!(e instanceof MissingVariableError)) throw e;
  }
}

function display(ctx: EngineContext, form: CommandForm): string {
  return ctx.redact(displayForm(form, lookupOf(ctx.vars), (n) => ctx.vars.get(n)?.secret ?? false));
}

/** A variable a command reads from its environment ($IRM_VAR_NAME), with the value it will get, as shown. */
export interface EnvShown {
  name: string;
  value: string;
}

/** The IRM_VAR_<NAME> a command line reads ($IRM_VAR_X or \${IRM_VAR_X}), each with its value: secrets masked. */
function envShown(ctx: EngineContext, command: string): EnvShown[] {
  const out: EnvShown[] = [];
  for (const m of command.matchAll(/\$\{?(IRM_VAR_[A-Z0-9_]+)/g)) {
    const name = m[1]!;
    if (out.some((e) => e.name === name)) continue;
    const v = [...ctx.vars.values()].find((x) => envName(x.name) === name);
    // As a shell would take it back (quoted where it holds spaces); a secret as its mask.
    if (v?.value !== undefined) out.push({ name, value: v.secret ? displayValue(v) : shellQuote(ctx.redact(displayValue(v))) });
  }
  return out;
}

function expandSafe(ctx: EngineContext, s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  try {
    return expandText(s, lookupOf(ctx.vars));
  } catch (e) {
    if (e instanceof MissingVariableError) return s;
    throw e;
  }
}

/** Text as shown and kept (a hint, a fix's words): its variables filled in where they have values, secrets masked. */
export function shownText(ctx: EngineContext, s: string | undefined): string | undefined {
  return s === undefined ? undefined : ctx.redact(expandSafe(ctx, s)!);
}

function hintOf(ctx: EngineContext, check: Check | undefined): string | undefined {
  return shownText(ctx, check?.hint);
}

/** What a command of this risk needs before it runs, given the mode; asks the operator where it must. */
async function decide(ctx: EngineContext, req: ConfirmRequest, state: WalkState): Promise<Decision | 'auto' | 'refused'> {
  const { mode, operator } = ctx;
  // --yes and "run all read commands" cover the checks; a fix is always confirmed on its own.
  if (req.risk === 'read' && (mode.yes || (state.autoRead && req.kind !== 'solution'))) return 'auto';
  if (operator.interactive) return operator.confirm(req);
  if (req.risk !== 'read' && mode.allow.has(req.risk)) return 'auto';
  return 'refused';
}

function refusalNote(risk: Risk): string {
  if (risk === 'read') return 'refused: no terminal to confirm on; --yes runs read commands without asking';
  return `refused: a ${risk} command needs a confirmation, and there is no terminal to ask on (--allow ${risk} permits it)`;
}

interface WalkState {
  autoRead: boolean;
  decisions: { at: string; decision: string }[];
  refused: number;
}

// ---- running one command ---------------------------------------------------------------------------

interface Runnable {
  kind: CheckOutcome['kind'];
  id: string;
  cause?: string;
  title: string;
  spec: CommandSpec;
  risk: Risk;
  timeoutMs: number;
  check?: Check;
}

async function execute(ctx: EngineContext, r: Runnable, form: CommandForm, command: string): Promise<{ result: RunResult; outcome: CheckOutcome }> {
  const stream = r.spec.stream === true;
  ctx.emit({ type: 'check-start', kind: r.kind, id: r.id, title: r.title, command, risk: r.risk, stream });
  const signal = ctx.interrupts.begin();
  const shown = stream ? new StreamRedactor(ctx.redact) : undefined;
  const show = (text: string | undefined) => {
    if (text) ctx.emit({ type: 'output', id: r.id, chunk: text });
  };
  let result: RunResult;
  try {
    result = await ctx.runner.run({
      form: expandForm(form, lookupOf(ctx.vars)),
      env: commandEnv(ctx.vars),
      timeoutMs: r.timeoutMs,
      signal,
      cwd: ctx.cwd,
      redact: ctx.redact,
      windowMs: stream ? ctx.mode.windowMs ?? DEFAULT_WINDOW_MS : undefined,
      // Only a following command is shown as it goes; others are judged and shown when done.
      ...(shown ? { onOutput: (chunk: string) => show(shown.push(chunk)) } : {}),
    });
  } finally {
    ctx.interrupts.end(signal);
  }
  show(shown?.end());
  const full = result.redactedOutput;
  const outcome: CheckOutcome = {
    kind: r.kind,
    id: r.id,
    title: r.title,
    command,
    risk: r.risk,
    verdict: 'healthy',
    exit_code: result.exitCode,
    signal: result.signal,
    duration_ms: result.durationMs,
    attempts: 1,
    reasons: [],
    warnings: [],
    output: { excerpt: excerpt(full), bytes: result.bytes, truncated: result.truncated },
    fullOutput: full,
  };
  if (r.cause) outcome.cause = r.cause;
  if (stream) outcome.stream = true;
  return { result, outcome };
}

/** Judge a finished command: could-not-run first, then the check's expectations (a solution step: its exit status). */
function verdictOf(ctx: EngineContext, r: Runnable, result: RunResult, outcome: CheckOutcome): void {
  if (result.interrupted) {
    outcome.verdict = 'interrupted';
    outcome.note = ctx.interrupts.terminatedBy ? `stopped: irm received ${ctx.interrupts.terminatedBy}` : 'stopped with Ctrl-C';
    return;
  }
  const cannot = couldNotRun(result);
  if (cannot) {
    outcome.verdict = 'error';
    outcome.error = { ...cannot, message: ctx.redact(cannot.message) };
    return;
  }
  const unavailable = (r.check?.unavailable_if ?? []).map((e) => evaluate(e, result, (x) => expandSafe(ctx, x) ?? x, undefined, ctx.redact)).find((x) => x.ok);
  if (unavailable) {
    outcome.verdict = 'error';
    const hint = hintOf(ctx, r.check);
    outcome.error = { kind: 'unavailable', message: ctx.redact(`${unavailable.wanted}: ${unavailable.got}`), ...(hint ? { hint } : {}) };
    return;
  }
  // Stopped at the end of its window, a following command is judged on what it printed meanwhile (judge() leaves its
  // exit status out: that was irm's doing).
  if (result.windowEnded) outcome.note = `followed for ${Math.round(result.durationMs / 1000)}s, then stopped`;
  const expand = (s: string) => expandSafe(ctx, s) ?? s;
  const expect = r.check ? r.check.expect : undefined;
  const j = judge(expect, r.check?.warn, result, expand, ctx.redact);
  outcome.verdict = j.verdict;
  // What was wanted may name a secret too (a says: or a contains: with a secret variable filled in).
  outcome.reasons = j.reasons.map((x) => ({ ...x, wanted: ctx.redact(x.wanted), got: ctx.redact(x.got) }));
  outcome.warnings = j.warnings.map((x) => ({ ...x, wanted: ctx.redact(x.wanted), got: ctx.redact(x.got) }));
  // The runbooks' hints read for a warning as well as a problem (log-level-quiet and api-port-setting can only warn,
  // and their hints are written for it), and say where to look next: shown for both, never for a healthy check.
  const hint = j.verdict === 'healthy' ? undefined : hintOf(ctx, r.check);
  if (hint) outcome.hint = hint;
}

/** Prepare, confirm, run (with retries) and judge one command. */
async function runOne(ctx: EngineContext, r: Runnable, state: WalkState): Promise<CheckOutcome> {
  if (ctx.interrupts.quit) throw new QuitSignal();
  const deployment = deploymentOf(ctx.vars);
  const base: CheckOutcome = { kind: r.kind, id: r.id, title: r.title, risk: r.risk, verdict: 'skipped', reasons: [], warnings: [] };
  if (r.cause) base.cause = r.cause;
  const form = selectForm(r.spec, deployment);
  if (!form) {
    const outcome = { ...base, verdict: 'not-applicable' as const, note: `no command for a ${deployment} deployment (only ${formsOf(r.spec).join(', ')})` };
    ctx.emit({ type: 'check-end', outcome });
    return outcome;
  }
  await ensureVariables(ctx, formVariables(form), r.title);
  refuseUnsafeValues(ctx, form);
  const command = display(ctx, form);
  base.command = command;
  const env = envShown(ctx, command);
  if (ctx.mode.dryRun) {
    const plan: EngineEvent = { type: 'plan', kind: r.kind, id: r.id, title: r.title, command, risk: r.risk };
    if (env.length) plan.env = env;
    if (r.cause) plan.cause = r.cause;
    if (r.spec.impact) plan.impact = expandSafe(ctx, r.spec.impact);
    if (r.risk === 'destructive') plan.confirm = expandSafe(ctx, r.spec.confirm) ?? ctx.currentRunbook;
    ctx.emit(plan);
    return { ...base, verdict: 'skipped', note: 'dry run: not executed' };
  }
  const req: ConfirmRequest = { kind: r.kind, runbookId: ctx.currentRunbook ?? '', title: r.title, command, risk: r.risk };
  if (r.cause) req.cause = r.cause;
  if (r.spec.impact) req.impact = expandSafe(ctx, r.spec.impact)!;
  if (r.risk === 'destructive') req.confirmWord = expandSafe(ctx, r.spec.confirm) ?? ctx.currentRunbook ?? 'yes';
  ctx.emit({ type: 'check-ready', kind: r.kind, id: r.id, title: r.title, command, risk: r.risk, ...(req.impact ? { impact: req.impact } : {}), ...(env.length ? { env } : {}) });
  const decision = await decide(ctx, req, state);
  if (decision === 'refused') {
    state.refused++;
    const outcome = { ...base, verdict: 'refused' as const, decision, note: refusalNote(r.risk) };
    ctx.emit({ type: 'check-end', outcome });
    return outcome;
  }
  if (decision !== 'auto') state.decisions.push({ at: r.id, decision });
  if (decision === 'run-all-read') state.autoRead = true;
  if (decision === 'quit') throw new QuitSignal();
  if (decision === 'skip' || decision === 'skip-cause') {
    const outcome = { ...base, verdict: 'skipped' as const, decision, note: decision === 'skip' ? 'skipped by the operator' : 'skipped with the rest of its cause' };
    ctx.emit({ type: 'check-end', outcome });
    return outcome;
  }
  const retry = r.check?.retry;
  // Between attempts: a wait that ends early when irm is being ended (SIGTERM, SIGHUP), so that it ends promptly.
  const sleep =
    ctx.sleep ??
    ((ms: number) =>
      new Promise<void>((res) => {
        const ending = ctx.interrupts.ending;
        const done = () => {
          clearTimeout(timer);
          ending.removeEventListener('abort', done);
          res();
        };
        const timer = setTimeout(done, ms);
        ending.addEventListener('abort', done, { once: true });
      }));
  // A diagnosis has set the budget at its start; a command run on its own starts it here.
  if (ctx.mode.waitHealthyMs !== undefined) ctx.waitHealthyUntil ??= Date.now() + ctx.mode.waitHealthyMs;
  const deadline = r.kind === 'check' ? ctx.waitHealthyUntil : undefined;
  let attempts = 0;
  for (;;) {
    attempts++;
    const { result, outcome } = await execute(ctx, r, form, command);
    verdictOf(ctx, r, result, outcome);
    outcome.decision = decision;
    outcome.attempts = attempts;
    const failed = outcome.verdict === 'problem' || outcome.verdict === 'error';
    const again = failed && !ctx.interrupts.quit && outcome.verdict !== 'interrupted' &&
      ((retry && attempts <= retry.count) || (deadline !== undefined && Date.now() < deadline));
    if (!again) {
      ctx.emit({ type: 'check-end', outcome });
      return outcome;
    }
    ctx.emit({ type: 'note', message: `${r.title}: ${outcome.verdict}; trying again (attempt ${attempts + 1})` });
    await sleep(retryDelayOf(r.check));
    // Quit (or ended by a signal) while waiting: the last attempt's verdict stands; nothing more starts.
    if (ctx.interrupts.quit) {
      ctx.emit({ type: 'check-end', outcome });
      return outcome;
    }
  }
}

class QuitSignal extends Error {}

// ---- the diagnosis ----------------------------------------------------------------------------------

function timeoutOf(spec: CommandSpec, runbook: Runbook | undefined): number {
  if (spec.timeout !== undefined) return parseDuration(spec.timeout);
  if (runbook?.timeout !== undefined) return parseDuration(runbook.timeout);
  return DEFAULT_TIMEOUT_MS;
}

function retryDelayOf(check: Check | undefined): number {
  return check?.retry?.delay !== undefined ? parseDuration(check.retry.delay) : 2000;
}

/**
 * The longest a check may take: each attempt until its timeout (a following command until its window, which it
 * surely lasts), and the waits between retries. --wait-healthy is left out: it is one budget for the whole run.
 */
export function longestRun(check: Check, runbook: Runbook, mode: Mode): number {
  const timeout = timeoutOf(check, runbook);
  const attempt = check.stream === true ? Math.min(mode.windowMs ?? DEFAULT_WINDOW_MS, timeout) : timeout;
  const retries = check.retry?.count ?? 0;
  return attempt * (retries + 1) + retries * retryDelayOf(check);
}

/** Why a check cannot run yet: a check it needs is not healthy (or has not run). */
export function blockedBy(check: Check, outcomes: Map<string, CheckOutcome>): string | undefined {
  for (const n of check.needs ?? []) {
    const o = outcomes.get(n);
    if (!o) return `needs "${n}", which has not run`;
    if (o.verdict !== 'healthy' && o.verdict !== 'warning') return `needs "${o.title}" (${n}), which ${NEEDED_VERDICT[o.verdict]}`;
  }
  return undefined;
}

/** What became of a needed check, after "which": "found a problem", "could not run". */
const NEEDED_VERDICT: Record<Exclude<Verdict, 'healthy' | 'warning'>, string> = {
  problem: 'found a problem',
  error: 'could not run',
  skipped: 'was skipped',
  blocked: 'is blocked itself',
  refused: 'was refused',
  interrupted: 'was interrupted',
  'not-applicable': 'does not apply here',
};

function causeStatus(outcomes: CheckOutcome[]): CauseStatus {
  const relevant = outcomes.filter((o) => o.verdict !== 'not-applicable');
  if (relevant.some((o) => o.verdict === 'problem')) return 'confirmed';
  if (relevant.length && relevant.every((o) => o.verdict === 'healthy' || o.verdict === 'warning')) return 'ruled-out';
  return 'unknown';
}

function evidence(o: CheckOutcome): string {
  const what = `${o.title}: `;
  switch (o.verdict) {
    case 'problem': {
      const r = o.reasons.find((x) => !x.ok)!;
      return `${what}problem: expected ${r.wanted}, got: ${r.got}`;
    }
    case 'warning': {
      const r = o.warnings.find((x) => !x.ok)!;
      return `${what}warning: expected ${r.wanted}, got: ${r.got}`;
    }
    case 'healthy':
      return `${what}healthy${o.reasons.length ? ` (${o.reasons.map((x) => x.got).filter((g) => g && g !== 'no output').slice(-1)[0] ?? o.reasons[0]!.wanted})` : ''}`;
    case 'error':
      return `${what}could not run: ${o.error!.message}`;
    default:
      return `${what}${o.verdict}${o.note ? ` (${o.note})` : ''}`;
  }
}

function applyBranch(ctx: EngineContext, b: Branch | undefined, queue: string[], skipped: Set<string>, done: Set<string>): string | undefined {
  if (!b) return undefined;
  // The runbook's word to the operator on taking this branch ("fix this first"), with its variables filled in.
  if (b.note) ctx.emit({ type: 'note', message: ctx.redact(expandSafe(ctx, b.note) ?? b.note) });
  for (const s of b.skip ?? []) skipped.add(s);
  if (b.goto && !done.has(b.goto)) {
    const i = queue.indexOf(b.goto);
    if (i > 0) queue.splice(0, 0, ...queue.splice(i, 1));
    skipped.delete(b.goto);
  }
  return b.end;
}

/** Walk a runbook with the operator and return the diagnosis. */
export async function diagnose(runbook: Runbook, ctx: EngineContext): Promise<Diagnosis> {
  ctx.currentRunbook = runbook.id;
  // --wait-healthy's time counts from the start of the run.
  if (ctx.mode.waitHealthyMs !== undefined) ctx.waitHealthyUntil ??= Date.now() + ctx.mode.waitHealthyMs;
  const deployment = deploymentOf(ctx.vars);
  const state: WalkState = { autoRead: false, decisions: [], refused: 0 };
  const diagnosis: Diagnosis = {
    runbook: runbook.id,
    title: runbook.title,
    deployment,
    symptoms: runbook.symptoms,
    answers: [],
    preflight: [],
    causes: [],
    confirmed: [],
    decisions: state.decisions,
    interrupted: false,
    refused: 0,
    dry_run: ctx.mode.dryRun,
  };
  ctx.emit({ type: 'start', runbook, deployment });
  const queue = runbook.causes.map((c) => c.id);
  const skipped = new Set<string>();
  const done = new Set<string>();
  const results = new Map<string, CauseResult>();
  const outcomesById = new Map<string, CheckOutcome>();
  let ended: string | undefined;
  try {
    if (!ctx.mode.dryRun) {
      for (const q of runbook.questions ?? []) {
        if (ended) break;
        const answerId = ctx.operator.interactive ? await ctx.operator.answer(q) : undefined;
        const answer = q.answers.find((a) => a.id === answerId);
        const rec: Diagnosis['answers'][number] = { question: q.id, ask: q.ask };
        if (answer) {
          rec.answer = answer.id;
          rec.label = answer.label;
        }
        diagnosis.answers.push(rec);
        ctx.emit({ type: 'answer', question: q, ...(answer ? { answer: answer.label } : {}) });
        ended = applyBranch(ctx, answer?.then, queue, skipped, done);
      }
    }
    if (runbook.preflight?.length && !ctx.mode.dryRun) ctx.emit({ type: 'note', message: 'Preflight: what must hold before any cause can be judged' });
    for (const check of runbook.preflight ?? []) {
      if (ended) break;
      // A dry run plans every command: nothing ran, so nothing blocks.
      const blocker = ctx.mode.dryRun ? undefined : blockedBy(check, outcomesById);
      const outcome: CheckOutcome = blocker
        ? { kind: 'check', id: check.id, title: check.title, risk: check.risk ?? 'read', verdict: 'blocked', reasons: [], warnings: [], note: blocker }
        : await runOne(ctx, { kind: 'check', id: check.id, title: check.title, spec: check, risk: check.risk ?? 'read', timeoutMs: timeoutOf(check, runbook), check }, state);
      if (blocker) ctx.emit({ type: 'check-end', outcome });
      outcomesById.set(check.id, outcome);
      diagnosis.preflight.push(outcome);
      if (ctx.interrupts.quit) throw new QuitSignal();
      if (outcome.verdict === 'problem') ended = applyBranch(ctx, check.on_problem, queue, skipped, done) ?? ended;
      if (outcome.verdict === 'healthy') ended = applyBranch(ctx, check.on_healthy, queue, skipped, done) ?? ended;
    }
    let index = 0;
    while (queue.length && !ended) {
      const id = queue.shift()!;
      const cause = runbook.causes.find((c) => c.id === id)!;
      done.add(id);
      const result: CauseResult = { id, title: cause.title, status: 'unknown', evidence: [], checks: [], solution: [] };
      if (cause.manual_check) result.manual_check = cause.manual_check;
      results.set(id, result);
      if (skipped.has(id)) {
        result.status = 'skipped';
        result.evidence.push('skipped: an answer or a verdict made it moot');
        ctx.emit({ type: 'cause-end', result });
        continue;
      }
      ctx.emit({ type: 'cause', cause, index: index++, total: runbook.causes.length });
      let skipRest = false;
      for (const check of cause.checks) {
        let outcome: CheckOutcome;
        const blocker = ctx.mode.dryRun ? undefined : blockedBy(check, outcomesById);
        if (skipRest) {
          outcome = { kind: 'check', id: check.id, cause: id, title: check.title, risk: check.risk ?? 'read', verdict: 'skipped', reasons: [], warnings: [], note: 'skipped with the rest of its cause' };
          ctx.emit({ type: 'check-end', outcome });
        } else if (blocker) {
          outcome = { kind: 'check', id: check.id, cause: id, title: check.title, risk: check.risk ?? 'read', verdict: 'blocked', reasons: [], warnings: [], note: blocker };
          ctx.emit({ type: 'check-end', outcome });
        } else {
          outcome = await runOne(ctx, { kind: 'check', id: check.id, cause: id, title: check.title, spec: check, risk: check.risk ?? 'read', timeoutMs: timeoutOf(check, runbook), check }, state);
          if (outcome.decision === 'skip-cause') skipRest = true;
        }
        outcomesById.set(check.id, outcome);
        result.checks.push(outcome);
        result.evidence.push(evidence(outcome));
        if (ctx.interrupts.quit) throw new QuitSignal();
        if (outcome.verdict === 'problem') ended = applyBranch(ctx, check.on_problem, queue, skipped, done) ?? ended;
        if (outcome.verdict === 'healthy') ended = applyBranch(ctx, check.on_healthy, queue, skipped, done) ?? ended;
        if (ended) break;
      }
      result.status = ctx.mode.dryRun ? 'unknown' : causeStatus(result.checks);
      result.solution = cause.solution.map((s) => solutionView(ctx, s));
      ctx.emit({ type: 'cause-end', result });
    }
    // Causes never reached (the diagnosis ended early) are listed as unknown.
    for (const c of runbook.causes) {
      if (!results.has(c.id)) results.set(c.id, { id: c.id, title: c.title, status: skipped.has(c.id) ? 'skipped' : 'unknown', evidence: [ended ? 'not checked: the diagnosis ended before it' : 'not checked'], checks: [], solution: c.solution.map((s) => solutionView(ctx, s)) });
    }
    diagnosis.causes = runbook.causes.map((c) => results.get(c.id)!);
    diagnosis.confirmed = diagnosis.causes.filter((c) => c.status === 'confirmed').map((c) => c.id);
    if (ended) diagnosis.conclusion = ended;
    if (ctx.mode.dryRun) planSolutions(ctx, runbook);
    else await offerSolutions(ctx, runbook, diagnosis, state);
  } catch (e) {
    if (!(e instanceof QuitSignal) && !(e instanceof InterruptedError)) throw e;
    diagnosis.interrupted = true;
    for (const c of runbook.causes) if (!results.has(c.id)) results.set(c.id, { id: c.id, title: c.title, status: 'unknown', evidence: ['not checked: the operator quit'], checks: [], solution: c.solution.map((s) => solutionView(ctx, s)) });
    for (const r of results.values()) if (r.status === 'unknown' && r.checks.length) r.status = causeStatus(r.checks);
    diagnosis.causes = runbook.causes.map((c) => results.get(c.id)!);
    diagnosis.confirmed = diagnosis.causes.filter((c) => c.status === 'confirmed').map((c) => c.id);
    state.decisions.push({ at: 'diagnosis', decision: 'quit' });
  }
  // One Ctrl-C stops a command and the walk goes on, but that check gave no evidence: the diagnosis is incomplete.
  const solutions = diagnosis.causes.flatMap((c) => c.solution.map((x) => x.outcome));
  if ([...diagnosis.preflight, ...diagnosis.causes.flatMap((c) => c.checks), ...solutions].some((o) => o?.verdict === 'interrupted')) diagnosis.interrupted = true;
  diagnosis.refused = state.refused;
  ctx.emit({ type: 'diagnosis', diagnosis });
  return diagnosis;
}

function solutionView(ctx: EngineContext, s: Step): CauseResult['solution'][number] {
  const v: CauseResult['solution'][number] = { title: shownText(ctx, s.title ?? s.text) ?? '' };
  if (s.title && s.text) v.text = shownText(ctx, s.text);
  if (s.run !== undefined || s.argv !== undefined) {
    const form = selectForm(s, deploymentOf(ctx.vars));
    if (form) v.command = display(ctx, form);
    v.risk = s.risk ?? 'change';
    if (s.impact) v.impact = shownText(ctx, s.impact);
  }
  return v;
}

/** Whether a fix has commands to offer or plan, not only words. */
function hasCommands(cause: Cause): boolean {
  return cause.solution.some((s) => s.run !== undefined || s.argv !== undefined);
}

function planSolutions(ctx: EngineContext, runbook: Runbook): void {
  for (const cause of runbook.causes) {
    if (hasCommands(cause)) ctx.emit({ type: 'fixes', cause });
    for (const [i, s] of cause.solution.entries()) {
      if (s.run === undefined && s.argv === undefined) continue;
      const r: Runnable = { kind: 'solution', id: `${cause.id}.solution.${i}`, cause: cause.id, title: s.title ?? s.text ?? 'solution', spec: s, risk: s.risk ?? 'change', timeoutMs: timeoutOf(s, runbook) };
      const form = selectForm(s, deploymentOf(ctx.vars));
      if (!form) {
        ctx.emit({ type: 'plan', kind: 'solution', cause: cause.id, id: r.id, title: r.title, risk: r.risk, note: 'no command for this deployment' });
        continue;
      }
      // A dry run plans without asking for values: a missing one shows as its placeholder.
      const plan: EngineEvent = { type: 'plan', kind: 'solution', cause: cause.id, id: r.id, title: r.title, command: display(ctx, form), risk: r.risk };
      if (s.impact) plan.impact = expandSafe(ctx, s.impact);
      if (r.risk === 'destructive') plan.confirm = expandSafe(ctx, s.confirm) ?? runbook.id;
      ctx.emit(plan);
    }
  }
}

async function offerSolutions(ctx: EngineContext, runbook: Runbook, diagnosis: Diagnosis, state: WalkState): Promise<void> {
  if (ctx.mode.noFixes || (!ctx.operator.interactive && !ctx.mode.fix)) return;
  for (const result of diagnosis.causes.filter((c) => c.status === 'confirmed')) {
    const cause = runbook.causes.find((c) => c.id === result.id)!;
    if (hasCommands(cause)) ctx.emit({ type: 'fixes', cause });
    for (const [i, s] of cause.solution.entries()) {
      if (s.run === undefined && s.argv === undefined) continue;
      const r: Runnable = { kind: 'solution', id: `${cause.id}.solution.${i}`, cause: cause.id, title: s.title ?? s.text ?? 'solution', spec: s, risk: s.risk ?? 'change', timeoutMs: timeoutOf(s, runbook) };
      result.solution[i]!.outcome = await runOne(ctx, r, state);
      if (ctx.interrupts.quit) throw new QuitSignal();
    }
  }
}

/** One check on its own (irm check): no prompts; a missing variable is this check's error, not the whole run's. */
export async function runCheck(ctx: EngineContext, runbook: Runbook, causeId: string | undefined, check: Check): Promise<CheckOutcome> {
  ctx.currentRunbook = runbook.id;
  const state: WalkState = { autoRead: false, decisions: [], refused: 0 };
  const base = { kind: 'check' as const, id: check.id, title: check.title, risk: check.risk ?? 'read', reasons: [], warnings: [], ...(causeId ? { cause: causeId } : {}) };
  try {
    return await runOne(ctx, { ...base, spec: check, timeoutMs: timeoutOf(check, runbook), check }, state);
  } catch (e) {
    if (e instanceof QuitSignal) return { ...base, verdict: 'interrupted', note: 'not run: interrupted' };
    if (e instanceof UsageError) return { ...base, verdict: 'error', error: { kind: e instanceof InvalidVariableError ? 'invalid-variable' : 'missing-variable', message: e.message, ...(e.hint ? { hint: e.hint } : {}) } };
    throw e;
  }
}

/** Never asks: for scripts, cron and CI. */
export const scriptedOperator: Operator = {
  interactive: false,
  answer: async () => undefined,
  confirm: async () => 'skip',
  variable: async () => undefined,
};

/** Run one command outside a diagnosis (the quick reference), with the same confirmations. */
export async function runCommand(ctx: EngineContext, item: { id: string; title: string; spec: CommandSpec; runbookId: string }): Promise<CheckOutcome> {
  ctx.currentRunbook = item.runbookId;
  const state: WalkState = { autoRead: false, decisions: [], refused: 0 };
  try {
    return await runOne(ctx, { kind: 'quick', id: item.id, title: item.title, spec: item.spec, risk: item.spec.risk ?? 'read', timeoutMs: timeoutOf(item.spec, undefined) }, state);
  } catch (e) {
    if (e instanceof QuitSignal) return { kind: 'quick', id: item.id, title: item.title, risk: item.spec.risk ?? 'read', verdict: 'interrupted', reasons: [], warnings: [], note: 'quit' };
    throw e;
  }
}

