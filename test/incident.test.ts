// The incident record and its clock: arithmetic at the manual's boundaries, durable writes, and the CLI around them.
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/load/catalog.js';
import { clock, expectedStep } from '../src/incident/clock.js';
import { fold, type TimelineEvent } from '../src/incident/model.js';
import { IncidentStore } from '../src/incident/store.js';
import { describeEvent } from '../src/incident/postmortem.js';
import { irm, ROOT, tmp, tree } from './helpers.js';

const manual = loadCatalog({ cwd: ROOT, env: { XDG_CONFIG_HOME: tmp() } }).manual;
const T0 = new Date('2026-11-27T14:00:00Z');
const at = (mmss: string) => {
  const [m, s] = mmss.split(':').map(Number);
  return new Date(T0.getTime() + (m! * 60 + (s ?? 0)) * 1000);
};

function incident(severity: string, extra: Partial<TimelineEvent>[] = []) {
  let n = 0;
  const base = { by: 'dana' };
  const events = [
    { ...base, id: String(n++), at: T0.toISOString(), type: 'created', title: `[${severity}] x`, severity, detected_at: T0.toISOString(), detected_by: 'alert', symptoms: [], owner: 'dana' },
    ...extra.map((e) => ({ ...base, id: String(n++), ...e })),
  ] as TimelineEvent[];
  return fold('inc-test', events);
}

const ack = (when: Date) => ({ type: 'status', at: when.toISOString(), from: 'detected', to: 'investigating' }) as Partial<TimelineEvent>;

describe('the incident clock', () => {
  it('the step the windows expect: 0-5, 5-15, 15-60 minutes, then resolution', () => {
    const cases: [string, number][] = [['0:00', 1], ['4:59', 1], ['5:00', 2], ['14:59', 2], ['15:00', 3], ['59:59', 3], ['60:00', 4], ['180:00', 4]];
    for (const [t, step] of cases) expect(expectedStep(manual, at(t).getTime() - T0.getTime(), false), t).toBe(step);
    expect(expectedStep(manual, 0, true)).toBe(5);
  });

  it('the response deadline: P0 within 5 minutes, met at 5:00, missed at 5:01, overdue when nobody acknowledged', () => {
    expect(clock(incident('P0', [ack(at('4:59'))]), manual, at('10:00')).response.state).toBe('met');
    expect(clock(incident('P0', [ack(at('5:00'))]), manual, at('10:00')).response.state).toBe('met');
    expect(clock(incident('P0', [ack(at('5:01'))]), manual, at('10:00')).response.state).toBe('missed');
    const open = clock(incident('P0'), manual, at('5:01'));
    expect(open.response.state).toBe('overdue');
    expect(open.overdue[0]).toContain('response (P0: within 5m)');
    const early = clock(incident('P0'), manual, at('4:00'));
    expect(early.response).toMatchObject({ state: 'due', remaining_ms: 60_000 });
    expect(clock(incident('P1'), manual, at('14:59')).response.state).toBe('due');
    expect(clock(incident('P1'), manual, at('15:01')).response.state).toBe('overdue');
    expect(clock(incident('P2', [ack(at('60:00'))]), manual, at('70:00')).response.state).toBe('met');
    expect(clock(incident('P3'), manual, at('1439:00')).response.state).toBe('due');
  });

  it('who should own it: level 1 to 29:59, level 2 from 30:00, level 3 from 60:00; behind until escalated', () => {
    const cases: [string, number][] = [['0:00', 1], ['29:59', 1], ['30:00', 2], ['59:59', 2], ['60:00', 3], ['300:00', 3]];
    for (const [t, level] of cases) expect(clock(incident('P1', [ack(at('1:00'))]), manual, at(t)).escalation.should_be, t).toBe(level);
    const late = clock(incident('P1', [ack(at('1:00'))]), manual, at('30:00'));
    expect(late.escalation).toMatchObject({ behind: true, recorded: 1, next_level: 3 });
    expect(late.overdue).toContain('escalation to level 2 (DevOps Lead + Engineering Lead)');
    const done = clock(incident('P1', [ack(at('1:00')), { type: 'escalation', at: at('30:00').toISOString(), from_level: 1, to_level: 2, trigger: 'x', contacts: [] }]), manual, at('30:00'));
    expect(done.escalation.behind).toBe(false);
  });

  it('who should own a P2/P3: level 1, which handles all of them; level 2 once unresolved past 30 minutes, never level 3 by the clock', () => {
    for (const sev of ['P2', 'P3']) {
      const cases: [string, number][] = [['0:00', 1], ['29:59', 1], ['30:00', 2], ['85:00', 2], ['600:00', 2]];
      for (const [t, level] of cases) expect(clock(incident(sev, [ack(at('1:00'))]), manual, at(t)).escalation.should_be, `${sev} ${t}`).toBe(level);
      const early = clock(incident(sev, [ack(at('1:00'))]), manual, at('10:00')).escalation;
      expect(early).toMatchObject({ should_be: 1, behind: false, next_level: 2, next_at: at('30:00').toISOString() });
      const late = clock(incident(sev, [ack(at('1:00'))]), manual, at('85:00')).escalation;
      expect(late).toMatchObject({ should_be: 2, because: 'Cannot resolve within 30 minutes', behind: true });
      expect(late.next_level).toBeUndefined();
      // Escalated by hand to level 3: the record is ahead of the clock, nothing is behind.
      const byHand = clock(incident(sev, [ack(at('1:00')), { type: 'escalation', at: at('40:00').toISOString(), from_level: 2, to_level: 3, trigger: 'x', contacts: [] }]), manual, at('85:00'));
      expect(byHand.escalation.behind).toBe(false);
    }
    // Raised to P1 later, the P0/P1 windows apply from detection.
    const raised = clock(incident('P3', [ack(at('1:00')), { type: 'severity', at: at('50:00').toISOString(), from: 'P3', to: 'P1' }]), manual, at('85:00'));
    expect(raised.escalation.should_be).toBe(3);
  });

  it('status updates: a P1 every 30 minutes after the last; a P2 at the end of the day', () => {
    const p1 = (now: string, extra: Partial<TimelineEvent>[] = []) => clock(incident('P1', [ack(at('2:00')), ...extra]), manual, at(now)).next_update!;
    expect(p1('31:59')).toMatchObject({ every: '30m', due_at: at('32:00').toISOString(), overdue: false });
    expect(p1('32:01').overdue).toBe(true);
    const noted = p1('40:00', [{ type: 'note', at: at('35:00').toISOString(), text: 'update', kind: 'note', broadcast: true }]);
    expect(noted).toMatchObject({ due_at: at('65:00').toISOString(), overdue: false });
    const p2 = clock(incident('P2', [ack(at('2:00'))]), manual, at('3:00')).next_update!;
    const due = new Date(p2.due_at);
    expect(due.getHours()).toBe(18);
    expect(due.getTime()).toBeGreaterThan(at('2:00').getTime());
    expect(clock(incident('P0'), manual, at('1:00')).next_update).toBeUndefined();
  });

  it('the step on the record against the windows', () => {
    const k = clock(incident('P1', [ack(at('1:00')), { type: 'step', at: at('1:00').toISOString(), step: 1, title: 'Detection and Assessment', state: 'completed' }]), manual, at('20:00'));
    expect(k.step).toMatchObject({ current: 2, expected: 3, behind: true });
  });

  it('a resolved P0/P1 owes a post-mortem within 72 hours', () => {
    const resolved = incident('P1', [ack(at('1:00')), { type: 'status', at: at('90:00').toISOString(), from: 'investigating', to: 'resolved' }]);
    const k = clock(resolved, manual, at('100:00'));
    expect(k.elapsed).toBe('1h30m');
    expect(k.postmortem).toEqual({ due_at: new Date(at('90:00').getTime() + 72 * 3_600_000).toISOString(), overdue: false });
    expect(clock(resolved, manual, new Date(at('90:00').getTime() + 73 * 3_600_000)).postmortem!.overdue).toBe(true);
    expect(clock(incident('P2', [{ type: 'status', at: at('90:00').toISOString(), from: 'detected', to: 'resolved' }]), manual, at('100:00')).postmortem).toBeUndefined();
  });
});

describe('the record on disk', () => {
  const created = { type: 'created' as const, title: '[P1] x', severity: 'P1', detected_at: T0.toISOString(), detected_by: 'alert' as const, symptoms: ['x'], owner: 'dana' };

  it('is one JSON Lines file per incident, mode 0600, in a 0700 folder', () => {
    const store = new IncidentStore(join(tmp(), 'incidents'));
    const { id } = store.create(created);
    store.append(id, [{ type: 'note', text: 'hello', kind: 'note' }]);
    const file = join(store.dir, `${id}.jsonl`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(store.dir).mode & 0o777).toBe(0o700);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['created', 'note']);
    expect(lines[1]).toMatchObject({ text: 'hello', by: 'unknown' });
  });

  it('a torn last line is reported and skipped, and the next write starts on a fresh line', () => {
    const store = new IncidentStore(join(tmp(), 'incidents'));
    const { id } = store.create(created);
    const file = join(store.dir, `${id}.jsonl`);
    writeFileSync(file, readFileSync(file, 'utf8') + '{"id":"torn","at":"2026-11-27T14:01:00Z","type":"no', { flag: 'w' });
    expect(store.read(id).damage).toEqual([{ line: 2, message: 'the last line is incomplete (a write was cut off); it is skipped' }]);
    store.append(id, [{ type: 'note', text: 'after the crash', kind: 'note' }]);
    const { events, damage } = store.read(id);
    expect(events.map((e) => e.type)).toEqual(['created', 'note']);
    expect(damage).toEqual([{ line: 2, message: 'this line is not a readable event; it is skipped' }]);
  });

  it('concurrent writers lose no event', async () => {
    const store = new IncidentStore(join(tmp(), 'incidents'));
    const { id } = store.create(created);
    const writer = `
      import { IncidentStore } from ${JSON.stringify(join(ROOT, 'dist/incident/store.js'))};
      const s = new IncidentStore(process.argv[1]);
      for (let i = 0; i < 150; i++) s.append(process.argv[2], [{ type: 'note', text: process.argv[3] + '-' + i + '-' + 'x'.repeat(2000), kind: 'note' }]);
    `;
    const procs = ['a', 'b', 'c', 'd'].map((w) => new Promise<number | null>((res) => spawn(process.execPath, ['--input-type=module', '-e', writer, store.dir, id, w]).on('close', res)));
    expect(await Promise.all(procs)).toEqual([0, 0, 0, 0]);
    const { events, damage } = store.read(id);
    expect(damage).toEqual([]);
    expect(events).toHaveLength(1 + 4 * 150);
    for (const w of ['a', 'b', 'c', 'd']) {
      const mine = events.filter((e) => e.type === 'note' && e.text.startsWith(`${w}-`)).map((e) => (e as { text: string }).text.split('-')[1]);
      expect(mine).toEqual(Array.from({ length: 150 }, (_, i) => String(i)));
    }
  });

  it('a writer killed in the middle of its writes leaves every earlier event readable', async () => {
    const store = new IncidentStore(join(tmp(), 'incidents'));
    const { id } = store.create(created);
    // Big events, so that the kill lands while one is being written.
    const writer = `
      import { IncidentStore } from ${JSON.stringify(join(ROOT, 'dist/incident/store.js'))};
      const s = new IncidentStore(process.argv[1]);
      for (let i = 0; ; i++) { s.append(process.argv[2], [{ type: 'note', text: i + ':' + 'y'.repeat(400000), kind: 'note' }]); if (i === 3) console.log('going'); }
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', writer, store.dir, id]);
    await new Promise<void>((res) => child.stdout.on('data', () => res()));
    await new Promise((r) => setTimeout(r, 150));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const { events, damage } = store.read(id);
    expect(events.length).toBeGreaterThan(4);
    // Every event that made it is whole and in order; at most the very last line is torn.
    const numbers = events.slice(1).map((e) => Number((e as { text: string }).text.split(':')[0]));
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
    expect(damage.length).toBeLessThanOrEqual(1);
    if (damage.length) expect(damage[0]!.message).toContain('incomplete');
    // irm goes on writing to it.
    store.append(id, [{ type: 'note', text: 'still here', kind: 'note' }]);
    expect(store.read(id).events.at(-1)).toMatchObject({ text: 'still here' });
  });
});

describe('irm incident, status, escalate, postmortem', () => {
  function setup() {
    const dir = tree({ 'irm.yaml': 'contacts:\n  primary:\n    devops-lead: { name: Sam Ortiz, phone: "+1-555-0199" }\n' });
    const env = { IRM_HOME: join(dir, 'state'), USER: 'dana', IRM_NOW: '2026-11-27T14:00:00Z' };
    const r = irm(['triage', '--severity', 'P1', '--title', 'Orders stuck', '--symptom', 'No trades in database', '--until', '1', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    return { dir, env, id: r.json().incident as string };
  }

  it('triage without a terminal creates the record from the flags: title, severity, detection, symptoms, owner', () => {
    const { dir, env, id } = setup();
    expect(id).toBe('inc-20261127-1400');
    const shown = irm(['incident', 'show', '--json'], { cwd: dir, env }).json();
    expect(shown.incident).toMatchObject({ id, title: '[P1] Orders stuck', severity: 'P1', status: 'detected', owner: 'dana', detected_by: 'alert', symptoms: ['No trades in database'] });
    expect(shown.incident.steps).toEqual([{ step: 1, title: 'Detection and Assessment', started_at: '2026-11-27T14:00:00.000Z', completed_at: '2026-11-27T14:00:00.000Z' }]);
    const file = join(env.IRM_HOME, 'incidents', `${id}.jsonl`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('notes can be backdated, keeping both times; severity, owner and status changes are events of their own', () => {
    const { dir, env, id } = setup();
    const later = { ...env, IRM_NOW: '2026-11-27T14:20:00Z' };
    expect(irm(['incident', 'note', 'first alert fired in #alerts', '--at', '13:55'], { cwd: dir, env: later }).code).toBe(0);
    expect(irm(['incident', 'severity', 'p0', '--reason', 'unauthorized trades seen'], { cwd: dir, env: later }).code).toBe(0);
    expect(irm(['incident', 'owner', id, 'sam'], { cwd: dir, env: later }).code).toBe(0);
    expect(irm(['incident', 'status', 'investigating'], { cwd: dir, env: later }).code).toBe(0);
    const bad = irm(['incident', 'status', 'investigatng'], { cwd: dir, env: later });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('did you mean "investigating"?');
    const inc = irm(['incident', 'show', '--json'], { cwd: dir, env: later }).json().incident;
    expect(inc).toMatchObject({ title: '[P0] Orders stuck', severity: 'P0', owner: 'sam', status: 'investigating' });
    const note = inc.events.find((e: { type: string }) => e.type === 'note');
    expect(note).toMatchObject({ at: '2026-11-27T14:20:00.000Z', happened_at: new Date('2026-11-27T14:20:00Z').toISOString().slice(0, 11) + note.happened_at.slice(11), by: 'dana' });
    expect(note.happened_at).toBe('2026-11-27T13:55:00.000Z');
    expect(inc.events.filter((e: { type: string }) => ['severity', 'owner', 'status'].includes(e.type)).map((e: { type: string }) => e.type)).toEqual(['severity', 'owner', 'status']);
    expect(irm(['incident', 'note', 'x', '--at', '25:99'], { cwd: dir, env: later }).code).toBe(2);
  });

  it('irm status: the clock, with what is overdue standing out and exit 1, in text and --json', () => {
    const { dir, env } = setup();
    const r = irm(['status', '--json'], { cwd: dir, env: { ...env, IRM_NOW: '2026-11-27T14:31:00Z' } });
    // The same exit code as the text: 1 while something is overdue.
    expect(r.code).toBe(1);
    const k = r.json().clock;
    expect(k).toMatchObject({ elapsed: '31m', response: { state: 'overdue' }, escalation: { should_be: 2, recorded: 1, behind: true } });
    const text = irm(['status'], { cwd: dir, env: { ...env, IRM_NOW: '2026-11-27T14:31:00Z' } });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Response: OVERDUE (due within 15m');
    expect(text.stdout).toContain('Escalation: level 2 (DevOps Lead + Engineering Lead) should own it now; the record says level 1');
    expect(text.stdout).toContain('Overdue: response (P1: within 15m); escalation to level 2');
  });

  it('irm escalate records the next level with its contacts and the trigger', () => {
    const { dir, env, id } = setup();
    const r = irm(['escalate', '--trigger', '1', '--json'], { cwd: dir, env: { ...env, IRM_NOW: '2026-11-27T14:31:00Z' } });
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ incident: id, from_level: 1, to_level: 2, trigger: 'Cannot resolve within 30 minutes', contacts: ['DevOps Lead: Sam Ortiz (+1-555-0199)', 'Engineering Lead'] });
    const k = irm(['status', '--json'], { cwd: dir, env: { ...env, IRM_NOW: '2026-11-27T14:31:00Z' } }).json().clock;
    expect(k.escalation).toMatchObject({ recorded: 2, behind: false });
    const none = irm(['escalate'], { cwd: dir, env });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--trigger is needed without a terminal');
  });

  it('irm incident attach keeps a capped, redacted copy', () => {
    const { dir, env, id } = setup();
    const big = 'DATABASE_URL=postgres://bot:hunter2-pw@db/x\n' + 'log line\n'.repeat(400_000) + 'BINANCE_API_KEY=bnc-very-secret-key\nlast line\n';
    writeFileSync(join(dir, 'app.log'), big);
    const r = irm(['incident', 'attach', 'app.log', '--json'], { cwd: dir, env });
    expect(r.code).toBe(0);
    const { event, path } = r.json();
    expect(event).toMatchObject({ type: 'attachment', bytes: big.length, truncated: true });
    const kept = readFileSync(path, 'utf8');
    expect(kept.length).toBeLessThan(1.1 * 1024 * 1024);
    expect(kept).not.toContain('hunter2-pw');
    expect(kept).not.toContain('bnc-very-secret-key');
    expect(kept.startsWith('DATABASE_URL=postgres://bot:********@db/x\n')).toBe(true);
    expect(kept.endsWith('last line\n')).toBe(true);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(path).toContain(`${id}.files`);
    expect(irm(['incident', 'attach', 'missing.log'], { cwd: dir, env }).code).toBe(2);
  });

  it('irm incident attach masks a secret that the cut of a big file splits', () => {
    const { dir, env } = setup();
    // The kept tail (the last 512 KiB) starts ten characters before the end of the key's value.
    const pad = '\n' + 'x'.repeat(512 * 1024 - 11) + '\n';
    const big = 'log line\n'.repeat(100_000) + 'BINANCE_API_KEY=bnc-very-secret-key' + pad;
    writeFileSync(join(dir, 'app.log'), big);
    const r = irm(['incident', 'attach', 'app.log', '--json'], { cwd: dir, env });
    expect(r.code).toBe(0);
    const kept = readFileSync(r.json().path, 'utf8');
    expect(kept).toMatch(/\[\.\.\. \d+ bytes cut by irm \.\.\.\]\n\*{8}\nxxx/);
    expect(kept).not.toContain('secret-key');
  });

  it('irm postmortem fills the manual\'s template from the record, with a timeline and a Mermaid chart', () => {
    const { dir, env, id } = setup();
    const t = (iso: string) => ({ ...env, IRM_NOW: iso });
    irm(['incident', 'status', 'investigating'], { cwd: dir, env: t('2026-11-27T14:04:00Z') });
    irm(['incident', 'note', '--kind', 'hypothesis', 'the exchange connector lost its session'], { cwd: dir, env: t('2026-11-27T14:20:00Z') });
    irm(['incident', 'note', '--kind', 'fix', 'restarted the connector'], { cwd: dir, env: t('2026-11-27T14:50:00Z') });
    irm(['incident', 'note', '--kind', 'action', 'alert on connector session loss'], { cwd: dir, env: t('2026-11-27T14:55:00Z') });
    irm(['incident', 'status', 'resolved'], { cwd: dir, env: t('2026-11-27T15:10:00Z') });
    const r = irm(['postmortem', '-o', 'pm.md', '--json'], { cwd: dir, env: t('2026-11-27T15:30:00Z') });
    expect(r.code).toBe(0);
    expect(r.json()).toMatchObject({ incident: id, required: true, due_at: '2026-11-30T15:10:00.000Z' });
    const md = readFileSync(join(dir, 'pm.md'), 'utf8');
    const template = manual.post_incident.postmortem.template;
    const headings = (s: string) => s.split('\n').filter((l) => l.startsWith('#')).map((l) => l.replace(/\[Incident Title\]|: .*$/, ''));
    expect(headings(md).slice(0, headings(template).length)).toEqual(headings(template));
    expect(md).toContain('# Post-Mortem: [P1] Orders stuck');
    expect(md).toContain('needs this post-mortem within 72h of resolution: by 2026-11-30 15:10 UTC');
    expect(md).toContain('- **Duration**: 1 hour 10 minutes');
    expect(md).toContain('- **Severity**: P1');
    expect(md).toContain('- 14:00Z - Detected (alert from monitoring): No trades in database');
    expect(md).toContain('- 14:04Z - Status: investigating');
    expect(md).toContain('- Hypothesis: the exchange connector lost its session');
    expect(md).toContain('## Resolution\n- restarted the connector');
    expect(md).toContain('- [ ] alert on connector session loss - Owner: [Name] - Due: [Date]');
    expect(md).toMatch(/```mermaid\ngantt\n[\s\S]*section Procedure\n {4}Detection and Assessment :done, s1, 2026-11-27 \d\d:00, 2026-11-27 \d\d:01[\s\S]*Resolved :milestone/);
    expect(statSync(join(dir, 'pm.md')).mode & 0o777).toBe(0o600);
  });

  it('one zone, whatever the machine\'s: ids, status, list, timeline, post-mortem and --at are UTC, labelled Z', () => {
    const dir = tree({});
    const env = { IRM_HOME: join(dir, 'state'), USER: 'dana', TZ: 'America/New_York', IRM_NOW: '2026-11-27T14:05:00Z' };
    const t = irm(['triage', '--severity', 'P1', '--title', 'TZ test', '--until', '1', '--json'], { cwd: dir, env });
    expect(t.json().incident).toBe('inc-20261127-1405');
    const later = { ...env, IRM_NOW: '2026-11-27T14:40:00Z' };
    expect(irm(['incident', 'note', 'deploy went out', '--at', '14:01'], { cwd: dir, env: later }).code).toBe(0);
    const status = irm(['status'], { cwd: dir, env: later }).stdout;
    expect(status).toContain('since detection at 2026-11-27 14:05Z');
    expect(status).toContain('by 14:20Z');
    expect(status).toContain('level 3 from 15:05Z');
    // No unlabelled hh:mm anywhere: every time carries its Z.
    expect(status.match(/\b\d\d:\d\d\b(?!Z)/g)).toBeNull();
    expect(irm(['incident', 'list'], { cwd: dir, env: later }).stdout).toContain('2026-11-27 14:05Z');
    const shown = irm(['incident', 'show'], { cwd: dir, env: later }).stdout;
    expect(shown).toContain('14:01Z  Note: deploy went out (noted at 14:40Z)');
    irm(['incident', 'status', 'resolved'], { cwd: dir, env: later });
    const md = irm(['postmortem'], { cwd: dir, env: later }).stdout;
    expect(md).toContain('- 14:05Z - Detected (alert from monitoring): [P1] TZ test');
    expect(md).toContain('by 2026-11-30 14:40 UTC');
    expect(md).toContain('- **Date**: 2026-11-27');
  });

  it('printing the post-mortem adds nothing to the record; writing it does, once per write', () => {
    const { dir, env, id } = setup();
    irm(['incident', 'status', 'resolved'], { cwd: dir, env });
    const count = () => irm(['incident', 'show', id, '--json'], { cwd: dir, env }).json().incident.events.filter((e: { type: string }) => e.type === 'postmortem').length;
    for (let i = 0; i < 3; i++) expect(irm(['postmortem', id], { cwd: dir, env }).code).toBe(0);
    expect(count()).toBe(0);
    expect(irm(['postmortem', id, '-o', 'pm.md'], { cwd: dir, env }).code).toBe(0);
    expect(count()).toBe(1);
  });

  it('a resolved incident takes no severity change or escalation until reopened', () => {
    const { dir, env, id } = setup();
    expect(irm(['incident', 'status', id, 'resolved'], { cwd: dir, env }).code).toBe(0);
    for (const args of [['incident', 'severity', id, 'P0'], ['escalate', id, '--trigger', '1']]) {
      const r = irm(args, { cwd: dir, env });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(`incident ${id} is resolved`);
      expect(r.stderr).toContain(`irm incident status ${id} investigating`);
    }
    const inc = irm(['incident', 'show', id, '--json'], { cwd: dir, env }).json().incident;
    expect(inc).toMatchObject({ severity: 'P1', escalation_level: 1 });
    expect(irm(['incident', 'status', id, 'investigating'], { cwd: dir, env }).code).toBe(0);
    expect(irm(['incident', 'severity', id, 'P0'], { cwd: dir, env }).code).toBe(0);
  });

  it('the default incident is the most recent open one; a closed one is not', () => {
    const { dir, env, id } = setup();
    expect(irm(['incident', 'close', id], { cwd: dir, env }).code).toBe(0);
    const r = irm(['incident', 'note', 'hello'], { cwd: dir, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no open incident');
    expect(irm(['incident', 'list', '--json'], { cwd: dir, env }).json()[0]).toMatchObject({ id, status: 'closed' });
    const wrong = irm(['incident', 'show', 'inc-20261127-1401'], { cwd: dir, env });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(`did you mean "${id}"?`);
  });

  it('two irm processes noting at once lose nothing', async () => {
    const { dir, env, id } = setup();
    const { BIN, cleanEnv } = await import('./helpers.js');
    const runs = Array.from({ length: 6 }, (_, i) => new Promise<number | null>((res) => spawn(process.execPath, [BIN, 'incident', 'note', id, `note ${i}`], { cwd: dir, env: cleanEnv(env) }).on('close', res)));
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0, 0, 0]);
    const notes = irm(['incident', 'show', '--json'], { cwd: dir, env }).json().incident.events.filter((e: { type: string }) => e.type === 'note').map((e: { text: string }) => e.text).sort();
    expect(notes).toEqual(Array.from({ length: 6 }, (_, i) => `note ${i}`));
  });
});

describe('the timeline says what irm knows of a notification', () => {
  const n = (status: 'planned' | 'queued' | 'sent' | 'failed', extra: Partial<TimelineEvent> = {}) =>
    describeEvent({ type: 'notification', at: '2026-11-27T14:00:00Z', channel: 'slack,email', audience: 'Team Lead, CTO', message: 'Initial notification', status, ...extra } as TimelineEvent);
  it('a list shown to the responder is not a notice sent', () => {
    expect(n('planned')).toBe('To notify (by the responder): Team Lead, CTO via slack, email');
    expect(n('planned', { channel: '' } as Partial<TimelineEvent>)).toBe('To notify (by the responder): Team Lead, CTO');
    expect(n('queued')).toBe('Notification queued for Team Lead, CTO via slack, email');
    expect(n('sent', { channel: 'jira', audience: 'the incident ticket', jira_key: 'OPS-7' } as Partial<TimelineEvent>)).toBe('Notified the incident ticket via jira (OPS-7)');
    expect(n('failed')).toBeUndefined();
  });
});
