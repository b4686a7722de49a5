// What the scenario harness shares: free loopback ports, child processes that are always stopped, waiting for readiness.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createServer } from 'node:net';

const handedOut = new Set<number>();

/** A port nothing listens on now, found by binding 127.0.0.1:0; never the same twice, for scenarios side by side. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyPort();
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

function anyPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A child process of the harness: its own process group, killed with the group when it is stopped or the test process exits. */
export interface Child {
  proc: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const live = new Set<Child>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

// The safety net: whatever a failed test left running dies with the test process.
process.on('exit', () => {
  for (const c of live) killGroup(c.pid, 'SIGKILL');
});

export function start(cmd: string, args: string[], opts: SpawnOptions = {}): Child {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...opts });
  if (!proc.pid) throw new Error(`could not start ${cmd}`);
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const child: Child = {
    proc,
    pid: proc.pid,
    output: () => out,
    exited,
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        live.delete(child);
        return;
      }
      killGroup(proc.pid!, signal);
      const t = setTimeout(() => killGroup(proc.pid!, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
      live.delete(child);
    },
  };
  live.add(child);
  exited.then(() => live.delete(child));
  return child;
}

/** Wait for a line of a child's output; fail with what it printed when it exits first. */
export async function ready(child: Child, marker: RegExp, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!marker.test(child.output())) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) throw new Error(`${what} exited (${child.proc.exitCode ?? child.proc.signalCode}): ${child.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}: ${child.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Start something on ports from freePort, again on fresh ports when one was taken meanwhile: a port is free when it
 * is handed out, but until the server binds it, any other process (a connection's local port, too) may take it.
 */
export async function onFreePorts<T>(what: string, attempt: (fresh: boolean) => Promise<T>, tries = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt(i > 1);
    } catch (e) {
      if (i >= tries || !/EADDRINUSE|Address already in use|could not bind/i.test(String(e))) throw e;
      process.stderr.write(`${what}: a port was taken meanwhile, trying others\n`);
    }
  }
}

export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}
