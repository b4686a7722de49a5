// Terminal views of the reference commands: contacts, severity, escalation, procedure, post-incident, quick reference.
import type { ChannelInfo, Classification, ContactsResult, EscalationResult, Person, QuickCommandView, ServiceContacts } from '../commands/reference.js';
import type { Manual, SeverityLevel } from '../model/schema.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { UI } from './ui.js';

function reach(p: { phone?: string; email?: string; slack?: string }): string {
  return [p.phone && `phone: ${p.phone}`, p.email && `email: ${p.email}`, p.slack && `slack: ${p.slack}`].filter(Boolean).join('\n') || '-';
}

function personName(ui: UI, p: Person): string {
  return p.tbd ? ui.c.yellow('TBD') : p.name;
}

function tbdNote(ui: UI, ps: Person[]): string {
  return ps.some((p) => p.tbd) ? '\n' + ui.c.yellow('Contacts marked TBD are the manual\'s placeholders: set them under contacts.primary in irm.yaml (irm config shows where).') : '';
}

function channelTable(ui: UI, chans: ChannelInfo[]): string {
  return ui.table(['Channel', 'Address', 'Purpose'], chans.map((c) => [c.title, c.address, c.purpose]));
}

function serviceTable(ui: UI, svcs: ServiceContacts[]): string {
  return ui.table(
    ['Service', 'Contact', 'Purpose'],
    svcs.map((s) => [`${s.title}\n${ui.c.dim(s.service)}`, s.contacts.map((c) => (c.name ? `${c.name}: ` : '') + reach(c)).join('\n'), s.purpose])
  );
}

export function renderContacts(ui: UI, r: ContactsResult): string {
  switch (r.kind) {
    case 'all':
      return [
        ui.heading('Primary contacts'),
        ui.table(['Role', 'Name', 'Contact', 'Availability'], r.primary.map((p) => [p.title, personName(ui, p), reach(p), p.availability])),
        '',
        ui.heading('Secondary contacts'),
        serviceTable(ui, r.secondary),
        '',
        ui.heading('Communication channels'),
        channelTable(ui, r.channels),
      ].join('\n') + tbdNote(ui, r.primary);
    case 'severity':
      return [
        `${ui.c.bold(`${r.level} - ${r.name}`)} (response time: ${r.response_time})`,
        '',
        ui.heading('Who to reach'),
        ui.table(['Role', 'Name', 'Contact', 'Availability', 'Why'], r.involve.map((p) => [p.title, personName(ui, p), reach(p), p.availability, p.why])),
        '',
        ui.heading('Channels'),
        channelTable(ui, r.channels),
        '',
        ui.heading('Response'),
        ...r.response.map((x) => `  - ${x}`),
      ].join('\n') + tbdNote(ui, r.involve);
    case 'service':
      return serviceTable(ui, [r.service]);
    case 'role':
      return ui.table(['Role', 'Name', 'Contact', 'Availability'], [[r.person.title, personName(ui, r.person), reach(r.person), r.person.availability]]) + tbdNote(ui, [r.person]);
  }
}

export function renderSeverities(ui: UI, levels: SeverityLevel[]): string {
  if (levels.length === 1) {
    const s = levels[0]!;
    return [
      `${ui.c.bold(`${s.level} - ${s.name}`)} (response time: ${s.response_time})`,
      `Impact: ${s.impact}`,
      '',
      ui.heading('Examples'),
      ...s.examples.map((x) => `  - ${x}`),
      '',
      ui.heading('Response'),
      ...s.response.map((x) => `  - ${x}`),
      ...(s.updates_every ? ['', `Status updates: every ${s.updates_every === 'end of day' ? 'day, at its end' : s.updates_every}`] : []),
      ...(s.postmortem ? ['Post-mortem: required'] : []),
    ].join('\n');
  }
  return ui.table(
    ['Level', 'Response time', 'Impact', 'Examples'],
    levels.map((s) => [`${s.level}\n${s.name}`, s.response_time, s.impact, s.examples.map((e) => `- ${e}`).join('\n')]),
    { colWidths: [10, 12, 28, 48] }
  );
}

export function renderClassification(ui: UI, text: string, ranked: Classification[]): string {
  const top = ranked[0]!;
  const lines = [
    top.score > 0
      ? `${ui.c.bold(`${top.level} - ${top.name}`)} fits best (response time: ${top.response_time})`
      : ui.c.yellow('No level matches these words. When unsure between two levels, choose the higher.'),
    '',
    ui.table(
      ['Level', 'Match', 'Closest impact or example'],
      ranked.map((r) => [`${r.level} ${r.name}`, r.score.toFixed(2), r.matched ? `${r.matched}${r.words.length ? ui.c.dim(`\n(${r.words.join(', ')})`) : ''}` : '-'])
    ),
  ];
  const second = ranked[1];
  if (second && top.score > 0 && second.score >= 0.75) lines.push(ui.c.yellow(`Close call between ${top.level} and ${second.level}: when unsure, treat it as the higher severity.`));
  void text;
  return lines.join('\n');
}

/** "0-5 minutes", "30-60 minutes", ">60 minutes", as the manual writes its windows. */
function window(l: { window?: { from?: string | number; to?: string | number } }): string {
  if (!l.window) return 'on trigger';
  const minutes = (d: string | number | undefined) => (d === undefined ? 0 : Math.round(parseDuration(d) / 60000));
  if (l.window.to === undefined) return `>${minutes(l.window.from)} minutes`;
  return `${minutes(l.window.from)}-${minutes(l.window.to)} minutes`;
}

export function renderEscalation(ui: UI, r: EscalationResult): string {
  const rows = r.levels.map((l) => {
    const who = [...l.people.map((p) => `${p.title} (${p.tbd ? 'TBD' : p.name})`), ...l.others].join('\n');
    // Marked in words too: without colour, the inverse is gone.
    const mark = r.elapsed?.level === l.level ? ui.c.bold.inverse(`${l.level} (now)`) : String(l.level);
    return [mark, `${l.title}\n${ui.c.dim(window(l))}`, who, l.handles.map((h) => `- ${h}`).join('\n'), l.escalate_if.map((h) => `- ${h}`).join('\n') || '-'];
  });
  const out = [ui.table(['Level', 'Who', 'Contacts', 'Handles', 'Escalate if'], rows)];
  if (r.elapsed) {
    const e = r.elapsed;
    out.push('');
    out.push(`${e.text} after detection: ${ui.c.bold(`level ${e.owner.level}, ${e.owner.title}`)} should own the incident.`);
    for (const p of e.owner.people) out.push(`  ${p.title}: ${p.tbd ? ui.c.yellow('TBD') : p.name}  ${reach(p).replace(/\n/g, ', ')}`);
    if (e.next) {
      out.push(`Escalate to level ${e.next.level} (${e.next.title})${e.next_at ? ` at ${e.next_at}, or sooner` : ''} if:`);
      for (const t of e.triggers) out.push(`  - ${t}`);
    }
  }
  return out.join('\n');
}

export function renderProcedure(ui: UI, steps: Manual['procedure']): string {
  const out: string[] = [];
  for (const s of steps) {
    const w = s.window.from !== undefined || s.window.to !== undefined ? window({ window: s.window }) : '';
    out.push(ui.c.bold(`Step ${s.step}: ${s.title}`) + ui.c.dim(` (${[s.window.note ? '' : w, s.window.note].filter(Boolean).join(', ')})`));
    s.tasks.forEach((t, i) => {
      out.push(`  ${i + 1}. ${t.title}`);
      for (const item of t.items) out.push(`     - ${item}`);
    });
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export function renderPostIncident(ui: UI, p: Manual['post_incident']): string {
  const out = [ui.heading(`Immediate actions (within ${formatDuration(parseDuration(p.immediate.within))})`)];
  p.immediate.tasks.forEach((t, i) => {
    out.push(`  ${i + 1}. ${t.title}`);
    for (const item of t.items) out.push(`     - ${item}`);
  });
  out.push('', ui.heading(`Post-mortem (${p.postmortem.for.join('/')} within ${formatDuration(parseDuration(p.postmortem.within))})`));
  out.push(ui.c.dim('irm post-incident --template prints the template alone, to fill in'), '');
  out.push(...p.postmortem.template.trimEnd().split('\n').map((l) => `  ${l}`));
  out.push('', ui.heading('Follow-up actions'));
  p.follow_up.forEach((t, i) => {
    out.push(`  ${i + 1}. ${t.title}`);
    for (const item of t.items) out.push(`     - ${item}`);
  });
  return out.join('\n');
}

export function renderQuickReference(ui: UI, r: { deployment: string; groups: { id: string; title: string; commands: QuickCommandView[] }[]; references: Manual['references'] }, showReferences: boolean): string {
  const out: string[] = [];
  for (const g of r.groups) {
    out.push(`${ui.c.bold(g.title)} ${ui.c.dim(`(irm ref ${g.id})`)}`);
    for (const c of g.commands) {
      out.push(`  ${ui.risk(c.risk)} ${c.title}${c.stream ? ui.c.dim(' (follows output)') : ''}`);
      out.push(c.command ? `    $ ${c.command}` : ui.c.dim(`    (${c.unavailable})`));
      if (c.impact) out.push(ui.c.dim(`    impact: ${c.impact}`));
    }
    out.push('');
  }
  if (showReferences && r.references.length) {
    out.push(ui.heading('Additional resources'));
    for (const ref of r.references) out.push(`  - ${ref.title}: ${ref.doc ?? ref.url ?? ''}`);
  }
  out.push(ui.c.dim(`Commands shown for a ${r.deployment} deployment (set deployment in irm.yaml, or --set deployment=host).`));
  return out.join('\n').trimEnd();
}
