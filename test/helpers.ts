// Spawning the built bin/irm as a user would, in a temporary folder of its own.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Every temporary folder a test made, removed when its worker exits. */
const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
function mkTemp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}
export const BIN = join(ROOT, 'bin', 'irm');

/** Every YAML file under a folder, its subfolders included (node_modules left out): the corpus of the reader tests. */
export function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : yamlFilesUnder(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
  json<T = any>(): T;
}

/** A clean environment: no colour forcing, no irm variables, HOME and XDG pointing at an empty folder. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // CI: ora (is-interactive) and chalk (supports-color) change what they draw when it is set, and CI sets it; a
    // test that wants it says so.
    if (/^(IRM_|FORCE_COLOR|NO_COLOR|XDG_|NODE_OPTIONS|VITEST|TERM$|CI$)/.test(k)) continue;
    env[k] = v;
  }
  const home = mkTemp('irm-home-');
  env.HOME = home;
  env.XDG_CONFIG_HOME = join(home, '.config');
  env.XDG_STATE_HOME = join(home, '.state');
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function irm(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeout?: number } = {}): Result {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? tmp(),
    env: cleanEnv(opts.env),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeout ?? 20_000,
  });
  return {
    code: r.status,
    stdout: r.stdout,
    stderr: r.stderr,
    json() {
      try {
        return JSON.parse(r.stdout);
      } catch {
        throw new Error(`not JSON (exit ${r.status}):\n${r.stdout}\n--- stderr:\n${r.stderr}`);
      }
    },
  };
}

export function tmp(prefix = 'irm-test-'): string {
  return mkTemp(prefix);
}

/** Write files (path → content) under a new temporary folder and return it. */
export function tree(files: Record<string, string>): string {
  const dir = tmp();
  for (const [p, text] of Object.entries(files)) {
    const full = join(dir, p);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
  }
  return dir;
}

export const ANSI = /\u001b\[/;

/**
 * A valid runbook with one cause ("c") whose checks are `checks`: YAML lines written as items of `checks:` (six
 * spaces before "- "). `head` adds top-level lines after the symptoms (a timeout, a preflight).
 */
export function oneCauseRunbook(id: string, title: string, checks: string[], head: string[] = []): string {
  return [`id: ${id}`, `title: ${title}`, 'summary: A test runbook', 'severity: P3', 'symptoms: [x]', ...head, 'causes:', '  - id: c', '    title: C', '    explanation: E', '    checks:', ...checks, '    solution:', '      - text: n/a', ''].join('\n');
}

/** Each process of the machine: pid, parent, process group, state and command line. */
export async function processes(): Promise<{ pid: number; ppid: number; pgid: number; stat: string; args: string }[]> {
  const out = await new Promise<string>((res) => {
    const p = spawn('ps', ['-eo', 'pid=,ppid=,pgid=,stat=,args=']);
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    p.on('close', () => res(text));
  });
  return out.split('\n').flatMap((l) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(l);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), pgid: Number(m[3]), stat: m[4]!, args: m[5]! }] : [];
  });
}

/**
 * The process groups of the commands (not irm) whose line holds each marker: waits until all of them run, up to
 * about 20 s.
 */
export async function groupsOf(markers: string[]): Promise<number[]> {
  for (let i = 0; i < 200; i++) {
    const ps = await processes();
    const groups = markers.map((m) => ps.find((p) => p.args.includes(m) && !p.args.includes('bin/irm'))?.pgid);
    if (groups.every((g) => g !== undefined)) return groups as number[];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not all running: ${markers.join(', ')}`);
}

/** The processes still alive in those groups, as "pid args" (a zombie has ended: only its reaping is left). */
export async function survivors(groups: number[]): Promise<string[]> {
  const left = (await processes()).filter((p) => groups.includes(p.pgid) && !p.stat.startsWith('Z'));
  return left.filter((p) => {
    try {
      process.kill(p.pid, 0);
      return true;
    } catch {
      return false;
    }
  }).map((p) => `${p.pid} ${p.args}`);
}

/** Kill what is left of those groups: a test that fails must not leave its commands running. */
export function killGroups(groups: number[]): void {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone, as it should be */
    }
  }
}
