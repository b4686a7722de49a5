// The command line: commander wiring only. Each command's module is imported when that command runs.
import { Command, CommanderError, Option } from 'commander';
import { createRequire } from 'node:module';
import { Context, type GlobalOptions, type IO } from './context.js';
import { EXIT, EXIT_CODE_TABLE, IrmError, RunbookError } from './errors.js';
import { formatDiagnostic, sortDiagnostics, type Paint } from './load/diagnostics.js';
import { decideColor } from './views/color.js';
import type { UI } from './views/ui.js';
import type { EngineEvent, Operator } from './engine/engine.js';
import type { RunOptions } from './commands/run.js';
import { UsageError } from './errors.js';

const require = createRequire(import.meta.url);
const VERSION: string = (require('../package.json') as { version: string }).version;

type Action = (ctx: Context, out: Output) => Promise<number | void> | number | void;

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

/** The options every command that runs something shares. */
function runOptions(cmd: Command): Command {
  return cmd
    .option('-y, --yes', 'run read commands without asking')
    .option('--allow <risk>', 'without a terminal, run change or destructive commands without a confirmation (repeatable)', collect)
    .option('--dry-run', 'print the plan, every command with its variables filled in and its risk; run nothing')
    .option('--non-interactive', 'never prompt, even on a terminal')
    .option('--env-file <file>', 'variables as name=value lines')
    .option('--window <duration>', 'how long a following command (logs -f) runs before it is stopped', '10s')
    .addOption(new Option('--set <name=value>', 'a variable\'s value (repeatable)').argParser(collect));
}

/** The operator, the view and Ctrl-C handling for a command that runs things. */
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
    // A terminal that reports no width (0 columns) would send ora's line arithmetic into a loop: no spinner there.
    const spinner = screen.isTTY === true && ((screen as { columns?: number }).columns ?? 0) > 0;
    const view = new RunView({ ui, out: screen, spinner, outputDir: `${stateDir(ctx.io.env)}/output` });
    emit = view.handle;
  }
  let operator: Operator = scriptedOperator;
  if (interactive) {
    const { InteractiveOperator } = await import('./views/prompts.js');
    operator = new InteractiveOperator(ui, screen);
  }
  const onSigint = () => {
    const what = interrupts.interrupt();
    ctx.io.stderr.write(what === 'command' ? '\nirm: stopping the command (Ctrl-C again quits)\n' : '\nirm: quitting; keeping what was done\n');
  };
  process.on('SIGINT', onSigint);
  return { operator, emit, interrupts, close: () => process.off('SIGINT', onSigint) };
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
    .addHelpText('after', `\nExit codes:\n${EXIT_CODE_TABLE.map(([c, m]) => `  ${String(c).padEnd(4)}${m}`).join('\n')}\n\nVariables: --set name=value, then IRM_VAR_<NAME>, then irm.yaml's variables, then the runbook's default.`);

  const run = (action: Action) =>
    async function (this: Command) {
      const opts = this.optsWithGlobals() as GlobalOptions & { set?: string[] };
      const ctx = new Context(opts, io, builtinDir);
      const color = decideColor(io.stdout, io.env, opts.color);
      let ui: UI | undefined;
      const getUI = async () => (ui ??= (await import('./views/ui.js')).createUI(color, io.stdout.columns || 100));
      const stderrColor = decideColor(io.stderr, io.env, opts.color);
      if (stderrColor) ctx.paint = (await import('./views/ui.js')).createUI(true).paint;
      const out: Output = {
        json: !!opts.json,
        ui: getUI,
        print: (text) => io.stdout.write(text.endsWith('\n') ? text : text + '\n'),
        data: (value) => io.stdout.write(JSON.stringify(value, null, 2) + '\n'),
      };
      const code = await action(ctx, out);
      if (typeof code === 'number') result.code = code;
    };

  const setOption = () => new Option('--set <name=value>', 'a variable\'s value (repeatable)').argParser(collect);

  program
    .command('list')
    .description('the runbooks: id, title, typical severity, and where each comes from')
    .action(run(async (ctx, out) => {
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
    .action(async function (this: Command, id: string) {
      await run(async (ctx, out) => {
        const { show } = await import('./commands/runbooks.js');
        const r = show(ctx, id);
        if (out.json) return out.data(r);
        out.print((await import('./views/runbooks.js')).renderShow(await out.ui(), r));
      }).call(this);
    });

  program
    .command('contacts')
    .description('who to reach: for a severity (P0-P3), a service (database, security, exchange, infrastructure), or everyone')
    .argument('[query]', 'P0|P1|P2|P3, a service, or a role')
    .action(async function (this: Command, query?: string) {
      await run(async (ctx, out) => {
        const { contacts } = await import('./commands/reference.js');
        const r = contacts(ctx, query);
        if (out.json) return out.data(r);
        out.print((await import('./views/reference.js')).renderContacts(await out.ui(), r));
      }).call(this);
    });

  const sev = program
    .command('severity')
    .description('the severity levels and their response; "severity classify TEXT" ranks them for a description')
    .argument('[level]', 'P0|P1|P2|P3')
    .action(async function (this: Command, level?: string) {
      await run(async (ctx, out) => {
        const { severity } = await import('./commands/reference.js');
        const r = severity(ctx, level);
        if (out.json) return out.data(level ? r[0] : r);
        out.print((await import('./views/reference.js')).renderSeverities(await out.ui(), r));
      }).call(this);
    });
  sev
    .command('classify')
    .description('rank the levels by how well TEXT matches their impact and examples')
    .argument('<text...>', 'what is happening, in words')
    .action(async function (this: Command, words: string[]) {
      await run(async (ctx, out) => {
        const { classify } = await import('./commands/reference.js');
        const text = words.join(' ');
        const r = classify(ctx, text);
        if (out.json) return out.data({ text, best: r[0]!.score > 0 ? r[0]!.level : null, ranking: r });
        out.print((await import('./views/reference.js')).renderClassification(await out.ui(), text, r));
      }).call(this);
    });

  program
    .command('escalation')
    .description('the escalation matrix; with --elapsed, the level that should own the incident now')
    .option('--elapsed <duration>', 'time since detection, e.g. 45m or 1h30m')
    .action(async function (this: Command) {
      await run(async (ctx, out) => {
        const { escalation } = await import('./commands/reference.js');
        const r = escalation(ctx, (this.opts() as { elapsed?: string }).elapsed);
        if (out.json) return out.data(r);
        out.print((await import('./views/reference.js')).renderEscalation(await out.ui(), r));
      }).call(this);
    });

  program
    .command('procedure')
    .description('the five-step incident response procedure, with its time windows')
    .argument('[step]', '1-5')
    .action(async function (this: Command, step?: string) {
      await run(async (ctx, out) => {
        const { procedure } = await import('./commands/reference.js');
        const r = procedure(ctx, step);
        if (out.json) return out.data(step ? r[0] : r);
        out.print((await import('./views/reference.js')).renderProcedure(await out.ui(), r));
      }).call(this);
    });

  program
    .command('post-incident')
    .description('post-incident actions: the first 24 hours, the post-mortem template, follow-up')
    .option('--template', 'print only the post-mortem template (Markdown)')
    .action(async function (this: Command) {
      await run(async (ctx, out) => {
        const { postIncident } = await import('./commands/reference.js');
        const r = postIncident(ctx);
        if ((this.opts() as { template?: boolean }).template) {
          if (out.json) return out.data({ template: r.postmortem.template });
          return out.print(r.postmortem.template);
        }
        if (out.json) return out.data(r);
        out.print((await import('./views/reference.js')).renderPostIncident(await out.ui(), r));
      }).call(this);
    });

  const ref = program
    .command('ref')
    .description('the quick-reference commands (status, logs, restart, emergency-shutdown, backup, restore) with their risk; "ref run NAME" runs them')
    .argument('[group]', 'one group')
    .addOption(setOption())
    .action(async function (this: Command, group?: string) {
      await run(async (ctx, out) => {
        const { quickReference } = await import('./commands/reference.js');
        const r = quickReference(ctx, group);
        if (out.json) return out.data(r);
        out.print((await import('./views/reference.js')).renderQuickReference(await out.ui(), r, !group));
      }).call(this);
    });
  runOptions(
    ref
      .command('run')
      .description('run a quick-reference group or command through the same confirmations as irm run')
      .argument('<name>', 'a group (status, logs, restart, emergency-shutdown, backup, restore) or one command id')
  ).action(async function (this: Command, name: string) {
    await run(async (ctx, out) => {
      const opts = this.opts() as RunOptions;
      const { runQuick } = await import('./commands/run.js');
      const io = await engineIO(ctx, out, opts);
      try {
        const r = await runQuick(ctx, name, opts, io.operator, io.emit, io.interrupts);
        if (out.json) out.data(r);
        return r.exit_code;
      } finally {
        io.close();
      }
    }).call(this);
  });

  runOptions(
    program
      .command('run')
      .description('diagnose with a runbook: ask its questions, run its checks with confirmation, give verdicts and a diagnosis')
      .argument('<id>', 'runbook id (irm list)')
      .option('--fix', 'without a terminal, also run the confirmed causes\' fixes (as --allow permits)')
      .option('--wait-healthy <duration>', 're-run failing checks until they pass or the time is up (after a fix)')
  ).action(async function (this: Command, id: string) {
    await run(async (ctx, out) => {
      const opts = this.opts() as RunOptions;
      const { runRunbook } = await import('./commands/run.js');
      const io = await engineIO(ctx, out, opts);
      try {
        const report = await runRunbook(ctx, id, opts, io.operator, io.emit, io.interrupts);
        if (out.json) out.data(report);
        return report.exit_code;
      } finally {
        io.close();
      }
    }).call(this);
  });

  program
    .command('check')
    .description('run the read checks of runbooks unattended and concurrently; exit 0 when all are healthy, 1 when not')
    .argument('[id...]', 'runbook ids')
    .option('--all', 'every runbook')
    .option('--concurrency <n>', 'checks at once (default: CPUs x 4)')
    .option('--format <format>', 'table, json, junit or prometheus', 'table')
    .option('--env-file <file>', 'variables as name=value lines')
    .option('--window <duration>', 'how long a following command (logs -f) runs', '10s')
    .addOption(setOption())
    .action(async function (this: Command, ids: string[]) {
      await run(async (ctx, out) => {
        const opts = this.opts() as import('./commands/check.js').CheckOptions & { format: string };
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
        try {
          const r = await check(ctx, ids, opts, interrupts);
          if (format === 'json') out.data(r);
          else if (format === 'junit') out.print(junit(r));
          else if (format === 'prometheus') out.print(prometheus(r));
          else out.print((await import('./views/check-view.js')).renderCheck(await out.ui(), r));
          return r.exit_code;
        } finally {
          process.off('SIGINT', onSigint);
        }
      }).call(this);
    });

  program
    .command('validate')
    .description('check runbook files or folders (default: everything irm loads); exit 3 when any is invalid')
    .argument('[path...]', 'files or folders')
    .action(async function (this: Command, paths: string[]) {
      await run(async (ctx, out) => {
        const { validate } = await import('./commands/runbooks.js');
        const r = validate(ctx, paths);
        if (out.json) out.data(r);
        else out.print((await import('./views/runbooks.js')).renderValidate(await out.ui(), r));
        return r.errors ? EXIT.invalid : EXIT.ok;
      }).call(this);
    });

  program
    .command('config')
    .description('the effective configuration: irm.yaml, runbook folders, each variable with where its value came from, contacts')
    .argument('[runbook]', 'include this runbook\'s own variables')
    .addOption(setOption())
    .action(async function (this: Command, runbook?: string) {
      await run(async (ctx, out) => {
        const { config } = await import('./commands/runbooks.js');
        const r = config(ctx, runbook);
        if (out.json) return out.data(r);
        out.print((await import('./views/runbooks.js')).renderConfig(await out.ui(), r));
      }).call(this);
    });

  return { program, result };
}

/** Run irm with these arguments; returns the exit code. Never throws for a user's mistake. */
export async function main(argv: string[], io: IO, builtinDir?: string): Promise<number> {
  const { program, result } = buildProgram(io, builtinDir);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return result.code;
  } catch (e) {
    return reportError(e, io);
  }
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

export async function runFromProcess(): Promise<void> {
  const io: IO = {
    stdout: process.stdout,
    stderr: process.stderr,
    stdinIsTTY: process.stdin.isTTY === true,
    env: process.env,
    cwd: process.cwd(),
  };
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exitCode = 0;
  });
  process.exitCode = await main(process.argv.slice(2), io);
}

