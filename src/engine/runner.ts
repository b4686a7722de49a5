// Where commands run. The local runner: its own process group, a timeout, bounded output, and a kill of the whole group.
import type { execa as Execa } from 'execa';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { CommandForm } from '../model/command.js';
import { BoundedOutput, type CutRedact } from './output.js';

export interface RunRequest {
  form: CommandForm;
  /** Extra environment for the command (irm's variables as IRM_VAR_<NAME>). */
  env: Record<string, string>;
  timeoutMs: number;
  cwd?: string;
  /** Aborting ends the command (Ctrl-C): its process group gets SIGTERM, then SIGKILL. */
  signal?: AbortSignal;
  /** A streaming command (logs -f) runs for this window, then is stopped; that is not a failure. */
  windowMs?: number;
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
  /** Masks secrets in what is shown and kept of the output (`redactedOutput`), across the cuts of long output too. */
  redact: CutRedact & { readonly reach: number };
}

export interface RunResult {
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  /** Both streams in the order they came. */
  output: string;
  /** `output` as it may be shown and kept: secrets masked, a secret split by the cut of long output too. */
  redactedOutput: string;
  bytes: number;
  truncated: boolean;
  timedOut: boolean;
  /** The time limit it had, for saying what it exceeded. */
  timeoutMs?: number;
  /** Stopped at the end of its window (a streaming command). */
  windowEnded: boolean;
  interrupted: boolean;
  /** The command could not start at all (not found, not executable). */
  spawnError?: string;
}

export interface Runner {
  readonly name: string;
  run(req: RunRequest): Promise<RunResult>;
}

/** How long a command has to end after SIGTERM before its process group gets SIGKILL. */
export const KILL_GRACE_MS = 2000;

/**
 * Each read from a command's pipe is a new 64 KiB buffer outside the JavaScript heap. Its wrapper is tiny, so the heap
 * fills slowly and V8 frees the buffers only when their total passes its external-memory limit: a command printing
 * hundreds of megabytes kept 50 MB of dead buffers around. A scavenge every few MiB read frees them as they come.
 */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;
let readSinceCollect = 0;
let scavenge: (() => void) | null | undefined;

function collectReadBuffers(bytes: number): void {
  readSinceCollect += bytes;
  if (readSinceCollect < COLLECT_EVERY_BYTES) return;
  readSinceCollect = 0;
  if (scavenge === undefined) {
    try {
      // Exposes gc() to new contexts only: irm's own global scope stays as it is.
      setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as (opts?: { type: 'minor' | 'major' }) => void;
      scavenge = () => gc({ type: 'minor' });
    } catch {
      scavenge = null;
    }
  }
  scavenge?.();
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * The process groups of the commands running now. Each command runs in a group (and session) of its own, so that
 * the group can be killed whole; but then no signal irm gets (SIGTERM, a closed terminal's SIGHUP) reaches it, and
 * irm must end them itself: a `tail -f` left behind runs forever.
 */
const liveGroups = new Set<number>();

/** Send a signal to the process group of every command running now. */
export function signalRunning(signal: NodeJS.Signals): void {
  for (const pid of liveGroups) killGroup(pid, signal);
}

/**
 * The last resort, whatever ends irm (process.exit, an uncaught error, a signal handled late): the groups still
 * running are killed as irm exits. Nothing can be waited for then, so they get SIGKILL, not SIGTERM and a grace.
 */
let exitHook = false;
function killGroupsOnExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => signalRunning('SIGKILL'));
}

export class LocalRunner implements Runner {
  readonly name = 'local';

  async run(req: RunRequest): Promise<RunResult> {
    // Loaded when something first runs: a dry run, a plan or a refusal never needs it.
    const execa: typeof Execa = (await import('execa')).execa;
    const started = performance.now();
    const out = new BoundedOutput(undefined, undefined, req.redact.reach);
    const so = new BoundedOutput();
    const se = new BoundedOutput();
    const [file, args, shell] = req.form.shell ? ['bash', ['-c', req.form.line], false] : [req.form.argv[0]!, req.form.argv.slice(1), false];
    const child = execa(file, args, {
      shell,
      env: { ...req.env, LC_ALL: process.env.LC_ALL ?? 'C' },
      extendEnv: true,
      cwd: req.cwd,
      stdin: 'ignore',
      buffer: false,
      reject: false,
      detached: true,
      stripFinalNewline: false,
    });
    if (child.pid) {
      killGroupsOnExit();
      liveGroups.add(child.pid);
    }
    let timedOut = false;
    let windowEnded = false;
    let interrupted = false;
    let forceTimer: NodeJS.Timeout | undefined;
    const stop = (why: 'timeout' | 'window' | 'interrupt') => {
      if (why === 'timeout') timedOut = true;
      else if (why === 'window') windowEnded = true;
      else interrupted = true;
      killGroup(child.pid, 'SIGTERM');
      forceTimer ??= setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    const limit = req.windowMs !== undefined ? Math.min(req.windowMs, req.timeoutMs) : req.timeoutMs;
    const timer = setTimeout(() => stop(req.windowMs !== undefined && req.windowMs <= req.timeoutMs ? 'window' : 'timeout'), limit);
    const onAbort = () => stop('interrupt');
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const collect = (stream: NodeJS.ReadableStream | null, own: BoundedOutput, name: 'stdout' | 'stderr') =>
      stream?.on('data', (chunk: Buffer) => {
        own.push(chunk);
        out.push(chunk);
        req.onOutput?.(chunk.toString('utf8'), name);
        collectReadBuffers(chunk.length);
      });
    collect(child.stdout, so, 'stdout');
    collect(child.stderr, se, 'stderr');
    let result: Awaited<typeof child>;
    try {
      result = await child;
    } finally {
      clearTimeout(timer);
      if (forceTimer) clearTimeout(forceTimer);
      req.signal?.removeEventListener('abort', onAbort);
      // The command's own children may hold the pipes open after it exits; end the group now.
      if (timedOut || windowEnded || interrupted) killGroup(child.pid, 'SIGKILL');
      if (child.pid) liveGroups.delete(child.pid);
    }
    const r: RunResult = {
      exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
      signal: result.signal ?? null,
      durationMs: Math.round(performance.now() - started),
      stdout: so.text(),
      stderr: se.text(),
      output: out.text(),
      redactedOutput: out.text(req.redact),
      bytes: out.total,
      truncated: out.truncated,
      timedOut,
      timeoutMs: req.timeoutMs,
      windowEnded,
      interrupted,
    };
    const code = (result as { code?: string }).code;
    if (result.failed && r.exitCode === null && !r.signal && code) {
      r.spawnError = code === 'ENOENT' ? `command not found: ${file}` : code === 'EACCES' ? `not executable: ${file}` : `${code}: ${file}`;
    }
    return r;
  }
}
