// The terminal view of a diagnosis: symptoms, each check's command, a spinner with elapsed time, folded output, verdicts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { asNodeStream, type OutStream } from '../util/std-stream.js';
import ora, { type Ora } from 'ora';
import type { CauseResult, CheckOutcome, Diagnosis, EngineEvent } from '../engine/engine.js';
import { fold } from '../engine/output.js';
import { clipLine, printable, type UI } from './ui.js';

export interface RunViewOptions {
  ui: UI;
  out: OutStream;
  /** Spinners only on a terminal. */
  spinner: boolean;
  /** Where folded output is kept whole. */
  outputDir?: string;
  foldLines?: number;
}

export function verdictLabel(ui: UI, o: CheckOutcome): string {
  const { c } = ui;
  if (o.kind !== 'check' && o.verdict === 'healthy') return c.green('✔ done');
  // A read command (triage's quick health checks, irm ref run status) looked and found something wrong, as a check does;
  // a change that did not succeed failed.
  if (o.kind !== 'check' && o.verdict === 'problem' && o.risk !== 'read') return c.red('✖ failed');
  switch (o.verdict) {
    case 'healthy':
      return c.green('✔ healthy');
    case 'warning':
      return c.yellow('⚠ warning');
    case 'problem':
      return c.red.bold('✖ problem found');
    case 'error':
      return c.magenta('? could not run');
    case 'blocked':
      return c.dim('⊘ blocked');
    case 'refused':
      return c.yellow('⊘ refused');
    case 'interrupted':
      return c.yellow('⊘ interrupted');
    case 'not-applicable':
      return c.dim('– not applicable');
    default:
      return c.dim('– skipped');
  }
}

/** What a verdict rests on, a line each; what came from the command's output made printable. */
export function outcomeDetail(o: CheckOutcome): string[] {
  const lines: string[] = [];
  if (o.verdict === 'problem') for (const r of o.reasons.filter((x) => !x.ok)) lines.push(`expected ${r.wanted}, got: ${r.got}`);
  if (o.verdict === 'warning') for (const r of o.warnings.filter((x) => !x.ok)) lines.push(`expected ${r.wanted}, got: ${r.got}`);
  if (o.error) {
    lines.push(o.error.message);
    if (o.error.hint) lines.push(`hint: ${o.error.hint}`);
  }
  if (o.note && o.verdict !== 'error') lines.push(o.note);
  return lines.map(printable);
}

/** The longest output line shown on screen; the whole line is in the output file. */
const MAX_SHOWN_LINE = 2000;

const STATUS_ORDER: Record<CauseResult['status'], number> = { confirmed: 0, unknown: 1, 'ruled-out': 2, skipped: 3 };

export class RunView {
  private spin?: Ora;
  private timer?: NodeJS.Timeout;
  private started = 0;
  private streamed = false;
  private streaming = false;
  private atLineStart = true;
  private planned = false;

  constructor(private readonly o: RunViewOptions) {}

  private write(s = ''): void {
    this.o.out.write(s + '\n');
  }

  handle = (e: EngineEvent): void => {
    const { ui } = this.o;
    const { c } = ui;
    switch (e.type) {
      case 'start':
        this.write(`${c.bold(e.runbook.title)} ${c.dim(`(${e.runbook.id}, ${e.deployment} deployment)`)}`);
        this.write(c.dim('Symptoms:'));
        for (const s of e.runbook.symptoms) this.write(`  - ${s}`);
        break;
      case 'answer':
        if (e.answer === undefined) this.write(c.dim(`  (${e.question.ask} skipped)`));
        break;
      case 'cause':
        this.write('');
        this.write(c.bold(`Cause ${e.index + 1}/${e.total}: ${e.cause.title}`));
        this.write(c.dim(`  ${e.cause.explanation}`));
        break;
      case 'plan':
        if (!this.planned) {
          this.write('');
          this.write(c.bold('Plan (dry run: nothing is executed)'));
          this.planned = true;
        }
        this.write(`  ${ui.risk(e.risk)} ${e.kind === 'solution' ? c.dim('fix: ') : ''}${e.title}${e.cause ? c.dim(` (${e.cause})`) : ''}`);
        this.write(e.command ? `    Command not executed: ${e.command}` : c.dim(`    (${e.note})`));
        if (e.env) this.write(c.dim(`    with ${e.env.map((v) => `${v.name}=${v.value}`).join(' ')}`));
        if (e.impact) this.write(c.dim(`    impact: ${e.impact}`));
        if (e.confirm) this.write(c.dim(`    would ask you to type: ${e.confirm}`));
        break;
      case 'check-ready':
        this.write(`  ${ui.risk(e.risk)} ${e.kind === 'solution' ? 'Fix: ' : ''}${e.title}`);
        this.write(`    ${c.dim('$')} ${e.command.replace(/\n/g, '\n      ')}`);
        if (e.env) this.write(c.dim(`      with ${e.env.map((v) => `${v.name}=${v.value}`).join(' ')}`));
        if (e.impact) this.write(`    ${c.yellow('impact:')} ${e.impact}`);
        break;
      case 'check-start':
        this.started = Date.now();
        this.streamed = false;
        this.streaming = e.stream;
        if (e.stream) this.write(c.dim('    (following output; Ctrl-C stops it and returns to the runbook)'));
        else if (this.o.spinner) {
          // ora's own chalk ignores NO_COLOR and --no-color: it gets the decision irm made.
          this.spin = ora({ text: 'running…', stream: asNodeStream(this.o.out) as NodeJS.WriteStream, indent: 4, discardStdin: false, color: ui.color ? 'cyan' : false }).start();
          this.timer = setInterval(() => {
            if (this.spin) this.spin.text = `running… ${((Date.now() - this.started) / 1000).toFixed(1)}s`;
          }, 100);
        }
        break;
      case 'output':
        // Only a following command (logs -f) prints as it goes; others show folded output when done.
        if (this.streaming) {
          this.streamed = true;
          let text = '';
          for (const ch of printable(e.chunk)) {
            if (this.atLineStart && ch !== '\n') text += '    │ ';
            text += ch;
            this.atLineStart = ch === '\n';
          }
          this.o.out.write(text);
        }
        break;
      case 'check-end':
        this.stopSpinner();
        if (this.streamed && !this.atLineStart) this.o.out.write('\n');
        this.atLineStart = true;
        this.checkEnd(e.outcome);
        break;
      case 'fixes':
        // Under their own heading: they come after the last cause, and fix the one they name.
        this.write('');
        this.write(c.bold(`Fix for ${e.cause.title}`));
        break;
      case 'cause-end':
        if (e.result.status === 'skipped') this.write(c.dim(`\nCause skipped: ${e.result.title}`));
        break;
      case 'note':
        this.stopSpinner();
        this.write(c.dim(`  ${e.message}`));
        break;
      case 'diagnosis':
        this.diagnosis(e.diagnosis);
        break;
    }
  };

  private stopSpinner(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.spin) {
      this.spin.stop();
      // ora leaves the cursor at its indent once cleared; the view writes its own indent from the line's start.
      if (this.spin.isEnabled) this.o.out.write('\r');
    }
    this.spin = undefined;
  }

  private checkEnd(o: CheckOutcome): void {
    const { ui } = this.o;
    const { c } = ui;
    // These never reached check-ready: say which check they are.
    if (o.verdict === 'not-applicable' || o.verdict === 'blocked' || (o.verdict === 'skipped' && !o.command)) {
      this.write(`  ${ui.risk(o.risk)} ${o.title}`);
    }
    if (o.fullOutput !== undefined && !this.streamed && o.fullOutput.trim()) {
      const { shown, hidden } = fold(printable(o.fullOutput), this.o.foldLines ?? 20);
      const lines = shown.split('\n');
      const clipped = lines.filter((l) => l.length > MAX_SHOWN_LINE).length;
      this.write(c.dim(lines.map((l) => `    │ ${clipLine(l, MAX_SHOWN_LINE)}`).join('\n')));
      if ((hidden || clipped) && this.o.outputDir) {
        const file = this.keep(o);
        const what = [hidden ? `${hidden} lines folded` : '', clipped ? `${clipped} long line${clipped === 1 ? '' : 's'} cut` : ''].filter(Boolean).join(', ');
        if (file) this.write(c.dim(`    (${what}; the whole output is in ${file})`));
      }
    }
    const time = o.duration_ms !== undefined ? c.dim(` ${(o.duration_ms / 1000).toFixed(1)}s`) : '';
    const exit = o.exit_code !== undefined && o.exit_code !== null ? c.dim(` exit ${o.exit_code}`) : '';
    this.write(`    ${verdictLabel(ui, o)}${exit}${time}${o.attempts && o.attempts > 1 ? c.dim(` after ${o.attempts} attempts`) : ''}`);
    for (const d of outcomeDetail(o)) this.write(`      ${d}`);
    if (o.hint) this.write(`      hint: ${o.hint}`);
  }

  private keep(o: CheckOutcome): string | undefined {
    try {
      mkdirSync(this.o.outputDir!, { recursive: true, mode: 0o700 });
      const file = join(this.o.outputDir!, `${new Date().toISOString().replace(/[:.]/g, '-')}-${o.id}.log`);
      writeFileSync(file, o.fullOutput ?? '', { mode: 0o600 });
      return file;
    } catch {
      return undefined;
    }
  }

  private diagnosis(d: Diagnosis): void {
    const { ui } = this.o;
    const { c } = ui;
    if (d.dry_run) {
      this.write('');
      this.write(c.dim('Dry run: nothing was executed.'));
      return;
    }
    this.write('');
    this.write(ui.heading('Diagnosis'));
    if (d.conclusion) this.write(`  ${d.conclusion}`);
    const label = (s: CauseResult['status']) =>
      s === 'confirmed' ? c.red.bold('confirmed') : s === 'ruled-out' ? c.green('ruled out') : s === 'skipped' ? c.dim('skipped') : c.yellow('unknown');
    const causes = [...d.causes].sort((a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status]);
    this.write(ui.table(['Cause', 'Status', 'Evidence'], causes.map((r) => [r.title, label(r.status), printable(r.evidence.join('\n')) || '-'])));
    for (const r of causes.filter((x) => x.status === 'confirmed')) {
      this.write('');
      this.write(c.bold(`Fix for ${r.title}:`));
      r.solution.forEach((s, i) => {
        this.write(`  ${i + 1}. ${s.risk ? ui.risk(s.risk) + ' ' : ''}${s.title}`);
        if (s.text) this.write(`     ${s.text}`);
        if (s.command) this.write(c.dim(`     $ ${s.command}`));
        if (s.outcome) this.write(`     ${verdictLabel(ui, s.outcome)}${s.outcome.note ? c.dim(` ${s.outcome.note}`) : ''}`);
      });
    }
    for (const r of causes.filter((x) => x.status === 'unknown' && x.manual_check)) this.write(c.dim(`\nBy hand, for ${r.title}: ${r.manual_check}`));
    if (!d.confirmed.length) this.write(c.green(`\nNo cause confirmed.`) + (d.causes.some((x) => x.status === 'unknown') ? c.yellow(' Some causes are unknown: their checks did not all run.') : ''));
    if (d.refused) this.write(c.yellow(`\n${d.refused} command${d.refused === 1 ? ' was' : 's were'} refused for want of a confirmation (exit 4).`));
    if (d.interrupted) this.write(c.yellow('\nInterrupted: the diagnosis above covers what was done.'));
  }
}
