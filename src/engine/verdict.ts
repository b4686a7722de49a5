// A check's verdict from its expectations, each saying in plain words what it wanted and what it got.
import type { Expectation } from '../model/schema.js';
import type { RunResult } from './runner.js';
import type { CutRedact } from './output.js';
import { formatDuration } from '../util/duration.js';
import { expandWith } from '../model/placeholders.js';

export type Verdict = 'healthy' | 'warning' | 'problem' | 'error' | 'skipped' | 'blocked' | 'refused' | 'interrupted' | 'not-applicable';

export interface Reason {
  ok: boolean;
  wanted: string;
  got: string;
}

export interface CouldNotRun {
  kind: 'missing-command' | 'docker-unavailable' | 'timeout' | 'missing-file' | 'spawn-failed' | 'missing-variable' | 'invalid-variable' | 'unavailable';
  message: string;
  hint?: string;
}

const TOOL_HINTS: Record<string, string> = {
  docker: 'docker is not installed here; for a deployment without docker, set deployment: host in irm.yaml',
  'docker-compose': 'docker-compose is not installed here; for a deployment without docker, set deployment: host in irm.yaml',
  psql: 'install the PostgreSQL client (Debian: apt-get install postgresql-client)',
  pg_isready: 'install the PostgreSQL client (Debian: apt-get install postgresql-client)',
  pg_dump: 'install the PostgreSQL client (Debian: apt-get install postgresql-client)',
  'redis-cli': 'install the Redis client (Debian: apt-get install redis-tools)',
  lsof: 'install lsof (Debian: apt-get install lsof)',
  jq: 'install jq (Debian: apt-get install jq)',
  curl: 'install curl (Debian: apt-get install curl)',
  python3: 'install Python 3, or run this check where the bot runs',
};

/** Why a command could not give evidence at all, or undefined when it ran. */
export function couldNotRun(r: RunResult): CouldNotRun | undefined {
  if (r.spawnError) {
    const tool = r.spawnError.replace(/^[^:]+: /, '');
    return { kind: r.spawnError.startsWith('command not found') ? 'missing-command' : 'spawn-failed', message: r.spawnError, hint: TOOL_HINTS[tool] };
  }
  if (r.timedOut) return { kind: 'timeout', message: `timed out after ${formatDuration(r.timeoutMs ?? r.durationMs)}`, hint: 'the service may be hanging; or raise this check\'s timeout' };
  const err = r.stderr + '\n' + r.stdout;
  if (/Cannot connect to the Docker daemon|error during connect|permission denied while trying to connect to the Docker daemon|Is the docker daemon running/i.test(err)) {
    return { kind: 'docker-unavailable', message: 'docker daemon unreachable', hint: 'is docker running here? For a deployment without docker, set deployment: host in irm.yaml' };
  }
  if (r.exitCode === 127) {
    // Inside a shell function run from $(...), bash names the source "environment" instead of "bash".
    const m = r.stderr.match(/(?:^|\n)(?:bash|sh|environment)(?:: line \d+)?: ([^:\n]+): (?:command )?not found/);
    const tool = m?.[1]?.trim() ?? 'a command';
    return { kind: 'missing-command', message: `command not found: ${tool}`, hint: TOOL_HINTS[tool] };
  }
  if (r.exitCode === 126) return { kind: 'spawn-failed', message: 'command not executable', hint: r.stderr.trim().split('\n')[0] };
  const cd = r.stderr.match(/(?:^|\n)(?:bash|sh)(?:: line \d+)?: cd: ([^:\n]+): No such file or directory/);
  if (cd) return { kind: 'missing-file', message: `folder not found: ${cd[1]}`, hint: 'set app_dir (or the variable naming this folder) in irm.yaml' };
  const py = r.stderr.match(/can't open file '([^']+)'/);
  if (py) return { kind: 'missing-file', message: `script not found: ${py[1]}`, hint: "this check runs one of the bot's scripts: set app_dir to the bot's checkout" };
  return undefined;
}

/** Output quoted as it is: no redaction (a test's judgement, or output with no secrets to mask). */
const AS_IS: CutRedact = Object.assign((t: string) => t, { within: (t: string, from: number, to: number) => t.slice(from, to) });

// The output a reason quotes is shortened: masked first, so that a cut through a secret cannot leave part of it.
function firstLines(text: string, redact: CutRedact, max = 3): string {
  const lines = redact(text).split('\n').map((l) => l.trimEnd()).filter((l) => l.trim());
  if (!lines.length) return 'no output';
  const shown = lines.slice(0, max).join(' / ');
  const s = shown.length > 240 ? shown.slice(0, 240) + '…' : shown;
  return lines.length > max ? `${s} (+${lines.length - max} more lines)` : s;
}

function lineWith(text: string, needle: string | RegExp, redact: CutRedact): string {
  let start = 0;
  for (const l of text.split('\n')) {
    if (typeof needle === 'string' ? l.includes(needle) : needle.test(l)) {
      // The line masked with the whole text as context: a secret that begins or ends on another line is masked too.
      const line = redact.within(text, start, start + l.length);
      return line.length > 200 ? line.slice(0, 200) + '…' : line.trim();
    }
    start += l.length + 1;
  }
  return '';
}

function regex(pattern: string): RegExp {
  return new RegExp(pattern, 'm');
}

/** The entries at a dotted path, each with the concrete path it stands at; "*" takes every key or element. */
export function jsonAt(value: unknown, path: string): [string, unknown][] {
  let current: [string, unknown][] = [['', value]];
  for (const seg of path.replace(/^\.+/, '').split('.').filter(Boolean)) {
    const next: [string, unknown][] = [];
    for (const [p, v] of current) {
      if (v === null || typeof v !== 'object') continue;
      const at = (k: string) => (p ? `${p}.${k}` : k);
      if (seg === '*') for (const [k, x] of Object.entries(v)) next.push([at(k), x]);
      else if (Object.prototype.hasOwnProperty.call(v, seg)) next.push([at(seg), (v as Record<string, unknown>)[seg]]);
    }
    current = next;
  }
  return current;
}

/** A `says:` text with its variables filled in; one without a value leaves the text as written. */
function sayable(says: string, expand: (s: string) => string): string {
  try {
    return expand(says);
  } catch {
    return says;
  }
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** `redact` masks the output a reason quotes; the expectation itself is judged on the output as it came. */
export function evaluate(e: Expectation, r: RunResult, expand: (s: string) => string = (s) => s, escapeRe: (s: string) => string = (s) => s, redact: CutRedact = AS_IS): Reason {
  const text = e.stream === 'stdout' ? r.stdout : e.stream === 'stderr' ? r.stderr : r.output;
  const said = (reason: Reason): Reason => (e.says ? { ...reason, wanted: sayable(e.says, expand) } : reason);
  if (e.exit !== undefined) {
    const allowed = Array.isArray(e.exit) ? e.exit : [e.exit];
    const ok = r.exitCode !== null && allowed.includes(r.exitCode);
    const status = r.exitCode === null ? `killed by ${r.signal ?? 'a signal'}` : `exit status ${r.exitCode}`;
    return said({ ok, wanted: `exit status ${allowed.join(' or ')}`, got: ok ? status : `${status}: ${firstLines(r.output, redact)}` });
  }
  if (e.contains !== undefined) {
    const s = expand(e.contains);
    const ok = text.includes(s);
    return said({ ok, wanted: `output containing "${s}"`, got: ok ? lineWith(text, s, redact) : firstLines(text, redact) });
  }
  if (e.not_contains !== undefined) {
    const s = expand(e.not_contains);
    const ok = !text.includes(s);
    // Healthy, the output itself is the evidence ("port 8000 is free"); "not found" read as if something were missing.
    return said({ ok, wanted: `output without "${s}"`, got: ok ? firstLines(text, redact) : lineWith(text, s, redact) });
  }
  if (e.matches !== undefined) {
    const re = regex(expandRe(e.matches, expand, escapeRe));
    const ok = re.test(text);
    return said({ ok, wanted: `output matching /${e.matches}/`, got: ok ? lineWith(text, re, redact) : firstLines(text, redact) });
  }
  if (e.not_matches !== undefined) {
    const re = regex(expandRe(e.not_matches, expand, escapeRe));
    const ok = !re.test(text);
    return said({ ok, wanted: `output not matching /${e.not_matches}/`, got: ok ? firstLines(text, redact) : lineWith(text, re, redact) });
  }
  if (e.number) {
    const n = e.number;
    const re = new RegExp(expandRe(n.pattern, expand, escapeRe), 'gm');
    const found = [...text.matchAll(re)].map((m) => Number((m[1] ?? m[0]).replace(/,/g, ''))).filter((x) => !Number.isNaN(x));
    const bounds = [n.min !== undefined && `>= ${n.min}`, n.above !== undefined && `> ${n.above}`, n.max !== undefined && `<= ${n.max}`, n.below !== undefined && `< ${n.below}`].filter(Boolean).join(' and ');
    const wanted = `a number (/${n.pattern}/) ${bounds}`;
    if (!found.length) return said(n.missing === 'healthy' ? { ok: true, wanted, got: firstLines(text, redact) } : { ok: false, wanted, got: `no such number in: ${firstLines(text, redact)}` });
    const fits = (x: number) => (n.min === undefined || x >= n.min) && (n.max === undefined || x <= n.max) && (n.above === undefined || x > n.above) && (n.below === undefined || x < n.below);
    const judged = n.every ? found : [found[0]!];
    const bad = judged.filter((x) => !fits(x));
    return said({ ok: bad.length === 0, wanted, got: bad.length ? `${bad.join(', ')}` : judged.join(', ') });
  }
  if (e.lines) {
    const count = text.split('\n').filter((l) => l.trim()).length;
    const ok = (e.lines.min === undefined || count >= e.lines.min) && (e.lines.max === undefined || count <= e.lines.max);
    const wanted = e.lines.max === 0 ? 'no output' : [e.lines.min !== undefined && `at least ${e.lines.min} lines`, e.lines.max !== undefined && `at most ${e.lines.max} lines`].filter(Boolean).join(' and ');
    return said({ ok, wanted, got: count === 0 ? 'no output' : `${count} line${count === 1 ? '' : 's'}: ${firstLines(text, redact)}` });
  }
  if (e.json) {
    const j = e.json;
    let data: unknown;
    const source = e.stream === 'stderr' ? r.stderr : r.stdout;
    try {
      data = JSON.parse(source);
    } catch {
      return said({ ok: false, wanted: `JSON with ${j.path}`, got: `output is not JSON: ${firstLines(r.output, redact)}` });
    }
    const entries = jsonAt(data, j.path);
    const found = entries.length > 0;
    const cmp = 'equals' in j ? `= ${show(j.equals)}` : 'not_equals' in j ? `!= ${show(j.not_equals)}` : j.in ? `in ${show(j.in)}` : j.exists !== undefined ? (j.exists ? 'present' : 'absent') : [j.min !== undefined && `>= ${j.min}`, j.max !== undefined && `<= ${j.max}`].filter(Boolean).join(' and ');
    const wanted = `${j.path} ${cmp}`;
    // For a wildcard path, say which entries: circuit_breakers.upbit.state = "open".
    const label = (es: [string, unknown][]) => es.map(([p, v]) => (j.path.includes('*') ? `${p} = ${show(v)}` : show(v))).join(', ');
    if (j.exists !== undefined) return said({ ok: found === j.exists, wanted, got: found ? label(entries) : `${j.path} absent` });
    if (!found) return said({ ok: false, wanted, got: `${j.path} absent in: ${firstLines(source, redact)}` });
    const fits = (v: unknown) => {
      if ('equals' in j) return v === j.equals;
      if ('not_equals' in j) return v !== j.not_equals;
      if (j.in) return j.in.includes(v as string);
      if (typeof v !== 'number') return false;
      return (j.min === undefined || v >= j.min) && (j.max === undefined || v <= j.max);
    };
    const bad = entries.filter(([, v]) => !fits(v));
    return said({ ok: bad.length === 0, wanted, got: label(bad.length ? bad : entries) });
  }
  if (e.any) {
    const rs = e.any.map((x) => evaluate(x, r, expand, escapeRe, redact));
    const ok = rs.some((x) => x.ok);
    return said({ ok, wanted: rs.map((x) => x.wanted).join(' or '), got: (ok ? rs.find((x) => x.ok)! : rs[0]!).got });
  }
  if (e.all) {
    const rs = e.all.map((x) => evaluate(x, r, expand, escapeRe, redact));
    const failed = rs.find((x) => !x.ok);
    return said({ ok: !failed, wanted: rs.map((x) => x.wanted).join(' and '), got: (failed ?? rs[rs.length - 1]!).got });
  }
  return { ok: false, wanted: 'a known expectation', got: 'an empty expectation' };
}

function expandRe(pattern: string, expand: (s: string) => string, escapeRe: (s: string) => string): string {
  return expandWith(pattern, (_, placeholder) => escapeRe(expand(placeholder)));
}

export interface Judgement {
  verdict: 'healthy' | 'warning' | 'problem';
  reasons: Reason[];
  warnings: Reason[];
}

/**
 * An expectation without its exit-status parts, for a command irm stopped at the end of its window (a followed log):
 * it had no exit status of its own to judge. Undefined when nothing else is left.
 */
function withoutExit(e: Expectation): Expectation | undefined {
  if (e.exit !== undefined) return undefined;
  if (e.any) {
    const rest = e.any.map(withoutExit).filter((x): x is Expectation => !!x);
    return rest.length ? { ...e, any: rest } : undefined;
  }
  if (e.all) {
    const rest = e.all.map(withoutExit).filter((x): x is Expectation => !!x);
    return rest.length ? { ...e, all: rest } : undefined;
  }
  return e;
}

/** Exit-status expectations left out of judging, said as reasons that hold, so that the verdict shows why. */
function exitNotJudged(list: readonly Expectation[], expand: (s: string) => string): { judged: Expectation[]; notJudged: Reason[] } {
  const judged: Expectation[] = [];
  const notJudged: Reason[] = [];
  for (const e of list) {
    const kept = withoutExit(e);
    if (kept) judged.push(kept);
    if (kept === e) continue;
    const wanted = e.says !== undefined ? sayable(e.says, expand) : e.exit !== undefined ? `exit status ${[e.exit].flat().join(' or ')}` : 'an exit status';
    notJudged.push({ ok: true, wanted, got: 'not judged: irm stopped the command at the end of its window' });
  }
  return { judged, notJudged };
}

/**
 * All expectations must hold for healthy; a failed warn expectation makes it a warning. Default: exit status 0.
 * A following command stopped at the end of its window is judged on the output it gave meanwhile; its exit status is
 * irm's doing, so the exit-status expectations (and the default) do not apply.
 */
export function judge(expect: readonly Expectation[] | undefined, warn: readonly Expectation[] | undefined, r: RunResult, expand?: (s: string) => string, redact?: CutRedact): Judgement {
  const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (r.windowEnded) {
    const e = exitNotJudged(expect?.length ? expect : [{ exit: 0 }], expand ?? ((s) => s));
    const w = exitNotJudged(warn ?? [], expand ?? ((s) => s));
    const reasons = [...e.judged.map((x) => evaluate(x, r, expand, escapeRe, redact)), ...e.notJudged];
    const warnings = [...w.judged.map((x) => evaluate(x, r, expand, escapeRe, redact)), ...w.notJudged];
    const verdict = reasons.every((x) => x.ok) ? (warnings.every((x) => x.ok) ? 'healthy' : 'warning') : 'problem';
    return { verdict, reasons, warnings };
  }
  const reasons = (expect?.length ? expect : [{ exit: 0 }]).map((e) => evaluate(e, r, expand, escapeRe, redact));
  const warnings = (warn ?? []).map((e) => evaluate(e, r, expand, escapeRe, redact));
  const verdict = reasons.every((x) => x.ok) ? (warnings.every((x) => x.ok) ? 'healthy' : 'warning') : 'problem';
  return { verdict, reasons, warnings };
}
