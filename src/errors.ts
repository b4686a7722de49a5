// Typed errors: thrown anywhere below the CLI, turned into a message and an exit code only at the entry point.

export const EXIT = {
  ok: 0,
  problem: 1,
  usage: 2,
  invalid: 3,
  refused: 4,
  interrupted: 130,
  /** 128 + the signal's number, as a shell reports a program a signal ended. */
  hangup: 129,
  terminated: 143,
} as const;

export const EXIT_CODE_TABLE: [number, string][] = [
  [EXIT.ok, 'completed; everything checked is healthy'],
  [EXIT.problem, 'a problem was found (a cause confirmed, or a check failed or could not run)'],
  [EXIT.usage, 'usage error: bad flag, unknown runbook id or level, missing variable'],
  [EXIT.invalid, 'invalid runbook or configuration'],
  [EXIT.refused, 'refused: a command needed a confirmation that was not given'],
  [EXIT.interrupted, 'interrupted (Ctrl-C)'],
  [EXIT.hangup, 'ended by SIGHUP (its terminal closed): running commands stopped, what was done reported'],
  [EXIT.terminated, 'ended by SIGTERM: running commands stopped, what was done reported'],
];

export class IrmError extends Error {
  readonly exitCode: number = EXIT.usage;
  /** Extra lines shown under the message: a snippet, a hint. */
  details: string[] = [];
}

export class UsageError extends IrmError {
  override readonly exitCode: number = EXIT.usage;
  constructor(message: string, readonly hint?: string) {
    super(message);
    if (hint) this.details.push(hint);
  }
}

/** A variable's value that a command cannot take: the command is not run. */
export class InvalidVariableError extends UsageError {}

/** An id, level or service that does not exist, with the closest match. */
export class NotFoundError extends UsageError {}

export class RunbookError extends IrmError {
  override readonly exitCode: number = EXIT.invalid;
  constructor(message: string, readonly diagnostics: import('./load/diagnostics.js').Diagnostic[] = []) {
    super(message);
  }
}

export class RefusedError extends IrmError {
  override readonly exitCode: number = EXIT.refused;
}

export class InterruptedError extends IrmError {
  override readonly exitCode: number = EXIT.interrupted;
}

/** irm was ended by a signal (SIGTERM, SIGHUP) before it had anything to report: exit 128 + the signal's number. */
export class EndedBySignalError extends IrmError {
  constructor(signal: string, override readonly exitCode: number) {
    super(`ended by ${signal}`);
  }
}
