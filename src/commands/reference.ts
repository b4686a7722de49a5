// The manual's reference data as answers: who to call, how bad it is, who owns it now, what to run.
import type { Context } from '../context.js';
import type { Catalog } from '../load/catalog.js';
import type { EscalationLevel, Manual, SeverityLevel } from '../model/schema.js';
import { displayForm, formsOf, selectForm } from '../model/command.js';
import { lookupOf } from '../load/variables.js';
import { NotFoundError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { formatDuration, parseDuration } from '../util/duration.js';

export interface Person {
  role: string;
  title: string;
  name: string;
  phone?: string;
  email?: string;
  slack?: string;
  availability: string;
  /** The manual still says TBD: the team has not set this contact in irm.yaml. */
  tbd: boolean;
  source: 'manual' | 'irm.yaml';
}

export interface ServiceContacts {
  service: string;
  title: string;
  contacts: { name?: string; phone?: string; email?: string; slack?: string }[];
  purpose: string;
  source: 'manual' | 'irm.yaml';
}

export interface ChannelInfo {
  id: string;
  title: string;
  address: string;
  purpose: string;
  source: 'manual' | 'irm.yaml';
}

/** The manual's contacts with the team's irm.yaml laid over them. */
export function people(catalog: Catalog): Person[] {
  const team = catalog.config.config.contacts?.primary ?? {};
  return catalog.manual.contacts.primary.map((p) => {
    const t = team[p.role];
    const merged = { ...p, ...(t ?? {}) };
    const person: Person = {
      role: p.role,
      title: merged.title ?? p.title,
      name: merged.name ?? p.name,
      availability: merged.availability ?? p.availability,
      tbd: (merged.name ?? 'TBD') === 'TBD',
      source: t ? 'irm.yaml' : 'manual',
    };
    for (const k of ['phone', 'email', 'slack'] as const) if (merged[k]) person[k] = merged[k];
    return person;
  });
}

export function services(catalog: Catalog): ServiceContacts[] {
  const team = catalog.config.config.contacts?.secondary ?? {};
  return catalog.manual.contacts.secondary.map((s) => {
    const t = team[s.service];
    return {
      service: s.service,
      title: s.title,
      contacts: t?.contacts ?? s.contacts,
      purpose: t?.purpose ?? s.purpose,
      source: t ? 'irm.yaml' : 'manual',
    };
  });
}

export function channels(catalog: Catalog): ChannelInfo[] {
  const team = catalog.config.config.channels ?? {};
  return catalog.manual.channels.map((c) => {
    const t = team[c.id];
    return { id: c.id, title: t?.title ?? c.title, address: t?.address ?? c.address, purpose: t?.purpose ?? c.purpose, source: t ? 'irm.yaml' : 'manual' };
  });
}

export type ContactsResult =
  | { kind: 'all'; primary: Person[]; secondary: ServiceContacts[]; channels: ChannelInfo[] }
  | { kind: 'severity'; level: string; name: string; response_time: string; response: string[]; involve: (Person & { why: string })[]; channels: ChannelInfo[] }
  | { kind: 'service'; service: ServiceContacts }
  | { kind: 'role'; person: Person };

export function findSeverity(manual: Manual, level: string): SeverityLevel {
  const s = manual.severities.find((x) => x.level === level.toUpperCase());
  if (s) return s;
  level = level.toUpperCase();
  const levels = manual.severities.map((x) => x.level);
  const c = closest(level.toUpperCase(), levels);
  throw new NotFoundError(`no severity level "${level}"`, `${c ? `did you mean ${c}? ` : ''}levels: ${levels.join(', ')}`);
}

export function contacts(ctx: Context, query?: string): ContactsResult {
  const catalog = ctx.catalog();
  const everyone = people(catalog);
  if (!query) return { kind: 'all', primary: everyone, secondary: services(catalog), channels: channels(catalog) };
  const q = query.trim().toLowerCase();
  if (/^p\d$/.test(q)) {
    const s = findSeverity(catalog.manual, query.trim());
    const chans = channels(catalog);
    return {
      kind: 'severity',
      level: s.level,
      name: s.name,
      response_time: s.response_time,
      response: s.response,
      involve: s.involve.map((i) => ({ ...everyone.find((p) => p.role === i.role)!, why: i.why })),
      channels: s.channels.map((id) => chans.find((c) => c.id === id)!).filter(Boolean),
    };
  }
  const svc = catalog.manual.contacts.secondary.find((s) => s.service === q || (s.aliases ?? []).some((a) => a.toLowerCase() === q));
  if (svc) return { kind: 'service', service: services(catalog).find((s) => s.service === svc.service)! };
  const person = everyone.find((p) => p.role === q);
  if (person) return { kind: 'role', person };
  const candidates = [
    ...catalog.manual.severities.map((s) => s.level),
    ...catalog.manual.contacts.secondary.flatMap((s) => [s.service, ...(s.aliases ?? [])]),
    ...everyone.map((p) => p.role),
  ];
  const c = closest(query, candidates);
  throw new NotFoundError(
    `no severity, service or role "${query}"`,
    `${c ? `did you mean "${c}"? ` : ''}try a level (P0-P3), a service (${catalog.manual.contacts.secondary.map((s) => s.service).join(', ')}) or a role (${everyone.map((p) => p.role).join(', ')})`
  );
}

// ---- severity ------------------------------------------------------------------------------------

export function severity(ctx: Context, level?: string): SeverityLevel[] {
  const manual = ctx.catalog().manual;
  return level ? [findSeverity(manual, level)] : manual.severities;
}

const STOP = new Set('a an the of or and to is are be in on at for with by from it its this that no not one some all any our we i my has have was were been being'.split(' '));
const SYNONYMS: Record<string, string> = {
  docs: 'documentation', doc: 'documentation', db: 'database', outage: 'outage', down: 'down', slow: 'slower',
  hacked: 'compromised', breached: 'breach', leak: 'breach', unauthorised: 'unauthorized', crash: 'failure',
  crashed: 'failure', fails: 'failure', failing: 'failure', failed: 'failure', broken: 'failure', ui: 'ui',
  latency: 'slower', lag: 'lag', lagging: 'lag', alerts: 'alerts', notification: 'notifications', typo: 'documentation',
};

function stem(w: string): string {
  if (SYNONYMS[w]) return SYNONYMS[w]!;
  if (w.length > 5 && w.endsWith('ing')) return w.slice(0, -3);
  if (w.length > 4 && w.endsWith('es')) return w.slice(0, -2);
  if (w.length > 3 && w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  return w;
}

export function tokens(text: string): string[] {
  return text
    .toLowerCase()
    .split(/[^a-z0-9%>]+/)
    .filter((w) => w && !STOP.has(w))
    .map(stem);
}

export interface Classification {
  level: string;
  name: string;
  score: number;
  /** The example or impact line that matched best. */
  matched?: string;
  words: string[];
  response_time: string;
}

/** The levels ranked by how well the text matches their impact and examples. */
export function classify(ctx: Context, text: string): Classification[] {
  const manual = ctx.catalog().manual;
  const docs = manual.severities.flatMap((s) => [s.impact, ...s.examples].map((line) => ({ level: s.level, line, toks: new Set(tokens(line)) })));
  const df = new Map<string, number>();
  for (const d of docs) for (const t of d.toks) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = (t: string) => Math.log(1 + docs.length / (df.get(t) ?? docs.length));
  const words = text.toLowerCase().split(/[^a-z0-9%>]+/).filter((w) => w && !STOP.has(w));
  const original = new Map(words.map((w) => [stem(w), w] as [string, string]));
  const query = [...new Set(tokens(text))];
  const results = manual.severities.map((s) => {
    let best = { score: 0, line: undefined as string | undefined, words: [] as string[] };
    for (const d of docs.filter((x) => x.level === s.level)) {
      const words = query.filter((t) => d.toks.has(t));
      const score = words.reduce((sum, t) => sum + idf(t), 0) / Math.sqrt(d.toks.size + 1);
      if (score > best.score) best = { score, line: d.line, words };
    }
    const r: Classification = { level: s.level, name: s.name, score: best.score, words: best.words.map((w) => original.get(w) ?? w), response_time: s.response_time };
    if (best.line) r.matched = best.line;
    return r;
  });
  const top = Math.max(...results.map((r) => r.score));
  for (const r of results) r.score = top > 0 ? Math.round((r.score / top) * 100) / 100 : 0;
  // Ties go to the more severe level: when unsure, treat it as the higher one.
  return results.sort((a, b) => b.score - a.score || a.level.localeCompare(b.level));
}

// ---- escalation ----------------------------------------------------------------------------------

export interface EscalationView extends EscalationLevel {
  people: Person[];
  /** Roles that are not contacts of the manual (CTO, Executive Team). */
  others: string[];
}

export interface EscalationResult {
  levels: EscalationView[];
  elapsed?: { ms: number; text: string; level: number; owner: EscalationView; next?: EscalationView; triggers: string[]; next_at?: string };
}

/** The level that should own an incident this long after detection: windows are [from, to). */
export function levelAt(levels: readonly EscalationLevel[], elapsedMs: number): EscalationLevel {
  const timed = levels.filter((l) => l.window);
  let owner = timed[0] ?? levels[0]!;
  for (const l of timed) {
    const from = l.window!.from !== undefined ? parseDuration(l.window!.from) : 0;
    const to = l.window!.to !== undefined ? parseDuration(l.window!.to) : Infinity;
    if (elapsedMs >= from && elapsedMs < to) owner = l;
  }
  return owner;
}

export function escalation(ctx: Context, elapsed?: string): EscalationResult {
  const catalog = ctx.catalog();
  const everyone = people(catalog);
  const levels: EscalationView[] = catalog.manual.escalation.map((l) => ({
    ...l,
    people: l.roles.map((r) => everyone.find((p) => p.role === r)).filter((p): p is Person => !!p),
    others: l.roles.filter((r) => !everyone.some((p) => p.role === r)),
  }));
  if (elapsed === undefined) return { levels };
  const ms = parseDuration(elapsed);
  const owner = levels.find((l) => l.level === levelAt(catalog.manual.escalation, ms).level)!;
  const next = levels.find((l) => l.level === owner.level + 1);
  const result: EscalationResult = { levels, elapsed: { ms, text: formatDuration(ms), level: owner.level, owner, triggers: owner.escalate_if } };
  if (next) result.elapsed!.next = next;
  if (owner.window?.to !== undefined) result.elapsed!.next_at = formatDuration(parseDuration(owner.window.to));
  return result;
}

// ---- procedure, post-incident, quick reference ------------------------------------------------------

export function procedure(ctx: Context, step?: string) {
  const steps = ctx.catalog().manual.procedure;
  if (step === undefined) return steps;
  const n = Number(step);
  const s = steps.find((x) => x.step === n);
  if (!s) throw new NotFoundError(`no procedure step "${step}"`, `steps: ${steps.map((x) => x.step).join(', ')}`);
  return [s];
}

export function postIncident(ctx: Context) {
  return ctx.catalog().manual.post_incident;
}

export interface QuickCommandView {
  id: string;
  title: string;
  risk: string;
  command?: string;
  /** Why there is no command for this deployment. */
  unavailable?: string;
  impact?: string;
  stream?: boolean;
}

export function quickReference(ctx: Context, group?: string) {
  const catalog = ctx.catalog();
  const vars = ctx.variables();
  const lookup = lookupOf(vars);
  const deployment = vars.get('deployment')?.value ?? 'docker';
  let groups = catalog.manual.quick_reference;
  if (group) {
    const g = groups.find((x) => x.id === group);
    if (!g) {
      const c = closest(group, groups.map((x) => x.id));
      throw new NotFoundError(`no quick-reference group "${group}"`, `${c ? `did you mean "${c}"? ` : ''}groups: ${groups.map((x) => x.id).join(', ')}`);
    }
    groups = [g];
  }
  return {
    deployment,
    groups: groups.map((g) => ({
      id: g.id,
      title: g.title,
      commands: g.commands.map((c): QuickCommandView => {
        const form = selectForm(c, deployment);
        const v: QuickCommandView = { id: c.id, title: c.title, risk: c.risk ?? 'read' };
        if (form) v.command = displayForm(form, lookup, (n) => vars.get(n)?.secret ?? false);
        else v.unavailable = `only for a ${formsOf(c).join(' or ')} deployment`;
        if (c.impact) v.impact = c.impact;
        if (c.stream) v.stream = true;
        return v;
      }),
    })),
    references: catalog.manual.references,
  };
}
