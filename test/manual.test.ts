// The runbooks against the manual itself: every section, common issue, cause and command must be encoded.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../src/load/catalog.js';
import type { CommandSpec, Runbook } from '../src/model/schema.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const manualPath = `${root}docs/manual/incident-response-manual.md`;
const md = readFileSync(manualPath, 'utf8');
const catalog = loadCatalog({ cwd: root, env: {} });
const manual = catalog.manual;

/** The text of a markdown section, from its heading to the next heading of the same or higher level (outside code). */
function section(heading: string, from = md): string {
  const level = heading.match(/^#+/)![0].length;
  const start = from.indexOf(`${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const lines = from.slice(start + heading.length + 1).split('\n');
  let fenced = false;
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && new RegExp(`^#{1,${level}} `).test(line)) break;
    out.push(line);
  }
  return out.join('\n');
}

function codeBlocks(text: string): string[] {
  return [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

/** Command lines of a bash block: comments dropped, a quoted string spanning lines joined into one command. */
function commandsOf(block: string): string[] {
  const out: string[] = [];
  let pending = '';
  for (const line of block.split('\n')) {
    if (!pending && (line.trim() === '' || line.trim().startsWith('#'))) continue;
    pending = pending ? `${pending} ${line.trim()}` : line.trim();
    if ((pending.match(/"/g)?.length ?? 0) % 2 === 0) {
      out.push(pending);
      pending = '';
    }
  }
  return out;
}

const squash = (s: string) => s.replace(/\s+/g, '');

function bullets(text: string, label: string): string[] {
  const i = text.indexOf(`**${label}**:`);
  expect(i, `"${label}" in the manual`).toBeGreaterThanOrEqual(0);
  const lines = text.slice(i).split('\n').slice(1);
  const out: string[] = [];
  for (const l of lines) {
    if (l.startsWith('- ')) out.push(l.slice(2).trim());
    else if (out.length && l.trim() === '') break;
  }
  return out;
}

function specs(rb: Runbook): CommandSpec[] {
  return [...rb.causes.flatMap((c) => [...c.checks, ...c.solution]), ...(rb.mitigations ?? [])];
}

const ISSUES: [string, string][] = [
  ['### 1. Application Won\'t Start', 'app-wont-start'],
  ['### 2. Trading Bot Not Executing Trades', 'trades-not-executing'],
  ['### 3. Database Performance Issues', 'db-performance'],
  ['### 4. Exchange Connection Failures', 'exchange-connection'],
  ['### 5. Memory Leaks', 'memory-leak'],
  ['### 6. High CPU Usage', 'high-cpu'],
  ['### 7. Logging Issues', 'logging'],
];

describe('the manual copy', () => {
  it('is the shared manual, unchanged', () => {
    const shared = `${root}../shared/manual/incident-response-manual.md`;
    // The repo keeps a copy so that a clone tests on its own; where the shared original is beside it, they must agree.
    if (existsSync(shared)) expect(readFileSync(shared, 'utf8')).toBe(md);
    expect(md).toContain('## Common Issues and Solutions');
  });
});

describe('common issues', () => {
  it('the catalog loads with no diagnostics', () => {
    expect(catalog.diagnostics).toEqual([]);
    expect(catalog.runbooks.map((r) => r.runbook.id).sort()).toEqual(ISSUES.map(([, id]) => id).sort());
  });

  for (const [heading, id] of ISSUES) {
    describe(id, () => {
      const text = section(heading);
      const rb = () => {
        const e = catalog.runbooks.find((r) => r.runbook.id === id);
        expect(e, `runbook ${id}`).toBeDefined();
        return e!.runbook;
      };

      it('has every symptom', () => {
        expect(rb().symptoms).toEqual(expect.arrayContaining(bullets(text, 'Symptoms')));
      });

      it('has every cause', () => {
        const causes = [...text.matchAll(/^# Cause: (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase());
        const titles = rb().causes.map((c) => c.title.toLowerCase());
        for (const c of causes) expect(titles, `cause "${c}"`).toContain(c);
      });

      it('has every command, each with a risk', () => {
        const commands = codeBlocks(text).flatMap(commandsOf);
        expect(commands.length).toBeGreaterThan(0);
        const encoded = specs(rb()).filter((s) => s.manual).map((s) => squash(s.manual!));
        for (const c of commands) expect(encoded, `command: ${c}`).toContain(squash(c));
        for (const s of specs(rb())) if (s.run || s.argv) expect(['read', 'change', 'destructive', undefined]).toContain(s.risk);
      });

      it('has every solution the manual names', () => {
        const solutions = [...text.matchAll(/^# Solution: (.+)$/gm)].map((m) => m[1]!.trim().toLowerCase());
        const prose = JSON.stringify(rb().causes.map((c) => c.solution)).toLowerCase();
        for (const s of solutions) expect(prose, `solution "${s}"`).toContain(s);
      });
    });
  }
});

describe('reference data', () => {
  it('primary contacts: every role, contact and availability', () => {
    const rows = section('### Primary Contacts').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Role'));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const [role, name, contact, availability] = row.split('|').slice(1, -1).map((s) => s.trim());
      const p = manual.contacts.primary.find((x) => x.title === role);
      expect(p, role).toBeDefined();
      expect(p!.name).toBe(name);
      expect(p!.availability).toBe(availability);
      const [kind, value] = contact!.split(': ');
      expect(p![kind as 'phone' | 'email']).toBe(value);
    }
  });

  it('secondary contacts: every service and address', () => {
    const rows = section('### Secondary Contacts').split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Service'));
    expect(rows).toHaveLength(4);
    for (const row of rows) {
      const [service, contact, purpose] = row.split('|').slice(1, -1).map((s) => s.trim());
      const s = manual.contacts.secondary.find((x) => x.title === service);
      expect(s, service).toBeDefined();
      expect(s!.purpose).toBe(purpose);
      for (const email of contact!.match(/[\w.]+@[\w.]+/g)!) expect(s!.contacts.map((c) => c.email)).toContain(email);
    }
  });

  it('communication channels', () => {
    const text = section('### Communication Channels');
    for (const m of text.matchAll(/- \*\*(.+?)\*\*: (.+)/g)) {
      const address = m[2]!.replace(/`/g, '').replace(/ \(.*\)$/, '');
      expect(manual.channels.some((c) => address.startsWith(c.address.replace(/ group$/, '')) || c.address.startsWith(address.replace(/ group$/, ''))), m[1]).toBe(true);
    }
    expect(manual.channels.map((c) => c.id)).toEqual(['slack', 'email', 'pagerduty', 'tickets']);
  });

  it('severity levels: impact, examples, response time and response', () => {
    for (const s of manual.severities) {
      const heading = md.match(new RegExp(`^### ${s.level} - (\\w+) \\(Response Time: (.+)\\)$`, 'm'))!;
      expect(heading, s.level).toBeTruthy();
      expect(s.name).toBe(heading[1]);
      expect(s.response_time).toBe(heading[2]);
      const text = section(heading[0]);
      expect(s.impact).toBe(text.match(/\*\*Impact\*\*: (.+)/)![1]);
      expect(s.examples).toEqual(bullets(text, 'Examples'));
      expect(s.response).toEqual(bullets(text, 'Response'));
    }
  });

  it('the five-step procedure with its windows and every sub-step', () => {
    const headings = [...md.matchAll(/^### Step (\d): (.+?) \((.+)\)$/gm)];
    expect(headings).toHaveLength(5);
    for (const h of headings) {
      const step = manual.procedure.find((s) => s.step === Number(h[1]))!;
      expect(step.title).toBe(h[2]);
      const block = codeBlocks(section(h[0]))[0]!;
      const items = block.split('\n').filter((l) => /^\s+- /.test(l)).map((l) => l.trim().slice(2));
      const tasks = block.split('\n').filter((l) => /^\d\. /.test(l)).map((l) => l.replace(/^\d\. /, '').trim());
      const encoded = step.tasks.flatMap((t) => t.items);
      for (const i of items) expect(encoded, `step ${h[1]}: ${i}`).toContain(i);
      expect(step.tasks.map((t) => t.title.toLowerCase())).toEqual(tasks.map((t) => t.toLowerCase().replace('criteria above', 'the severity criteria')));
      const window = h[3]!.match(/^(\d+)-(\d+) minutes$/);
      if (window) {
        expect(String(step.window.from)).toBe(`${window[1]}m`);
        expect(String(step.window.to)).toBe(`${window[2]}m`);
      } else expect(step.window.note).toBe(h[3]);
    }
  });

  it('the escalation matrix: levels, windows, what each handles and the triggers', () => {
    const headings = [...md.matchAll(/^### Level (\d): (.+?)(?: \((.+)\))?$/gm)];
    expect(headings).toHaveLength(4);
    for (const h of headings) {
      const level = manual.escalation.find((l) => l.level === Number(h[1]))!;
      expect(level.title).toBe(h[2]);
      const text = section(h[0]);
      expect(level.handles).toEqual(bullets(text, 'Handles'));
      const up = text.match(/\*\*Escalate to Level \d if\*\*:/);
      if (up) expect(level.escalate_if).toEqual(bullets(text, up[0].replace(/^\*\*|\*\*:$/g, '')));
      else expect(level.escalate_if).toEqual([]);
    }
  });

  it('post-incident actions and the post-mortem template, verbatim', () => {
    const template = codeBlocks(section('### Post-Mortem (P0/P1 within 72 hours)'))[0]!;
    expect(manual.post_incident.postmortem.template).toBe(template);
    expect(manual.post_incident.postmortem.for).toEqual(['P0', 'P1']);
    const immediate = codeBlocks(section('### Immediate Actions (Within 24 hours)'))[0]!;
    const follow = codeBlocks(section('### Follow-up Actions'))[0]!;
    const items = (block: string) => block.split('\n').filter((l) => /^\s+- /.test(l)).map((l) => l.trim().slice(2));
    expect(manual.post_incident.immediate.tasks.flatMap((t) => t.items)).toEqual(items(immediate));
    expect(manual.post_incident.follow_up.flatMap((t) => t.items)).toEqual(items(follow));
  });

  it('the quick-reference commands, each with a risk', () => {
    const text = section('## Quick Reference Commands');
    const commands = codeBlocks(text).flatMap(commandsOf);
    expect(commands).toHaveLength(10);
    const encoded = manual.quick_reference.flatMap((g) => g.commands);
    for (const c of commands) expect(encoded.map((e) => squash(e.manual ?? '')), c).toContain(squash(c));
    const groups = [...text.matchAll(/^# (.+)$/gm)].map((m) => m[1]!);
    expect(manual.quick_reference.map((g) => g.title)).toEqual(groups);
    const risk = (id: string) => encoded.find((e) => e.id === id)!.risk;
    expect(risk('compose-down')).toBe('destructive');
    expect(risk('kill-api')).toBe('destructive');
    expect(risk('psql-restore')).toBe('destructive');
    expect(risk('health')).toBe('read');
  });

  it('the additional resources', () => {
    const docs = [...section('## Additional Resources').matchAll(/- (.+?): `(.+)`/g)];
    expect(docs).toHaveLength(5);
    for (const d of docs) expect(manual.references).toContainEqual({ title: d[1], doc: d[2] });
  });
});
