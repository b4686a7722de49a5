// A fast reader for the plain YAML that runbooks are written in, used before the full YAML library.
//
// The yaml library reads about 2 MB/s in a fresh process (its lexer, parser and composer build a document with
// positions): 1,000 runbooks cost it more than half a second. Most runbooks use a small part of YAML: block mappings
// and sequences, one-line plain, quoted and flow scalars, literal and folded block scalars, comments. This reader
// takes that part, about ten times faster, and gives up on anything else: anchors, aliases, tags, documents markers,
// multi-line plain or quoted scalars, tabs, duplicate keys, keys that are not plain strings, anything it is not sure
// of. Giving up costs nothing but time: the caller then reads the file with the yaml library, which also gives every
// error its position. Positions are not kept here; a file read this way is parsed again with the yaml library only
// if a diagnostic needs one.
//
// Where it reads a file, it must read it exactly as the yaml library does (YAML 1.2, core schema, the options of
// src/load/source.ts). test/plain-yaml.test.ts holds it to that: over every runbook and fixture, generated documents
// and thousands of mutations of them, it either gives up or returns what the yaml library returns.

/** Thrown to give up; caught in readPlainYaml. A constant, so giving up builds no stack trace. */
const GIVE_UP = Symbol('not plain YAML');
function giveUp(): never {
  throw GIVE_UP;
}

/** Characters the reader leaves to the yaml library: tabs, CR, controls, BOM, the Unicode line separators, surrogates. */
const UNUSUAL = /[^\n\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]/;
/** Document markers and directives. */
const MARKERS = /^(?:---|\.\.\.|%)/m;
/** Characters a plain scalar may not start with (and "-", "?", ":" followed by a space or nothing). */
const INDICATORS = new Set("[]{},#&*!|>'\"%@`");
function startsWithIndicator(s: string): boolean {
  const c = s[0];
  if (c === undefined) return false;
  if (INDICATORS.has(c)) return true;
  return (c === '-' || c === '?' || c === ':') && (s.length === 1 || s[1] === ' ');
}

/** s without the spaces it starts with. */
function trimStartSpaces(s: string): string {
  let i = 0;
  while (s.charCodeAt(i) === 32) i++;
  return i ? s.slice(i) : s;
}
const MAX_DEPTH = 64;

// The YAML 1.2 core schema, as the yaml library resolves plain scalars (yaml/dist/schema/core).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** First characters of every plain scalar that is not a string in the core schema (and the empty one, null). */
const MAYBE_NOT_STRING = new Set('-+.0123456789~nNtTfF');
const LETTERS = new Set('nNtTfF');

/** A plain scalar's value in the core schema. */
function resolvePlain(s: string): unknown {
  if (s !== '' && !MAYBE_NOT_STRING.has(s[0]!)) return s;
  // Starting with a letter, only null, true and false are not strings: words of four or five letters.
  if (LETTERS.has(s[0]!) && s.length !== 4 && s.length !== 5) return s;
  if (NULL.test(s)) return null;
  if (BOOL.test(s)) return s[0] === 't' || s[0] === 'T';
  if (INT_OCT.test(s)) return parseInt(s.slice(2), 8);
  if (INT.test(s)) return parseInt(s, 10);
  if (INT_HEX.test(s)) return parseInt(s.slice(2), 16);
  if (FLOAT_NAN.test(s)) return s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity;
  if (FLOAT_EXP.test(s) || FLOAT.test(s)) return parseFloat(s);
  return s;
}

/** A mapping key: a plain scalar that reads as a string, without anything that needs a second look. */
function plainKey(k: string): string {
  // The same few keys make up most of every runbook: each is looked at once.
  if (KEYS.has(k)) return k;
  if (k.length > 1024 || startsWithIndicator(k) || /^[-?:]|\s$|\s#|[[\]{},]/.test(k) || k === '<<' || k === '__proto__') giveUp();
  if (typeof resolvePlain(k) !== 'string') giveUp();
  if (KEYS.size < 1000) KEYS.add(k);
  return k;
}
const KEYS = new Set<string>();

/** Where a block mapping line's key ends (its ":"), or -1. */
function separator(c: string): number {
  const s = c.indexOf(': ');
  if (s >= 0) return s;
  return c.endsWith(':') ? c.length - 1 : -1;
}

function isSeqLine(c: string): boolean {
  return c === '-' || c.startsWith('- ');
}

function isMapLine(c: string): boolean {
  return !startsWithIndicator(c) && c[0] !== '-' && c[0] !== '?' && c[0] !== ':' && separator(c) > 0;
}

/** A quoted scalar on one line, from its opening quote at `start`: its value and the offset after its closing quote. */
function quoted(s: string, start: number): [string, number] {
  const q = s[start];
  let out = '';
  let from = start + 1;
  for (let j = from; j < s.length; j++) {
    const ch = s[j];
    if (q === "'") {
      if (ch !== "'") continue;
      out += s.slice(from, j);
      if (s[j + 1] === "'") {
        out += "'";
        from = ++j + 1;
        continue;
      }
      return [out, j + 1];
    }
    if (ch === '"') return [out + s.slice(from, j), j + 1];
    if (ch !== '\\') continue;
    out += s.slice(from, j);
    const e = s[j + 1];
    const simple = e === undefined ? undefined : ESCAPES[e];
    if (simple !== undefined) {
      out += simple;
      j++;
    } else if (e === 'x' || e === 'u') {
      const len = e === 'x' ? 2 : 4;
      const hex = s.slice(j + 2, j + 2 + len);
      if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) giveUp();
      const code = parseInt(hex, 16);
      if (code >= 0xd800 && code <= 0xdfff) giveUp();
      out += String.fromCharCode(code);
      j += 1 + len;
    } else giveUp();
    from = j + 1;
  }
  return giveUp();
}

const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t', r: '\r', '0': '\0', ' ': ' ' };

/** After a value on its line: nothing, or a comment. */
function endOfLine(s: string, end: number): void {
  if (end === s.length) return;
  if (!/^ +(?:#|$)/.test(s.slice(end))) giveUp();
}

/** The characters that end a plain scalar in a flow collection: , [ ] { } : # (by char code, below 128). */
const FLOW_STOP: boolean[] = Array.from({ length: 128 }, (_, c) => ',[]{}:#'.includes(String.fromCharCode(c)));

/** A one-line flow collection ([a, b] or { k: v }) from its opening bracket: its value and the offset after it. */
function flow(s: string, start: number, depth: number): [unknown, number] {
  if (depth > MAX_DEPTH) giveUp();
  const isSeq = s[start] === '[';
  const close = isSeq ? ']' : '}';
  const out: unknown[] | Record<string, unknown> = isSeq ? [] : {};
  let pos = start + 1;
  const spaces = () => {
    while (s[pos] === ' ') pos++;
  };
  const node = (): unknown => {
    spaces();
    const ch = s[pos];
    if (ch === '[' || ch === '{') {
      const [v, end] = flow(s, pos, depth + 1);
      pos = end;
      return v;
    }
    if (ch === '"' || ch === "'") {
      const [v, end] = quoted(s, pos);
      pos = end;
      return v;
    }
    let end = pos;
    while (end < s.length && !FLOW_STOP[s.charCodeAt(end)]) end++;
    // A "#" inside a plain scalar, or a ":" anywhere in one: left to the yaml library.
    if (s[end] === '#' || (s[end] === ':' && !(isSeq === false && s[end + 1] === ' '))) giveUp();
    const text = s.slice(pos, end).replace(/ +$/, '');
    if (text === '' || startsWithIndicator(text)) giveUp();
    pos = end;
    return resolvePlain(text);
  };
  spaces();
  if (s[pos] === close) return [out, pos + 1];
  for (;;) {
    if (isSeq) {
      const v = node();
      spaces();
      if (s[pos] === ':') giveUp();
      (out as unknown[]).push(v);
    } else {
      spaces();
      const keyEnd = s.indexOf(': ', pos);
      if (keyEnd < 0) giveUp();
      const key = plainKey(s.slice(pos, keyEnd));
      if (/[:#"']/.test(key)) giveUp();
      pos = keyEnd + 2;
      const v = node();
      const map = out as Record<string, unknown>;
      if (Object.hasOwn(map, key)) giveUp();
      map[key] = v;
    }
    spaces();
    if (s[pos] === ',') {
      pos++;
      spaces();
      if (s[pos] === close || s[pos] === ',') giveUp();
      continue;
    }
    if (s[pos] === close) return [out, pos + 1];
    giveUp();
  }
}

class Reader {
  private readonly lines: string[];
  /** Each line's indentation and its content without it and without trailing spaces (rewritten for "- key: v"). */
  private readonly indent: number[];
  private readonly content: string[];
  private i = 0;

  constructor(text: string) {
    this.lines = text.split('\n');
    this.indent = new Array<number>(this.lines.length);
    this.content = new Array<string>(this.lines.length);
    for (let k = 0; k < this.lines.length; k++) {
      const line = this.lines[k]!;
      let n = 0;
      while (line.charCodeAt(n) === 32) n++;
      let e = line.length;
      while (e > n && line.charCodeAt(e - 1) === 32) e--;
      this.indent[k] = n;
      this.content[k] = line.slice(n, e);
    }
  }

  document(): unknown {
    if (!this.skip()) giveUp();
    const v = this.block(this.indent[this.i]!, 0);
    if (this.skip()) giveUp();
    return v;
  }

  /** Move to the next line with something on it; false at the end. */
  private skip(): boolean {
    while (this.i < this.lines.length) {
      const c = this.content[this.i]!;
      if (c !== '' && c[0] !== '#') return true;
      this.i++;
    }
    return false;
  }

  /** The collection that starts on the current line. */
  private block(n: number, depth: number): unknown {
    if (depth > MAX_DEPTH) giveUp();
    const c = this.content[this.i]!;
    if (isSeqLine(c)) return this.seq(n, depth);
    if (isMapLine(c)) return this.map(n, depth);
    return giveUp();
  }

  private map(n: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    while (this.skip() && this.indent[this.i] === n) {
      const c = this.content[this.i]!;
      if (!isMapLine(c)) giveUp();
      const s = separator(c);
      const key = plainKey(c.slice(0, s));
      if (Object.hasOwn(out, key)) giveUp();
      this.i++;
      out[key] = this.value(trimStartSpaces(c.slice(s + 1)), n, true, depth);
    }
    if (this.i < this.lines.length && this.indent[this.i]! > n) giveUp();
    return out;
  }

  private seq(n: number, depth: number): unknown[] {
    const out: unknown[] = [];
    while (this.skip() && this.indent[this.i] === n && isSeqLine(this.content[this.i]!)) {
      const c = this.content[this.i]!;
      const rest = trimStartSpaces(c.slice(1));
      if (rest !== '' && rest[0] !== '#' && isMapLine(rest)) {
        // "- key: value": a mapping whose first line starts after the dash.
        this.indent[this.i] = n + c.length - rest.length;
        this.content[this.i] = rest;
        out.push(this.map(this.indent[this.i]!, depth + 1));
        continue;
      }
      this.i++;
      out.push(this.value(rest, n, false, depth));
    }
    if (this.i < this.lines.length && this.indent[this.i]! > n) giveUp();
    return out;
  }

  /** The value after "key:" or "- " (its line consumed), in a collection indented by n. */
  private value(rest: string, n: number, inMap: boolean, depth: number): unknown {
    if (rest === '' || rest[0] === '#') {
      if (!this.skip()) return null;
      const m = this.indent[this.i]!;
      if (m > n) return this.block(m, depth + 1);
      // A sequence may sit at its key's indentation.
      if (inMap && m === n && isSeqLine(this.content[this.i]!)) return this.seq(n, depth + 1);
      return null;
    }
    const ch = rest[0];
    let v: unknown;
    if (ch === '|' || ch === '>') v = this.blockScalar(rest, n);
    else if (ch === '"' || ch === "'") {
      const [q, end] = quoted(rest, 0);
      endOfLine(rest, end);
      v = q;
    } else if (ch === '[' || ch === '{') {
      const [f, end] = flow(rest, 0, depth + 1);
      endOfLine(rest, end);
      v = f;
    } else {
      if (startsWithIndicator(rest)) giveUp();
      const hash = rest.indexOf(' #');
      const text = (hash >= 0 ? rest.slice(0, hash) : rest).replace(/ +$/, '');
      if (text.includes(': ') || text.endsWith(':')) giveUp();
      v = resolvePlain(text);
    }
    // A more indented line next would continue the value (a multi-line scalar) or be an error: left to yaml.
    if (this.skip() && this.indent[this.i]! > n) giveUp();
    return v;
  }

  /** A literal (|) or folded (>) block scalar, clipped or stripped (-), its header on the line just read. */
  private blockScalar(header: string, n: number): string {
    const m = /^([|>])(-?)(?: +#.*)?$/.exec(header);
    if (!m) giveUp();
    const start = this.i;
    let widest = 0;
    let k = start;
    for (; k < this.lines.length && this.content[k] === ''; k++) widest = Math.max(widest, this.lines[k]!.length);
    if (k === this.lines.length) giveUp();
    const ci = this.indent[k]!;
    if (ci <= n || widest > ci) giveUp();
    const body: string[] = [];
    for (k = start; k < this.lines.length; k++) {
      const raw = this.lines[k]!;
      if (this.content[k] === '') {
        if (raw.length > ci) giveUp();
        body.push('');
        continue;
      }
      if (this.indent[k]! < ci) break;
      body.push(raw.slice(ci));
    }
    this.i = k;
    while (body.length && body[body.length - 1] === '') body.pop();
    let text: string;
    if (m[1] === '|') text = body.join('\n');
    else {
      text = '';
      let empty = 0;
      for (const [j, line] of body.entries()) {
        if (line === '') {
          empty++;
          continue;
        }
        // A more indented line keeps its line breaks in a folded scalar: left to yaml.
        if (line[0] === ' ') giveUp();
        text += j === 0 ? line : empty ? '\n'.repeat(empty) + line : ` ${line}`;
        empty = 0;
      }
    }
    return m[2] === '-' ? text : `${text}\n`;
  }
}

/**
 * The data of a YAML document written in the plain part of YAML described at the top of this file, exactly as the
 * yaml library reads it; undefined for anything else (including errors), which the caller reads with the library.
 */
export function readPlainYaml(text: string): { data: unknown } | undefined {
  if (UNUSUAL.test(text) || MARKERS.test(text)) return undefined;
  try {
    return { data: new Reader(text).document() };
  } catch {
    return undefined;
  }
}
