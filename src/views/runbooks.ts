// Terminal views of irm list, show, validate and config.
import type { ListItem, ShowResult, ValidateResult, CommandView } from '../commands/runbooks.js';
import { formatDiagnostic, sortDiagnostics } from '../load/diagnostics.js';
import type { Expectation } from '../model/schema.js';
import type { UI } from './ui.js';

export function renderList(ui: UI, items: ListItem[]): string {
  return ui.table(
    ['ID', 'Title', 'Severity', 'Source'],
    items.map((i) => [i.id, i.title, i.severity, i.overrides ? `${i.source}\n${ui.c.dim(`overrides ${i.overrides}`)}` : i.source])
  );
}

function command(ui: UI, v: CommandView | undefined, indent: string): string[] {
  if (!v) return [];
  const out = [v.command ? `${indent}$ ${v.command}` : ui.c.dim(`${indent}(${v.unavailable})`)];
  if (v.impact) out.push(ui.c.dim(`${indent}impact: ${v.impact}`));
  if (v.risk === 'destructive') out.push(ui.c.dim(`${indent}asks you to type: ${v.confirm ?? 'the runbook id'}`));
  return out;
}

/** An expectation in plain words: what healthy output looks like. */
export function describeExpectation(e: Expectation): string {
  if (e.says) return e.says;
  if (e.exit !== undefined) return `exit status ${Array.isArray(e.exit) ? e.exit.join(' or ') : e.exit}`;
  if (e.contains !== undefined) return `output contains "${e.contains}"`;
  if (e.not_contains !== undefined) return `output does not contain "${e.not_contains}"`;
  if (e.matches !== undefined) return `output matches /${e.matches}/`;
  if (e.not_matches !== undefined) return `output does not match /${e.not_matches}/`;
  if (e.number) {
    const n = e.number;
    const b = [n.min !== undefined && `>= ${n.min}`, n.above !== undefined && `> ${n.above}`, n.max !== undefined && `<= ${n.max}`, n.below !== undefined && `< ${n.below}`].filter(Boolean).join(' and ');
    return `number /${n.pattern}/ ${b}`;
  }
  if (e.lines) return [e.lines.min !== undefined && `at least ${e.lines.min} lines`, e.lines.max !== undefined && (e.lines.max === 0 ? 'no output' : `at most ${e.lines.max} lines`)].filter(Boolean).join(' and ');
  if (e.json) {
    const j = e.json;
    const cmp = 'equals' in j ? `= ${JSON.stringify(j.equals)}` : 'not_equals' in j ? `!= ${JSON.stringify(j.not_equals)}` : j.in ? `in ${JSON.stringify(j.in)}` : j.exists !== undefined ? (j.exists ? 'exists' : 'is absent') : [j.min !== undefined && `>= ${j.min}`, j.max !== undefined && `<= ${j.max}`].filter(Boolean).join(' and ');
    return `JSON ${j.path} ${cmp}`;
  }
  if (e.any) return `any of: ${e.any.map(describeExpectation).join('; ')}`;
  if (e.all) return `all of: ${e.all.map(describeExpectation).join('; ')}`;
  return '?';
}

export function renderShow(ui: UI, r: ShowResult): string {
  const rb = r.runbook;
  const t = r.text;
  const out = [
    `${ui.c.bold(rb.title)} ${ui.c.dim(`(${rb.id}, typically ${rb.severity}, ${r.source}: ${r.file})`)}`,
    t(rb.summary),
    '',
    ui.heading('Symptoms'),
    ...rb.symptoms.map((s) => `  - ${s}`),
  ];
  if (rb.questions?.length) {
    out.push('', ui.heading('Questions'));
    for (const q of rb.questions) {
      out.push(`  ? ${t(q.ask)}`);
      for (const a of q.answers) {
        const then = a.then ? [a.then.goto && `go to ${a.then.goto}`, a.then.skip && `skip ${a.then.skip.join(', ')}`, a.then.end && `end: ${a.then.end}`].filter(Boolean).join('; ') : '';
        out.push(`    - ${a.label}${then ? ui.c.dim(` → ${then}`) : ''}`);
      }
    }
  }
  if (rb.mitigations?.length) {
    out.push('', ui.heading('Immediate mitigations'));
    rb.mitigations.forEach((m, i) => {
      const v = r.commands[`mitigations.${i}`];
      out.push(`  - ${v ? ui.risk(v.risk) + ' ' : ''}${t(m.title ?? m.text ?? '')}`);
      if (m.title && m.text) out.push(`    ${t(m.text)}`);
      out.push(...command(ui, v, '    '));
    });
  }
  rb.causes.forEach((c, ci) => {
    out.push('', ui.c.bold(`Cause ${ci + 1}: ${t(c.title)}`) + ui.c.dim(` (${c.id})`), `  ${t(c.explanation)}`);
    if (c.checks.length) out.push(`  ${ui.c.underline('Checks')}`);
    for (const k of c.checks) {
      const v = r.commands[`${c.id}.${k.id}`];
      out.push(`    ${ui.risk(v?.risk ?? 'read')} ${t(k.title)} ${ui.c.dim(`(${k.id})`)}`);
      out.push(...command(ui, v, '      '));
      const healthy = (k.expect ?? [{ exit: 0 }]).map(describeExpectation).join('; ');
      out.push(ui.c.dim(`      healthy when: ${healthy}`));
      if (k.warn?.length) out.push(ui.c.dim(`      warning unless: ${k.warn.map(describeExpectation).join('; ')}`));
      if (k.needs?.length) out.push(ui.c.dim(`      needs: ${k.needs.join(', ')}`));
      if (k.hint) out.push(ui.c.dim(`      hint: ${t(k.hint)}`));
    }
    if (c.manual_check) out.push(`    ${ui.c.dim('by hand:')} ${t(c.manual_check)}`);
    out.push(`  ${ui.c.underline('Solution')}`);
    c.solution.forEach((s, si) => {
      const v = r.commands[`${c.id}.solution.${si}`];
      const label = t(s.title ?? s.text ?? '');
      out.push(`    ${si + 1}. ${v ? ui.risk(v.risk) + ' ' : ''}${label}`);
      if (s.title && s.text) out.push(`       ${t(s.text)}`);
      out.push(...command(ui, v, '       '));
    });
  });
  if (rb.references?.length) {
    out.push('', ui.heading('References'));
    for (const ref of rb.references) out.push(`  - ${ref.title}: ${ref.doc ?? ref.url ?? ''}${ref.note ? ui.c.dim(` (${ref.note})`) : ''}`);
  }
  out.push('', ui.c.dim(`Commands shown for a ${r.deployment} deployment with the current variables (irm config ${rb.id} shows each value and its source).`));
  return out.join('\n');
}

export function renderValidate(ui: UI, r: ValidateResult): string {
  const out = sortDiagnostics(r.diagnostics).map((d) => formatDiagnostic(d, ui.paint));
  const files = r.files.length;
  const bad = r.files.filter((f) => f.errors).length;
  const summary = r.errors
    ? ui.c.red.bold(`${r.errors} error${r.errors === 1 ? '' : 's'}`) + ` in ${bad} of ${files} file${files === 1 ? '' : 's'}`
    : ui.c.green(`${files} file${files === 1 ? '' : 's'} valid`) + (r.warnings ? `, ${r.warnings} warning${r.warnings === 1 ? '' : 's'}` : '');
  if (out.length) out.push('');
  out.push(summary);
  return out.join('\n');
}

export function renderConfig(ui: UI, r: ReturnType<typeof import('../commands/runbooks.js').config>): string {
  const out = [
    `Config file: ${r.config_file ?? ui.c.dim('none (looked in this folder and its parents, then ~/.config/irm/irm.yaml)')}`,
    `Strict: ${r.strict}`,
    '',
    ui.heading('Runbook folders (later ones override earlier ones by id)'),
    ...r.runbook_dirs.map((d) => `  - ${d.dir} ${ui.c.dim(`(${d.origin})`)}${d.problem ? ` ${ui.paint.error(d.problem)}` : ''}`),
    '',
    ui.heading('Variables (precedence: --set, IRM_VAR_<NAME>, irm.yaml, default)'),
    ui.table(['Name', 'Value', 'From'], r.variables.map((v) => [v.name, v.value ?? ui.c.yellow('(unset)'), v.where])),
    ...r.undeclared_variables.map((u) => `${ui.paint.warning('warning')}: ${u.where}: ${u.message}${u.hint ? ` (${u.hint})` : ''}`),
    '',
    ui.heading('Contacts'),
    ui.table(['Role', 'Name', 'From'], r.contacts.map((p) => [p.title, p.tbd ? ui.c.yellow('TBD') : p.name, p.source])),
    '',
    ui.heading('Channels'),
    ui.table(['Channel', 'Address', 'From'], r.channels.map((c) => [c.title, c.address, c.source])),
  ];
  return out.join('\n');
}
