// What makes irm start fast, checked by what it loads rather than by timing (timings on shared machines are noise;
// npm run bench measures those): a reading command loads no module it does not use, the compiled built-in runbooks
// and the cache of team files are used, and neither serves anything but the files as they are now.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, oneCauseRunbook, ROOT, tmp } from './helpers.js';

const META = join(ROOT, 'dist/bundle/meta.json');
/** Loading any of these costs tens of milliseconds: no command that only reads the manual may. */
const HEAVY = ['execa', '@inquirer/prompts', 'ora', 'yaml', 'zod'];

/** Records every ES module loaded (a loader hook) and every CommonJS one (require.cache at exit) to IRM_MODULE_LOG. */
const RECORDER = `
import { register, createRequire } from 'node:module';
import { appendFileSync } from 'node:fs';
const log = process.env.IRM_MODULE_LOG;
register('data:text/javascript,' + encodeURIComponent(
  'import { appendFileSync } from "node:fs";' +
  'export async function load(url, context, next) { appendFileSync(' + JSON.stringify(log) + ', url + "\\\\n"); return next(url, context); }'
));
const require = createRequire(import.meta.url);
process.on('exit', () => appendFileSync(log, Object.keys(require.cache).map((f) => 'file://' + f + '\\n').join('')));
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The packages whose code was loaded, bundled or not. */
  packages: Set<string>;
}

let recorder: string;
let meta: { outputs: Record<string, { inputs: Record<string, unknown> }> };

beforeAll(() => {
  const dir = tmp('irm-guard-');
  recorder = join(dir, 'record.mjs');
  writeFileSync(recorder, RECORDER);
  meta = JSON.parse(readFileSync(META, 'utf8'));
});

function packageOf(path: string): string | undefined {
  const m = path.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  return m?.[1];
}

/** Run bin/irm (of this checkout, or of a copy of the package) and name every package whose code it loaded. */
function run(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; bin?: string; root?: string } = {}): Run {
  const log = join(tmp('irm-guard-log-'), 'modules.log');
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', recorder, opts.bin ?? BIN, ...args], {
    cwd: opts.cwd ?? tmp(),
    env: cleanEnv({ IRM_MODULE_LOG: log, ...opts.env }),
    encoding: 'utf8',
    timeout: 20_000,
  });
  const root = opts.root ?? ROOT;
  const packages = new Set<string>();
  for (const url of readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file://'))) {
    const file = fileURLToPath(url);
    const direct = packageOf(file);
    if (direct) packages.add(direct);
    const out = meta.outputs[file.startsWith(root) ? file.slice(root.length).replace(/^\//, '') : file];
    for (const input of Object.keys(out?.inputs ?? {})) {
      const p = packageOf(input);
      if (p) packages.add(p);
    }
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, packages };
}

const heavyIn = (r: Run) => HEAVY.filter((p) => r.packages.has(p));

describe('what a command loads', () => {
  it('irm contacts p0 loads commander and none of execa, @inquirer/prompts, ora, yaml or zod', () => {
    const r = run(['contacts', 'p0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('P0 - Critical');
    expect(r.packages).toContain('commander');
    expect(heavyIn(r)).toEqual([]);
  });

  it.each([['--version'], ['contacts', 'p0', '--json'], ['severity', '--json'], ['list', '--json']])('irm %s loads none of them either', (...args) => {
    const r = run(args);
    expect(r.code, r.stderr).toBe(0);
    expect(heavyIn(r)).toEqual([]);
  });

  it('irm run --dry-run, which runs nothing and has no terminal, loads neither execa nor ora', () => {
    const r = run(['run', 'db-performance', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Command not executed:');
    expect(r.packages).toContain('cli-table3');
    expect(r.packages).not.toContain('execa');
    expect(r.packages).not.toContain('ora');
  });

  // The recorder sees what is loaded: commands that need these packages are seen loading them.
  it('sees execa loaded by irm check, zod by irm validate, and yaml only where a diagnostic needs a position', () => {
    const team = tmp('irm-guard-team-');
    writeFileSync(
      join(team, 'quick.yaml'),
      oneCauseRunbook('quick', 'Quick', ['      - id: ok', '        title: Runs true', '        run: "true"']),
    );
    const check = run(['check', 'quick', '--runbooks', team, '--json']);
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout).results[0].verdict).toBe('healthy');
    expect(check.packages).toContain('execa');
    // Its progress spinner is for a terminal: without one, ora stays unloaded.
    expect(check.packages).not.toContain('ora');
    cpSync(join(ROOT, 'runbooks/db-performance.yaml'), join(team, 'team.yaml'));
    const validate = run(['validate', join(team, 'team.yaml')]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.packages).toContain('zod');
    // The fast reader of plain YAML read it: a valid runbook needs no yaml library.
    expect(validate.packages).not.toContain('yaml');
    writeFileSync(join(team, 'bad.yaml'), readFileSync(join(team, 'team.yaml'), 'utf8').replace(/^severity: P\d$/m, 'severity: P9'));
    const bad = run(['validate', join(team, 'bad.yaml')]);
    expect(bad.code).toBe(3);
    expect(bad.stdout + bad.stderr).toMatch(/bad\.yaml:\d+:11: error: severity: expected one of "P0", "P1", "P2", "P3", got "P9"/);
    expect(bad.packages).toContain('yaml');
    // And YAML beyond the plain part (an anchor) goes to the yaml library, to the same result.
    writeFileSync(join(team, 'anchored.yaml'), readFileSync(join(team, 'quick.yaml'), 'utf8').replace('symptoms: [x]', 'symptoms: &s [x]'));
    const anchored = run(['validate', join(team, 'anchored.yaml')]);
    expect(anchored.code, anchored.stdout + anchored.stderr).toBe(0);
    expect(anchored.packages).toContain('yaml');
  });
});

describe('the compiled built-in runbooks', () => {
  /** bin/irm with its bundle and its runbooks in a folder of its own, whose runbooks a test may change. */
  function copyOfPackage(): string {
    const dir = tmp('irm-copy-');
    for (const p of ['bin', 'dist/bundle', 'runbooks', 'package.json']) cpSync(join(ROOT, p), join(dir, p), { recursive: true });
    return dir;
  }

  it('are used while runbooks/ holds the files they were compiled from', () => {
    const dir = copyOfPackage();
    const r = run(['list', '--json'], { bin: join(dir, 'bin/irm'), root: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.packages).toContain('commander');
    expect(heavyIn(r)).toEqual([]);
  });

  it('give way to the YAML when a runbook changes, even with its size and modification time kept', () => {
    const dir = copyOfPackage();
    const file = join(dir, 'runbooks/high-cpu.yaml');
    const before = statSync(file);
    const text = readFileSync(file, 'utf8');
    const title = text.match(/^title: (.*)$/m)![1]!;
    const changed = text.replace(/^title: .*$/m, `title: ${'X'.repeat(title.length)}`);
    expect(changed.length).toBe(text.length);
    writeFileSync(file, changed);
    utimesSync(file, before.atime, before.mtime);
    const r = run(['list', '--json'], { bin: join(dir, 'bin/irm'), root: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).find((x: { id: string }) => x.id === 'high-cpu').title).toBe('X'.repeat(title.length));
    // Read and checked again (zod), not taken from runbooks.json.
    expect(r.packages).toContain('zod');
  });

  it('give way to the YAML when a runbook is added, and an invalid one is reported as before', () => {
    const dir = copyOfPackage();
    writeFileSync(join(dir, 'runbooks/zz-broken.yaml'), 'id: zz-broken\ntitle: Broken\n');
    const r = run(['list', '--json'], { bin: join(dir, 'bin/irm'), root: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('runbooks/zz-broken.yaml:1:1: error: missing required key');
    expect(JSON.parse(r.stdout).map((x: { id: string }) => x.id)).toContain('high-cpu');
  });
});

describe('the cache of team files', () => {
  const runbook = (id: string, title: string) =>
    oneCauseRunbook(id, title, ['      - id: api-health', '        title: The API answers', '        run: curl -fsS http://localhost:${{ api_port }}/health']);

  function team(): { cwd: string; env: Record<string, string> } {
    const cwd = tmp('irm-team-');
    mkdirSync(join(cwd, 'ops'));
    for (let i = 0; i < 3; i++) writeFileSync(join(cwd, 'ops', `team-${i}.yaml`), runbook(`team-${i}`, `Team runbook ${i}`));
    writeFileSync(join(cwd, 'irm.yaml'), 'runbooks: [ops]\nvariables:\n  api_port: 9000\n');
    return { cwd, env: { XDG_CACHE_HOME: join(cwd, 'cache') } };
  }

  it('serves a second run without the YAML parser, with the same answers', () => {
    const t = team();
    const first = run(['list', '--json'], t);
    expect(first.code, first.stderr).toBe(0);
    expect(first.packages).toContain('zod');
    const second = run(['list', '--json'], t);
    expect(second.code, second.stderr).toBe(0);
    expect(heavyIn(second)).toEqual([]);
    expect(second.stdout).toBe(first.stdout);
    expect(JSON.parse(second.stdout).map((x: { id: string }) => x.id)).toEqual(expect.arrayContaining(['team-0', 'team-1', 'team-2', 'db-performance']));
    expect(heavyIn(run(['contacts', 'p0'], t))).toEqual([]);
  });

  it('finds positions in a cached file by reading it again, with the YAML reader alone', () => {
    const t = team();
    const first = run(['config', '--json'], t);
    const second = run(['config', '--json'], t);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.packages).toContain('yaml');
    expect(second.packages).not.toContain('zod');
    expect(JSON.parse(second.stdout).variables.find((v: { name: string }) => v.name === 'api_port').where).toBe('irm.yaml:3');
  });

  it('does not read positions in a cached irm.yaml for a dry run, which shows no variable\'s line', () => {
    const t = team();
    expect(run(['list', '--json'], t).code).toBe(0);
    const r = run(['run', 'db-performance', '--dry-run'], t);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Command not executed:');
    expect(heavyIn(r)).toEqual([]);
    // The variable irm.yaml sets is still used: its value reaches the commands.
    const api = run(['run', 'team-0', '--dry-run'], t);
    expect(api.code, api.stderr).toBe(0);
    expect(api.stdout).toContain('http://localhost:9000/health');
    expect(heavyIn(api)).toEqual([]);
    // What does show the line still finds it.
    const config = run(['config'], t);
    expect(config.code, config.stderr).toBe(0);
    expect(config.stdout).toMatch(/│ api_port +│ 9000 +│ irm\.yaml:3 +│/);
  });

  it('does not serve a file that changed, even with its size and modification time kept', () => {
    const t = team();
    expect(run(['list', '--json'], t).code).toBe(0);
    const file = join(t.cwd, 'ops', 'team-1.yaml');
    const before = statSync(file);
    writeFileSync(file, runbook('team-1', 'Team runbook Z'));
    utimesSync(file, before.atime, before.mtime);
    const r = run(['list', '--json'], t);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).find((x: { id: string }) => x.id === 'team-1').title).toBe('Team runbook Z');
  });

  it('gives irm validate the same located diagnostics from the cache as from the file', () => {
    const t = team();
    writeFileSync(join(t.cwd, 'ops', 'team-2.yaml'), runbook('team-2', 'Team runbook 2').replace('risk', 'rsik').replace('    solution:', '        risk: raed\n    solution:'));
    const first = run(['validate', 'ops'], t);
    const second = run(['validate', 'ops'], t);
    expect(first.code).toBe(3);
    expect(first.stdout + first.stderr).toContain('ops/team-2.yaml:14:15: error: causes[0].checks[0].risk: expected one of "read", "change", "destructive", got "raed"');
    expect(second.code).toBe(3);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toBe(first.stderr);
    expect(heavyIn(second)).toEqual([]);
  });

  it('keeps reporting a broken file where it is broken, on every run', () => {
    const t = team();
    writeFileSync(join(t.cwd, 'ops', 'team-1.yaml'), runbook('team-1', 'Team runbook 1').replace('severity: P3', 'severity: P9'));
    for (let i = 0; i < 2; i++) {
      const r = run(['list', '--json'], t);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('ops/team-1.yaml:4:11: error: severity: expected one of "P0", "P1", "P2", "P3", got "P9"');
      expect(JSON.parse(r.stdout).map((x: { id: string }) => x.id)).not.toContain('team-1');
    }
  });
});
