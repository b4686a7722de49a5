// irm triage: the manual's five-step procedure, walked with the operator, every step kept on the incident record.
// Knows no terminal: it asks through a TriageAsk and runs commands through the engine like irm run.
import type { Context } from '../context.js';
import { diagnose, runCheck, runCommand, shownText, type CheckOutcome, type EngineContext, type EngineEvent, type Interrupts, type Operator } from '../engine/engine.js';
import { session, type RunOptions } from '../commands/run.js';
import { check as checkAll } from '../commands/check.js';
import { classify, contacts, findSeverity, tokens } from '../commands/reference.js';
import { incidentStore, nowOf, tell } from '../commands/incident.js';
import type { IncidentStore } from './store.js';
import { currentStep, retitle, type DetectedBy, type Incident, type NewEvent } from './model.js';
import type { Runbook, Step } from '../model/schema.js';
import { InterruptedError, UsageError } from '../errors.js';
import { checkSetNames, parseSets, variableScope } from '../load/variables.js';
import { formatDuration, parseDuration } from '../util/duration.js';

export interface Choice<T> {
  name: string;
  value: T;
}

/** The questions triage asks; the terminal implementation is in views/prompts.ts. */
export interface TriageAsk {
  select<T>(message: string, choices: Choice<T>[], fallback?: T): Promise<T>;
  checkbox<T>(message: string, choices: Choice<T>[]): Promise<T[]>;
  input(message: string, fallback?: string): Promise<string>;
}

export interface TriageOptions extends RunOptions {
  severity?: string;
  title?: string;
  symptom?: string[];
  runbook?: string;
  detectedBy?: string;
  /** Stop after this step (for scripted use). */
  until?: number;
}

export interface TriageIO {
  operator: Operator;
  ask: TriageAsk;
  emit: (e: EngineEvent) => void;
  /** A line for the operator (the view prints it; JSON mode sends it to stderr). */
  say: (text: string, style?: 'heading' | 'dim' | 'warn' | 'good') => void;
  interrupts: Interrupts;
}

export interface TriageResult {
  incident: string;
  title: string;
  severity: string;
  status: string;
  step: number;
  stopped: string | null;
  confirmed: { runbook: string; cause: string; title: string }[];
  exit_code: number;
}

/** Runbooks ranked by how many of the incident's symptom words their symptoms and title share. */
export function rankRunbooks(runbooks: Runbook[], symptoms: string[]): { id: string; title: string; score: number; matched: string[] }[] {
  const want = new Set(symptoms.flatMap(tokens));
  return runbooks
    .map((rb) => {
      const exact = rb.symptoms.filter((s) => symptoms.some((x) => x.toLowerCase() === s.toLowerCase()));
      const words = new Set([...rb.symptoms, rb.title].flatMap(tokens));
      const shared = [...want].filter((w) => words.has(w));
      return { id: rb.id, title: rb.title, score: exact.length * 3 + shared.length, matched: exact.length ? exact : shared };
    })
    .sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
}

/** Record what the engine reports, then pass it on to the view. */
/**
 * Every variable the manual or a runbook declares: triage runs the manual's commands and several runbooks in one
 * command, so a --set for one runbook's variable is not unknown to the others (as with irm check --all).
 */
function scopeOf(ctx: Context): ReadonlySet<string> {
  let scope = scopes.get(ctx);
  if (!scope) scopes.set(ctx, (scope = variableScope(ctx.catalog(), ctx.catalog().runbooks.map((e) => e.runbook))));
  return scope;
}
const scopes = new WeakMap<Context, ReadonlySet<string>>();

/** A --set name nothing declares stops triage before it records anything, not half-way through a step. */
function checkSets(ctx: Context): void {
  checkSetNames(parseSets(ctx.options.set), scopeOf(ctx), { hint: 'see the variables with: irm config' });
}

function recorder(store: IncidentStore, id: string, runbook: string | undefined, emit: (e: EngineEvent) => void) {
  return (e: EngineEvent) => {
    if (e.type === 'check-end') {
      const o = e.outcome;
      const ev: NewEvent = { type: 'command', check: o.id, title: o.title, risk: o.risk, verdict: o.verdict, kind: o.kind };
      if (runbook) ev.runbook = runbook;
      if (o.command) ev.command = o.command;
      if (o.exit_code !== undefined) ev.exit_code = o.exit_code;
      if (o.duration_ms !== undefined) ev.duration_ms = o.duration_ms;
      if (o.output?.excerpt) ev.excerpt = o.output.excerpt.slice(-1000);
      const why = o.error?.message ?? o.reasons.find((r) => !r.ok)?.got ?? o.note;
      if (why) ev.note = why;
      store.append(id, [ev]);
    } else if (e.type === 'diagnosis' && !e.diagnosis.dry_run) {
      const d = e.diagnosis;
      const ev: NewEvent = { type: 'diagnosis', runbook: d.runbook, confirmed: d.confirmed, causes: d.causes.map((c) => ({ id: c.id, title: c.title, status: c.status })) };
      if (d.conclusion) ev.conclusion = d.conclusion;
      store.append(id, [ev]);
    }
    emit(e);
  };
}

/**
 * A title or a symptom is one line: it is a Jira summary (which refuses line breaks), a post-mortem heading and a
 * Mermaid title, where a newline would inject a heading of its own. Refused rather than folded, so that what the
 * record keeps is what the operator typed.
 */
function oneLine(what: string, text: string | undefined): void {
  if (text !== undefined && /[\u0000-\u001f\u007f\u2028\u2029]/.test(text)) {
    throw new UsageError(`${what} must be one line of text: it holds a line break or a control character`, `for example: --title "Orders stuck after deploy"; put details in irm incident note`);
  }
}

const STEP_TITLES: Record<number, string> = {};

/** Steps 4 and 5 ask which fix was applied and whether to resolve: they need a terminal to ask on. */
const FIRST_STEP_NEEDING_A_TERMINAL = 4;

/** --until is a step, 1 to 5; anything else is a usage error before anything is recorded. */
function checkUntil(until: number | undefined): void {
  if (until === undefined) return;
  if (!Number.isInteger(until) || until < 1 || until > 5) throw new UsageError(`--until takes a step from 1 to 5, got "${String(until)}"`, 'for example: --until 3 stops after the investigation');
}

/** When several exit codes apply, the first of 129, 143, 130, 4, 1 wins (README, exit codes). */
export function worstExit(a: number, b: number): number {
  for (const code of [129, 143, 130, 4, 1]) if (a === code || b === code) return code;
  return Math.max(a, b);
}

export async function triage(ctx: Context, opts: TriageOptions, io: TriageIO): Promise<TriageResult> {
  checkSets(ctx);
  checkUntil(opts.until);
  const catalog = ctx.catalog();
  const manual = catalog.manual;
  for (const s of manual.procedure) STEP_TITLES[s.step] = s.title;
  const store = incidentStore(ctx);
  const interactive = io.operator.interactive;
  const now = nowOf(ctx.io.env);

  // ---- Step 1: detection and assessment ------------------------------------------------------
  oneLine('--title', opts.title);
  for (const x of opts.symptom ?? []) oneLine('--symptom', x);
  io.say(`Step 1: ${STEP_TITLES[1]} (0-5 minutes)`, 'heading');
  const answers: NewEvent[] = [];
  let detectedBy = opts.detectedBy as DetectedBy | undefined;
  if (detectedBy && !['alert', 'user', 'system'].includes(detectedBy)) throw new UsageError(`--detected-by takes alert, user or system, got "${detectedBy}"`);
  if (!detectedBy) {
    detectedBy = interactive
      ? await io.ask.select<DetectedBy>('How was it detected?', [
          { name: 'Alert received from monitoring', value: 'alert' },
          { name: 'User report', value: 'user' },
          { name: 'Automated health check failure', value: 'system' },
        ])
      : 'alert';
  }
  let symptoms = opts.symptom ?? [];
  if (!symptoms.length && interactive) {
    const all = [...new Set(catalog.runbooks.flatMap((r) => r.runbook.symptoms))];
    symptoms = await io.ask.checkbox('What do you see? (space selects, enter goes on)', all.map((s) => ({ name: s, value: s })));
    const typed = (await io.ask.input('Anything else, in your words (enter to skip):')).trim();
    if (typed) symptoms.push(typed);
  }
  // A record, a page and a ticket called "[P0] Incident" tell nobody anything: without a terminal to ask on, the
  // description comes from the flags, whether or not --severity is given.
  if (!interactive && !symptoms.length && !opts.title?.trim()) throw new UsageError('without a terminal, triage needs --severity and --title or --symptom', 'for example: irm triage --severity P1 --symptom "Slow query responses"');
  let severity = opts.severity?.toUpperCase();
  if (severity) findSeverity(manual, severity);
  else if (interactive) {
    const examples = manual.severities.flatMap((s) => s.examples.map((ex) => ({ name: `${ex} (${s.level})`, value: s.level })));
    const picked = await io.ask.checkbox('Which of these is happening? (none is fine)', examples);
    let proposed: string | undefined = picked.sort()[0];
    if (!proposed && symptoms.length) {
      const ranked = classify(ctx, symptoms.join('. '));
      if (ranked[0]!.score > 0) {
        // Unsure between two close levels: propose the higher.
        const close = ranked.filter((r) => r.score >= 0.75).map((r) => r.level).sort();
        proposed = close[0];
      }
    }
    proposed ??= 'P3';
    const levels = manual.severities.map((s) => ({ name: `${s.level} - ${s.name}: ${s.impact} (respond ${s.response_time})`, value: s.level }));
    severity = await io.ask.select(`Severity (proposed: ${proposed}${picked.length > 1 && new Set(picked).size > 1 ? ', the higher of what you picked' : ''})`, levels, proposed);
    answers.push({ type: 'answer', question: 'severity criteria', answer: picked.length ? [...new Set(picked)].join(', ') : 'none picked' });
  } else {
    const ranked = classify(ctx, [opts.title ?? '', ...symptoms].join('. '));
    severity = ranked[0]!.score > 0 ? ranked[0]!.level : 'P3';
    io.say(`No --severity: classified as ${severity} from the description.`, 'warn');
  }
  let title = opts.title?.trim();
  if (!title) {
    const fallback = symptoms[0] ?? 'Incident';
    title = interactive ? (await io.ask.input('Brief description (the ticket title):', fallback)).trim() || fallback : fallback;
  }
  oneLine('the title', title);
  title = retitle(title, severity!);
  const detected = now();
  const { id, event: created } = store.create({ type: 'created', title, severity: severity!, detected_at: detected.toISOString(), detected_by: detectedBy, symptoms, owner: store.user });
  store.append(id, [
    { type: 'step', step: 1, title: STEP_TITLES[1]!, state: 'started' },
    { type: 'answer', question: 'detected by', answer: detectedBy },
    ...answers,
    { type: 'step', step: 1, title: STEP_TITLES[1]!, state: 'completed' },
  ]);
  const sev = findSeverity(manual, severity!);
  io.say(`Incident ${id}: ${title}`, 'good');
  io.say(`${sev.level} - ${sev.name}: respond ${sev.response_time}. ${sev.response.join('; ')}.`);
  // The team hears of it now (Slack, the page, the ticket), not when triage ends; at most the notify timeout.
  await tell(ctx, id, [created]);
  return continueTriage(ctx, id, opts, io);
}

/** Continue an incident's procedure where its record says it stopped (irm resume). */
export async function continueTriage(ctx: Context, id: string, opts: TriageOptions, io: TriageIO): Promise<TriageResult> {
  checkSets(ctx);
  checkUntil(opts.until);
  const store = incidentStore(ctx);
  const catalog = ctx.catalog();
  for (const s of catalog.manual.procedure) STEP_TITLES[s.step] = s.title;
  const interactive = io.operator.interactive;
  const load = () => store.load(id).incident;
  let inc = load();
  let stopped: string | null = null;
  let exit = 0;
  let interrupted = false;
  const begin = (step: number) => {
    if (!inc.steps.find((s) => s.step === step)?.started_at) store.append(id, [{ type: 'step', step, title: STEP_TITLES[step]!, state: 'started' }]);
  };
  const complete = (step: number) => store.append(id, [{ type: 'step', step, title: STEP_TITLES[step]!, state: 'completed' }]);
  const stopAt = opts.until ?? (interactive ? 5 : 3);

  try {
    for (let step = currentStep(inc); step <= 5 && !stopped; step = currentStep(inc)) {
      if (step > stopAt) {
        const why = opts.until !== undefined ? ` (--until ${opts.until})` : interactive ? '' : ': it needs a terminal';
        stopped = `stopped before step ${step} (${STEP_TITLES[step]})${why}; continue with irm resume ${id}`;
        break;
      }
      if (!interactive && step >= FIRST_STEP_NEEDING_A_TERMINAL) {
        // --until asked for more than can be done here: the operator's answers (which fix, resolve or not) are
        // confirmations that cannot be given without a terminal, so this is a refusal (exit 4), said plainly.
        stopped = `stopped before step ${step} (${STEP_TITLES[step]}): it needs a terminal to ask on; continue with irm resume ${id} on a terminal`;
        exit = worstExit(exit, 4);
        break;
      }
      begin(step);
      const windows: Record<number, string> = { 2: '5-15 minutes', 3: '15-60 minutes', 4: 'variable time', 5: '30-60 minutes' };
      io.say(`Step ${step}: ${STEP_TITLES[step]} (${windows[step] ?? ''})`, 'heading');
      if (step === 2) await initialResponse(ctx, inc, opts, io);
      else if (step === 3) {
        const r = await investigate(ctx, inc, opts, io);
        exit = worstExit(exit, r.exit);
        if (!r.complete) {
          // Refused checks leave causes unknown: the investigation is not done, and resume runs it again.
          stopped = `the investigation is not complete: ${r.refused} command${r.refused === 1 ? ' was' : 's were'} refused without a terminal (--yes runs read commands); continue with irm resume ${id}`;
          break;
        }
      }
      else if (step === 4) {
        const ok = await resolution(ctx, inc, opts, io);
        if (!ok) {
          stopped = `the fix is not verified yet; continue with irm resume ${id}`;
          break;
        }
      } else if (step === 5) {
        if (!(await recovery(ctx, inc, opts, io))) {
          stopped = `recovery is not verified: some checks are not healthy; continue with irm resume ${id}`;
          break;
        }
      }
      complete(step);
      inc = load();
      if (io.interrupts.quit) stopped = `interrupted; continue with irm resume ${id}`;
    }
  } catch (e) {
    // A prompt answered with Ctrl-C (views/prompts.ts) throws InterruptedError: triage ends, keeping what was done.
    if (e instanceof InterruptedError || io.interrupts.quit) {
      interrupted = true;
      stopped = `interrupted; what was done is on the record, the step stays open; continue with irm resume ${id}`;
    } else throw e;
  }
  inc = load();
  if (stopped) io.say(stopped, 'warn');
  return {
    incident: id,
    title: inc.title,
    severity: inc.severity,
    status: inc.status,
    step: currentStep(inc),
    stopped,
    confirmed: inc.confirmed,
    exit_code: interrupted || io.interrupts.quit ? 130 : exit,
  };
}

async function initialResponse(ctx: Context, inc: Incident, opts: TriageOptions, io: TriageIO): Promise<void> {
  const store = incidentStore(ctx);
  if (inc.status === 'detected') await tell(ctx, inc.id, store.append(inc.id, [{ type: 'status', from: inc.status, to: 'investigating', reason: 'acknowledged' }]));
  io.say('Status: investigating.');
  const who = contacts(ctx, inc.severity);
  if (who.kind === 'severity') {
    io.say('Notify now:');
    for (const p of who.involve) io.say(`  ${p.title}: ${p.tbd ? 'TBD (set in irm.yaml)' : p.name} ${[p.phone, p.email, p.slack].filter(Boolean).join(', ')} - ${p.why}`);
    for (const c of who.channels) io.say(`  ${c.title}: ${c.address}`);
    store.append(inc.id, [
      { type: 'notification', channel: who.channels.map((c) => c.id).join(','), audience: who.involve.map((p) => p.title).join(', '), message: `Initial notification: ${inc.title}`, status: 'planned' },
    ]);
  }
  // The quick health checks: the health endpoint and services, recent logs, recent changes where irm.yaml says how.
  io.say('Quick health checks:', 'dim');
  const s = session(ctx, undefined, opts, io.operator, recorder(store, inc.id, undefined, io.emit), io.interrupts, scopeOf(ctx));
  const quick = ctx.catalog().manual.quick_reference;
  const items = [...(quick.find((g) => g.id === 'status')?.commands ?? []), ...(quick.find((g) => g.id === 'logs')?.commands ?? [])];
  s.engine.mode = { ...s.engine.mode, windowMs: Math.min(s.engine.mode.windowMs ?? 3000, 3000) };
  for (const c of items) {
    if (io.interrupts.quit) return;
    await runCommand(s.engine, { id: c.id, title: c.title, spec: c, runbookId: 'triage' });
  }
  const changes = ctx.catalog().config.config.recent_changes;
  if (changes) {
    await runCommand(s.engine, { id: 'recent-changes', title: changes.title ?? 'Recent deploys and changes', spec: { run: changes.run, risk: 'read', ...(changes.timeout ? { timeout: changes.timeout } : {}) }, runbookId: 'triage' });
  }
  // Immediate mitigations from the runbooks that match: offered with their risk, never run silently.
  // Only the runbooks that match well: a mitigation for the wrong issue is worse than none.
  const all = rankRunbooks(ctx.catalog().runbooks.map((r) => r.runbook), inc.symptoms);
  const top = all[0]?.score ?? 0;
  const ranked = all.filter((r) => r.score > 0 && r.score * 2 >= top).slice(0, 2);
  for (const r of ranked) {
    const rb = ctx.catalog().runbooks.find((x) => x.runbook.id === r.id)!.runbook;
    const mitigations = rb.mitigations ?? [];
    if (!mitigations.length) continue;
    io.say(`Immediate mitigations from ${rb.id}:`, 'dim');
    const ms = session(ctx, rb, opts, io.operator, recorder(store, inc.id, rb.id, io.emit), io.interrupts, scopeOf(ctx));
    for (const [i, m] of mitigations.entries()) {
      if (m.run === undefined && m.argv === undefined) {
        io.say(`  - ${m.title ?? m.text}`);
        continue;
      }
      if (!io.operator.interactive) {
        io.say(`  - [${m.risk}] ${m.title ?? m.text} (offered on a terminal: irm resume)`);
        continue;
      }
      await runCommand(ms.engine, { id: `${rb.id}.mitigation.${i}`, title: m.title ?? m.text ?? 'mitigation', spec: { ...m, risk: m.risk ?? 'change' }, runbookId: rb.id });
    }
  }
}

/** Step 3. Complete only when the diagnosis ran through: an interrupted one throws, a refused one is not complete. */
async function investigate(ctx: Context, inc: Incident, opts: TriageOptions, io: TriageIO): Promise<{ exit: number; complete: boolean; refused: number }> {
  const store = incidentStore(ctx);
  const runbooks = ctx.catalog().runbooks.map((r) => r.runbook);
  const ranked = rankRunbooks(runbooks, inc.symptoms);
  let chosen = opts.runbook;
  if (chosen) ctx.runbook(chosen);
  else if (io.operator.interactive) {
    chosen = await io.ask.select(
      'Which runbook? (ranked by how well it matches the symptoms)',
      ranked.map((r) => ({ name: `${r.id} - ${r.title}${r.score ? ` (matches: ${r.matched.join(', ')})` : ''}`, value: r.id }))
    );
  } else {
    if (!ranked[0] || ranked[0].score === 0) throw new UsageError('no runbook matches the symptoms', 'name one with --runbook');
    chosen = ranked[0].id;
  }
  io.say(`Runbook: ${chosen}`, 'dim');
  const entry = ctx.runbook(chosen);
  const s = session(ctx, entry.runbook, opts, io.operator, recorder(store, inc.id, chosen, io.emit), io.interrupts, scopeOf(ctx));
  // The fixes come in step 4, after the findings and the hypothesis are on the record.
  s.engine.mode = { ...s.engine.mode, noFixes: true };
  const d = await diagnose(entry.runbook, s.engine);
  // The diagnosis (on the record) says what was done; Ctrl-C or "quit" ends triage here, as a prompt's Ctrl-C does.
  if (d.interrupted || io.interrupts.quit) throw new InterruptedError('the diagnosis was interrupted');
  if (io.operator.interactive) {
    const finding = (await io.ask.input('Findings to record (enter to skip):')).trim();
    if (finding) store.append(inc.id, [{ type: 'note', kind: 'finding', text: finding }]);
    const hypothesis = (await io.ask.input('Your hypothesis of the root cause (enter to skip):', d.confirmed.length ? d.causes.find((c) => c.status === 'confirmed')!.title : '')).trim();
    if (hypothesis) store.append(inc.id, [{ type: 'note', kind: 'hypothesis', text: hypothesis }]);
  }
  if (d.confirmed.length && inc.status === 'investigating') await tell(ctx, inc.id, store.append(inc.id, [{ type: 'status', from: 'investigating', to: 'identified', reason: `confirmed: ${d.confirmed.join(', ')}` }]));
  return { exit: d.refused ? 4 : d.confirmed.length ? 1 : 0, complete: !d.refused, refused: d.refused };
}

/** The checks of the record's diagnoses that found problems, run again: all must now be healthy. */
async function verify(ctx: Context, inc: Incident, opts: TriageOptions, io: TriageIO): Promise<CheckOutcome[]> {
  const store = incidentStore(ctx);
  const failed = new Map<string, Set<string>>();
  for (const e of inc.events) {
    if (e.type !== 'command' || e.kind !== 'check' || !e.runbook) continue;
    const set = failed.get(e.runbook) ?? new Set<string>();
    if (e.verdict === 'problem' || e.verdict === 'error') set.add(e.check);
    failed.set(e.runbook, set);
  }
  const outcomes: CheckOutcome[] = [];
  for (const [runbookId, checks] of failed) {
    if (!checks.size) continue;
    const entry = ctx.runbook(runbookId);
    const s = session(ctx, entry.runbook, { ...opts, yes: true }, io.operator, recorder(store, inc.id, runbookId, io.emit), io.interrupts, scopeOf(ctx));
    for (const cause of entry.runbook.causes) {
      for (const chk of cause.checks.filter((k) => checks.has(k.id))) outcomes.push(await runCheck(s.engine, entry.runbook, cause.id, chk));
    }
  }
  return outcomes;
}

async function resolution(ctx: Context, inc: Incident, opts: TriageOptions, io: TriageIO): Promise<boolean> {
  const store = incidentStore(ctx);
  const catalog = ctx.catalog();
  type Fix = { kind: 'step'; runbook: string; cause: string; index: number } | { kind: 'typed' } | { kind: 'none' };
  const choices: Choice<Fix>[] = [];
  // A fix's words as the diagnosis showed them: ${{ env_file }} as its value, secrets masked.
  const shown = new Map<string, EngineContext>();
  const words = (rb: Runbook, s: Step) => {
    if (!shown.has(rb.id)) shown.set(rb.id, session(ctx, rb, opts, io.operator, () => {}, io.interrupts, scopeOf(ctx)).engine);
    return shownText(shown.get(rb.id)!, s.title ?? s.text) ?? '';
  };
  for (const c of inc.confirmed) {
    const rb = catalog.runbooks.find((r) => r.runbook.id === c.runbook)?.runbook;
    const cause = rb?.causes.find((x) => x.id === c.cause);
    cause?.solution.forEach((s, i) => {
      const label = words(rb!, s);
      choices.push({ name: `${c.title}: ${label}${s.run !== undefined || s.argv !== undefined ? ` [${s.risk ?? 'change'}]` : ''}`, value: { kind: 'step', runbook: c.runbook, cause: c.cause, index: i } });
    });
  }
  choices.push({ name: 'Something else (type it)', value: { kind: 'typed' } });
  choices.push({ name: 'Nothing more: verify now', value: { kind: 'none' } });
  for (;;) {
    const fix = await io.ask.select('Which fix did you apply, or shall irm run?', choices, choices[0]!.value);
    if (fix.kind === 'none') break;
    if (fix.kind === 'typed') {
      const text = (await io.ask.input('What was done:')).trim();
      if (text) store.append(inc.id, [{ type: 'note', kind: 'fix', text }]);
      continue;
    }
    const rb = catalog.runbooks.find((r) => r.runbook.id === fix.runbook)!.runbook;
    const step = rb.causes.find((c) => c.id === fix.cause)!.solution[fix.index]!;
    const title = words(rb, step) || 'fix';
    if (step.run === undefined && step.argv === undefined) {
      store.append(inc.id, [{ type: 'note', kind: 'fix', text: title }]);
      continue;
    }
    const s = session(ctx, rb, opts, io.operator, recorder(store, inc.id, rb.id, io.emit), io.interrupts, scopeOf(ctx));
    const outcome = await runCommand(s.engine, { id: `${fix.cause}.solution.${fix.index}`, title, spec: { ...step, risk: step.risk ?? 'change' }, runbookId: rb.id });
    if (outcome.verdict === 'healthy') store.append(inc.id, [{ type: 'note', kind: 'fix', text: `${title} (ran: ${outcome.command})` }]);
  }
  io.say('Verifying: the checks that found problems, run again.', 'dim');
  const outcomes = await verify(ctx, store.load(inc.id).incident, opts, io);
  const bad = outcomes.filter((o) => o.verdict !== 'healthy' && o.verdict !== 'warning');
  if (bad.length) {
    io.say(`${bad.length} check${bad.length === 1 ? ' is' : 's are'} still not healthy: ${bad.map((o) => o.title).join(', ')}`, 'warn');
    return false;
  }
  io.say(outcomes.length ? 'Every check that found a problem is healthy now.' : 'No check had found a problem.', 'good');
  if (inc.status !== 'mitigated' && inc.status !== 'monitoring') await tell(ctx, inc.id, store.append(inc.id, [{ type: 'status', from: store.load(inc.id).incident.status, to: 'monitoring', reason: 'fix verified' }]));
  return true;
}

/** Step 5: every read check of the runbooks involved, then resolved; false when the operator keeps it open. */
async function recovery(ctx: Context, inc: Incident, opts: TriageOptions, io: TriageIO): Promise<boolean> {
  const store = incidentStore(ctx);
  const involved = store.load(inc.id).incident.runbooks;
  let verified = true;
  if (involved.length) {
    io.say(`Every read check of ${involved.join(', ')}:`, 'dim');
    const report = await checkAll(ctx, involved, { ...opts }, io.interrupts, (row) => {
      store.append(inc.id, [{ type: 'command', runbook: row.runbook, check: row.id, title: row.title, risk: row.risk, verdict: row.verdict, kind: 'check', ...(row.command ? { command: row.command } : {}), ...(row.exit_code !== undefined ? { exit_code: row.exit_code } : {}) }]);
    });
    const bad = report.results.filter((r) => r.verdict === 'problem' || r.verdict === 'error');
    io.say(bad.length ? `${bad.length} not healthy: ${bad.map((r) => `${r.runbook}/${r.id} (${r.verdict})`).join(', ')}` : `All ${report.summary.healthy + report.summary.warning} checks healthy.`, bad.length ? 'warn' : 'good');
    // Recovery is not verified while a check still finds a problem or cannot run: resolving then is the operator's
    // call, with the reason on the record; without an answer (no terminal) the incident stays open.
    if (bad.length) {
      const resolve =
        io.operator.interactive &&
        (await io.ask.select(
          `${bad.length} check${bad.length === 1 ? ' is' : 's are'} not healthy. Resolve the incident anyway?`,
          [
            { name: 'No: keep it open, and continue later with irm resume', value: false },
            { name: 'Yes: resolve it, and say why', value: true },
          ],
          false
        ));
      if (!resolve) return false;
      verified = false;
      const why = (await io.ask.input('Why is it resolved with these checks not healthy?', 'resolved by the responder')).trim() || 'resolved by the responder';
      store.append(inc.id, [{ type: 'note', kind: 'note', text: `Resolved with ${bad.length} check(s) not healthy (${bad.map((r) => `${r.runbook}/${r.id}`).join(', ')}): ${why}` }]);
    }
  }
  const who = contacts(ctx, inc.severity);
  if (who.kind === 'severity') {
    store.append(inc.id, [{ type: 'notification', channel: who.channels.map((c) => c.id).join(','), audience: 'stakeholders', message: `Resolved: ${inc.title}`, status: 'planned' }]);
    io.say(`Notify stakeholders of the resolution: ${who.channels.map((c) => `${c.title} ${c.address}`).join(', ')}`);
  }
  const now = store.load(inc.id).incident;
  await tell(ctx, inc.id, store.append(inc.id, [{ type: 'status', from: now.status, to: 'resolved', reason: verified ? 'recovery verified' : 'resolved by the responder, checks not healthy' }]));
  io.say('Status: resolved.', 'good');
  const pm = ctx.catalog().manual.post_incident.postmortem;
  if (pm.for.includes(inc.severity as 'P0')) {
    const resolvedAt = store.load(inc.id).incident.resolved_at!;
    const due = new Date(new Date(resolvedAt).getTime() + parseDuration(pm.within)).toISOString();
    store.append(inc.id, [{ type: 'postmortem', due }]);
    io.say(`A ${inc.severity} needs a post-mortem within ${formatDuration(parseDuration(pm.within))}: by ${due.slice(0, 16).replace('T', ' ')} UTC (irm postmortem ${inc.id}).`, 'warn');
  }
  return true;
}
