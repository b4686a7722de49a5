// Schema issues and the rules a schema cannot say (references, placeholders, risk), as located diagnostics.
import type { z } from 'zod';
import { Config, Manual, Runbook, type CommandSpec, type Expectation, type Variable } from '../model/schema.js';
import { envName, findPlaceholders, findShellPlaceholders, isInertWord, isPlainNumber, type Placeholder } from '../model/placeholders.js';
import { looksDestructive } from '../model/risk.js';
import { isSecretName } from '../model/redact.js';
import { closest, didYouMean } from '../util/suggest.js';
import { CONTROL_CHARACTER, type Diagnostic } from './diagnostics.js';
import type { PathSegment, SourceFile } from './source.js';

type Issue = z.core.$ZodIssue;

// ---- schema issues → diagnostics --------------------------------------------------------------

export function schemaDiagnostics(schema: z.ZodType, issues: readonly Issue[], data: unknown, src: SourceFile, base: PathSegment[] = []): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) out.push(...issueDiagnostics(schema, issue, data, src, base));
  return out;
}

function issueDiagnostics(schema: z.ZodType, issue: Issue, data: unknown, src: SourceFile, base: PathSegment[]): Diagnostic[] {
  const path = [...base, ...(issue.path as PathSegment[])];
  const value = valueAt(data, path);
  const where = describePath(path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeys(schema, path);
      return issue.keys.map((k) =>
        src.at([...path, k], `unknown key "${k}"${where ? ` in ${where}` : ''}`, hintJoin(didYouMean(k, known), known.length ? `expected one of: ${known.join(', ')}` : ''), { key: true })
      );
    }
    case 'invalid_type': {
      if (value === undefined) {
        const key = path[path.length - 1];
        return [src.at(path.slice(0, -1), `missing required key "${String(key)}"${path.length > 1 ? ` in ${describePath(path.slice(0, -1))}` : ''}`)];
      }
      return [src.at(path, `${where || 'value'}: expected ${article(issue.expected)}, got ${describe(value)}`)];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => String(v));
      const hint = typeof value === 'string' ? didYouMean(value, values) : '';
      return [src.at(path, `${where || 'value'}: expected ${values.length === 1 ? `"${values[0]}"` : `one of ${values.map((v) => `"${v}"`).join(', ')}`}, got ${describe(value)}`, hint || undefined)];
    }
    case 'invalid_union': {
      // The branch that got furthest is the one the author meant: report its errors.
      const branches = issue.errors;
      let best: Issue[] | undefined;
      let bestDepth = 0;
      for (const errs of branches) {
        const depth = Math.max(0, ...errs.map((e) => e.path.length + (e.code === 'unrecognized_keys' ? 1 : 0)));
        if (depth > bestDepth) {
          best = errs;
          bestDepth = depth;
        }
      }
      if (best) return best.flatMap((e) => issueDiagnostics(schema, e, data, src, path));
      return [src.at(path, `${where || 'value'}: expected ${unionExpectation(path, branches)}, got ${describe(value)}`)];
    }
    case 'too_small':
    case 'too_big':
      return [src.at(path, `${where || 'value'}: ${friendly(issue.message)}`)];
    default:
      return [src.at(path, `${where || 'value'}: ${friendly(issue.message)}`)];
  }
}

function unionExpectation(path: PathSegment[], branches: Issue[][]): string {
  const last = String(path[path.length - 1] ?? '');
  if (last === 'run') return 'a shell line, or one per deployment: {docker: "...", host: "..."}';
  if (last === 'argv') return 'a list of arguments, or one list per deployment: {docker: [...], host: [...]}';
  if (/timeout|delay|within|from|to|respond_within/.test(last)) return 'a duration such as 10s, 2m or 1h';
  const kinds = new Set<string>();
  for (const errs of branches) for (const e of errs) if (e.code === 'invalid_type') kinds.add(article(e.expected));
  return kinds.size ? [...kinds].join(' or ') : 'a different value';
}

function friendly(message: string): string {
  return message
    .replace(/^Too small: expected array to have >=(\d+) items?$/, (_, n) => `needs at least ${n} item${n === '1' ? '' : 's'}`)
    .replace(/^Too big: expected array to have <=(\d+) items?$/, (_, n) => `may have at most ${n} items`)
    .replace(/^Too small: expected string to have >=1 characters$/, 'must not be empty')
    .replace(/^Invalid input: /, '');
}

function hintJoin(...parts: string[]): string | undefined {
  const p = parts.filter(Boolean);
  return p.length ? p.join('; ') : undefined;
}

function article(t: string): string {
  if (t === 'array') return 'a list';
  if (t === 'object') return 'a mapping';
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

export function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return v.length > 40 ? `"${v.slice(0, 40)}…"` : `"${v}"`;
  return `${typeof v} ${String(v)}`;
}

/** "causes[1].checks[0].risk" */
export function describePath(path: readonly PathSegment[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

/** The keys a mapping at this path may have, found by walking the schema. */
function knownKeys(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let cur: unknown[] = [schema];
  for (const seg of path) cur = cur.flatMap((s) => child(s, seg));
  return [...new Set(cur.flatMap((s) => unwrap(s).flatMap((u) => (shapeOf(u) ? Object.keys(shapeOf(u)!) : []))))];
}

function defOf(s: unknown): Record<string, unknown> {
  return ((s as { _zod?: { def?: Record<string, unknown> } })._zod?.def ?? {}) as Record<string, unknown>;
}

function unwrap(s: unknown): unknown[] {
  const def = defOf(s);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
    case 'readonly':
      return unwrap(def.innerType);
    case 'lazy':
      return unwrap((def.getter as () => unknown)());
    case 'union':
      return (def.options as unknown[]).flatMap(unwrap);
    case 'pipe':
      return unwrap(def.in);
    default:
      return [s];
  }
}

function shapeOf(s: unknown): Record<string, unknown> | undefined {
  const def = defOf(s);
  return def.type === 'object' ? (def.shape as Record<string, unknown>) : undefined;
}

function child(s: unknown, seg: PathSegment): unknown[] {
  return unwrap(s).flatMap((u) => {
    const def = defOf(u);
    if (def.type === 'object') {
      const c = (def.shape as Record<string, unknown>)[String(seg)];
      return c ? [c] : [];
    }
    if (def.type === 'array' && typeof seg === 'number') return [def.element];
    if (def.type === 'record') return [def.valueType];
    return [];
  });
}

// ---- the rules beyond the schema --------------------------------------------------------------

export interface LintContext {
  src: SourceFile;
  /** Variables every runbook may use (the manual's). */
  sharedVariables: Record<string, Variable>;
}

/** Where a command sits: a check, a solution step, a mitigation, a quick-reference command. */
interface CommandSite {
  path: PathSegment[];
  spec: CommandSpec;
  /** Checks default to read; elsewhere the risk must be said. */
  kind: 'check' | 'step' | 'quick';
}

export function lintRunbook(rb: Runbook, ctx: LintContext): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { src } = ctx;
  controlCharacters(rb, [], src, out);
  const variables = new Scope(ctx.sharedVariables, rb.variables);
  out.push(...lintVariables(rb.variables ?? {}, ['variables'], src));

  const causeIds = rb.causes.map((c) => c.id);
  const checkIds: string[] = [];
  (rb.preflight ?? []).forEach((k, ki) => {
    if (checkIds.includes(k.id)) out.push(src.at(['preflight', ki, 'id'], `duplicate check id "${k.id}"`));
    checkIds.push(k.id);
  });
  dupes(causeIds, (i, idv) => out.push(src.at(['causes', i, 'id'], `duplicate cause id "${idv}"`, 'each cause of a runbook needs its own id')));
  rb.causes.forEach((c, ci) =>
    c.checks.forEach((k, ki) => {
      if (checkIds.includes(k.id)) out.push(src.at(['causes', ci, 'checks', ki, 'id'], `duplicate check id "${k.id}"`, 'check ids are unique within a runbook, so that "needs" can name them'));
      checkIds.push(k.id);
    })
  );
  const qIds = (rb.questions ?? []).map((q) => q.id);
  dupes(qIds, (i, idv) => out.push(src.at(['questions', i, 'id'], `duplicate question id "${idv}"`)));

  const branch = (b: { goto?: string | undefined; skip?: string[] | undefined } | undefined, path: PathSegment[]) => {
    if (!b) return;
    if (b.goto && !causeIds.includes(b.goto)) out.push(src.at([...path, 'goto'], `goto names no cause of this runbook: "${b.goto}"`, hintJoin(didYouMean(b.goto, causeIds), `causes: ${causeIds.join(', ')}`)));
    (b.skip ?? []).forEach((s, i) => {
      if (!causeIds.includes(s)) out.push(src.at([...path, 'skip', i], `skip names no cause of this runbook: "${s}"`, hintJoin(didYouMean(s, causeIds), `causes: ${causeIds.join(', ')}`)));
    });
  };
  (rb.questions ?? []).forEach((q, qi) => {
    dupes(q.answers.map((a) => a.id), (i, idv) => out.push(src.at(['questions', qi, 'answers', i, 'id'], `duplicate answer id "${idv}"`)));
    q.answers.forEach((a, ai) => branch(a.then, ['questions', qi, 'answers', ai, 'then']));
    textPlaceholders(q.ask, ['questions', qi, 'ask']);
  });

  const sites: CommandSite[] = [];
  const lintCheck = (k: Runbook['causes'][number]['checks'][number], path: PathSegment[]) => {
    sites.push({ path, spec: k, kind: 'check' });
    branch(k.on_problem, [...path, 'on_problem']);
    branch(k.on_healthy, [...path, 'on_healthy']);
    (k.needs ?? []).forEach((n, ni) => {
      if (n === k.id) out.push(src.at([...path, 'needs', ni], `check "${k.id}" needs itself`));
      else if (!checkIds.includes(n)) out.push(src.at([...path, 'needs', ni], `needs names no check of this runbook: "${n}"`, didYouMean(n, checkIds) || undefined));
    });
    (k.expect ?? []).forEach((e, ei) => lintExpectation(e, [...path, 'expect', ei]));
    (k.warn ?? []).forEach((e, ei) => lintExpectation(e, [...path, 'warn', ei]));
    (k.unavailable_if ?? []).forEach((e, ei) => lintExpectation(e, [...path, 'unavailable_if', ei]));
    if (k.hint) textPlaceholders(k.hint, [...path, 'hint']);
  };
  (rb.preflight ?? []).forEach((k, ki) => lintCheck(k, ['preflight', ki]));
  rb.causes.forEach((c, ci) => {
    textPlaceholders(c.explanation, ['causes', ci, 'explanation']);
    c.checks.forEach((k, ki) => lintCheck(k, ['causes', ci, 'checks', ki]));
    c.solution.forEach((s, si) => sites.push({ path: ['causes', ci, 'solution', si], spec: s, kind: 'step' }));
  });
  (rb.mitigations ?? []).forEach((s, si) => sites.push({ path: ['mitigations', si], spec: s, kind: 'step' }));
  rb.causes.forEach((c, ci) => c.solution.forEach((s, si) => { if (s.text) textPlaceholders(s.text, ['causes', ci, 'solution', si, 'text']); }));
  out.push(...lintNeedsCycles(rb, src));
  for (const site of sites) out.push(...lintCommand(site, variables, src));
  return out;

  function textPlaceholders(s: string, path: PathSegment[]) {
    out.push(...placeholderDiagnostics(s, path, variables, src, false));
  }
  function lintExpectation(e: Expectation, path: PathSegment[]) {
    out.push(...expectationDiagnostics(e, path, variables, src));
  }
}

/**
 * The variables a runbook may use: its own over the shared ones (the manual's), looked up in both rather than copied
 * into one object for every runbook. Own names only: "constructor" is no variable.
 */
class Scope {
  constructor(private readonly shared: Readonly<Record<string, Variable>>, private readonly own: Readonly<Record<string, Variable>> = {}) {}
  has(name: string): boolean {
    return Object.hasOwn(this.own, name) || Object.hasOwn(this.shared, name);
  }
  get(name: string): Variable | undefined {
    return Object.hasOwn(this.own, name) ? this.own[name] : Object.hasOwn(this.shared, name) ? this.shared[name] : undefined;
  }
  /** Every name, in the order a merged object would list them. */
  names(): string[] {
    return [...new Set([...Object.keys(this.shared), ...Object.keys(this.own)])];
  }
}

/**
 * Every text of a file with a control character in it (a double-quoted "\e" or "\x1b" in YAML, or the byte itself):
 * irm shows runbook text on terminals, where ESC and its kind clear the screen, move the cursor over a verdict or
 * retitle the window. Newline and tab are text.
 */
function controlCharacters(value: unknown, path: PathSegment[], src: SourceFile, out: Diagnostic[]): void {
  if (typeof value === 'string') {
    const m = CONTROL_CHARACTER.exec(value);
    if (!m) return;
    const code = m[0].charCodeAt(0);
    const name = CONTROL_NAMES[code] ?? '';
    out.push(src.at([...path], `${describePath(path) || 'value'}: control character U+${code.toString(16).toUpperCase().padStart(4, '0')}${name ? ` (${name})` : ''}: a terminal showing this text would act on it`,
      "remove it; a command that must print one can write it as printf does: printf '\\033'"));
    return;
  }
  // One path, grown and shrunk as the walk goes: most files have nothing to report.
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      controlCharacters(value[i], path, src, out);
      path.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k in value) {
      path.push(k);
      controlCharacters((value as Record<string, unknown>)[k], path, src, out);
      path.pop();
    }
  }
}

const CONTROL_NAMES: Record<number, string> = { 0: 'NUL', 7: 'BEL', 8: 'BS', 0x0b: 'VT', 0x0c: 'FF', 0x0d: 'CR', 0x1b: 'ESC', 0x7f: 'DEL', 0x9b: 'CSI' };

function dupes(ids: string[], report: (index: number, id: string) => void) {
  const seen = new Set<string>();
  ids.forEach((x, i) => {
    if (seen.has(x)) report(i, x);
    seen.add(x);
  });
}

function lintNeedsCycles(rb: Runbook, src: SourceFile): Diagnostic[] {
  const needs = new Map<string, readonly string[]>();
  let any = false;
  for (const k of rb.preflight ?? []) {
    needs.set(k.id, k.needs ?? []);
    any ||= !!k.needs?.length;
  }
  for (const c of rb.causes) {
    for (const k of c.checks) {
      needs.set(k.id, k.needs ?? []);
      any ||= !!k.needs?.length;
    }
  }
  if (!any) return [];
  // Where a check's needs are written: its last definition, as the map above keeps the last.
  const where = (id: string): PathSegment[] => {
    let path: PathSegment[] = [];
    (rb.preflight ?? []).forEach((k, ki) => { if (k.id === id) path = ['preflight', ki, 'needs']; });
    rb.causes.forEach((c, ci) => c.checks.forEach((k, ki) => { if (k.id === id) path = ['causes', ci, 'checks', ki, 'needs']; }));
    return path;
  };
  const out: Diagnostic[] = [];
  const state = new Map<string, 1 | 2>();
  const trail: string[] = [];
  const visit = (id: string): void => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) {
      const cycle = [...trail.slice(trail.indexOf(id)), id];
      out.push(src.at(where(id), `checks need each other in a cycle: ${cycle.join(' → ')}`));
      return;
    }
    state.set(id, 1);
    trail.push(id);
    for (const n of needs.get(id)!) if (needs.has(n)) visit(n);
    trail.pop();
    state.set(id, 2);
  };
  for (const id of needs.keys()) visit(id);
  return out;
}

function expectationDiagnostics(e: Expectation, path: PathSegment[], variables: Scope, src: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const predicates = (['exit', 'contains', 'not_contains', 'matches', 'not_matches', 'number', 'lines', 'json', 'any', 'all'] as const).filter((k) => e[k] !== undefined);
  if (predicates.length !== 1) {
    out.push(src.at(path, predicates.length === 0
      ? 'an expectation needs one of: exit, contains, not_contains, matches, not_matches, number, lines, json, any, all'
      : `an expectation says one thing; this one says ${predicates.join(' and ')}`, predicates.length ? 'split it into separate list items (all must hold)' : undefined));
  }
  const regex = (re: string, p: PathSegment[]) => {
    try {
      new RegExp(re.replace(/\$\{\{[^}]*\}\}/g, 'x'));
    } catch (err) {
      out.push(src.at(p, `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`));
    }
  };
  for (const k of ['contains', 'not_contains', 'matches', 'not_matches'] as const) {
    const v = e[k];
    if (v === undefined) continue;
    out.push(...placeholderDiagnostics(v, [...path, k], variables, src, false));
    if (k === 'matches' || k === 'not_matches') regex(v, [...path, k]);
  }
  if (e.number) {
    regex(e.number.pattern, [...path, 'number', 'pattern']);
    const n = e.number;
    if (n.max === undefined && n.min === undefined && n.below === undefined && n.above === undefined) {
      out.push(src.at([...path, 'number'], 'a number expectation needs a bound: max, min, below or above'));
    }
  }
  if (e.json) {
    const j = e.json;
    if ([j.equals, j.not_equals, j.in, j.exists, j.max, j.min].every((x) => x === undefined) && !('equals' in j) && !('not_equals' in j)) {
      out.push(src.at([...path, 'json'], 'a json expectation needs a comparison: equals, not_equals, in, exists, max or min'));
    }
  }
  e.any?.forEach((x, i) => out.push(...expectationDiagnostics(x, [...path, 'any', i], variables, src)));
  e.all?.forEach((x, i) => out.push(...expectationDiagnostics(x, [...path, 'all', i], variables, src)));
  return out;
}

function lintCommand(site: CommandSite, variables: Scope, src: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  const { spec, path } = site;
  const hasCommand = spec.run !== undefined || spec.argv !== undefined;
  if (spec.run !== undefined && spec.argv !== undefined) out.push(src.at([...path, 'argv'], 'a command has either run (a shell line) or argv (no shell), not both', undefined, { key: true }));
  if (!hasCommand) {
    if (site.kind !== 'step') out.push(src.at(path, 'missing the command: add run (a shell line) or argv (an argument list)'));
    else if (!(spec as { text?: string }).text) out.push(src.at(path, 'a solution step needs text (what to do by hand) or a command (run or argv)'));
    for (const k of ['risk', 'timeout', 'impact', 'confirm', 'stream'] as const) {
      if (spec[k] !== undefined) out.push(src.at([...path, k], `"${k}" belongs to a command, and this step has none`, 'add run or argv, or remove it', { key: true }));
    }
    return out;
  }
  const risk = spec.risk ?? (site.kind === 'check' ? 'read' : undefined);
  if (!risk) out.push(src.at(path, 'missing required key "risk": say what this command does (read, change or destructive)', 'read: observes only; change: restarts, edits config; destructive: kills, deletes'));
  if ((risk === 'change' || risk === 'destructive') && !spec.impact) {
    out.push(src.at([...path, 'risk'], `a ${risk} command must state its impact`, 'add impact: what it does to the running system, shown before the operator confirms'));
  }
  if (spec.confirm !== undefined && risk !== 'destructive') out.push(src.at([...path, 'confirm'], 'confirm is the word typed to run a destructive command; this one is not destructive', undefined, { key: true }));
  for (const { line, path: p, shell } of commandLines(spec, path)) {
    out.push(...placeholderDiagnostics(line, p, variables, src, shell));
    // Only a command declared read can be declared wrongly.
    const word = risk === 'read' ? looksDestructive(line) : undefined;
    if (word) {
      out.push(src.at(spec.risk !== undefined ? [...path, 'risk'] : p,
        `command looks ${/restart/.test(word) ? 'like a change' : 'destructive'} ("${word}") but is declared read`,
        `declare risk: ${/restart/.test(word) ? 'change' : 'destructive'} (with its impact), so that irm asks the confirmation it needs`));
    }
  }
  return out;
}

/** Each command line of a spec, with where it sits (one per deployment where it differs). */
export function commandLines(spec: CommandSpec, path: PathSegment[] = []): { line: string; path: PathSegment[]; shell: boolean; deployment?: string }[] {
  const out: { line: string; path: PathSegment[]; shell: boolean; deployment?: string }[] = [];
  if (typeof spec.run === 'string') out.push({ line: spec.run, path: [...path, 'run'], shell: true });
  else if (spec.run) for (const [d, line] of Object.entries(spec.run)) if (line) out.push({ line, path: [...path, 'run', d], shell: true, deployment: d });
  if (Array.isArray(spec.argv)) spec.argv.forEach((a, i) => out.push({ line: a, path: [...path, 'argv', i], shell: false }));
  else if (spec.argv) for (const [d, argv] of Object.entries(spec.argv)) argv?.forEach((a, i) => out.push({ line: a, path: [...path, 'argv', d, i], shell: false, deployment: d }));
  return out;
}

function placeholderDiagnostics(s: string, path: PathSegment[], variables: Scope, src: SourceFile, shell: boolean): Diagnostic[] {
  const { found, problems } = shell ? findShellPlaceholders(s) : findPlaceholders(s);
  // Most text has no placeholder, and most placeholders are fine: nothing to say.
  if (!problems.length && found.every((p) => variables.has(p.name) && !contextProblem(p, variables.get(p.name)!))) return NOTHING;
  const out: Diagnostic[] = [];
  const at = (start: number, end: number, message: string, hint?: string) => {
    // Point inside the scalar when its source text holds the placeholder as written: at the same occurrence of it.
    const loc = src.locate(path);
    const raw = src.text.slice(loc.start, loc.end);
    const needle = s.slice(start, end);
    let nth = 0;
    for (let k = s.indexOf(needle); k >= 0 && k < start; k = s.indexOf(needle, k + 1)) nth++;
    let idx = raw.indexOf(needle);
    for (let k = 0; k < nth && idx >= 0; k++) idx = raw.indexOf(needle, idx + 1);
    if (idx < 0) idx = raw.indexOf(needle);
    out.push(idx >= 0 ? src.diagnostic(loc.start + idx, loc.start + idx + needle.length, message, hint) : src.at(path, message, hint));
  };
  for (const p of problems) at(p.start, p.end, p.message);
  for (const p of found) {
    if (!variables.has(p.name)) {
      at(p.start, p.end, `unknown variable "${p.name}"`, hintJoin(didYouMean(p.name, variables.names()), 'declare it under variables: (in this runbook, or the manual for all runbooks)'));
      continue;
    }
    const problem = contextProblem(p, variables.get(p.name)!);
    if (problem) at(p.start, p.end, problem.message, problem.hint);
  }
  return out;
}

const NOTHING: Diagnostic[] = [];

/** Why a placeholder cannot stand where it is in a shell line, and how to write it instead; undefined when it can. */
function contextProblem(p: Placeholder, v: Variable): { message: string; hint: string } | undefined {
  if (p.context !== 'arithmetic' && p.context !== 'substitution' && p.context !== 'code') return undefined;
  const env = `"$${envName(p.name)}"`;
  switch (p.context) {
    case 'arithmetic':
      if (onlyNumbers(v)) return undefined;
      return {
        message: `placeholder "${p.name}" stands ${p.where ?? 'in bash arithmetic'}, where bash evaluates its value as an expression: a value such as a[$(cmd)] runs cmd`,
        hint:
          `declare "${p.name}" with type: integer (or number, port), so that only a number can reach it (${env} is evaluated there the same way)` +
          (p.where?.endsWith('in [[ ]]') ? `; or compare with [ ... ${env} ], where test takes only a number and evaluates nothing` : ''),
      };
    case 'substitution':
      return { message: `placeholder "${p.name}" stands inside $(...) or backticks, where irm cannot quote it safely`, hint: `use the environment variable instead: ${env}` };
    case 'code':
      if (onlyInertWords(v)) return undefined;
      return {
        message: `placeholder "${p.name}" stands ${p.where ?? 'where a shell reads it as code'}: its value would be code there`,
        hint: (p.how ?? 'write a fixed word there').replace(/IRM_VAR_NAME/g, envName(p.name)),
      };
    default:
      return undefined;
  }
}

/** Whether every value a variable can take is a plain number (its type is checked wherever a value comes from). */
function onlyNumbers(v: Variable): boolean {
  if (v.type === 'integer' || v.type === 'number' || v.type === 'port') return true;
  return v.type === 'enum' && !!v.values?.length && v.values.every(isPlainNumber);
}

/** Whether every value a variable can take is a word without shell syntax (isInertWord). */
function onlyInertWords(v: Variable): boolean {
  if (v.type === 'integer' || v.type === 'port' || v.type === 'boolean') return true;
  return v.type === 'enum' && !!v.values?.length && v.values.every(isInertWord);
}

export function lintVariables(vars: Record<string, Variable>, base: PathSegment[], src: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const [name, v] of Object.entries(vars)) {
    const path = [...base, name];
    if (v.type === 'enum' && !v.values?.length) out.push(src.at(path, `variable "${name}" is an enum without values`, 'add values: [a, b]'));
    if (v.type !== 'enum' && v.values) out.push(src.at([...path, 'values'], `values belong to an enum; "${name}" is ${v.type}`, 'set type: enum, or remove values', { key: true }));
    if (v.pattern !== undefined) {
      try {
        new RegExp(v.pattern);
      } catch (err) {
        out.push(src.at([...path, 'pattern'], `not a valid regular expression: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`));
        continue;
      }
    }
    if (v.default !== undefined && findPlaceholders(String(v.default)).found.length === 0) {
      const secret = v.secret === true || isSecretName(name);
      const problem = checkValue(v, String(v.default), secret);
      if (problem) out.push(src.at([...path, 'default'], `default of "${name}" is invalid: ${problem}`, undefined, { secret }));
    }
    if (v.default !== undefined) {
      for (const p of findPlaceholders(String(v.default)).found) {
        if (p.name === name) out.push(src.at([...path, 'default'], `default of "${name}" refers to itself`));
      }
    }
  }
  return out;
}

/**
 * Why a value does not fit its variable, or undefined when it does. The value of a secret is not repeated (nor the
 * enum value it is closest to): the reason is shown on screen and in error messages.
 */
export function checkValue(v: Variable, value: string, secret = false): string | undefined {
  const got = secret ? '' : `, got "${value}"`;
  switch (v.type) {
    case 'integer':
      if (!/^-?\d+$/.test(value)) return `expected an integer${got}`;
      break;
    case 'number':
      if (value.trim() === '' || !Number.isFinite(Number(value))) return `expected a number${got}`;
      break;
    case 'port':
      if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) return `expected a port (1-65535)${got}`;
      break;
    case 'boolean':
      if (!/^(true|false)$/.test(value)) return `expected true or false${got}`;
      break;
    case 'url':
      if (!/^[a-z][a-z0-9+.-]*:\/\/[^\s]+$/i.test(value)) return `expected a URL such as http://localhost:8000${got}`;
      break;
    case 'host':
      if (!/^[A-Za-z0-9._:[\]-]+$/.test(value)) return `expected a host name or address${got}`;
      break;
    case 'enum':
      if (v.values && !v.values.includes(value)) {
        const c = secret ? undefined : closest(value, v.values);
        return `expected one of ${v.values.join(', ')}${got}${c ? ` (did you mean "${c}"?)` : ''}`;
      }
      break;
    default:
      break;
  }
  if (v.pattern !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${v.pattern})$`);
    } catch {
      return undefined;
    }
    if (!re.test(value)) return `${secret ? 'the value' : `"${value}"`} does not match the pattern ${v.pattern}`;
  }
  return undefined;
}

export function lintManual(m: Manual, src: SourceFile): Diagnostic[] {
  const out: Diagnostic[] = [];
  controlCharacters(m, [], src, out);
  out.push(...lintVariables(m.variables, ['variables'], src));
  const roles = m.contacts.primary.map((c) => c.role);
  const channels = m.channels.map((c) => c.id);
  dupes(roles, (i, r) => out.push(src.at(['contacts', 'primary', i, 'role'], `duplicate role "${r}"`)));
  dupes(m.contacts.secondary.map((c) => c.service), (i, r) => out.push(src.at(['contacts', 'secondary', i, 'service'], `duplicate service "${r}"`)));
  dupes(m.severities.map((s) => s.level), (i, r) => out.push(src.at(['severities', i, 'level'], `duplicate severity level ${r}`)));
  m.severities.forEach((s, si) => {
    s.involve.forEach((inv, ii) => {
      if (!roles.includes(inv.role)) out.push(src.at(['severities', si, 'involve', ii, 'role'], `no primary contact has the role "${inv.role}"`, didYouMean(inv.role, roles) || `roles: ${roles.join(', ')}`));
    });
    s.channels.forEach((c, ci) => {
      if (!channels.includes(c)) out.push(src.at(['severities', si, 'channels', ci], `no channel "${c}"`, didYouMean(c, channels) || `channels: ${channels.join(', ')}`));
    });
  });
  m.escalation.forEach((e, ei) => e.roles.forEach((r, ri) => {
    if (!roles.includes(r) && !/^[A-Z]/.test(r)) out.push(src.at(['escalation', ei, 'roles', ri], `no primary contact has the role "${r}"`, didYouMean(r, roles) || 'name a role id, or a group in words starting with a capital ("Executive Team")'));
  }));
  const groupIds = m.quick_reference.map((g) => g.id);
  dupes(groupIds, (i, g) => out.push(src.at(['quick_reference', i, 'id'], `duplicate group "${g}"`)));
  const quickIds: string[] = [];
  m.quick_reference.forEach((g, gi) => g.commands.forEach((c, ci) => {
    if (quickIds.includes(c.id)) out.push(src.at(['quick_reference', gi, 'commands', ci, 'id'], `duplicate quick-reference command "${c.id}"`));
    quickIds.push(c.id);
    out.push(...lintCommand({ path: ['quick_reference', gi, 'commands', ci], spec: c, kind: 'quick' }, new Scope(m.variables), src));
  }));
  return out;
}

export function lintConfig(c: Config, src: SourceFile, manual: Manual | undefined): Diagnostic[] {
  const out: Diagnostic[] = [];
  controlCharacters(c, [], src, out);
  if (!manual) return out;
  const roles = manual.contacts.primary.map((p) => p.role);
  const services = manual.contacts.secondary.map((s) => s.service);
  for (const role of Object.keys(c.contacts?.primary ?? {})) {
    if (!roles.includes(role)) out.push(src.at(['contacts', 'primary', role], `unknown role "${role}"`, hintJoin(didYouMean(role, roles), `roles: ${roles.join(', ')}`), { key: true }));
  }
  for (const svc of Object.keys(c.contacts?.secondary ?? {})) {
    if (!services.includes(svc)) out.push(src.at(['contacts', 'secondary', svc], `unknown service "${svc}"`, hintJoin(didYouMean(svc, services), `services: ${services.join(', ')}`), { key: true }));
  }
  const channels = manual.channels.map((ch) => ch.id);
  for (const ch of Object.keys(c.channels ?? {})) {
    if (!channels.includes(ch)) out.push(src.at(['channels', ch], `unknown channel "${ch}"`, hintJoin(didYouMean(ch, channels), `channels: ${channels.join(', ')}`), { key: true }));
  }
  return out;
}

export const schemas = { Runbook, Manual, Config };
