// Standard output and error without Node's stream machinery where irm's output goes to a file or /dev/null.
//
// process.stdout (and stderr) is made on first use: for a file or /dev/null a SyncWriteStream, for a pipe a socket,
// for a terminal a tty stream; each brings Node's stream modules along (about 4 ms here, a quarter of what irm adds
// to Node's own start). A file or /dev/null takes every write at once, so for them irm writes the bytes itself, as
// Node's SyncWriteStream would. A pipe keeps process.stdout: a reader that stops reading fills it, and a synchronous
// write would then stop irm itself (its timers, Ctrl-C, the checks' timeouts) until the reader reads; Node's pipe
// stream queues instead. A terminal keeps it too: its width and colours come from the tty module.
import { fstatSync, statSync, writeSync } from 'node:fs';

/** What irm writes its output and messages to. */
export interface OutStream {
  write(chunk: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

let devNull: number | undefined;
/** /dev/null's device number, looked up once. */
const devNullRdev = () => (devNull ??= statSync('/dev/null').rdev);

/** Whether a descriptor is plainly not a terminal (not a character device, or /dev/null), told without the tty module. */
export function plainlyNotTTY(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return !st.isCharacterDevice() || st.rdev === devNullRdev();
  } catch {
    return false;
  }
}

/** Whether a descriptor is a regular file or /dev/null: what takes every write at once. */
export function takesWritesAtOnce(fd: number): boolean {
  try {
    const st = fstatSync(fd);
    return st.isFile() || (st.isCharacterDevice() && st.rdev === devNullRdev());
  } catch {
    return false;
  }
}

/** Block the thread for about a millisecond (a pipe whose reader has not caught up). */
function pause(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
}

/**
 * A descriptor written synchronously and whole: what irm uses for a file or /dev/null. It also copes with a pipe (a
 * full one, EAGAIN, is waited for; a reader gone, EPIPE, ends the writing quietly), but blocks irm while it waits.
 */
export class FdWriter implements OutStream {
  readonly isTTY = false;
  private closed = false;

  constructor(readonly fd: number, private readonly onClosed: () => void = () => {}) {}

  write(chunk: string | Uint8Array): boolean {
    if (this.closed) return false;
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    while (buf.length) {
      try {
        buf = buf.subarray(writeSync(this.fd, buf));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN') {
          pause();
          continue;
        }
        if (code === 'EPIPE') {
          this.closed = true;
          this.onClosed();
          return false;
        }
        throw e;
      }
    }
    return true;
  }
}

/**
 * Standard output or error (fd 1 or 2): an FdWriter for a file or /dev/null, else Node's stream for it (a pipe, a
 * terminal). `onClosed` runs when the reader of a pipe has gone (`irm list | head -1`).
 */
export function standardStream(fd: 1 | 2, onClosed: () => void): OutStream {
  if (takesWritesAtOnce(fd)) return new FdWriter(fd, onClosed);
  const stream = fd === 1 ? process.stdout : process.stderr;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') onClosed();
  });
  return stream;
}

/**
 * Node's stream for what irm writes to, for the libraries that need a real one (the prompts pipe into it): an
 * FdWriter's descriptor then gets its process.stdout or stderr, which writes files and pipes synchronously too, so
 * the two keep their order.
 */
export function asNodeStream(s: OutStream): NodeJS.WritableStream {
  if (s instanceof FdWriter) return s.fd === 1 ? process.stdout : s.fd === 2 ? process.stderr : (s as unknown as NodeJS.WritableStream);
  return s as unknown as NodeJS.WritableStream;
}
