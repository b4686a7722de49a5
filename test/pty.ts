// A real pseudo-terminal for interactive tests: util-linux `script` runs irm on a pty; we read its screen and type.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, cleanEnv } from './helpers.js';

const ANSI_RE = /\u001b\[[0-9;?]*[A-Za-z]|\u001b[()][A-Za-z0-9]|\u001b[=>]|\r/g;

export class Pty {
  private child: ChildProcessWithoutNullStreams;
  private raw = '';
  private seen = 0;
  readonly exited: Promise<number | null>;

  constructor(args: string[], opts: { cwd: string; env?: Record<string, string | undefined>; cols?: number }) {
    // A real terminal has a size; script's pty starts with none, so set one as a terminal emulator would.
    const cols = opts.cols ?? 160;
    const command = `stty cols ${cols} rows 50; exec ` + [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    this.child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: opts.cwd,
      env: cleanEnv({ TERM: 'xterm-256color', COLUMNS: String(cols), LINES: '50', ...opts.env }),
    });
    this.child.stdout.on('data', (d: Buffer) => (this.raw += d.toString('utf8')));
    this.child.stderr.on('data', (d: Buffer) => (this.raw += d.toString('utf8')));
    this.exited = new Promise((res) => this.child.on('close', (code) => res(code)));
  }

  /** The pid of `script`, whose child (exec'd) is irm. */
  get pid(): number {
    return this.child.pid!;
  }

  /** Everything written so far, terminal escapes and all. */
  get output(): string {
    return this.raw;
  }

  /** Everything shown so far, without terminal escapes. */
  get screen(): string {
    return this.raw.replace(ANSI_RE, '');
  }

  /** Wait until the text after what was already matched shows the pattern. */
  async expect(pattern: RegExp | string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.screen.slice(this.seen);
      const m = typeof pattern === 'string' ? (rest.includes(pattern) ? [pattern] : null) : rest.match(pattern);
      if (m) {
        this.seen += rest.indexOf(m[0]) + m[0].length;
        return m[0];
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen so far:\n${this.screen.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Type as an operator would; give the prompt a moment to take each key. */
  async type(text: string): Promise<void> {
    for (const ch of text) {
      this.child.stdin.write(ch);
      await new Promise((r) => setTimeout(r, 15));
    }
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
