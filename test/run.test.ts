// irm run, irm check and irm ref run end to end on lab runbooks whose checks are real shell commands.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, cleanEnv, groupsOf, irm, killGroups, oneCauseRunbook, processes, survivors, tree } from './helpers.js';

/** A runbook of plain shell checks: each cause is a situation the test sets up with files. */
const LAB = `
id: lab
title: Lab bench
summary: Checks on files, for testing the engine.
severity: P3
symptoms: [Something is off]
variables:
  flag_file: { description: A file that must exist, type: path, default: flag }
  word: { description: Any text, default: hello }
  bench_token: { description: The token the bench reads the flag with }
preflight:
  - id: bench-here
    title: The bench folder exists
    run: test -d .
causes:
  - id: flag-missing
    title: The flag file is missing
    explanation: Without the flag, nothing works.
    checks:
      - id: flag-present
        title: The flag file exists
        run: test -f \${{ flag_file }} && echo present
        expect: [{ contains: present }]
      - id: flag-content
        title: The flag says ok
        needs: [flag-present]
        run: cat \${{ flag_file }}
        expect: [{ contains: ok }]
        hint: \${{ flag_file }} says something else; the bench read it with token \${{ bench_token }}, its log says why.
    solution:
      - text: Create the flag.
      - title: Write the flag
        run: echo ok > \${{ flag_file }}
        risk: change
        impact: Writes the flag file.
  - id: word-wrong
    title: The word is wrong
    explanation: The word must be hello.
    checks:
      - id: word-echo
        title: The word echoes back as hello
        run: printf '%s\\n' \${{ word }}
        expect: [{ matches: '^hello$' }]
        on_problem: { note: 'The word is \${{ word }}: set it back before anything else.' }
    solution:
      - text: Set the word back.
`;

const RISKY = `
id: risky
title: Risky things
summary: A change and a destructive check.
severity: P3
symptoms: [x]
causes:
  - id: c
    title: C
    explanation: E
    checks:
      - id: touch-change
        title: Touch a file
        run: touch changed
        risk: change
        impact: Creates the file "changed".
      - id: remove-it
        title: Remove a file
        run: rm -f changed && touch removed
        risk: destructive
        impact: Deletes the file "changed".
        confirm: removed
    solution:
      - text: n/a
`;

const SLOW = `
id: slow
title: Slow things
summary: Commands that take their time.
severity: P3
symptoms: [x]
timeout: 20s
causes:
  - id: c
    title: C
    explanation: E
    checks:
      - id: endless
        title: A command that never ends
        run: sleep 300; echo irm-endless-marker
        timeout: 1s
      - id: after
        title: The next check still runs
        run: echo next
        expect: [{ contains: next }]
    solution:
      - text: n/a
`;

function lab(files: Record<string, string> = {}) {
  return tree({ 'lab/lab.yaml': LAB, 'lab/risky.yaml': RISKY, 'lab/slow.yaml': SLOW, ...files });
}

const run = (dir: string, args: string[], env: Record<string, string> = {}) => irm([...args, '--runbooks', 'lab'], { cwd: dir, env });

describe('irm run', () => {
  it('confirms the cause that holds, rules out the others, and reports every check (--yes --json)', () => {
    const dir = lab({ flag: 'bad\n' });
    const r = run(dir, ['run', 'lab', '--yes', '--json']);
    expect(r.code).toBe(1);
    const report = r.json();
    expect(report.diagnosis.confirmed).toEqual(['flag-missing']);
    const status = Object.fromEntries(report.diagnosis.causes.map((c: { id: string; status: string }) => [c.id, c.status]));
    expect(status).toEqual({ 'flag-missing': 'confirmed', 'word-wrong': 'ruled-out' });
    const content = report.checks.find((c: { id: string }) => c.id === 'flag-content');
    expect(content).toMatchObject({ verdict: 'problem', exit_code: 0, command: 'cat flag', risk: 'read', decision: 'auto' });
    expect(content.reasons[0]).toEqual({ ok: false, wanted: 'output containing "ok"', got: 'bad' });
    expect(content.output.excerpt).toBe('bad\n');
    expect(typeof content.duration_ms).toBe('number');
    expect(report.checks[0]).toMatchObject({ id: 'bench-here', verdict: 'healthy' });
    // Fixes are listed, not run, without a terminal.
    expect(readFileSync(join(dir, 'flag'), 'utf8')).toBe('bad\n');
  });

  it('all healthy: nothing confirmed, exit 0', () => {
    const r = run(lab({ flag: 'ok\n' }), ['run', 'lab', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(r.json().diagnosis.confirmed).toEqual([]);
  });

  it('a check that needs a failed one is blocked, not run', () => {
    const r = run(lab(), ['run', 'lab', '--yes', '--json']);
    const content = r.json().checks.find((c: { id: string }) => c.id === 'flag-content');
    expect(content).toMatchObject({ verdict: 'blocked', note: 'needs "The flag file exists" (flag-present), which found a problem' });
    expect(content.command).toBeUndefined();
    expect(content.hint).toBeUndefined();
  });

  it('a problem shows its check\'s hint, variables filled in and secrets masked, on screen and in JSON; a healthy check none', () => {
    const env = { IRM_VAR_BENCH_TOKEN: 'tok-5ecret-bench' };
    const hint = 'flag says something else; the bench read it with token ********, its log says why.';
    const bad = lab({ flag: 'bad\n' });
    const text = run(bad, ['run', 'lab', '--yes'], env);
    expect(text.code).toBe(1);
    // Under the verdict, after what was expected and what was found.
    expect(text.stdout).toContain(`    ✖ problem found exit 0`);
    expect(text.stdout).toContain(`\n      expected output containing "ok", got: bad\n      hint: ${hint}\n`);
    const json = run(bad, ['run', 'lab', '--yes', '--json'], env);
    const checks = json.json().checks as { id: string; hint?: string }[];
    expect(checks.find((c) => c.id === 'flag-content')!.hint).toBe(hint);
    expect(checks.filter((c) => c.hint).map((c) => c.id)).toEqual(['flag-content']);
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) expect(out).not.toContain('tok-5ecret-bench');
    const good = lab({ flag: 'ok\n' });
    const fine = run(good, ['run', 'lab', '--yes'], env);
    expect(fine.code).toBe(0);
    expect(fine.stdout).not.toContain('hint:');
    expect((run(good, ['run', 'lab', '--yes', '--json'], env).json().checks as { hint?: string }[]).every((c) => c.hint === undefined)).toBe(true);
  });

  it('without a terminal and without --yes, read commands are refused: exit 4, nothing runs', () => {
    const r = run(lab({ flag: 'ok\n' }), ['run', 'lab', '--json']);
    expect(r.code).toBe(4);
    const report = r.json();
    expect(report.refused).toBeGreaterThan(0);
    expect(report.checks[0]).toMatchObject({ verdict: 'refused', note: expect.stringContaining('--yes runs read commands') });
  });

  it('change and destructive commands are refused without a terminal, even with --yes, unless allowed', () => {
    const dir = lab();
    const r = run(dir, ['run', 'risky', '--yes', '--json']);
    expect(r.code).toBe(4);
    expect(r.json().checks.map((c: { verdict: string }) => c.verdict)).toEqual(['refused', 'refused']);
    expect(existsSync(join(dir, 'changed'))).toBe(false);
    const c = run(dir, ['run', 'risky', '--yes', '--allow', 'change', '--json']);
    expect(c.json().checks.map((x: { verdict: string }) => x.verdict)).toEqual(['healthy', 'refused']);
    expect(existsSync(join(dir, 'changed'))).toBe(true);
    expect(c.code).toBe(4);
    const d = run(dir, ['run', 'risky', '--yes', '--allow', 'destructive', '--json']);
    expect(d.code).toBe(0);
    expect(existsSync(join(dir, 'removed'))).toBe(true);
  });

  it('--fix runs the confirmed causes\' fixes without a terminal, as --allow permits', () => {
    const dir = lab();
    const refused = run(dir, ['run', 'lab', '--yes', '--fix', '--json']);
    expect(refused.code).toBe(4);
    expect(existsSync(join(dir, 'flag'))).toBe(false);
    const fixed = run(dir, ['run', 'lab', '--yes', '--fix', '--allow', 'change', '--json']);
    const step = fixed.json().diagnosis.causes[0].solution[1];
    expect(step).toMatchObject({ title: 'Write the flag', risk: 'change', outcome: { verdict: 'healthy', exit_code: 0 } });
    expect(readFileSync(join(dir, 'flag'), 'utf8')).toBe('ok\n');
    expect(run(dir, ['run', 'lab', '--yes', '--json']).code).toBe(0);
  });

  it('--dry-run prints every command with its variables filled in and runs nothing', () => {
    const dir = lab();
    const r = run(dir, ['run', 'risky', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Plan (dry run: nothing is executed)');
    expect(r.stdout).toContain('[change] Touch a file');
    expect(r.stdout).toContain('Command not executed: touch changed');
    expect(r.stdout).toContain('would ask you to type: removed');
    expect(existsSync(join(dir, 'changed'))).toBe(false);
    const l = run(dir, ['run', 'lab', '--dry-run', '--set', 'flag_file=my flag']);
    expect(l.stdout).toContain("Command not executed: test -f 'my flag' && echo present");
    expect(l.stdout).toContain("Command not executed: echo ok > 'my flag'");
    // The fixes are planned after the last cause, under the name of the cause they fix.
    expect(l.stdout).toMatch(/Cause 2\/2: The word is wrong\n[\s\S]*\n\nFix for The flag file is missing\n  \[change\] fix: Write the flag/);
  });

  it("says a check's on_problem note when it finds the problem, and not when the check is healthy", () => {
    const dir = lab({ flag: 'ok\n' });
    const bad = run(dir, ['run', 'lab', '--yes', '--set', 'word=bye']);
    expect(bad.stdout).toContain('The word is bye: set it back before anything else.');
    const good = run(dir, ['run', 'lab', '--yes']);
    expect(good.stdout).not.toContain('set it back before anything else');
  });

  it('variables are data: a value with shell syntax runs no second command', () => {
    const dir = lab();
    const pwned = join(dir, 'pwned');
    for (const value of [`x; touch ${pwned}`, `$(touch ${pwned})`, `\`touch ${pwned}\``, `' ; touch ${pwned} ; '`]) {
      const r = run(dir, ['run', 'lab', '--yes', '--json', '--set', `word=${value}`]);
      const echo = r.json().checks.find((c: { id: string }) => c.id === 'word-echo');
      expect(echo.output.excerpt).toBe(`${value}\n`);
      expect(existsSync(pwned)).toBe(false);
    }
    // Also through the environment and a --vars-file.
    const viaEnv = run(dir, ['run', 'lab', '--yes', '--json'], { IRM_VAR_WORD: `a;touch ${pwned}` });
    expect(viaEnv.json().checks.find((c: { id: string }) => c.id === 'word-echo').output.excerpt).toBe(`a;touch ${pwned}\n`);
    expect(existsSync(pwned)).toBe(false);
  });

  it('variables are also exported to the command as IRM_VAR_<NAME>, in shell and argv forms', () => {
    const rb = LAB.replace('id: lab', 'id: envs').replace("run: printf '%s\\n' \${{ word }}", 'run: printf "%s\\n" "$IRM_VAR_WORD"');
    const argv = rb.replace('id: envs', 'id: envs-argv').replace('run: printf "%s\\n" "$IRM_VAR_WORD"', 'argv: [printenv, IRM_VAR_WORD]');
    expect(rb).toContain('"$IRM_VAR_WORD"');
    expect(argv).toContain('argv: [printenv, IRM_VAR_WORD]');
    const dir = tree({ 'lab/a.yaml': rb, 'lab/b.yaml': argv });
    for (const id of ['envs', 'envs-argv']) {
      const r = run(dir, ['run', id, '--yes', '--json', '--set', "word=it's a $(test)"]);
      expect(r.json().checks.find((c: { id: string }) => c.id === 'word-echo').output.excerpt, id).toBe("it's a $(test)\n");
    }
  });

  it('shows the values a command reads from IRM_VAR_<NAME>, secrets masked, before it runs and in a dry run', () => {
    const rb = LAB.replace('id: lab', 'id: envs').replace("run: printf '%s\\n' \${{ word }}", 'run: printf "%s %s\\n" "$IRM_VAR_WORD" "${IRM_VAR_BENCH_TOKEN}"');
    expect(rb).toContain('"$IRM_VAR_WORD" "${IRM_VAR_BENCH_TOKEN}"');
    const dir = tree({ 'lab/a.yaml': rb });
    const dry = run(dir, ['run', 'envs', '--dry-run', '--set', 'word=hi there', '--set', 'bench_token=s3cr3t-value']);
    expect(dry.stdout).toContain("with IRM_VAR_WORD='hi there' IRM_VAR_BENCH_TOKEN=********");
    const real = run(dir, ['run', 'envs', '--yes', '--set', 'word=hi there', '--set', 'bench_token=s3cr3t-value']);
    expect(real.stdout).toContain("with IRM_VAR_WORD='hi there' IRM_VAR_BENCH_TOKEN=********");
    expect(dry.stdout + real.stdout).not.toContain('s3cr3t-value');
  });

  it('a variable without a value is exit 2, naming it and how to set it', () => {
    const dir = tree({ 'lab/v.yaml': LAB.replace('default: flag', 'example: flag').replace('id: lab', 'id: needs-var') });
    const r = run(dir, ['run', 'needs-var', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no value for variable "flag_file" (needed by "The flag file exists")');
    expect(r.stderr).toContain('--set flag_file=VALUE or IRM_VAR_FLAG_FILE=VALUE');
  });

  it('--vars-file supplies variables by name; an unknown name is an error', () => {
    const dir = lab({ 'vars.env': 'flag_file=other\n', other: 'ok\n', 'bad.env': 'flag_fil=x\n' });
    expect(run(dir, ['run', 'lab', '--yes', '--json', '--vars-file', 'vars.env']).json().diagnosis.confirmed).toEqual([]);
    const bad = run(dir, ['run', 'lab', '--yes', '--vars-file', 'bad.env']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('did you mean "flag_file"?');
    // A value from the file is named by the file when it is wrong.
    writeFileSync(join(dir, 'port.env'), 'api_port=notaport\n');
    const port = run(dir, ['run', 'lab', '--yes', '--vars-file', 'port.env']);
    expect(port.code).toBe(2);
    expect(port.stderr).toContain('invalid value for variable "api_port" (from --vars-file port.env)');
    expect(run(dir, ['run', 'lab', '--yes', '--vars-file', 'missing.env']).stderr).toContain('cannot read --vars-file missing.env: no such file or folder');
  });

  it("--env-file, which Node 20 takes for itself, is a usage error that names --vars-file (Node's own exit 9 when the file is missing)", () => {
    const dir = lab({ 'vars.env': 'flag_file=other\n' });
    const r = run(dir, ['run', 'lab', '--yes', '--env-file', 'vars.env']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--env-file is Node's own option on Node 20");
    expect(r.stderr).toContain('--vars-file FILE');
  });

  it('a command that never ends is stopped at its timeout, its process group killed, and the run goes on', async () => {
    const dir = lab();
    const t0 = Date.now();
    const r = run(dir, ['run', 'slow', '--yes', '--json']);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const [endless, after] = r.json().checks;
    expect(endless).toMatchObject({ verdict: 'error', error: { kind: 'timeout', message: 'timed out after 1s' } });
    expect(after).toMatchObject({ verdict: 'healthy' });
    const ps = await new Promise<string>((res) => {
      const p = spawn('ps', ['-eo', 'args']);
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('close', () => res(out));
    });
    expect(ps).not.toContain('sleep 300; echo irm-endless-marker');
  });

  it('a missing command is "could not run" with a hint, never healthy, and decides no cause', () => {
    const rb = LAB.replace('id: lab', 'id: missing').replace('run: test -f ${{ flag_file }} && echo present', 'run: redis-cli-not-installed-here ping');
    const dir = tree({ 'lab/m.yaml': rb, flag: 'ok\n' });
    const r = run(dir, ['run', 'missing', '--yes', '--json']);
    const check = r.json().checks.find((c: { id: string }) => c.id === 'flag-present');
    expect(check).toMatchObject({ verdict: 'error', error: { kind: 'missing-command', message: 'command not found: redis-cli-not-installed-here' } });
    expect(r.json().diagnosis.causes[0].status).toBe('unknown');
    expect(r.code).toBe(1);
    const argv = tree({ 'lab/m.yaml': rb.replace('run: redis-cli-not-installed-here ping', 'argv: [redis-cli-not-installed-here, ping]'), flag: 'ok\n' });
    const a = run(argv, ['run', 'missing', '--yes', '--json']).json().checks.find((c: { id: string }) => c.id === 'flag-present');
    expect(a.error).toMatchObject({ kind: 'missing-command', message: 'command not found: redis-cli-not-installed-here' });
  });

  it('an unknown runbook id is exit 2', () => {
    const r = run(lab(), ['run', 'labb', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "lab"?');
  });

  it('--allow takes change or destructive only', () => {
    const r = run(lab(), ['run', 'lab', '--allow', 'everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow takes change or destructive');
  });

  it('--wait-healthy re-runs a failing check until it passes', () => {
    const dir = lab();
    const r = irm(['run', 'lab', '--yes', '--json', '--wait-healthy', '8s', '--runbooks', 'lab', '--set', `flag_file=${join(dir, 'late')}`], {
      cwd: dir,
      env: {},
    });
    // Nothing creates the file: it fails after its attempts.
    expect(r.json().checks.find((c: { id: string }) => c.id === 'flag-present').attempts).toBeGreaterThan(1);
  });

  it('--wait-healthy is one budget for the whole run, not one per check', () => {
    const failing = (id: string) => `      - { id: ${id}, title: Fails ${id}, run: "false" }`;
    const dir = tree({ 'lab/f.yaml': oneCauseRunbook('failing', 'Three failing checks', [failing('f1'), failing('f2'), failing('f3')]) });
    const t0 = Date.now();
    const r = run(dir, ['run', 'failing', '--yes', '--json', '--wait-healthy', '4s']);
    const took = Date.now() - t0;
    expect(r.code).toBe(1);
    // The first check takes the budget, retrying; once it is up, the others run once each.
    const [f1, f2, f3] = r.json().checks;
    expect(f1.attempts).toBeGreaterThan(1);
    expect([f2.attempts, f3.attempts]).toEqual([1, 1]);
    // A budget per check took 3 x 4s and more.
    expect(took).toBeLessThan(10_000);
  });
});

describe('following and retrying', () => {
  const FOLLOW = `
id: follow
title: Follow
summary: A command that never stops printing, and one that fails until it does not.
severity: P3
symptoms: [x]
causes:
  - id: c
    title: C
    explanation: E
    checks:
      - id: tail
        title: Follow a log
        run: while true; do echo tick; sleep 0.2; done
        stream: true
      - id: third-time
        title: Succeeds on the third attempt
        run: echo x >> count; n=$(wc -l < count); [ $n -ge 3 ] && echo ok
        retry: { count: 3, delay: 100ms }
        expect: [{ contains: ok }]
    solution:
      - text: n/a
`;
  it('a following command runs for its window, then is stopped; a retried check passes on its third attempt', () => {
    const dir = tree({ 'lab/f.yaml': FOLLOW });
    const t0 = Date.now();
    const r = run(dir, ['run', 'follow', '--yes', '--json', '--window', '1s']);
    expect(Date.now() - t0).toBeLessThan(8000);
    expect(r.code).toBe(0);
    const [tail, third] = r.json().checks;
    expect(tail).toMatchObject({ verdict: 'healthy', stream: true, note: 'followed for 1s, then stopped' });
    expect(tail.output.excerpt).toMatch(/^(tick\n){3,}/);
    expect(third).toMatchObject({ verdict: 'healthy', attempts: 3 });
  });

  it('a following command stopped at the end of its window is judged on the output it gave meanwhile', () => {
    const dir = tree({
      'lab/f.yaml': oneCauseRunbook('judged', 'Judged while following', [
        '      - id: wants-missing',
        '        title: Wants a line that never comes',
        '        run: while true; do echo tick; sleep 0.2; done',
        '        stream: true',
        '        expect: [{ contains: NOPE-NEVER }]',
        '      - id: wants-tick',
        '        title: Wants a tick, and says exit 0',
        '        run: while true; do echo tick; sleep 0.2; done',
        '        stream: true',
        '        expect: [{ exit: 0 }, { contains: tick }]',
      ]),
    });
    const r = run(dir, ['run', 'judged', '--yes', '--json', '--window', '1s']);
    expect(r.code).toBe(1);
    const [missing, tick] = r.json().checks;
    expect(missing).toMatchObject({ verdict: 'problem', stream: true, note: 'followed for 1s, then stopped' });
    expect(missing.reasons).toEqual([{ ok: false, wanted: 'output containing "NOPE-NEVER"', got: expect.stringMatching(/^tick/) }]);
    // Killed by irm at the window's end: its exit status is irm's doing, not the command's, and is not held against it.
    expect(tick).toMatchObject({ verdict: 'healthy', note: 'followed for 1s, then stopped' });
    expect(tick.reasons).toEqual([
      { ok: true, wanted: 'output containing "tick"', got: 'tick' },
      { ok: true, wanted: 'exit status 0', got: 'not judged: irm stopped the command at the end of its window' },
    ]);
    expect(r.json().diagnosis.confirmed).toEqual(['c']);
  });

  it('on a terminal-less text view, a following command prints as it goes', () => {
    const dir = tree({ 'lab/f.yaml': FOLLOW });
    const r = run(dir, ['run', 'follow', '--yes', '--window', '1s']);
    expect(r.stdout).toContain('(following output; Ctrl-C stops it and returns to the runbook)');
    expect(r.stdout).toContain('    │ tick');
  });
});

describe('secrets in output', () => {
  const ENV = 'DATABASE_URL=postgres://tradingbot:hunter2-db-pass@db:5432/tradingbot\nREDIS_URL=redis://:redis-sekrit-pw@cache:6379/0\nBINANCE_API_KEY=bnc-4f9a8e7d6c5b4a39\nBINANCE_SECRET_KEY=sk-0a1b2c3d4e5f\nLOG_LEVEL=INFO\n';
  const GREP = `
id: env-check
title: Env check
summary: The manual's grep on .env.
severity: P1
symptoms: [x]
causes:
  - id: vars
    title: Missing environment variables
    explanation: E
    checks:
      - id: grep-env
        title: The keys are present
        run: grep -E "DATABASE_URL|REDIS_URL|BINANCE_API_KEY" \${{ env_file }}
      - id: cat-env
        title: Everything in the file
        run: cat \${{ env_file }}; echo "key in a sentence bnc-4f9a8e7d6c5b4a39"
    solution:
      - text: n/a
`;
  it('the manual\'s grep shows the keys are present, never their values, on screen, in JSON and in irm check', () => {
    const dir = tree({ '.env': ENV, 'lab/env.yaml': GREP });
    const secrets = ['hunter2-db-pass', 'redis-sekrit-pw', 'bnc-4f9a8e7d6c5b4a39', 'sk-0a1b2c3d4e5f'];
    for (const args of [['run', 'env-check', '--yes', '--json'], ['run', 'env-check', '--yes'], ['check', 'env-check', '--format', 'json'], ['check', 'env-check']]) {
      const r = run(dir, args);
      const all = r.stdout + r.stderr;
      for (const s of secrets) expect(all, `${args.join(' ')} leaks ${s}`).not.toContain(s);
      if (args[0] === 'run') {
        expect(all).toContain('DATABASE_URL=postgres://tradingbot:********@db:5432/tradingbot');
        expect(all).toContain('BINANCE_API_KEY=********');
      }
    }
    const report = run(dir, ['run', 'env-check', '--yes', '--json']).json();
    expect(report.checks[0].output.excerpt.split('\n').map((l: string) => l.split('=')[0])).toEqual(['DATABASE_URL', 'REDIS_URL', 'BINANCE_API_KEY', '']);
    expect(report.checks[1].output.excerpt).toContain('key in a sentence ********');
  });

  it('a short secret is masked where it stands alone; a .env passphrase and webhook URL are masked wherever they appear', () => {
    const env = 'EXCHANGE_API_PASSPHRASE=correct-horse-battery\nSLACK_WEBHOOK_URL=https://hooks.slack.com/services/T0AAAA/B0BBBB/xyzSECRETxyz123\nAUTH_ENABLED=1\n';
    const rb = oneCauseRunbook('short', 'Short', [
      '      - id: say',
      '        title: Says them',
      `        run: 'echo "token is \${{ token }}; label; (ab) 1 row"; cat \${{ env_file }}; echo "phrase correct-horse-battery, hook https://hooks.slack.com/services/T0AAAA/B0BBBB/xyzSECRETxyz123"'`,
    ], ['variables:', '  token: { description: A token, secret: true }']);
    const dir = tree({ '.env': env, 'lab/short.yaml': rb });
    for (const args of [['run', 'short', '--yes', '--json'], ['run', 'short', '--yes']]) {
      const r = run(dir, [...args, '--set', 'token=ab', '--set', 'env_file=.env']);
      expect(r.code).toBe(0);
      const all = r.stdout + r.stderr;
      for (const s of ['token is ab', '(ab)', 'correct-horse', 'xyzSECRETxyz123', 'B0BBBB']) expect(all, `${args.join(' ')} leaks ${s}`).not.toContain(s);
    }
    const excerpt = run(dir, ['run', 'short', '--yes', '--json', '--set', 'token=ab', '--set', 'env_file=.env']).json().checks[0].output.excerpt;
    // A one-character value of a .env key is masked beside its key only: "1 row" stays.
    expect(excerpt).toBe('token is ********; label; (********) 1 row\nEXCHANGE_API_PASSPHRASE=********\nSLACK_WEBHOOK_URL=********\nAUTH_ENABLED=********\nphrase ********, hook ********\n');
  });

  it('what a check wanted is masked too: a says: or contains: that names a secret variable', () => {
    const rb = oneCauseRunbook('want', 'Wants', [
      '      - id: want',
      '        title: Wants the token',
      "        run: echo nothing",
      '        expect:',
      '          - contains: ${{ token }}',
      '          - exit: 1',
      '            says: the token ${{ token }} accepted',
    ], ['variables:', '  token: { description: A token, secret: true }']);
    const dir = tree({ 'lab/want.yaml': rb });
    for (const args of [['run', 'want', '--yes', '--json'], ['run', 'want', '--yes']]) {
      const r = run(dir, [...args, '--set', 'token=sk_live_9f8e7d6c5b4a']);
      expect(r.code).toBe(1);
      expect(r.stdout + r.stderr, args.join(' ')).not.toContain('9f8e7d6c5b4a');
      expect(r.stdout).toContain('********');
    }
  });

  it('a followed command\'s secret that arrives in two reads is masked as it is shown', () => {
    const rb = oneCauseRunbook('split', 'Split', [
      '      - id: follow',
      '        title: Follow',
      `        run: 'printf "start %s" "\${IRM_VAR_TOKEN:0:10}"; sleep 0.4; printf "%s end\\nAPI_KEY=bnc-4f9a" "\${IRM_VAR_TOKEN:10}"; sleep 0.4; printf "8e7d6c5b ok\\nlast words"'`,
      '        stream: true',
    ], ['variables:', '  token: { description: A token, secret: true }']);
    const dir = tree({ 'lab/split.yaml': rb });
    const r = run(dir, ['run', 'split', '--yes', '--window', '5s', '--set', 'token=sk_live_9f8e7d6c5b4a']);
    expect(r.code).toBe(0);
    // The command line spells the halves out; what the command printed must not show them.
    const printed = r.stdout.split('\n').filter((l) => l.startsWith('    │')).join('\n');
    for (const p of ['sk_live', '9f8e7d', '6c5b4a', 'bnc-4f9a', '8e7d6c5b']) expect(printed).not.toContain(p);
    expect(r.stdout).toContain('    │ start ******** end\n    │ API_KEY=******** ok\n    │ last words\n');
  });

  it('a secret split by the cut of long output is masked on both sides of it, on screen and in the file kept', () => {
    const secret = 'sk_live_9f8e7d6c5b4a';
    // The secret straddles the end of the 64 KiB head, then the start of the 64 KiB tail; then, in many lines, the
    // head's end again, where the screen folds and the whole output goes to a file.
    const py = (expr: string) => `python3 -c "import os,sys; s=os.environ['IRM_VAR_TOKEN']; sys.stdout.write(${expr})"`;
    const rb = oneCauseRunbook('cut', 'Cut', [
      '      - id: head-cut',
      '        title: Head',
      `        run: ${JSON.stringify(py("'x'*(65536-len(s)+1)+s+'y'*200000+'\\n'"))}`,
      '      - id: tail-cut',
      '        title: Tail',
      `        run: ${JSON.stringify(py("'x'*200000+s+'y'*(65536-len(s)+1)+'\\n'"))}`,
      '      - id: lines-cut',
      '        title: Lines',
      `        run: ${JSON.stringify(py("'x\\n'*32760+s+'\\n'+'y\\n'*200000"))}`,
    ], ['variables:', '  token: { description: A token, secret: true }']);
    const dir = tree({ 'lab/cut.yaml': rb });
    const pieces = Array.from({ length: secret.length - 5 }, (_, i) => secret.slice(i, i + 6));
    const screen = run(dir, ['run', 'cut', '--yes', '--set', `token=${secret}`]);
    expect(screen.code).toBe(0);
    // Each output is kept whole in a file: the two single long lines (cut on screen) and the many lines (folded).
    const files = [...screen.stdout.matchAll(/the whole output is in (\S+)\)/g)].map((m) => m[1]!);
    expect(files).toHaveLength(3);
    const kept = (id: string) => readFileSync(files.find((f) => f.endsWith(`-${id}.log`))!, 'utf8');
    const json = run(dir, ['run', 'cut', '--yes', '--json', '--set', `token=${secret}`]);
    const places = [['screen', screen.stdout + screen.stderr], ['json', json.stdout + json.stderr], ...files.map((f) => [f, readFileSync(f, 'utf8')])];
    for (const [where, text] of places) {
      for (const p of pieces) expect(text, `${where} shows ${p}`).not.toContain(p);
    }
    expect(kept('head-cut')).toContain('xxxx********\n');
    expect(screen.stdout).toContain('│ ********yyyy');
    expect(kept('lines-cut')).toMatch(/^x\n[^]*\n\*{8}\n\[\.\.\. \d+ bytes cut by irm \.\.\.\]\ny\n/);
  }, 30_000);
});

describe('output is bounded', () => {
  it('a command printing 200 MB keeps memory bounded and a head and tail with a marker', async () => {
    const rb = `
id: flood
title: Flood
summary: A lot of output.
severity: P3
symptoms: [x]
causes:
  - id: c
    title: C
    explanation: E
    checks:
      - id: flood
        title: 200 MB of output
        run: echo first-line; head -c 200000000 /dev/zero | tr '\\0' 'x'; echo; echo last-line
        timeout: 60s
    solution:
      - text: n/a
`;
    const dir = tree({ 'lab/flood.yaml': rb });
    const child = spawn(process.execPath, [BIN, 'run', 'flood', '--yes', '--json', '--runbooks', 'lab'], { cwd: dir, env: cleanEnv() });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    let peakKb = 0;
    const poll = setInterval(() => {
      try {
        const m = readFileSync(`/proc/${child.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        /* exited */
      }
    }, 20);
    const code = await new Promise<number | null>((res) => child.on('close', res));
    clearInterval(poll);
    expect(code).toBe(0);
    const check = JSON.parse(out).checks[0];
    expect(check.output.bytes).toBe(200_000_000 + 'first-line\n'.length + '\nlast-line\n'.length);
    expect(check.output.truncated).toBe(true);
    expect(check.output.excerpt.startsWith('first-line\n')).toBe(true);
    expect(check.output.excerpt.endsWith('last-line\n')).toBe(true);
    expect(out.length).toBeLessThan(100_000);
    expect(peakKb).toBeGreaterThan(0);
    expect(peakKb).toBeLessThan(150 * 1024);
  }, 90_000);
});

describe('output that would take over the terminal', () => {
  it('is shown with its control characters visible (ESC as ^[), a very long line cut and kept whole in the output file', () => {
    const dir = tree({
      'lab/esc.yaml': oneCauseRunbook('esc', 'Escapes', [
        '      - id: esc',
        '        title: Prints escapes',
        `        run: printf 'before\\033[2J\\033]0;retitled\\007after\\r\\n'; head -c 5000 /dev/zero | tr '\\0' y; echo; exit 1`,
      ]),
    });
    const state = join(dir, 'state');
    const r = irm(['run', 'esc', '--runbooks', 'lab', '--yes'], { cwd: dir, env: { XDG_STATE_HOME: state } });
    expect(r.code).toBe(1);
    // No colour without a terminal: any ESC or BEL on stdout would be the command's.
    expect(r.stdout).not.toMatch(/[\u001b\u0007\r]/);
    expect(r.stdout).toContain('│ before^[[2J^[]0;retitled^Gafter');
    expect(r.stdout).toContain('got: exit status 1: before^[[2J^[]0;retitled^Gafter');
    expect(r.stdout).toMatch(/│ y{2000} … \(3000 more characters\)/);
    const kept = /the whole output is in (\S+)\)/.exec(r.stdout);
    expect(kept, r.stdout.slice(0, 3000)).not.toBeNull();
    expect(r.stdout).toContain('(1 long line cut; the whole output is in ');
    expect(readFileSync(kept![1]!, 'utf8')).toContain('y'.repeat(5000));
    // The report keeps what the command printed, escaped as JSON escapes it.
    const json = irm(['run', 'esc', '--runbooks', 'lab', '--yes', '--json'], { cwd: dir, env: { XDG_STATE_HOME: state } }).json();
    expect(json.checks[0].output.excerpt).toContain('before\u001b[2J');
  });
});

describe('a reader that does not read', () => {
  it('does not hold irm up: a followed command still ends after its window while stdout is a full pipe', () => {
    const dir = tree({
      'lab/flood.yaml': oneCauseRunbook('flood', 'Floods', ['      - id: flood', '        title: Prints 300 KB, then waits', "        run: head -c 300000 /dev/zero | tr '\\0' x | fold -w 100; sleep 30", '        stream: true']),
    });
    // The pipe (64 KiB) fills at once; its reader starts reading only after 4 s.
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" run flood --runbooks lab --yes --window 1s | (sleep 4; cat)`], { cwd: dir, env: cleanEnv(), encoding: 'utf8' });
    const took = /✔ healthy (\d+\.\d)s/.exec(r.stdout);
    expect(took, r.stdout.replace(/x{20,}/g, 'x…')).not.toBeNull();
    expect(Number(took![1])).toBeLessThan(2.5);
  }, 30_000);
});

describe('Ctrl-C', () => {
  function start(dir: string, args: string[]) {
    const child = spawn(process.execPath, [BIN, ...args, '--runbooks', 'lab'], { cwd: dir, env: cleanEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((res) => child.on('close', res));
    return { child, done, out: () => stdout, err: () => stderr };
  }
  const LONG = SLOW.replace('timeout: 1s', 'timeout: 60s');

  it('once ends the running command only; the runbook goes on, and its diagnosis is incomplete: exit 130', async () => {
    const dir = tree({ 'lab/slow.yaml': LONG });
    const p = start(dir, ['run', 'slow', '--yes', '--json']);
    await new Promise((r) => setTimeout(r, 1500));
    p.child.kill('SIGINT');
    const code = await p.done;
    const report = JSON.parse(p.out());
    expect(report.checks[0]).toMatchObject({ id: 'endless', verdict: 'interrupted' });
    expect(report.checks[1]).toMatchObject({ id: 'after', verdict: 'healthy' });
    // The stopped check gave no verdict: as irm check says of the same Ctrl-C, the run is interrupted.
    expect(report.interrupted).toBe(true);
    expect(report.exit_code).toBe(130);
    expect(code).toBe(130);
    expect(p.err()).toContain('stopping the command (Ctrl-C again quits)');
  });

  it('twice quits with exit 130 after saving what was done', async () => {
    const dir = tree({ 'lab/slow.yaml': LONG.replace('run: echo next', 'run: sleep 60; echo next') });
    const p = start(dir, ['run', 'slow', '--yes', '--json']);
    await new Promise((r) => setTimeout(r, 1500));
    p.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGINT');
    const code = await p.done;
    expect(code).toBe(130);
    const report = JSON.parse(p.out());
    expect(report.interrupted).toBe(true);
    expect(report.exit_code).toBe(130);
    expect(report.checks.map((c: { verdict: string }) => c.verdict)).toEqual(['interrupted', 'interrupted']);
    expect(p.err()).toContain('quitting; keeping what was done');
  });

  it('stops irm check with every check still running, after one has ended, and keeps the report', async () => {
    // Two slow checks and a quick one, all at once: the quick one ends first, and Ctrl-C must still reach both.
    const dir = tree({ 'lab/slow.yaml': LONG.replace('run: echo next', 'run: sleep 300; echo next').replace('    solution:', '      - id: quick\n        title: Quick\n        run: echo quick\n    solution:') });
    const p = start(dir, ['check', 'slow', '--json']);
    await new Promise((r) => setTimeout(r, 1500));
    const sent = Date.now();
    p.child.kill('SIGINT');
    const code = await p.done;
    expect(Date.now() - sent).toBeLessThan(10_000);
    expect(code).toBe(130);
    const report = JSON.parse(p.out());
    expect(report.interrupted).toBe(true);
    expect(report.results.map((c: { id: string; verdict: string }) => `${c.id}:${c.verdict}`)).toEqual(['endless:interrupted', 'after:interrupted', 'quick:healthy']);
  });
});

describe('ended by a signal (SIGTERM, SIGHUP: a closed terminal)', () => {
  function start(dir: string, args: string[], env: Record<string, string> = {}) {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: cleanEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    return { child, done, out: () => stdout, err: () => stderr };
  }

  const mark = (what: string) => `irm-${what}-${process.pid}-${Date.now()}`;

  it('SIGTERM during irm run: the command group is killed (SIGKILL after the grace for one that ignores SIGTERM), the report kept, exit 143', async () => {
    const plain = mark('sleeper');
    const stubborn = mark('stubborn');
    // The first check ignores SIGTERM, and so does its sleep, which inherits that: only SIGKILL after the grace ends
    // them. The second must never start.
    const dir = tree({
      'lab/t.yaml': oneCauseRunbook('sig', 'Ended by a signal', [
        `      - { id: stubborn, title: Ignores SIGTERM, run: "trap '' TERM; echo started; sleep 300; : ${stubborn}" }`,
        `      - { id: sleeper, title: Never runs, run: "sleep 300; : ${plain}" }`,
      ]),
    });
    const p = start(dir, ['run', 'sig', '--yes', '--json', '--runbooks', 'lab']);
    const groups = await groupsOf([stubborn]);
    try {
      p.child.kill('SIGTERM');
      const code = await p.done;
      expect(code, p.err()).toBe(143);
      expect(await survivors(groups)).toEqual([]);
      const report = JSON.parse(p.out());
      expect(report).toMatchObject({ interrupted: true, exit_code: 143 });
      expect(report.checks[0]).toMatchObject({ id: 'stubborn', verdict: 'interrupted', note: 'stopped: irm received SIGTERM', signal: 'SIGKILL' });
      // Nothing starts once irm is being ended.
      expect(report.checks.find((c: { id: string }) => c.id === 'sleeper')).toBeUndefined();
      expect((await processes()).some((x) => x.args.includes(plain))).toBe(false);
      expect(p.err()).toContain('irm: SIGTERM: stopping the running commands');
    } finally {
      killGroups(groups);
    }
  });

  it('SIGHUP during irm check: every running check is stopped, a followed one too; exit 129 with the report', async () => {
    const follow = mark('follow');
    const sleeper = mark('sleeper');
    const dir = tree({
      'log.txt': 'one line\n',
      'lab/t.yaml': oneCauseRunbook('sig', 'Ended by a signal', [
        `      - { id: follows, title: Follows a log, stream: true, run: "tail -f log.txt; : ${follow}" }`,
        `      - { id: sleeps, title: Sleeps, run: "sleep 300; : ${sleeper}" }`,
      ]),
    });
    const p = start(dir, ['check', 'sig', '--json', '--window', '120s', '--runbooks', 'lab']);
    const groups = await groupsOf([follow, sleeper]);
    try {
      p.child.kill('SIGHUP');
      const code = await p.done;
      expect(code, p.err()).toBe(129);
      expect(await survivors(groups)).toEqual([]);
      const report = JSON.parse(p.out());
      expect(report).toMatchObject({ interrupted: true, exit_code: 129 });
      expect(report.results.map((r: { id: string; verdict: string; note: string }) => `${r.id}:${r.verdict}:${r.note}`)).toEqual([
        'follows:interrupted:stopped: irm received SIGHUP',
        'sleeps:interrupted:stopped: irm received SIGHUP',
      ]);
    } finally {
      killGroups(groups);
    }
  });

  it('SIGTERM while a check waits to be tried again: no other attempt starts, the last verdict stands, exit 143', async () => {
    const dir = tree({ 'lab/t.yaml': oneCauseRunbook('sig', 'Ended by a signal', ['      - { id: fails, title: Fails, run: "echo attempt >> attempts; false" }']) });
    const p = start(dir, ['run', 'sig', '--yes', '--wait-healthy', '5m', '--runbooks', 'lab']);
    for (let i = 0; i < 200 && !p.out().includes('trying again (attempt 2)'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(p.out()).toContain('trying again (attempt 2)');
    p.child.kill('SIGTERM');
    expect(await p.done).toBe(143);
    expect(readFileSync(join(dir, 'attempts'), 'utf8')).toBe('attempt\n');
    expect(p.out()).toMatch(/Fails: problem: expected exit status 0/);
  });

  it('SIGTERM during irm triage: the investigation\'s command is stopped and the incident kept; exit 143', async () => {
    const sleeper = mark('triage');
    const dir = tree({
      'lab/t.yaml': oneCauseRunbook('sig', 'Ended by a signal', [`      - { id: sleeps, title: Sleeps, run: "sleep 300; : ${sleeper}" }`]),
      'irm.yaml': 'runbooks: [lab]\nvariables:\n  deployment: host\n  api_port: 1\n  log_dir: logs\n',
      'logs/app.log': 'INFO started\n',
    });
    const env = { IRM_HOME: join(dir, 'state') };
    const p = start(dir, ['triage', '--severity', 'P3', '--title', 'Sleepy', '--runbook', 'sig', '--yes', '--json'], env);
    const groups = await groupsOf([sleeper]);
    try {
      p.child.kill('SIGTERM');
      const code = await p.done;
      expect(code, p.err()).toBe(143);
      expect(await survivors(groups)).toEqual([]);
      const r = JSON.parse(p.out());
      expect(r).toMatchObject({ exit_code: 143, stopped: expect.stringContaining('interrupted') });
      const inc = irm(['incident', 'show', r.incident, '--json'], { cwd: dir, env }).json().incident;
      expect(inc.events.find((e: { type: string; check?: string }) => e.type === 'command' && e.check === 'sleeps')).toMatchObject({ verdict: 'interrupted' });
    } finally {
      killGroups(groups);
    }
  });
});

describe('irm check', () => {
  it('takes a --set that any of the runbooks checked declares, and names a typo', () => {
    const dir = lab({ flag: 'ok\n' });
    // risky declares no variable; lab declares word.
    const r = run(dir, ['check', 'risky', 'lab', '--json', '--set', 'word=hello']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().results.find((x: { id: string }) => x.id === 'word-echo').verdict).toBe('healthy');
    const typo = run(dir, ['check', 'risky', 'lab', '--json', '--set', 'wrod=hello']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown variable "wrod" in --set');
    expect(typo.stderr).toContain('did you mean "word"?');
  });

  it("says how much of the host's CPU irm's own checks took while high-cpu measured it", () => {
    // Two checks that keep a core each busy run beside host-cpu: its line says irm and its checks took much of it.
    const burn = (id: string) => `      - { id: ${id}, title: Keeps a core busy, run: "timeout 3 sh -c 'while :; do :; done'; true" }`;
    const dir = tree({ 'lab/burn.yaml': oneCauseRunbook('burner', 'Burns CPU', [burn('burn-1'), burn('burn-2')]) });
    const r = run(dir, ['check', 'burner', 'high-cpu', '--json', '--set', 'cpu_sample_seconds=1']);
    const host = r.json().results.find((x: { id: string }) => x.id === 'host-cpu');
    const m = /irm and its checks: (\d+)% of the host/.exec(host.output.excerpt);
    expect(m, host.output.excerpt).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(20);
  });

  it('runs the read checks of the named runbooks, skips the others, exit 1 on a problem', () => {
    const dir = lab({ flag: 'ok\n' });
    const r = run(dir, ['check', 'lab', 'risky', '--format', 'json']);
    const rows = r.json().results;
    expect(rows.map((x: { id: string; verdict: string }) => `${x.id}:${x.verdict}`)).toEqual([
      'bench-here:healthy', 'flag-present:healthy', 'flag-content:healthy', 'word-echo:healthy', 'touch-change:skipped', 'remove-it:skipped',
    ]);
    expect(r.code).toBe(0);
    expect(existsSync(join(dir, 'changed'))).toBe(false);
    const bad = run(dir, ['check', 'lab', '--json', '--set', 'word=bye']);
    expect(bad.code).toBe(1);
    expect(bad.json().summary).toMatchObject({ healthy: 3, problem: 1 });
  });

  it('runs checks concurrently: wall time near the slowest check, not the sum', () => {
    const sleeps = Array.from({ length: 6 }, (_, i) => `      - { id: s${i}, title: Sleep ${i}, run: sleep 1 }`);
    const rb = oneCauseRunbook('sleepy', 'Sleepy', sleeps);
    const dir = tree({ 'lab/s.yaml': rb });
    const r = run(dir, ['check', 'sleepy', '--json', '--concurrency', '6']);
    expect(r.code).toBe(0);
    expect(r.json().duration_ms).toBeLessThan(4000);
    const serial = run(dir, ['check', 'sleepy', '--json', '--concurrency', '1']);
    expect(serial.json().duration_ms).toBeGreaterThanOrEqual(6000);
  }, 30_000);

  it('starts the checks that may take longest first, and reports them in the runbook\'s order', () => {
    // Each check notes when it starts; one slot, so the start order is the pool's choice alone.
    const note = (id: string) => `echo ${id} >> started`;
    const rb = oneCauseRunbook('order', 'Order', [
      `      - { id: first, title: Default timeout, run: "${note('first')}" }`,
      `      - { id: needy, title: Needs the first, needs: [first], run: "${note('needy')}" }`,
      `      - { id: middle, title: Five seconds, timeout: 5s, run: "${note('middle')}" }`,
      `      - { id: retried, title: "Three tries of 3s, 1s apart", timeout: 3s, retry: { count: 2, delay: 1s }, run: "${note('retried')}" }`,
      `      - { id: longest, title: Twenty seconds, timeout: 20s, run: "${note('longest')}" }`,
      `      - { id: follows, title: Follows output, stream: true, run: "${note('follows')}; sleep 5" }`,
      `      - { id: last, title: Default timeout too, run: "${note('last')}" }`,
    ], ['timeout: 2s', 'preflight:', `  - { id: pre, title: Preflight, run: "${note('pre')}" }`]);
    const dir = tree({ 'lab/order.yaml': rb });
    const r = run(dir, ['check', 'order', '--json', '--concurrency', '1', '--window', '1s']);
    expect(r.code, r.stderr).toBe(0);
    // A following command surely lasts its window: first. Then by the longest each may take (20s, 3 x 3s + 2 x 1s,
    // 5s), then the runbook's default timeout in the runbook's order; a check that needs another waits for it.
    expect(readFileSync(join(dir, 'started'), 'utf8').trim().split('\n')).toEqual(['follows', 'longest', 'retried', 'middle', 'pre', 'first', 'last', 'needy']);
    expect(r.json().results.map((x: { id: string; verdict: string }) => `${x.id}:${x.verdict}`)).toEqual([
      'pre:healthy', 'first:healthy', 'needy:healthy', 'middle:healthy', 'retried:healthy', 'longest:healthy', 'follows:healthy', 'last:healthy',
    ]);
    // Without a terminal the table comes alone: no progress on stderr.
    const table = run(dir, ['check', 'order', '--concurrency', '1', '--window', '1s']);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/│ order\s+│ Preflight\s+│ ✔ healthy/);
    expect(table.stdout.indexOf('Preflight')).toBeLessThan(table.stdout.indexOf('Default timeout too'));
    expect(table.stderr).toBe('');
  }, 30_000);

  it('junit and prometheus formats', () => {
    const dir = lab();
    const j = run(dir, ['check', 'lab', '--format', 'junit']);
    expect(j.code).toBe(1);
    expect(j.stdout).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="irm check" tests="4" failures="1" errors="0" skipped="1"/);
    expect(j.stdout).toContain('<failure message="expected output containing &quot;present&quot;, got: no output" type="problem">');
    const p = run(dir, ['check', 'lab', '--format', 'prometheus']);
    expect(p.stdout).toContain('# TYPE irm_check_healthy gauge');
    expect(p.stdout).toContain('irm_check_healthy{runbook="lab",check="flag-present"} 0');
    expect(p.stdout).toContain('irm_check_healthy{runbook="lab",check="word-echo"} 1');
    expect(p.stdout).toContain('irm_check_verdict{runbook="lab",check="flag-content",verdict="blocked"} 1');
    expect(run(dir, ['check', 'lab', '--format', 'xml']).code).toBe(2);
  });

  it('needs names or --all', () => {
    const r = irm(['check']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('name the runbooks to check, or --all');
  });

  it('the docker forms on a machine without a docker engine: could not run, with a hint', () => {
    const r = irm(['check', 'db-performance', '--json']);
    const first = r.json().results[0];
    expect(first).toMatchObject({ id: 'db-answers', verdict: 'error' });
    expect(['docker-unavailable', 'missing-command']).toContain(first.error.kind);
    expect(first.error.hint).toMatch(/deployment: host/);
    expect(r.code).toBe(1);
  });
});

describe('irm ref run', () => {
  it('the emergency shutdown is destructive: refused without a terminal, never run by --yes', () => {
    const r = irm(['ref', 'run', 'emergency-shutdown', '--yes', '--json', '--set', 'process_pattern=irm-test-no-such-process']);
    expect(r.code).toBe(4);
    expect(r.json().commands.map((c: { verdict: string }) => c.verdict)).toEqual(['refused', 'refused']);
  });

  it('dry run shows the exact commands', () => {
    const r = irm(['ref', 'run', 'restore', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Command not executed: psql -h localhost -p 5432 -U tradingbot tradingbot < backup.sql');
    expect(r.stdout).toContain('would ask you to type: tradingbot');
  });

  it('a read command runs with --yes', () => {
    const r = irm(['ref', 'run', 'health', '--yes', '--json', '--set', 'api_port=1']);
    expect(r.json().commands[0]).toMatchObject({ id: 'health', verdict: 'problem', exit_code: 7 });
    expect(r.code).toBe(1);
  });

  it('an unknown name suggests the closest', () => {
    const r = irm(['ref', 'run', 'restar']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "restart"?');
  });
});
