// The command line: commander wiring only. Each command's module is imported when that command runs.
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Context, type GlobalOptions, type IO } from './context.js';
import { PACKAGE_DIR } from './load/catalog.js';
import { EndedBySignalError, EXIT, EXIT_CODE_TABLE, InterruptedError, IrmError, RunbookError, UsageError } from './errors.js';
import { formatDiagnostic, sortDiagnostics, type Paint } from './load/diagnostics.js';
import { decideColor } from './views/color.js';
import type { UI } from './views/ui.js';
import type { EngineEvent, Operator } from './engine/engine.js';
import type { RunOptions } from './commands/run.js';
import { FdWriter, plainlyNotTTY, standardStream } from './util/std-stream.js';
import { closest } from './util/suggest.js';

const VERSION: string = (JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }).version;

/** A command's body: its context, where its result goes, the command (for .opts()) and commander's arguments. */
type Action<Args extends unknown[]> = (ctx: Context, out: Output, cmd: Command, ...args: Args) => Promise<number | void> | number | void;

/** Where a command's result goes: JSON on stdout with --json, else the terminal view. */
export interface Output {
  json: boolean;
  ui(): Promise<UI>;
  print(text: string): void;
  data(value: unknown): void;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

const setOption = () => new Option('--set <name=value>', 'a variable\'s value (repeatable)').argParser(collect);

/** The options of every command that runs commands: where variables come from, how long a followed one runs. */
function commandOptions(cmd: Command): Command {
  return cmd
    // Not --env-file: Node 20 takes that flag for itself wherever it appears, reads the file into its own
    // environment (NODE_OPTIONS included) and exits 9 when it is missing, before irm runs.
    .option('--vars-file <file>', 'variables as name=value lines')
    .option('--window <duration>', 'how long a following command (logs -f) runs before it is stopped', '10s')
    .addOption(setOption());
}

/** The options every command that runs something with an operator shares. */
function runOptions(cmd: Command): Command {
  return commandOptions(
    cmd
      .option('-y, --yes', 'run read commands without asking')
      .option('--allow <risk>', 'without a terminal, run change or destructive commands without a confirmation (repeatable)', collect)
      .option('--dry-run', 'print the plan, every command with its variables filled in and its risk; run nothing')
      .option('--non-interactive', 'never prompt, even on a terminal')
  );
}

/** Whether a spinner may run on a stream: a terminal that reports no width (0 columns) sends ora's line arithmetic into a loop. */
function canSpin(stream: { isTTY?: boolean; columns?: number }): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0;
}

/**
 * SIGTERM or SIGHUP (a supervisor, `kill`, a closed terminal) for a command that runs commands. Those run in process
 * groups of their own, which neither signal reaches: irm stops them as on a timeout (SIGTERM, a grace, SIGKILL),
 * ends the walk, reports what was done and exits with 128 + the signal's number. Should the walk not wind down in
 * time, or a second signal come, the groups are killed and irm exits at once: process.exit() is the point then.
 */
async function onTermination(interrupts: import('./engine/engine.js').Interrupts, stderr: IO['stderr']) {
  const { signalRunning, KILL_GRACE_MS } = await import('./engine/runner.js');
  const exitCodes = { SIGHUP: EXIT.hangup, SIGTERM: EXIT.terminated } as const;
  let code: number | undefined;
  const onSignal = (signal: keyof typeof exitCodes) => {
    if (code !== undefined) {
      signalRunning('SIGKILL');
      process.exit(code);
    }
    code = exitCodes[signal];
    try {
      stderr.write(`\nirm: ${signal}: stopping the running commands; keeping what was done\n`);
    } catch {
      /* the terminal may be gone (SIGHUP) */
    }
    interrupts.terminate(signal);
    setTimeout(() => {
      signalRunning('SIGKILL');
      process.exit(code);
    }, KILL_GRACE_MS + 3000).unref();
  };
  const signals = ['SIGTERM', 'SIGHUP'] as const;
  for (const s of signals) process.on(s, onSignal);
  return {
    /** 128 + the signal's number once irm is being ended by one, else undefined. */
    code: () => code,
    close: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}

/** The operator, the view, Ctrl-C and termination handling for a command that runs things. */
async function engineIO(ctx: Context, out: Output, opts: RunOptions) {
  const { Interrupts, scriptedOperator } = await import('./engine/engine.js');
  const { operatorFor } = await import('./commands/run.js');
  const interrupts = new Interrupts();
  const interactive = operatorFor(ctx, opts).interactive;
  const ui = await out.ui();
  // With --json, stdout carries only the report: the view and the prompts use stderr.
  const screen = out.json ? ctx.io.stderr : ctx.io.stdout;
  let emit: (e: EngineEvent) => void = () => {};
  if (!out.json) {
    const { RunView } = await import('./views/run-view.js');
    const { stateDir } = await import('./util/paths.js');
    const spinner = canSpin(screen);
    const view = new RunView({ ui, out: screen, spinner, outputDir: `${stateDir(ctx.io.env)}/output` });
    emit = view.handle;
  }
  let operator: Operator = scriptedOperator;
  if (interactive) {
    const { InteractiveOperator } = await import('./views/prompts.js');
    operator = new InteractiveOperator(ui, screen, process.stdin, interrupts.ending);
  }
  const onSigint = () => {
    const what = interrupts.interrupt();
    ctx.io.stderr.write(what === 'command' ? '\nirm: stopping the command (Ctrl-C again quits)\n' : '\nirm: quitting; keeping what was done\n');
  };
  process.on('SIGINT', onSigint);
  const termination = await onTermination(interrupts, ctx.io.stderr);
  return {
    operator,
    emit,
    interrupts,
    /** The exit code when a signal is ending irm (128 + its number), else undefined. */
    terminated: termination.code,
    close: () => {
      process.off('SIGINT', onSigint);
      termination.close();
    },
  };
}

/** Run one engine command (irm run, irm ref run) with engineIO: its report as JSON with --json, its exit code. */
async function engineRun(ctx: Context, out: Output, opts: RunOptions, go: (io: Awaited<ReturnType<typeof engineIO>>) => Promise<{ exit_code: number }>): Promise<number> {
  const io = await engineIO(ctx, out, opts);
  try {
    const report = await go(io);
    report.exit_code = io.terminated() ?? report.exit_code;
    if (out.json) out.data(report);
    return report.exit_code;
  } catch (e) {
    // Ended by a signal at a prompt (the prompt gave up): the error and the exit name the signal, not Ctrl-C.
    const code = io.terminated();
    if (code !== undefined && e instanceof InterruptedError) throw new EndedBySignalError(io.interrupts.terminatedBy!, code);
    throw e;
  } finally {
    io.close();
  }
}

export function buildProgram(io: IO, builtinDir?: string): { program: Command; result: { code: number } } {
  const result: { code: number } = { code: EXIT.ok };
  const program = new Command('irm');
  program
    .description('The incident response manual as a command-line tool: runbooks, checks, contacts, severities and escalation.')
    .version(VERSION, '-V, --version')
    .option('--json', 'print one JSON document on stdout')
    .option('--no-color', 'no colour (also NO_COLOR=1, TERM=dumb, or output that is not a terminal)')
    .option('--runbooks <dir>', 'a folder of team runbooks (repeatable; overrides by id)', collect)
    .option('--config <file>', 'the irm.yaml to use (default: ./irm.yaml or a parent folder\'s, then ~/.config/irm/irm.yaml)')
    .option('--strict', 'a runbook that does not load is fatal, not a warning')
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride()
    .addHelpText('after', `\nExit codes:\n${EXIT_CODE_TABLE.map(([c, m]) => `  ${String(c).padEnd(4)}${m}`).join('\n')}\n\nVariables: --set name=value, then --vars-file lines, then IRM_VAR_<NAME>, then irm.yaml's variables, then the runbook's default, then (on a terminal) a prompt.`);

  /**
   * The function commander calls for a command: it builds the Context and the Output from the options, delivers the
   * notifications waiting in the outbox, calls the body with the command and its arguments, and keeps the exit code
   * the body returns. A body imports its modules itself, so that they load only when that command runs.
   */
  const action = <Args extends unknown[]>(body: Action<Args>) =>
    async function (this: Command, ...args: Args) {
      const opts = this.optsWithGlobals() as GlobalOptions & { set?: string[] };
      const ctx = new Context(opts, io, builtinDir);
      const color = decideColor(io.stdout, io.env, opts.color);
      let ui: UI | undefined;
      const getUI = async () => (ui ??= (await import('./views/ui.js')).createUI(color, io.stdout.isTTY ? io.stdout.columns : undefined));
      const stderrColor = decideColor(io.stderr, io.env, opts.color);
      if (stderrColor) ctx.paint = (await import('./views/ui.js')).createUI(true).paint;
      const out: Output = {
        json: !!opts.json,
        ui: getUI,
        print: (text) => io.stdout.write(text.endsWith('\n') ? text : text + '\n'),
        data: (value) => io.stdout.write(JSON.stringify(value, null, 2) + '\n'),
      };
      // Notifications an earlier command left in the outbox: a cheap check (one read of a hint file); the notifier is
      // loaded only when something waits. irm notify does its own flushing; --no-notify and --dry-run (which sends
      // nothing) skip it.
      if ((opts as { notify?: boolean }).notify !== false && !(opts as { dryRun?: boolean }).dryRun && this.parent?.name() !== 'notify' && (await import('./notify/pending.js')).notificationsWaiting(io.env)) {
        await (await import('./notify/index.js')).flushPending(ctx);
      }
      const code = await body(ctx, out, this, ...args);
      if (typeof code === 'number') result.code = code;
    };

  program
    .command('list')
    .description('the runbooks: id, title, typical severity, and where each comes from')
    .action(action(async (ctx, out) => {
      const { list } = await import('./commands/runbooks.js');
      const items = list(ctx);
      if (out.json) return out.data(items);
      out.print((await import('./views/runbooks.js')).renderList(await out.ui(), items));
    }));

  program
    .command('show')
    .description('a runbook for reading: symptoms, questions, causes, checks and fixes with their risk')
    .argument('<id>', 'runbook id (irm list)')
    .addOption(setOption())
    .action(action(async (ctx, out, cmd, id: string) => {
      const { show } = await import('./commands/runbooks.js');
      const r = show(ctx, id);
      if (out.json) return out.data(r);
      out.print((await import('./views/runbooks.js')).renderShow(await out.ui(), r));
    }));

  program
    .command('contacts')
    .description('who to reach: for a severity (P0-P3), a service (database, security, exchange, infrastructure), or everyone')
    .argument('[query]', 'P0|P1|P2|P3, a service, or a role')
    .action(action(async (ctx, out, cmd, query?: string) => {
      const { contacts } = await import('./commands/reference.js');
      const r = contacts(ctx, query);
      if (out.json) return out.data(r);
      out.print((await import('./views/reference.js')).renderContacts(await out.ui(), r));
    }));

  const sev = program
    .command('severity')
    .description('the severity levels and their response; "severity classify TEXT" ranks them for a description')
    .argument('[level]', 'P0|P1|P2|P3')
    .action(action(async (ctx, out, cmd, level?: string) => {
      const { severity } = await import('./commands/reference.js');
      const r = severity(ctx, level);
      if (out.json) return out.data(level ? r[0] : r);
      out.print((await import('./views/reference.js')).renderSeverities(await out.ui(), r));
    }));
  sev
    .command('classify')
    .description('rank the levels by how well TEXT matches their impact and examples')
    .argument('<text...>', 'what is happening, in words')
    .action(action(async (ctx, out, cmd, words: string[]) => {
      const { classify } = await import('./commands/reference.js');
      const text = words.join(' ').trim();
      if (!text) throw new UsageError('severity classify needs words: what is happening', 'for example: irm severity classify "orders rejected on binance"');
      const r = classify(ctx, text);
      if (out.json) return out.data({ text, best: r[0]!.score > 0 ? r[0]!.level : null, ranking: r });
      out.print((await import('./views/reference.js')).renderClassification(await out.ui(), text, r));
    }));

  program
    .command('escalation')
    .description('the escalation matrix; with --elapsed, the level that should own the incident now')
    .option('--elapsed <duration>', 'time since detection, e.g. 45m or 1h30m')
    .action(action(async (ctx, out, cmd) => {
      const { escalation } = await import('./commands/reference.js');
      const r = escalation(ctx, (cmd.opts() as { elapsed?: string }).elapsed);
      if (out.json) return out.data(r);
      out.print((await import('./views/reference.js')).renderEscalation(await out.ui(), r));
    }));

  program
    .command('procedure')
    .description('the five-step incident response procedure, with its time windows')
    .argument('[step]', '1-5')
    .action(action(async (ctx, out, cmd, step?: string) => {
      const { procedure } = await import('./commands/reference.js');
      const r = procedure(ctx, step);
      if (out.json) return out.data(step ? r[0] : r);
      out.print((await import('./views/reference.js')).renderProcedure(await out.ui(), r));
    }));

  program
    .command('post-incident')
    .description('post-incident actions: the first 24 hours, the post-mortem template, follow-up')
    .option('--template', 'print only the post-mortem template (Markdown)')
    .action(action(async (ctx, out, cmd) => {
      const { postIncident } = await import('./commands/reference.js');
      const r = postIncident(ctx);
      if ((cmd.opts() as { template?: boolean }).template) {
        if (out.json) return out.data({ template: r.postmortem.template });
        return out.print(r.postmortem.template);
      }
      if (out.json) return out.data(r);
      out.print((await import('./views/reference.js')).renderPostIncident(await out.ui(), r));
    }));

  const ref = program
    .command('ref')
    .description('the quick-reference commands (status, logs, restart, emergency-shutdown, backup, restore) with their risk; "ref run NAME" runs them')
    .argument('[group]', 'one group')
    .addOption(setOption())
    .action(action(async (ctx, out, cmd, group?: string) => {
      const { quickReference } = await import('./commands/reference.js');
      const r = quickReference(ctx, group);
      if (out.json) return out.data(r);
      out.print((await import('./views/reference.js')).renderQuickReference(await out.ui(), r, !group));
    }));
  runOptions(
    ref
      .command('run')
      .description('run a quick-reference group or command through the same confirmations as irm run')
      .argument('<name>', 'a group (status, logs, restart, emergency-shutdown, backup, restore) or one command id')
  ).action(action(async (ctx, out, cmd, name: string) => {
    const opts = cmd.opts() as RunOptions;
    const { runQuick } = await import('./commands/run.js');
    return engineRun(ctx, out, opts, (io) => runQuick(ctx, name, opts, io.operator, io.emit, io.interrupts));
  }));

  runOptions(
    program
      .command('run')
      .description('diagnose with a runbook: ask its questions, run its checks with confirmation, give verdicts and a diagnosis')
      .argument('<id>', 'runbook id (irm list)')
      .option('--fix', 'without a terminal, also run the confirmed causes\' fixes (as --allow permits)')
      .option('--wait-healthy <duration>', 're-run failing checks until they pass or the time is up (after a fix); one budget for the whole run')
  ).action(action(async (ctx, out, cmd, id: string) => {
    const opts = cmd.opts() as RunOptions;
    const { runRunbook } = await import('./commands/run.js');
    return engineRun(ctx, out, opts, (io) => runRunbook(ctx, id, opts, io.operator, io.emit, io.interrupts));
  }));

  commandOptions(
    program
      .command('check')
      .description('run the read checks of runbooks unattended and concurrently; exit 0 when all are healthy, 1 when not')
      .argument('[id...]', 'runbook ids')
      .option('--all', 'every runbook')
      .option('--concurrency <n>', 'checks at once (default: CPUs x 4)')
      .option('--format <format>', 'table, json, junit or prometheus', 'table')
  ).action(action(async (ctx, out, cmd, ids: string[]) => {
      const opts = cmd.opts() as import('./commands/check.js').CheckOptions & { format: string };
      const format = out.json ? 'json' : opts.format;
      if (!['table', 'json', 'junit', 'prometheus'].includes(format)) throw new UsageError(`--format takes table, json, junit or prometheus, got "${format}"`);
      const { check, junit, prometheus } = await import('./commands/check.js');
      const { Interrupts } = await import('./engine/engine.js');
      const interrupts = new Interrupts();
      const onSigint = () => {
        interrupts.quit = true;
        interrupts.interrupt();
      };
      process.on('SIGINT', onSigint);
      const termination = await onTermination(interrupts, ctx.io.stderr);
      // On a terminal, say what is running until the report is ready; scripts get the report alone.
      const stderr = ctx.io.stderr as NodeJS.WriteStream;
      let progress: import('./views/check-view.js').CheckProgressView | undefined;
      if (format === 'table' && canSpin(stderr)) {
        const { CheckProgressView } = await import('./views/check-view.js');
        const color = decideColor(stderr, ctx.io.env, (cmd.optsWithGlobals() as GlobalOptions).color);
        progress = new CheckProgressView((await import('./views/ui.js')).createUI(color, stderr.columns), stderr);
      }
      try {
        const r = await check(ctx, ids, opts, interrupts, progress?.result, progress);
        r.exit_code = termination.code() ?? r.exit_code;
        progress?.stop();
        if (format === 'json') out.data(r);
        else if (format === 'junit') out.print(junit(r));
        else if (format === 'prometheus') out.print(prometheus(r));
        else out.print((await import('./views/check-view.js')).renderCheck(await out.ui(), r));
        return r.exit_code;
      } finally {
        progress?.stop();
        process.off('SIGINT', onSigint);
        termination.close();
      }
    }));

  program
    .command('validate')
    .description('check runbook files or folders (default: everything irm loads); exit 3 when any is invalid')
    .argument('[path...]', 'files or folders')
    .action(action(async (ctx, out, cmd, paths: string[]) => {
      const { validate } = await import('./commands/runbooks.js');
      const r = validate(ctx, paths);
      if (out.json) out.data(r);
      else out.print((await import('./views/runbooks.js')).renderValidate(await out.ui(), r));
      return r.errors ? EXIT.invalid : EXIT.ok;
    }));

  program
    .command('config')
    .description('the effective configuration: irm.yaml, runbook folders, each variable with where its value came from, contacts')
    .argument('[runbook]', 'include this runbook\'s own variables')
    .addOption(setOption())
    .action(action(async (ctx, out, cmd, runbook?: string) => {
      const { config } = await import('./commands/runbooks.js');
      const r = config(ctx, runbook);
      if (out.json) return out.data(r);
      out.print((await import('./views/runbooks.js')).renderConfig(await out.ui(), r));
    }));


  // ---- incidents -------------------------------------------------------------------------------
  const triageAction = (resume: boolean) =>
    action(async (ctx, out, cmd, id?: string) => {
      const opts = cmd.opts() as import('./incident/triage.js').TriageOptions;
      const { triage, continueTriage } = await import('./incident/triage.js');
      const io = await engineIO(ctx, out, opts);
      const ui = await out.ui();
      const screen = out.json ? ctx.io.stderr : ctx.io.stdout;
      const say = (text: string, style?: 'heading' | 'dim' | 'warn' | 'good') =>
        screen.write(
          (style === 'heading' ? '\n' + ui.c.bold.underline(text) : style === 'dim' ? ui.c.dim(text) : style === 'warn' ? ui.c.yellow(text) : style === 'good' ? ui.c.green(text) : text) + '\n'
        );
      const ask = io.operator as unknown as import('./incident/triage.js').TriageAsk;
      try {
        let r;
        const { incidentStore, useScratchState } = await import('./commands/incident.js');
        // A dry run keeps no record: the walk runs on a throwaway copy (see useScratchState).
        if (resume) {
          const target = incidentStore(ctx).resolve(id);
          if (opts.dryRun) useScratchState(ctx, target);
          r = await continueTriage(ctx, target, opts, { operator: io.operator, ask, emit: io.emit, say, interrupts: io.interrupts });
        } else {
          if (opts.dryRun) useScratchState(ctx);
          r = await triage(ctx, opts, { operator: io.operator, ask, emit: io.emit, say, interrupts: io.interrupts });
        }
        r.exit_code = io.terminated() ?? r.exit_code;
        if (out.json) out.data(r);
        else if (opts.dryRun) say(`\nDry run: incident ${r.incident} (${r.title}) was not recorded, and nobody was notified.`);
        else say(`\nIncident ${r.incident}: ${r.title} (${r.status}, step ${Math.min(r.step, 5)} of 5). irm status ${r.incident} shows its clock.`);
        return r.exit_code;
      } catch (e) {
        // Ended by a signal at a prompt (step 1's questions among them): the exit names the signal, not Ctrl-C.
        const code = io.terminated();
        if (code !== undefined && e instanceof InterruptedError) throw new EndedBySignalError(io.interrupts.terminatedBy!, code);
        throw e;
      } finally {
        io.close();
      }
    });

  runOptions(
    program
      .command('triage')
      .description("walk the manual's five-step procedure for a new incident, keeping its record")
      .option('--severity <level>', 'P0-P3, instead of the questions')
      .option('--title <text>', 'the brief description')
      .option('--symptom <text>', 'a symptom (repeatable)', collect)
      .option('--runbook <id>', 'the runbook to investigate with')
      .option('--detected-by <how>', 'alert, user or system')
      .option('--until <step>', 'stop after this step (1-5)', (v) => Number(v))
      .option('--no-notify', 'do not tell the team (Slack, PagerDuty, Jira, email) about this change')
  ).action(triageAction(false));

  runOptions(
    program
      .command('resume')
      .description('continue an incident\'s procedure where it stopped (default: the most recent open incident)')
      .argument('[id]', 'incident id')
      .option('--runbook <id>', 'the runbook to investigate with')
      .option('--until <step>', 'stop after this step (1-5)', (v) => Number(v))
      .option('--no-notify', 'do not tell the team (Slack, PagerDuty, Jira, email) about this change')
  ).action(triageAction(true));

  /** "[id] text...": the first word is an id when it looks like one (inc-...); the rest is the text. */
  const idAnd = (args: string[], n: number): [string | undefined, string[]] => (args.length > n && /^inc-/.test(args[0]!) ? [args[0], args.slice(1)] : [undefined, args]);
  const incident = program.command('incident').description('the incident records: list, show, note, status, severity, owner, close, attach');
  incident
    .command('list')
    .description('recent incidents (open ones, and the last 7 days)')
    .option('--all', 'every incident')
    .action(action(async (ctx, out, cmd) => {
      const m = await import('./commands/incident.js');
      const r = m.list(ctx, cmd.opts() as { all?: boolean });
      if (out.json) return out.data(r);
      out.print((await import('./views/incident-view.js')).renderIncidentList(await out.ui(), r));
    }));
  incident
    .command('show')
    .description('an incident: its clock and timeline')
    .argument('[id]', 'incident id (default: the most recent open one)')
    .action(action(async (ctx, out, cmd, id?: string) => {
      const m = await import('./commands/incident.js');
      const r = m.show(ctx, id);
      if (out.json) return out.data(r);
      out.print((await import('./views/incident-view.js')).renderIncident(await out.ui(), r.incident, r.clock));
    }));
  incident
    .command('note')
    .description('add a note; --at backdates it (14:05), --kind finding|hypothesis|fix|action')
    .argument('<args...>', '[id] "text"')
    .option('--at <time>', 'when it happened: 14:05 (UTC, today) or an ISO time')
    .option('--kind <kind>', 'note, finding, hypothesis, fix or action', 'note')
    .option('--broadcast', 'this note is a status update for the team')
    .option('--no-notify', 'do not tell the team (Slack, PagerDuty, Jira, email) about this change')
    .action(action(async (ctx, out, cmd, args: string[]) => {
      const m = await import('./commands/incident.js');
      const [id, rest] = idAnd(args, 1);
      const r = await m.note(ctx, id, rest.join(' '), cmd.opts() as { at?: string; kind?: string; broadcast?: boolean });
      if (out.json) return out.data(r);
      out.print(`Noted on ${r.incident}${r.event!.type === 'note' && r.event!.happened_at ? ` (as of ${r.event!.happened_at})` : ''}.`);
    }));
  for (const [name, desc] of [
    ['status', 'set the status: investigating, identified, mitigated, monitoring, resolved, closed'],
    ['severity', 'raise or lower the severity (P0-P3)'],
    ['owner', 'hand the incident to someone'],
  ] as const) {
    incident
      .command(name)
      .description(desc)
      .argument('<args...>', `[id] ${name === 'status' ? 'STATUS' : name === 'severity' ? 'LEVEL' : 'NAME'}`)
      .option('--reason <text>', 'why')
      .option('--no-notify', 'do not tell the team (Slack, PagerDuty, Jira, email) about this change')
      .action(action(async (ctx, out, cmd, args: string[]) => {
        const m = await import('./commands/incident.js');
        const [id, rest] = idAnd(args, 1);
        const value = rest.join(' ');
        const reason = (cmd.opts() as { reason?: string }).reason;
        const r = name === 'status' ? await m.setStatus(ctx, id, m.parseStatus(value), reason) : name === 'severity' ? await m.setSeverity(ctx, id, value, reason) : m.setOwner(ctx, id, value);
        if (out.json) return out.data(r);
        out.print(`${r.incident}: ${name} ${'from' in r && r.from ? `${r.from} → ` : ''}${value}${'changed' in r && !r.changed ? ' (unchanged)' : ''}`);
      }));
  }
  incident
    .command('close')
    .description('close an incident (resolved and done)')
    .argument('[id]', 'incident id')
    .option('--no-notify', 'do not tell the team (Slack, PagerDuty, Jira, email) about this change')
    .action(action(async (ctx, out, cmd, id?: string) => {
      const m = await import('./commands/incident.js');
      const r = await m.setStatus(ctx, id, 'closed');
      if (out.json) return out.data(r);
      out.print(`${r.incident}: closed.`);
    }));
  incident
    .command('attach')
    .description('keep a copy of a log or export with the incident (size-capped and redacted)')
    .argument('<args...>', '[id] FILE')
    .action(action(async (ctx, out, cmd, args: string[]) => {
      const m = await import('./commands/incident.js');
      const [id, rest] = idAnd(args, 1);
      const r = m.attach(ctx, id, rest.join(' '));
      if (out.json) return out.data(r);
      const e = r.event!;
      out.print(`Attached to ${r.incident}: ${r.path}${e.type === 'attachment' && e.truncated ? ` (kept ${e.kept_bytes} of ${e.bytes} bytes: the head and the tail)` : ''}`);
    }));

  program
    .command('status')
    .description("an incident's clock: elapsed time, the step it should be in, the response deadline, who should own it, the next update")
    .argument('[id]', 'incident id (default: the most recent open one)')
    .action(action(async (ctx, out, cmd, id?: string) => {
      const m = await import('./commands/incident.js');
      const r = m.show(ctx, id);
      // Overdue is exit 1 in either form: a script polling --json must see what the text shows.
      if (out.json) out.data({ incident: m.summary(r.incident), clock: r.clock });
      else out.print((await import('./views/incident-view.js')).renderClock(await out.ui(), r.incident, r.clock));
      return r.clock.overdue.length ? EXIT.problem : EXIT.ok;
    }));

  program
    .command('escalate')
    .description('record an escalation to the next level, with its contacts and the trigger')
    .argument('[id]', 'incident id (default: the most recent open one)')
    .option('--trigger <text>', "the reason, from the manual's list (its text or number) or your own words")
    .option('--no-notify', 'do not tell the team (Slack, PagerDuty, Jira, email) about this change')
    .action(action(async (ctx, out, cmd, id?: string) => {
      const m = await import('./commands/incident.js');
      let trigger = (cmd.opts() as { trigger?: string }).trigger;
      if (!trigger) {
        const o = m.escalateOptions(ctx, id);
        if (!ctx.io.stdinIsTTY) throw new UsageError('--trigger is needed without a terminal', `one of: ${o.triggers.map((t, i) => `${i + 1}. ${t}`).join('; ')}`);
        const { InteractiveOperator } = await import('./views/prompts.js');
        const ui = await out.ui();
        const op = new InteractiveOperator(ui, out.json ? ctx.io.stderr : ctx.io.stdout);
        trigger = await op.select('Why escalate?', [...o.triggers.map((t) => ({ name: t, value: t })), { name: 'Something else (type it)', value: '' }]);
        if (!trigger) trigger = await op.input('The trigger, in your words:');
      }
      const r = await m.escalate(ctx, id, trigger);
      if (out.json) return out.data(r);
      out.print([`${r.incident}: escalated to level ${r.to_level}, ${r.title}, because: ${r.trigger}`, 'Reach now:', ...r.contacts.map((c) => `  ${c}`)].join('\n'));
    }));

  program
    .command('update')
    .description('the periodic status update: recorded, and sent to Slack and the Jira ticket')
    .argument('<args...>', '[id] "text"')
    .option('--no-notify', 'do not tell the team (Slack, PagerDuty, Jira, email) about this change')
    .action(action(async (ctx, out, cmd, args: string[]) => {
      const m = await import('./commands/incident.js');
      const [id, rest] = idAnd(args, 1);
      const r = await m.update(ctx, id, rest.join(' '));
      if (out.json) return out.data(r);
      out.print(`Status update recorded on ${r.incident}.`);
    }));

  const notify = program.command('notify').description('telling the team: try a channel, deliver what waits in the outbox, list, retry or drop what did not go');
  notify
    .command('test')
    .description('send a clearly marked test message on each configured channel (or CHANNEL: slack, pagerduty, jira, email) and show what came back')
    .argument('[channel]', 'slack, pagerduty, jira or email')
    .option('--dry-run', 'print what would be sent; send nothing')
    .action(action(async (ctx, out, cmd, channel?: string) => {
      const m = await import('./commands/notify.js');
      const r = await m.notifyTest(ctx, channel, cmd.opts() as { dryRun?: boolean });
      if (out.json) out.data(r);
      else for (const x of r) out.print(x.would_send !== undefined ? `${x.channel}: would send ${JSON.stringify(x.would_send)}` : `${x.channel}: ${x.ok ? 'ok' : 'FAILED'}${x.status !== undefined ? ` (${x.status})` : ''}${x.response ? `: ${x.response}` : ''}${x.error ? `: ${x.error}` : ''}`);
      return r.every((x) => x.ok) ? EXIT.ok : EXIT.problem;
    }));
  notify
    .command('flush')
    .description('deliver the notifications waiting in the outbox now (each irm command also tries, within the timeout)')
    .option('--dry-run', 'list what waits and what it would send; send nothing')
    .action(action(async (ctx, out, cmd) => {
      const m = await import('./commands/notify.js');
      const r = await m.notifyFlush(ctx, cmd.opts() as { dryRun?: boolean });
      if (out.json) out.data(r);
      else if (r.waiting) out.print(r.waiting.length ? r.waiting.map((w) => `${w.channel} ${w.kind} ${w.incident} (${w.attempts} attempts${w.last_error ? `, last: ${w.last_error}` : ''}): ${JSON.stringify(w.body)}`).join('\n') : 'Nothing waits in the outbox.');
      else if (r.busy) out.print('Another irm is delivering the outbox now.');
      else {
        for (const d of r.delivered) out.print(`${d.channel}: sent ${d.kind} for ${d.incident}${d.jira_key ? ` (${d.jira_key})` : ''}`);
        for (const f of r.failed) out.print(`${f.channel}: ${f.gave_up ? 'given up' : 'not sent'} ${f.kind} for ${f.incident}: ${f.error}`);
        out.print(r.pending ? `${r.pending} still waiting in the outbox.` : 'Nothing waits in the outbox.');
      }
      if (!r.waiting && !r.busy && r.given_up.length) {
        out.print(`${r.given_up.length} given up, not retried (irm notify status lists them; irm notify retry ID queues one again, irm notify drop ID discards it):`);
        for (const g of r.given_up) out.print(`  ${g.key}  ${g.channel} ${g.kind} for ${g.incident}: ${g.last_error ?? 'refused'}`);
      }
      return (r.pending || r.given_up.length) && !r.waiting ? EXIT.problem : EXIT.ok;
    }));
  notify
    .command('status')
    .description('what waits in the outbox (attempts, next try, last error) and what was given up; exit 1 when anything does')
    .action(action(async (ctx, out) => {
      const m = await import('./commands/notify.js');
      const r = m.notifyStatus(ctx);
      if (out.json) out.data(r);
      else {
        const line = (e: (typeof r.pending)[number]) =>
          `  ${e.key}  ${e.channel} ${e.kind} for ${e.incident}, ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}${e.next_at ? `, next from ${e.next_at}` : ''}${e.last_error ? `: ${e.last_error}` : ''}`;
        out.print(r.pending.length ? [`Waiting (${r.pending.length}):`, ...r.pending.map(line)].join('\n') : 'Nothing waits in the outbox.');
        if (r.failed.length) out.print([`Given up, not retried (${r.failed.length}; irm notify retry ID queues one again, irm notify drop ID discards it):`, ...r.failed.map(line)].join('\n'));
      }
      return r.pending.length || r.failed.length ? EXIT.problem : EXIT.ok;
    }));
  notify
    .command('drop')
    .description('discard a message that can never be delivered (waiting or given up): it is never sent; ID is its key from irm notify status, or a prefix naming one')
    .argument('<id>', 'the message key (or a unique prefix)')
    .action(action(async (ctx, out, cmd, id: string) => {
      const m = await import('./commands/notify.js');
      const r = m.notifyDrop(ctx, id);
      if (out.json) return out.data(r);
      out.print(`Dropped ${r.channel} ${r.kind} for ${r.incident} (${r.key}): it will not be sent.`);
    }));
  notify
    .command('retry')
    .description('queue a given-up message again once its cause is fixed (sent by the next command or irm notify flush)')
    .argument('<id>', 'the message key (or a unique prefix)')
    .action(action(async (ctx, out, cmd, id: string) => {
      const m = await import('./commands/notify.js');
      const r = m.notifyRetry(ctx, id);
      if (out.json) return out.data(r);
      out.print(`Queued ${r.channel} ${r.kind} for ${r.incident} (${r.key}) again: irm notify flush sends it.`);
    }));

  program
    .command('postmortem')
    .description("the manual's post-mortem template filled from the incident record")
    .argument('[id]', 'incident id (default: the most recent open one)')
    .option('-o, --output <file>', 'write it to this file')
    .action(action(async (ctx, out, cmd, id?: string) => {
      const m = await import('./commands/incident.js');
      const o = (cmd.opts() as { output?: string }).output;
      const r = m.postmortem(ctx, id, o);
      if (out.json) return out.data(r);
      if (r.file) out.print(`Wrote ${r.file}${r.required ? `; a ${r.severity} post-mortem is due ${r.due_at ? `by ${r.due_at.slice(0, 16).replace('T', ' ')} UTC` : 'within 72h of resolution'}` : ''}.`);
      else out.print(r.markdown);
    }));

  return { program, result };
}

/** Run irm with these arguments; returns the exit code. Never throws for a user's mistake. */
export async function main(argv: string[], io: IO, builtinDir?: string): Promise<number> {
  const { program, result } = buildProgram(io, builtinDir);
  try {
    // commander's help command shows the whole help, exit 0, for a command that does not exist.
    if (argv[0] === 'help' && argv[1] && !argv[1].startsWith('-') && !program.commands.some((c) => c.name() === argv[1])) {
      const c = closest(argv[1], program.commands.map((x) => x.name()));
      throw new UsageError(`unknown command "${argv[1]}"`, c ? `did you mean "${c}"? (irm --help lists them all)` : 'irm --help lists the commands');
    }
    // Node has read the file already (a missing one stopped it with exit 9): say so rather than "unknown option".
    if (argv.some((a) => a === '--env-file' || a.startsWith('--env-file='))) {
      throw new UsageError('--env-file is Node\'s own option on Node 20 (Node reads that file into its environment before irm starts)', 'give irm its variables with --vars-file FILE');
    }
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (e) {
    const code = reportError(e, io);
    // A script that asked for JSON gets a JSON document on stdout even when the command failed: the error, the exit
    // code, and for broken runbooks every located diagnostic (stderr says the same in words).
    if (code !== EXIT.ok && argv.includes('--json') && !argv.includes('--')) io.stdout.write(JSON.stringify(errorDocument(e, code), null, 2) + '\n');
    return code;
  }
}

function errorDocument(e: unknown, code: number) {
  const message = e instanceof CommanderError ? e.message.replace(/^error: /, '') : e instanceof Error ? e.message : String(e);
  return {
    error: {
      message,
      exit_code: code,
      ...(e instanceof IrmError && e.details.length ? { details: e.details } : {}),
      ...(e instanceof RunbookError ? { diagnostics: sortDiagnostics(e.diagnostics) } : {}),
    },
  };
}

function reportError(e: unknown, io: IO): number {
  if (e instanceof CommanderError) {
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
    if (e.code === 'commander.executeSubCommandAsync') return EXIT.ok;
    // commander has printed its message already.
    return EXIT.usage;
  }
  const color = decideColor(io.stderr, io.env);
  const red = (s: string) => (color ? `\u001b[31;1m${s}\u001b[0m` : s);
  if (e instanceof RunbookError) {
    io.stderr.write(`${red('irm: error:')} ${e.message}\n`);
    return printDiagnostics(e, io, color);
  }
  if (e instanceof IrmError) {
    io.stderr.write(`${red('irm: error:')} ${e.message}\n`);
    for (const d of e.details) io.stderr.write(`  ${d}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'EPIPE') return EXIT.ok;
  io.stderr.write(`${red('irm: internal error:')} ${err?.message ?? String(e)}\n`);
  if (io.env.IRM_DEBUG) io.stderr.write(`${err?.stack ?? ''}\n`);
  else io.stderr.write('  this is a bug in irm; run with IRM_DEBUG=1 for details\n');
  return 70;
}

function printDiagnostics(e: RunbookError, io: IO, color: boolean): number {
  const paint: Paint | undefined = color
    ? { error: (s) => `\u001b[31;1m${s}\u001b[0m`, warning: (s) => `\u001b[33;1m${s}\u001b[0m`, dim: (s) => `\u001b[2m${s}\u001b[0m`, bold: (s) => `\u001b[1m${s}\u001b[0m` }
    : undefined;
  for (const d of sortDiagnostics(e.diagnostics)) io.stderr.write(formatDiagnostic(d, paint) + '\n');
  return e.exitCode;
}

/**
 * Whether standard input is a terminal, without opening a stream on it (process.stdin) or loading the tty module,
 * 2-3 ms each, when it plainly is not: a pipe or a file, or /dev/null (cron, CI, scripts).
 */
export async function runFromProcess(): Promise<void> {
  const io: IO = {
    // A reader gone (irm list | head -1) is no failure of irm's.
    stdout: standardStream(1, () => (process.exitCode = 0)),
    stderr: standardStream(2, () => {}),
    stdinIsTTY: !plainlyNotTTY(0) && process.stdin.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
  const code = await main(process.argv.slice(2), io);
  process.exitCode = code;
  // Leave now rather than when the event loop runs dry, where Node frees its heap piece by piece: 20-30 ms after a big
  // load (a first irm validate over 1,000 runbooks). Only when nothing is left: output to files or /dev/null has been
  // written (a pipe or a terminal may still hold some, and keeps Node's own exit), and no timer, child, socket or file
  // request is active.
  if (io.stdout instanceof FdWriter && io.stderr instanceof FdWriter && process.getActiveResourcesInfo().length === 0) process.exit(code);
}

