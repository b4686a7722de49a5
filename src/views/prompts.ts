// The one module that prompts. It asks only on a terminal; the engine sees it as an Operator.
import { checkbox, expand, input as inputPrompt, password, select } from '@inquirer/prompts';
import { asNodeStream, type OutStream } from '../util/std-stream.js';
import type { ConfirmRequest, Decision, Operator } from '../engine/engine.js';
import type { Choice, TriageAsk } from '../incident/triage.js';
import type { ResolvedVariable } from '../load/variables.js';
import type { Question } from '../model/schema.js';
import { InterruptedError } from '../errors.js';
import type { UI } from './ui.js';

function cancelled(e: unknown): boolean {
  return (e as Error)?.name === 'ExitPromptError' || (e as Error)?.name === 'AbortPromptError';
}

export class InteractiveOperator implements Operator, TriageAsk {
  readonly interactive = true;

  private readonly output: NodeJS.WritableStream;

  /** `ending`: aborted when irm is being ended by a signal (SIGTERM, SIGHUP): the prompt waiting then gives up. */
  constructor(private readonly ui: UI, output: OutStream, private readonly stdin: NodeJS.ReadableStream = process.stdin, private readonly ending?: AbortSignal) {
    this.output = asNodeStream(output);
  }

  private get context() {
    return { output: this.output, input: this.stdin, clearPromptOnDone: false, ...(this.ending ? { signal: this.ending } : {}) };
  }

  private async ask<T>(p: () => Promise<T>): Promise<T> {
    try {
      return await p();
    } catch (e) {
      // Ctrl-C at a prompt: quit, keeping what was done.
      if (cancelled(e)) throw new InterruptedError('interrupted at a prompt');
      throw e;
    }
  }

  async answer(q: Question): Promise<string | undefined> {
    const choice = await this.ask(() =>
      select(
        {
          message: q.help ? `${q.ask} ${this.ui.c.dim(q.help)}` : q.ask,
          choices: [...q.answers.map((a) => ({ name: a.label, value: a.id })), { name: 'Skip this question', value: '' }],
        },
        this.context
      )
    );
    return choice || undefined;
  }

  async confirm(req: ConfirmRequest): Promise<Decision> {
    const { c } = this.ui;
    if (req.risk === 'destructive') {
      const word = req.confirmWord ?? req.runbookId;
      const typed = await this.ask(() =>
        inputPrompt({ message: `${c.red.bold('Destructive.')} Type ${c.bold(word)} to run it, or press Enter to skip:` }, this.context)
      );
      if (typed.trim() === word) return 'run';
      this.output.write(`  ${c.dim(typed.trim() ? `"${typed.trim()}" is not "${word}": skipped` : 'skipped')}\n`);
      return 'skip';
    }
    type Key = 'y' | 'n' | 'c' | 'a' | 'q';
    const choices: { key: Key; name: string; value: Decision }[] = [
      { key: 'y', name: 'Run it', value: 'run' },
      { key: 'n', name: 'Skip it', value: 'skip' },
      ...(req.kind === 'check' ? [{ key: 'c' as Key, name: 'Skip the rest of this cause', value: 'skip-cause' as Decision }] : []),
      ...(req.kind === 'check' && req.risk === 'read' ? [{ key: 'a' as Key, name: 'Run this and every read command without asking', value: 'run-all-read' as Decision }] : []),
      { key: 'q', name: 'Quit (the diagnosis so far is kept)', value: 'quit' },
    ];
    const message = req.risk === 'change' ? `Run this ${c.yellow.bold('change')}?` : 'Run it?';
    // Enter alone runs a read command; a change takes a y: a tired Enter must not restart anything.
    return this.ask(() => expand({ message, default: req.risk === 'change' ? 'n' : 'y', choices }, this.context));
  }

  select<T>(message: string, choices: Choice<T>[], fallback?: T): Promise<T> {
    return this.ask(() => select<T>({ message, choices, ...(fallback !== undefined ? { default: fallback } : {}), pageSize: 12 }, this.context));
  }

  checkbox<T>(message: string, choices: Choice<T>[]): Promise<T[]> {
    return this.ask(() => checkbox<T>({ message, choices, pageSize: 15 }, this.context));
  }

  input(message: string, fallback?: string): Promise<string> {
    return this.ask(() => inputPrompt({ message, ...(fallback ? { default: fallback } : {}) }, this.context));
  }

  async variable(v: ResolvedVariable, usedBy: string): Promise<string | undefined> {
    const message = `${v.name} (${v.declaration.description}), needed by "${usedBy}":`;
    // A secret is not echoed, not even as a * a character: its length stays off the screen and out of the scrollback.
    const value = await this.ask(() => (v.secret ? password({ message }, this.context) : inputPrompt({ message }, this.context)));
    return value.trim() === '' ? undefined : value.trim();
  }
}
