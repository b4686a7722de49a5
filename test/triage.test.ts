// irm triage end to end: scripted through step 3, and through a real pseudo-terminal from triage to post-mortem.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { irm, tree } from './helpers.js';
import { Pty } from './pty.js';

/** A runbook whose checks look at a real file: the flag must say ok. */
const LAB = `
id: lab
title: Flag problems
summary: The flag file is wrong.
severity: P1
symptoms: [The flag is wrong]
variables:
  flag_file: { description: The flag, type: path, default: flag }
  flag_token: { description: The token the flag is written with }
causes:
  - id: flag-bad
    title: The flag says something else
    explanation: The flag must say ok.
    checks:
      - id: flag-ok
        title: The flag says ok
        run: cat \${{ flag_file }} 2>&1
        expect: [{ contains: ok }]
    solution:
      - text: Write ok into the file \${{ flag_file }} with token \${{ flag_token }}.
      - title: Write the flag
        run: echo ok > \${{ flag_file }}
        risk: change
        impact: Overwrites the flag file.
`;

/** LAB with a second cause the diagnosis skips once the flag is bad, whose check cannot run (no such command). */
const LAB_WITH_SKIPPED = LAB.replace('        expect: [{ contains: ok }]\n', '        expect: [{ contains: ok }]\n        on_problem: { skip: [gauge-down] }\n') + `
  - id: gauge-down
    title: The gauge is down
    explanation: The gauge must answer.
    checks:
      - id: gauge-answers
        title: The gauge answers
        run: no-such-gauge-command-irm
    solution:
      - text: Restart the gauge.
`;

function setup(lab = LAB) {
  // The bot's own API is not running here: the quick health checks find that, and say so, quickly.
  const dir = tree({
    'lab/lab.yaml': lab,
    flag: 'bad\n',
    'irm.yaml': 'runbooks: [lab]\nvariables:\n  deployment: host\n  api_port: 1\n  log_dir: logs\n',
    'logs/app.log': 'INFO started\nERROR flag is bad\n',
  });
  return { dir, env: { IRM_HOME: join(dir, 'state'), USER: 'dana' } };
}

describe('irm triage without a terminal', () => {
  it('runs steps 1-3 from the flags, records every command and the diagnosis, then stops for resume', () => {
    const { dir, env } = setup();
    const r = irm(['triage', '--severity', 'P1', '--symptom', 'The flag is wrong', '--yes', '--json'], { cwd: dir, env });
    expect(r.code).toBe(1);
    const res = r.json();
    expect(res).toMatchObject({ title: '[P1] The flag is wrong', severity: 'P1', status: 'identified', step: 4, confirmed: [{ runbook: 'lab', cause: 'flag-bad' }] });
    expect(res.stopped).toContain(`continue with irm resume ${res.incident}`);
    expect(r.stderr).toContain('Step 2: Initial Response');
    expect(r.stderr).toContain('Runbook: lab');
    const inc = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident;
    const types = inc.events.map((e: { type: string }) => e.type);
    expect(types.slice(0, 2)).toEqual(['created', 'step']);
    expect(types).toContain('notification');
    const flag = inc.events.find((e: { type: string; check?: string }) => e.type === 'command' && e.check === 'flag-ok');
    expect(flag).toMatchObject({ runbook: 'lab', verdict: 'problem', command: 'cat flag 2>&1', exit_code: 0, excerpt: 'bad\n' });
    const health = inc.events.find((e: { type: string; check?: string }) => e.type === 'command' && e.check === 'health');
    expect(health).toMatchObject({ verdict: 'problem', exit_code: 7 });
    expect(inc.events.find((e: { type: string }) => e.type === 'diagnosis')).toMatchObject({ runbook: 'lab', confirmed: ['flag-bad'] });
    expect(inc.steps.map((s: { step: number; completed_at?: string }) => [s.step, !!s.completed_at])).toEqual([[1, true], [2, true], [3, true]]);
  });

  it('the quick health checks include recent deploys where irm.yaml says how to see them', () => {
    const { dir, env } = setup();
    writeFileSync(join(dir, 'irm.yaml'), readFileSync(join(dir, 'irm.yaml'), 'utf8') + 'recent_changes:\n  title: Deploys of the last day\n  run: echo "deploy 4411 at 14:01"\n');
    const r = irm(['triage', '--severity', 'P2', '--symptom', 'The flag is wrong', '--yes', '--until', '2', '--json'], { cwd: dir, env });
    expect(r.code).toBe(0);
    const inc = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident;
    expect(inc.events.find((e: { check?: string }) => e.check === 'recent-changes')).toMatchObject({ title: 'Deploys of the last day', verdict: 'healthy', excerpt: 'deploy 4411 at 14:01\n', command: 'echo "deploy 4411 at 14:01"' });
    expect(inc.status).toBe('investigating');
  });

  it("--set gives a runbook's own variable through every step; a name nothing declares is still an error", () => {
    const { dir, env } = setup();
    writeFileSync(join(dir, 'other-flag'), 'ok\n');
    // flag_file is lab's, not the manual's: step 2's quick health checks (the manual's commands) used to refuse it.
    const r = irm(['triage', '--severity', 'P1', '--symptom', 'The flag is wrong', '--yes', '--json', '--set', 'flag_file=other-flag'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const inc = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident;
    expect(inc.events.find((e: { type: string; check?: string }) => e.type === 'command' && e.check === 'flag-ok')).toMatchObject({ command: 'cat other-flag 2>&1', verdict: 'healthy' });
    const typo = irm(['triage', '--severity', 'P1', '--symptom', 'The flag is wrong', '--yes', '--set', 'flag_fil=x'], { cwd: dir, env });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown variable "flag_fil" in --set');
    expect(typo.stderr).toContain('did you mean "flag_file"?');
    // Refused before anything was recorded: the one incident is the first run's.
    expect(irm(['incident', 'list', '--json'], { cwd: dir, env }).json()).toHaveLength(1);
  });

  it('--until takes a step from 1 to 5; without a terminal it stops before step 4, which needs one', () => {
    const { dir, env } = setup();
    for (const bad of ['abc', '9', '0', '-3', '2.5']) {
      const r = irm(['triage', '--severity', 'P2', '--title', 't', '--until', bad], { cwd: dir, env });
      expect(r.code, bad).toBe(2);
      expect(r.stderr, bad).toContain('--until takes a step from 1 to 5');
      expect(r.stderr, bad).not.toContain('internal error');
    }
    expect(irm(['incident', 'list', '--json'], { cwd: dir, env }).json()).toEqual([]);
    const t = irm(['triage', '--severity', 'P2', '--symptom', 'The flag is wrong', '--yes', '--until', '5', '--json'], { cwd: dir, env });
    expect(t.stderr).not.toContain('internal error');
    // Steps 1-3 done (a cause confirmed), then a refusal to go on without a terminal: 4 wins over 1.
    expect(t.code, t.stderr).toBe(4);
    const res = t.json();
    expect(res.step).toBe(4);
    expect(res.stopped).toBe(`stopped before step 4 (Resolution): it needs a terminal to ask on; continue with irm resume ${res.incident} on a terminal`);
    const again = irm(['resume', res.incident, '--until', '5', '--yes'], { cwd: dir, env });
    expect(again.code, again.stderr).toBe(4);
    expect(again.stdout).toContain('it needs a terminal to ask on');
    expect(irm(['resume', res.incident, '--until', '7'], { cwd: dir, env }).code).toBe(2);
  });

  it('checks refused for want of --yes leave step 3 open, exit 4; resume runs the investigation again', async () => {
    const { dir, env } = setup();
    const r = irm(['triage', '--severity', 'P2', '--symptom', 'The flag is wrong', '--runbook', 'lab', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(4);
    const res = r.json();
    expect(res.step).toBe(3);
    expect(res.stopped).toBe(`the investigation is not complete: 1 command was refused without a terminal (--yes runs read commands); continue with irm resume ${res.incident}`);
    const inc = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident;
    expect(inc.steps.map((s: { step: number; completed_at?: string }) => [s.step, !!s.completed_at])).toEqual([[1, true], [2, true], [3, false]]);
    expect(inc.status).toBe('investigating');
    // On a terminal, resume starts at step 3 again, not at the resolution of a diagnosis that checked nothing.
    const pty = new Pty(['resume', res.incident, '--runbook', 'lab', '--until', '3'], { cwd: dir, env: { ...env, NO_COLOR: '1' } });
    try {
      await pty.expect('Step 3: Investigation and Diagnosis');
      await pty.expect('Run it?');
      await pty.type('y\r');
      await pty.expect('Findings to record');
      await pty.type('\r');
      await pty.expect('hypothesis');
      await pty.type('\r');
      await pty.expect('stopped before step 4');
      expect(await pty.exited).toBe(1);
      expect(pty.screen).not.toContain('No check had found a problem');
    } finally {
      pty.kill();
    }
    const after = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident;
    expect(after.steps.find((s: { step: number }) => s.step === 3).completed_at).toBeTruthy();
    expect(after.confirmed).toEqual([{ runbook: 'lab', cause: 'flag-bad', title: 'The flag says something else' }]);
  });

  it('needs a severity and a description, or says how to give them', () => {
    const { dir, env } = setup();
    const r = irm(['triage'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('without a terminal, triage needs --severity and --title or --symptom');
    // A severity alone is no description: no "[P0] Incident" record, page or ticket.
    for (const args of [['--severity', 'P0', '--until', '1'], ['--severity', 'P1', '--title', '  ', '--until', '1']]) {
      const bare = irm(['triage', ...args], { cwd: dir, env });
      expect(bare.code, args.join(' ')).toBe(2);
      expect(bare.stderr).toContain('without a terminal, triage needs --severity and --title or --symptom');
    }
    expect(irm(['incident', 'list', '--json'], { cwd: dir, env }).json()).toEqual([]);
  });
});

describe('irm triage on a terminal', () => {
  it('walks the five steps with real checks, from triage to resolution, then the post-mortem', async () => {
    const { dir, env } = setup();
    const pty = new Pty(['triage', '--severity', 'P1', '--symptom', 'The flag is wrong', '--title', 'Flag is wrong in prod', '--yes'], { cwd: dir, env: { ...env, NO_COLOR: '1', IRM_VAR_FLAG_TOKEN: 'tok-5ecret-flag' } });
    try {
      await pty.expect('How was it detected?');
      await pty.type('\u001b[B\r'); // a user report
      await pty.expect('Incident inc-');
      await pty.expect('Step 2: Initial Response');
      // The health endpoint does not answer: a problem found, in the words every other check uses.
      const quick = await pty.expect(/Quick health checks:[\s\S]*?Step 3: Investigation and Diagnosis/, 30_000);
      expect(quick).toContain("The bot's health endpoint");
      expect(quick).toContain('✖ problem found exit 7');
      expect(quick).not.toContain('failed');
      await pty.expect('Which runbook?');
      await pty.type('\r'); // the best match: lab
      await pty.expect('✖ problem found');
      await pty.expect('Findings to record');
      await pty.type('the flag says bad\r');
      await pty.expect('Your hypothesis of the root cause');
      await pty.type('\r'); // the proposed one: the confirmed cause
      await pty.expect('Step 4: Resolution');
      await pty.expect('Which fix did you apply, or shall irm run?');
      // The fixes' words as the diagnosis says them: variables filled in, secrets masked.
      await pty.expect('The flag says something else: Write ok into the file flag with token ********.');
      await pty.type('\u001b[B\r'); // "Write the flag"
      await pty.expect('impact: Overwrites the flag file.');
      await pty.expect('Run this change?');
      await pty.type('y\r');
      await pty.expect('✔ done');
      await pty.expect('Which fix did you apply, or shall irm run?');
      await pty.type('\u001b[A\r'); // up from the top: the last choice, "Nothing more: verify now"
      await pty.expect('Every check that found a problem is healthy now.');
      await pty.expect('Step 5: Recovery and Verification');
      await pty.expect('All 1 checks healthy.');
      await pty.expect('Status: resolved.');
      await pty.expect('A P1 needs a post-mortem within 72h');
      expect(await pty.exited).toBe(1);
      expect(pty.screen).not.toContain('tok-5ecret-flag');
    } finally {
      pty.kill();
    }
    expect(readFileSync(join(dir, 'flag'), 'utf8')).toBe('ok\n');
    const inc = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident;
    expect(inc).toMatchObject({ status: 'resolved', detected_by: 'user', title: '[P1] Flag is wrong in prod' });
    expect(inc.steps.every((s: { completed_at?: string }) => s.completed_at)).toBe(true);
    const pm = irm(['postmortem', '-o', 'pm.md'], { cwd: dir, env });
    expect(pm.code).toBe(0);
    const md = readFileSync(join(dir, 'pm.md'), 'utf8');
    expect(md).toContain('# Post-Mortem: [P1] Flag is wrong in prod');
    expect(md).toContain('- The flag says something else (runbook lab, cause flag-bad), confirmed by irm\'s checks.');
    expect(md).toContain('- Finding: the flag says bad');
    expect(md).toMatch(/## Resolution\n- Write the flag \(ran: echo ok > flag\)/);
    expect(md).toMatch(/- \d\d:\d\dZ - Check "The flag says ok": problem/);
    expect(md).toMatch(/- \d\d:\d\dZ - Status: resolved/);
    for (const s of ['Detection and Assessment', 'Initial Response', 'Investigation and Diagnosis', 'Resolution', 'Recovery and Verification']) expect(md).toMatch(new RegExp(`    ${s} :done, s\\d`));
  }, 90_000);

  it('leaving mid-way and coming back: irm resume continues at the step it stopped', async () => {
    const { dir, env } = setup();
    const first = irm(['triage', '--severity', 'P1', '--symptom', 'The flag is wrong', '--yes', '--until', '3', '--json'], { cwd: dir, env });
    const id = first.json().incident;
    writeFileSync(join(dir, 'flag'), 'ok\n'); // someone fixed it by hand meanwhile
    const pty = new Pty(['resume', '--yes'], { cwd: dir, env: { ...env, NO_COLOR: '1' } });
    try {
      await pty.expect('Step 4: Resolution');
      await pty.expect('Which fix did you apply, or shall irm run?');
      await pty.type('\u001b[A\u001b[A\r'); // "Something else (type it)"
      await pty.expect('What was done:');
      await pty.type('fixed the flag by hand\r');
      await pty.expect('Which fix did you apply, or shall irm run?');
      await pty.type('\u001b[A\r');
      await pty.expect('Step 5: Recovery and Verification');
      await pty.expect('Status: resolved.');
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
    expect(pty.screen).not.toContain('Step 1:');
    const inc = irm(['incident', 'show', id, '--json'], { cwd: dir, env }).json().incident;
    expect(inc.events.filter((e: { type: string; kind?: string }) => e.type === 'note' && e.kind === 'fix').map((e: { text: string }) => e.text)).toEqual(['fixed the flag by hand']);
    expect(inc.status).toBe('resolved');
  }, 90_000);

  it('step 5 does not call a recovery verified while a check is not healthy: open unless the responder says why', async () => {
    const { dir, env } = setup(LAB_WITH_SKIPPED);
    const first = irm(['triage', '--severity', 'P1', '--symptom', 'The flag is wrong', '--yes', '--until', '3', '--json'], { cwd: dir, env });
    const id = first.json().incident;
    writeFileSync(join(dir, 'flag'), 'ok\n');
    const status = () => irm(['incident', 'show', id, '--json'], { cwd: dir, env }).json().incident;
    const keep = new Pty(['resume', '--yes'], { cwd: dir, env: { ...env, NO_COLOR: '1' } });
    try {
      await keep.expect('Which fix did you apply, or shall irm run?');
      await keep.type('\u001b[A\u001b[A\r');
      await keep.expect('What was done:');
      await keep.type('fixed the flag by hand\r');
      await keep.expect('Which fix did you apply, or shall irm run?');
      await keep.type('\u001b[A\r');
      await keep.expect('Step 5: Recovery and Verification');
      await keep.expect('1 check is not healthy. Resolve the incident anyway?');
      await keep.type('\r');
      await keep.expect('recovery is not verified');
      await keep.exited;
    } finally {
      keep.kill();
    }
    expect(keep.screen).not.toContain('Status: resolved.');
    expect(status().status).not.toBe('resolved');
    const resolve = new Pty(['resume', id, '--yes'], { cwd: dir, env: { ...env, NO_COLOR: '1' } });
    try {
      await resolve.expect('Resolve the incident anyway?');
      await resolve.type('\u001b[B\r');
      await resolve.expect('Why is it resolved with these checks not healthy?');
      await resolve.type('the gauge is retired\r');
      await resolve.expect('Status: resolved.');
      await resolve.exited;
    } finally {
      resolve.kill();
    }
    const inc = status();
    expect(inc.status).toBe('resolved');
    expect(inc.events.find((e: { type: string; to?: string }) => e.type === 'status' && e.to === 'resolved').reason).toBe('resolved by the responder, checks not healthy');
    expect(inc.events.some((e: { type: string; text?: string }) => e.type === 'note' && e.text?.includes('lab/gauge-answers') && e.text.includes('the gauge is retired'))).toBe(true);
  }, 120_000);
});
