// The interactive flow through a real pseudo-terminal, typing answers as an operator would.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { groupsOf, irm, killGroups, processes, survivors, tree } from './helpers.js';
import { Pty } from './pty.js';

const LAB = `
id: lab
title: Lab bench
summary: Checks on files.
severity: P3
symptoms: [The flag is wrong]
variables:
  flag_file: { description: A file that must exist, type: path, default: flag }
questions:
  - id: what
    ask: What do you see?
    answers:
      - id: flag
        label: The flag looks wrong
        then: { goto: flag-missing }
      - id: nothing
        label: Nothing at all
        then: { end: Nothing to diagnose. }
causes:
  - id: word
    title: The word is wrong
    explanation: The word must be hello.
    checks:
      - id: word-echo
        title: The word echoes back
        run: echo hello
        expect: [{ contains: hello }]
    solution:
      - text: n/a
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
        run: cat \${{ flag_file }} 2>&1
        expect: [{ contains: ok }]
    solution:
      - text: Create the flag.
      - title: Write the flag
        run: echo ok > \${{ flag_file }}
        risk: change
        impact: Writes the flag file.
      - title: Remove the backup
        run: rm -f flag.bak && echo removed > removed
        risk: destructive
        impact: Deletes flag.bak for good.
        confirm: flag.bak
`;

describe('irm run on a terminal', () => {
  it('asks the questions, confirms each check, runs the fix with its impact and typed word', async () => {
    const dir = tree({ 'lab/lab.yaml': LAB });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('What do you see?');
      await pty.expect('Nothing at all');
      await pty.type('\r'); // the first answer: the flag looks wrong → straight to that cause
      await pty.expect('Cause 1/2: The flag file is missing');
      await pty.expect('$ test -f flag && echo present');
      await pty.expect(/Run it\?.*\(Yncaqh?\)|Run it\?/);
      await pty.type('y\r');
      await pty.expect('✖ problem found');
      await pty.expect('$ cat flag');
      await pty.expect('Run it?');
      await pty.type('a\r'); // this and every read command without asking
      await pty.expect('Cause 2/2: The word is wrong');
      await pty.expect('✔ healthy');
      // The diagnosis offers the confirmed cause's fixes, under its name, not the last cause's: a change with its
      // impact, then a destructive one.
      await pty.expect('\nFix for The flag file is missing\n');
      await pty.expect('impact: Writes the flag file.');
      await pty.expect('Run this change?');
      await pty.type('y\r');
      await pty.expect('✔ done');
      await pty.expect('impact: Deletes flag.bak for good.');
      await pty.expect('Type flag.bak to run it');
      await pty.type('flag\r'); // the wrong word: skipped
      await pty.expect('"flag" is not "flag.bak": skipped');
      await pty.expect('Diagnosis');
      expect(await pty.exited).toBe(1);
      expect(pty.screen).toMatch(/The flag file is missing\s+│ confirmed/);
      expect(pty.screen).toMatch(/The word is wrong\s+│ ruled out/);
      expect(readFileSync(join(dir, 'flag'), 'utf8')).toBe('ok\n');
      expect(existsSync(join(dir, 'removed'))).toBe(false);
    } finally {
      pty.kill();
    }
  });

  it('the typed word runs a destructive command; skip and skip-the-cause are recorded', async () => {
    const dir = tree({ 'lab/lab.yaml': LAB, flag: 'bad\n' });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('What do you see?');
      await pty.type('\r');
      await pty.expect('Run it?');
      await pty.type('y\r'); // flag-present: healthy
      await pty.expect('✔ healthy');
      await pty.expect('Run it?');
      await pty.type('y\r'); // flag-content: problem
      await pty.expect('✖ problem found');
      await pty.expect('Run it?');
      await pty.type('c\r'); // skip the rest of "the word" cause
      await pty.expect('Run this change?');
      await pty.type('\r'); // Enter alone skips a change
      await pty.expect('skipped');
      await pty.expect('Type flag.bak to run it');
      await pty.type('flag.bak\r');
      await pty.expect('✔ done');
      expect(await pty.exited).toBe(1);
      expect(existsSync(join(dir, 'removed'))).toBe(true);
      expect(readFileSync(join(dir, 'flag'), 'utf8')).toBe('bad\n');
      expect(pty.screen).toMatch(/The word is wrong\s+│ unknown/);
    } finally {
      pty.kill();
    }
  });

  it('an answer can end the diagnosis', async () => {
    const dir = tree({ 'lab/lab.yaml': LAB });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('Nothing at all');
      await pty.type('\u001b[B\r'); // arrow down, enter
      await pty.expect('Nothing to diagnose.');
      expect(await pty.exited).toBe(0);
      expect(pty.screen).not.toContain('Run it?');
    } finally {
      pty.kill();
    }
  });

  it('Ctrl-C at a prompt quits with exit 130, keeping what was done', async () => {
    const dir = tree({ 'lab/lab.yaml': LAB });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('What do you see?');
      await pty.type('\r');
      await pty.expect('Run it?');
      await pty.type('y\r');
      await pty.expect('✖ problem found');
      await pty.expect('Run it?');
      await pty.type('\u0003');
      await pty.expect('Interrupted: the diagnosis above covers what was done.');
      expect(await pty.exited).toBe(130);
      expect(pty.screen).toMatch(/The flag file exists: problem/);
    } finally {
      pty.kill();
    }
  });

  it('Ctrl-C at a runbook question in triage ends triage with exit 130; step 3 stays open for resume', async () => {
    const dir = tree({ 'lab/lab.yaml': LAB, 'irm.yaml': 'runbooks: [lab]\nvariables:\n  deployment: host\n  api_port: 1\n  log_dir: logs\n', 'logs/app.log': 'INFO\n' });
    const env = { IRM_HOME: join(dir, 'state'), USER: 'dana', NO_COLOR: '1' };
    const pty = new Pty(['triage', '--severity', 'P2', '--title', 't', '--symptom', 'The flag is wrong', '--runbook', 'lab', '--detected-by', 'alert', '--yes'], { cwd: dir, env });
    try {
      await pty.expect('Step 3: Investigation and Diagnosis');
      await pty.expect('What do you see?');
      await pty.type('\u0003');
      expect(await pty.exited).toBe(130);
      expect(pty.screen).toContain('interrupted; what was done is on the record');
      expect(pty.screen).not.toContain('Findings to record');
      expect(pty.screen).not.toContain('Step 4');
    } finally {
      pty.kill();
    }
    const inc = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident;
    expect(inc.steps.map((s: { step: number; completed_at?: string }) => [s.step, !!s.completed_at])).toEqual([[1, true], [2, true], [3, false]]);
  });

  it('Ctrl-C during a command ends that command and returns to the runbook', async () => {
    const slow = LAB.replace('run: echo hello', 'run: sleep 60; echo hello');
    const dir = tree({ 'lab/lab.yaml': slow, flag: 'ok\n' });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab', '--yes'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('What do you see?');
      await pty.type('\r');
      await pty.expect('sleep 60; echo hello');
      await new Promise((r) => setTimeout(r, 500));
      await pty.type('\u0003');
      await pty.expect('⊘ interrupted');
      await pty.expect('Diagnosis');
      await pty.expect('Interrupted: the diagnosis above covers what was done.');
      expect(await pty.exited).toBe(130);
    } finally {
      pty.kill();
    }
  });

  it('SIGTERM at a prompt: the prompt gives up, the diagnosis so far is printed, exit 143', async () => {
    const dir = tree({ 'lab/lab.yaml': LAB, flag: 'ok\n' });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('What do you see?');
      const irmPid = (await processes()).find((p) => p.ppid === pty.pid)!.pid;
      process.kill(irmPid, 'SIGTERM');
      await pty.expect('irm: SIGTERM: stopping the running commands');
      await pty.expect('Diagnosis');
      await pty.expect('Interrupted: the diagnosis above covers what was done.');
      expect(await pty.exited).toBe(143);
    } finally {
      pty.kill();
    }
  });

  it('closing the terminal during a command (SIGHUP) leaves nothing of it running', async () => {
    const marker = `irm-hangup-${process.pid}-${Date.now()}`;
    const follows = LAB.replace('run: echo hello', `run: "tail -f flag; : ${marker}"\n        stream: true`);
    const dir = tree({ 'lab/lab.yaml': follows, flag: 'ok\n' });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab', '--yes', '--window', '120s'], { cwd: dir, env: { NO_COLOR: '1' } });
    let groups: number[] = [];
    try {
      await pty.expect('What do you see?');
      await pty.type('\r');
      groups = await groupsOf([marker]);
      const irmPid = (await processes()).find((p) => p.ppid === pty.pid)!.pid;
      // The terminal goes away (its emulator is killed): the kernel hangs up irm's session.
      pty.kill();
      for (let i = 0; i < 100 && (await processes()).some((p) => p.pid === irmPid && !p.stat.startsWith('Z')); i++) await new Promise((r) => setTimeout(r, 100));
      expect(await survivors(groups)).toEqual([]);
    } finally {
      killGroups(groups);
      pty.kill();
    }
  });

  it('asks for a variable that has no value, and checks it', async () => {
    const noDefault = LAB.replace('default: flag', 'pattern: "[a-z]+"');
    const dir = tree({ 'lab/lab.yaml': noDefault, flag: 'ok\n' });
    const pty = new Pty(['run', 'lab', '--runbooks', 'lab', '--yes'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('What do you see?');
      await pty.type('\r');
      await pty.expect('flag_file (A file that must exist), needed by "The flag file exists"');
      await pty.type('Bad/Name\r');
      await pty.expect('does not match the pattern');
      await pty.expect('flag_file (A file that must exist)');
      await pty.type('flag\r');
      await pty.expect('$ test -f flag && echo present');
      await pty.expect('Diagnosis');
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
  });
  it('asks for a secret without echoing it, and neither a note nor the output repeats it', async () => {
    const rb = `
id: keyed
title: Keyed
summary: A check that needs a secret.
severity: P3
symptoms: [x]
variables:
  api_key: { description: The API key, secret: true, pattern: '[a-f0-9]{8}' }
causes:
  - id: c
    title: C
    explanation: E
    checks:
      - id: use-key
        title: Uses the key
        run: echo "the key is \${{ api_key }}"
    solution:
      - text: n/a
`;
    const dir = tree({ 'lab/keyed.yaml': rb });
    const pty = new Pty(['run', 'keyed', '--runbooks', 'lab', '--yes'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect('api_key (The API key), needed by "Uses the key"');
      await pty.type('deadbeefcafe\r');
      await pty.expect('api_key: the value does not match the pattern [a-f0-9]{8}');
      await pty.expect('api_key (The API key)');
      await pty.type('0badc0de\r');
      await pty.expect('│ the key is ********');
      await pty.expect('Diagnosis');
      expect(await pty.exited).toBe(0);
      for (const typed of ['deadbeef', 'cafe', '0badc0de']) expect(pty.output).not.toContain(typed);
      // Not even its length: no row of a * a character.
      expect(pty.screen).not.toMatch(/needed by "Uses the key": \*/);
    } finally {
      pty.kill();
    }
  });
});

const PROBE = `
id: probe
title: Probes
summary: Checks that take a moment.
severity: P3
symptoms: [x]
causes:
  - id: c
    title: C
    explanation: E
    checks:
      - { id: slow, title: Takes a second, run: sleep 1.5 }
      - { id: bad, title: Fails, run: sleep 0.3; exit 1 }
      - { id: quick, title: Answers at once, run: echo hi }
    solution:
      - text: n/a
`;

/** The column at which a terminal shows the first occurrence of text in raw output (\r, \n and cursor moves followed). */
function columnOf(raw: string, text: string): number | undefined {
  let col = 0;
  for (let i = 0; i < raw.length; ) {
    if (raw.startsWith(text, i)) return col;
    const csi = /^\u001b\[([0-9;?]*)([A-Za-z])/.exec(raw.slice(i, i + 16));
    if (csi) {
      const n = Number(csi[1]) || 1;
      if (csi[2] === 'G') col = n - 1;
      else if (csi[2] === 'C') col += n;
      else if (csi[2] === 'D') col = Math.max(0, col - n);
      i += csi[0].length;
      continue;
    }
    const ch = String.fromCodePoint(raw.codePointAt(i)!);
    if (ch === '\r' || ch === '\n') col = 0;
    else if (ch >= ' ') col++;
    i += ch.length;
  }
  return undefined;
}

describe('the spinner of irm run on a terminal', () => {
  const ECHO = `
id: echo
title: Echo
summary: One check that prints.
severity: P3
symptoms: [Quiet]
causes:
  - id: quiet
    title: It is quiet
    explanation: The echo must answer.
    checks:
      - id: echo
        title: The echo answers
        run: echo hello
        expect: [{ contains: hello }]
    solution:
      - text: Listen.
`;
  it('leaves the line after it at its start, and is colourless with NO_COLOR or --no-color', async () => {
    const dir = tree({ 'lab/echo.yaml': ECHO });
    for (const [flags, env] of [[[], { NO_COLOR: '1' }], [['--no-color'], {}]] as [string[], Record<string, string>][]) {
      const pty = new Pty(['run', 'echo', '--runbooks', 'lab', '--yes', ...flags], { cwd: dir, env });
      try {
        expect(await pty.exited).toBe(0);
        expect(pty.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]\S* running…/);
        // The folded output keeps the view's own indent, as without a terminal.
        expect(columnOf(pty.output, '│ hello')).toBe(4);
        expect(columnOf(pty.output, '✔ healthy')).toBe(4);
        expect(pty.output).not.toMatch(/\u001b\[[0-9;]*m/);
      } finally {
        pty.kill();
      }
    }
  }, 30_000);
});

describe('irm check on a terminal', () => {
  it('says how many checks are done and which run, shows a problem as it is found, then the table', async () => {
    const dir = tree({ 'lab/probe.yaml': PROBE });
    const pty = new Pty(['check', 'probe', '--runbooks', 'lab', '--concurrency', '2'], { cwd: dir, env: { NO_COLOR: '1' } });
    try {
      await pty.expect(/[0-2] of 3 checks done; running: probe\/slow/);
      await pty.expect('✖ problem found probe/bad: Fails');
      await pty.expect(/│ probe\s+│ Takes a second\s+│ ✔ healthy/);
      await pty.expect('2 healthy, 1 problem');
      expect(await pty.exited).toBe(1);
      // The spinner's line is cleared before the table: the report reads as it does without a terminal.
      const table = pty.screen.slice(pty.screen.indexOf('┌'));
      expect(table).not.toContain('checks done');
    } finally {
      pty.kill();
    }
  });

  it('fits its table to a narrow terminal, breaking a long word rather than cutting it; a pipe gets the whole width', async () => {
    const url = 'http://127.0.0.1:9/' + 'a-very-long-path-segment/'.repeat(4) + 'end';
    const rb = PROBE.replace('run: echo hi }', `run: echo hi, expect: [{ contains: "${url}" }] }`);
    const dir = tree({ 'lab/probe.yaml': rb });
    const pty = new Pty(['check', 'probe', '--runbooks', 'lab'], { cwd: dir, env: { NO_COLOR: '1' }, cols: 72 });
    try {
      expect(await pty.exited).toBe(1);
      const lines = pty.screen.slice(pty.screen.indexOf('┌')).split('\n');
      const table = lines.filter((l) => /^[┌│├└]/.test(l));
      expect(table.length).toBeGreaterThan(5);
      for (const line of table) expect([...line.trimEnd()].length, line).toBeLessThanOrEqual(72);
      // The long URL is all there, in pieces on consecutive lines of its column, and nothing was cut with an ellipsis.
      const detail = table.map((l) => l.split('│')[4]?.trim() ?? '').join('');
      expect(detail).toContain(url);
      expect(pty.screen).not.toContain('…');
    } finally {
      pty.kill();
    }
    const piped = irm(['check', 'probe', '--runbooks', 'lab'], { cwd: dir });
    expect(piped.stdout).toContain(url);
    expect(Math.max(...piped.stdout.split('\n').map((l) => [...l].length))).toBeGreaterThan(url.length);
  });

  it('prints no progress with --json, --format junit or prometheus, or under CI, even on a terminal', async () => {
    const dir = tree({ 'lab/probe.yaml': PROBE });
    const cases: [string[], Record<string, string>][] = [[['--json'], {}], [['--format', 'junit'], {}], [['--format', 'prometheus'], {}], [[], { CI: 'true' }]];
    for (const [args, env] of cases) {
      const pty = new Pty(['check', 'probe', '--runbooks', 'lab', ...args], { cwd: dir, env: { NO_COLOR: '1', ...env } });
      try {
        expect(await pty.exited).toBe(1);
        expect(pty.screen).toContain('probe');
        expect(pty.screen).not.toContain('checks done');
        expect(pty.screen).not.toContain('problem found probe/bad');
      } finally {
        pty.kill();
      }
    }
  }, 30_000);
});
