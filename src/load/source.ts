// A YAML file's text parsed by the yaml library and kept with its source positions, so that every error can point at
// file:line:column. src/load/read.ts reads the file and tries the fast reader of plain YAML first.
import { CST, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Parser, visit, type Alias, type Document, type Node, type Scalar } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import { MASK } from '../model/redact.js';
import type { Parsed } from './read.js';

/** How the yaml library reads a runbook (src/load/plain-yaml.ts reads the plain part of YAML the same way). */
export const YAML_OPTIONS = { uniqueKeys: true, prettyErrors: false, strict: true, stringKeys: false } as const;
export const MAX_ALIASES = 100;

export type PathSegment = string | number;

export class SourceFile {
  readonly lines: string[];
  constructor(
    readonly path: string,
    readonly text: string,
    readonly doc: Document.Parsed | undefined,
    readonly lineCounter: LineCounter
  ) {
    this.lines = text.split(/\r?\n/);
  }

  /** Line and column (1-based) of an offset. */
  position(offset: number): { line: number; col: number } {
    const p = this.lineCounter.linePos(offset);
    return { line: p.line, col: p.col };
  }

  /**
   * The node at a path of the data, or the nearest ancestor that exists.
   * For a key that is not there, or that is unknown, `key` points at the key itself.
   */
  locate(path: readonly PathSegment[], opts: { key?: boolean } = {}): { start: number; end: number; exact: boolean } {
    let node: unknown = this.doc?.contents;
    let range: [number, number] = rangeOf(node) ?? [0, 0];
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) return { start: range[0], end: range[0], exact: false };
        if (last && opts.key) {
          const r = rangeOf(pair.key);
          if (r) return { start: r[0], end: r[1], exact: true };
        }
        node = pair.value;
        const r = rangeOf(node) ?? rangeOf(pair.key);
        if (r) range = r;
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (node === undefined) return { start: range[0], end: range[0], exact: false };
        const r = rangeOf(node);
        if (r) range = r;
      } else {
        return { start: range[0], end: range[1], exact: false };
      }
    }
    return { start: range[0], end: range[1], exact: true };
  }

  diagnostic(offsetStart: number, offsetEnd: number, message: string, hint?: string, severity: Diagnostic['severity'] = 'error'): Diagnostic {
    const { line, col } = this.position(offsetStart);
    const lineText = this.lines[line - 1] ?? '';
    // Underline to the end of the span, or of the line when the span runs past it.
    const endPos = this.position(Math.max(offsetStart, offsetEnd));
    const width = endPos.line === line ? Math.max(1, endPos.col - col) : Math.max(1, lineText.length - col + 1);
    return { file: this.path, line, col, width, message, hint, severity, source: lineText };
  }

  /**
   * A diagnostic at the value (or, with key, the key) found at a data path. `secret`: the value at the path is a
   * secret's, masked in the line the diagnostic shows.
   */
  at(path: readonly PathSegment[], message: string, hint?: string, opts: { key?: boolean; severity?: Diagnostic['severity']; secret?: boolean } = {}): Diagnostic {
    const loc = this.locate(path, opts);
    // A block value spans many lines: point at its first line only.
    const d = this.diagnostic(loc.start, loc.end, message, hint, opts.severity);
    if (!opts.secret) return d;
    const value = this.locate(path);
    if (!value.exact) return d;
    const start = this.position(value.start);
    const end = this.position(value.end);
    if (start.line !== d.line) return d;
    const source = d.source.slice(0, start.col - 1) + MASK + (end.line === start.line ? d.source.slice(end.col - 1) : '');
    return { ...d, source, width: d.col === start.col ? MASK.length : d.width };
  }
}

function rangeOf(node: unknown): [number, number] | undefined {
  const r = (node as Node | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}

/** A file's source with positions, from its text: never throws (what cannot be parsed has no document). */
export function sourceOf(path: string, text: string): SourceFile {
  const lc = new LineCounter();
  let doc: Document.Parsed | undefined;
  try {
    doc = parseDocument(text, { lineCounter: lc, ...YAML_OPTIONS });
  } catch {
    doc = undefined;
  }
  return new SourceFile(path, text, doc, lc);
}

/** Parse a file's text with the yaml library: its data, or its syntax errors at their positions. Never throws. */
export function parseYamlText(path: string, text: string): Parsed {
  const lc = new LineCounter();
  const empty = (message: string): Parsed => ({
    source: new SourceFile(path, '', undefined, lc),
    data: undefined,
    diagnostics: [{ file: path, line: 1, col: 1, width: 1, message, severity: 'error', source: '' }],
  });
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter: lc, ...YAML_OPTIONS });
  } catch (e) {
    return empty(e instanceof RangeError ? 'too deeply nested to read' : `cannot parse: ${(e as Error).message}`);
  }
  const source = new SourceFile(path, text, doc, lc);
  const diagnostics = syntaxDiagnostics(source, doc);
  if (diagnostics.length) return { source, data: undefined, diagnostics };
  // Nothing but comments: no data, which a runbook may not be and irm.yaml may (no settings).
  if (doc.contents === null || doc.contents === undefined) return { source, data: undefined, diagnostics };
  const unresolved = unresolvedAliases(source, doc);
  if (unresolved.length) return { source, data: undefined, diagnostics: unresolved };
  const cycles = cyclicAliases(source, doc);
  if (cycles.length) return { source, data: undefined, diagnostics: cycles };
  const keys = collectionKeys(source, doc);
  if (keys.length) return { source, data: undefined, diagnostics: keys };
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    const msg = e instanceof RangeError ? 'too deeply nested to read' : /excessive alias count/i.test((e as Error).message)
      ? 'too many YAML aliases: this looks like an alias bomb (at most 100 are expanded)'
      : `cannot read: ${(e as Error).message}`;
    return { source, data: undefined, diagnostics: [source.diagnostic(0, 0, msg)] };
  }
  return { source, data, diagnostics };
}

/**
 * Each alias (*name) with no anchor (&name) before it, which yaml finds only when it builds the data ("Unresolved
 * alias"), without a position. An alias repeats the last value anchored before it, in the order yaml reads them.
 */
function unresolvedAliases(source: SourceFile, doc: Document.Parsed): Diagnostic[] {
  const nodes: Node[] = [];
  visit(doc, {
    Node: (_key, node) => {
      if (isAlias(node) || node.anchor) nodes.push(node);
    },
  });
  const out: Diagnostic[] = [];
  const set = new Set<string>();
  for (const [i, node] of nodes.entries()) {
    if (!isAlias(node)) {
      set.add(node.anchor!);
      continue;
    }
    const name = (node as Alias).source;
    if (set.has(name)) continue;
    const [start, end] = node.range ?? [0, 0];
    const later = nodes.slice(i + 1).find((n) => !isAlias(n) && n.anchor === name);
    const hint = later?.range
      ? `the anchor &${name} is set on line ${source.position(later.range[0]).line}: an alias can only repeat a value anchored before it`
      : `mark the value to repeat with &${name} before this line, or quote the value if "*${name}" is meant as text`;
    out.push(source.diagnostic(start, end, `the alias *${name} refers to no anchor before it`, hint));
  }
  return out;
}

/**
 * Each alias inside the very value it repeats (&e {any: [*e]}): yaml builds data that contains itself, which no
 * runbook can mean and every walk of it (the schema, the lint) would follow forever.
 */
function cyclicAliases(source: SourceFile, doc: Document.Parsed): Diagnostic[] {
  const anchored = new Map<string, Node>();
  const out: Diagnostic[] = [];
  visit(doc, {
    Node: (_key, node) => {
      if (!isAlias(node)) {
        if (node.anchor) anchored.set(node.anchor, node);
        return;
      }
      const name = (node as Alias).source;
      const target = anchored.get(name)?.range;
      const [start, end] = node.range ?? [0, 0];
      if (target && start >= target[0] && start < target[1]) {
        out.push(source.diagnostic(start, end, `the alias *${name} is inside the value it repeats, so that value would contain itself without end`, `repeat a value only after it ends; write the inner one out instead of *${name}`));
      }
    },
  });
  return out;
}

/**
 * Each key that is a list or a mapping ("? [a]", "[a, b]: x", or an alias of one): the data of a runbook has text
 * keys, and yaml would make it one with a warning on stderr ("Keys with collection values will be stringified").
 */
function collectionKeys(source: SourceFile, doc: Document.Parsed): Diagnostic[] {
  const out: Diagnostic[] = [];
  const anchors = new Map<string, Node>();
  visit(doc, {
    Node: (_key, node) => {
      if (!isAlias(node) && node.anchor) anchors.set(node.anchor, node);
    },
    Pair: (_key, pair) => {
      const key = pair.key as Node | null;
      const value = isAlias(key) ? anchors.get(key.source) : key;
      if (!isMap(value) && !isSeq(value)) return;
      const what = isSeq(value) ? 'a list' : 'a mapping';
      const [start, end] = key?.range ?? [0, 0];
      out.push(source.diagnostic(start, end, isAlias(key) ? `a key must be text, but *${key.source} is ${what}` : `a key must be text, not ${what}`,
        'write the key as text, as in "name: value"'));
    },
  });
  return out;
}

/**
 * The YAML library's syntax errors, made to point where the author must look. After the first syntax error
 * the parser's recovery reports confusion, not mistakes: only the first line's errors are kept (and duplicate keys).
 */
function syntaxDiagnostics(source: SourceFile, doc: Document.Parsed): Diagnostic[] {
  const errors = doc.errors;
  if (!errors.length) return [];
  if (errors.some((e) => /call stack/i.test(e.message))) return [source.diagnostic(0, 0, 'too deeply nested to read')];
  const out: Diagnostic[] = [];
  /** The diagnostics of a mistake of layout (indentation, a colon in a value): one a line says it all. */
  const layout = new Set<Diagnostic>();
  let firstLine: number | undefined;
  const seen = new Set<string>();
  for (const err of errors) {
    let [start, end] = err.pos;
    let message = yamlMessage(err.code, err.message);
    let hint: string | undefined;
    let isLayout = false;
    if (err.code === 'MISSING_CHAR' && /quote/.test(err.message)) {
      const q = /closing "/.test(err.message) ? '"' : "'";
      const open = unclosedQuote(source.text, q, start);
      if (open !== undefined) [start, end] = [open, open + 1];
      message = `this ${q === '"' ? 'double' : 'single'} quote is never closed`;
      hint = `add the closing ${q} at the end of the value`;
    } else if (err.code === 'BAD_INDENT' && /^Flow (sequence|map) .*end with a [\]}]/.test(err.message)) {
      // yaml points where it gave up (the next line, or past the end of the file); the author must look at the opener.
      const close = err.message.includes('Flow map') ? '}' : ']';
      const open = unclosedBracket(source.text, close === '}' ? '{' : '[', start);
      if (open !== undefined) {
        [start, end] = [open, open + 1];
        message = `this ${close === '}' ? '{' : '['} is never closed`;
        hint = `add the closing ${close} at the end of the ${close === '}' ? 'map' : 'list'}, or write it in block style, an item per line`;
      }
    } else if (err.code === 'BLOCK_AS_IMPLICIT_KEY' && /^Nested mappings/.test(err.message) && colonInValue(source, start)) {
      // "title: Redis: slow": yaml reads "Redis:" as the key of a mapping nested in the value.
      const c = colonInValue(source, start)!;
      [start, end] = [c.start, c.end];
      message = `${c.atEnd ? '":" at the end of' : '": " inside'} an unquoted value starts a mapping, so YAML cannot read this value`;
      hint = c.value.length <= 60 ? `put the value in quotes: ${quote(c.value)}` : 'put the whole value in quotes';
      isLayout = true;
    } else if (err.code === 'DUPLICATE_KEY') {
      const dup = duplicateKey(doc, start);
      if (dup) {
        [start, end] = [dup.start, dup.end];
        const line = source.position(dup.first).line;
        message = `duplicate key "${dup.name}": already set ${line === source.position(dup.start).line ? 'earlier on this line' : `on line ${line}`}`;
        hint = 'a key may appear once in a mapping: keep one';
      }
    } else if (err.code === 'MULTIPLE_DOCS') {
      // yaml points at the second document: its "---", or its first line after a "..." that ended the first.
      message = 'a runbook file holds one YAML document, but a second one starts here';
      if (source.text.startsWith('---', start)) {
        end = start + 3;
        hint = 'remove this "---", or move what follows it to a file of its own';
      } else {
        const line = source.position(start).line;
        end = start + (source.lines[line - 1] ?? '').trim().length;
        const dots = source.lines.slice(0, line - 1).findLastIndex((l) => /^\.\.\.(\s|$)/.test(l));
        hint = dots >= 0
          ? `the "..." on line ${dots + 1} ends the document: remove it, or move what follows it to a file of its own`
          : 'move what follows to a file of its own';
      }
    } else if (
      err.code === 'BLOCK_AS_IMPLICIT_KEY' ||
      err.code === 'MULTILINE_IMPLICIT_KEY' ||
      (err.code === 'MISSING_CHAR' && /^Sequence item without - indicator/.test(err.message)) ||
      (err.code === 'BAD_INDENT' && /^All (mapping|sequence) items must start at the same column/.test(err.message))
    ) {
      // yaml says what it could not build, at the line's start, at the end of the line before, or at the value of
      // the key above: the author must look at the line that lines up with nothing above it.
      const m = misaligned(source, offendingLine(source, start));
      if (m) ({ start, end, message, hint } = m);
      else if (err.code === 'BLOCK_AS_IMPLICIT_KEY' || err.code === 'MULTILINE_IMPLICIT_KEY') {
        // A line indented more than a key whose value is on the key's line: yaml reads it as part of that value.
        const next = overIndentedLine(source, start);
        if (next !== undefined) [start, end] = next;
        message = OVER_INDENTED;
        hint = OVER_INDENTED_HINT;
      }
      isLayout = message === OVER_INDENTED || m !== undefined;
    }
    const d = source.diagnostic(start, end, message, hint);
    if (isLayout) layout.add(d);
    else if (d.source.includes('${{') && /[{[]/.test(d.source.replace(/\$\{\{[^}]*\}\}/g, ''))) {
      d.hint = 'inside { } or [ ], YAML reads "{" as syntax: quote a value that holds ${{ ... }}, or write it in block style';
    }
    firstLine ??= d.line;
    if (d.line !== firstLine && err.code !== 'DUPLICATE_KEY') continue;
    const key = `${d.line}:${d.col}:${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  // yaml's other errors on the line of a mistake of layout are its consequences.
  const first = out.find((d) => layout.has(d));
  return first ? out.filter((d) => d === first || d.line !== first.line) : out;
}

/** The key yaml reports as a duplicate at `offset`: its name and span, and where the same key comes first in its mapping. */
function duplicateKey(doc: Document.Parsed, offset: number): { name: string; start: number; end: number; first: number } | undefined {
  let found: { name: string; start: number; end: number; first: number } | undefined;
  visit(doc, {
    Map: (_key, map) => {
      const i = map.items.findIndex((p) => isScalar(p.key) && p.key.range?.[0] === offset);
      if (i < 0) return undefined;
      const key = map.items[i]!.key as Scalar;
      const first = map.items.find((p) => isScalar(p.key) && p.key.value === key.value);
      if (!first || first === map.items[i] || !(first.key as Scalar).range) return undefined;
      found = { name: String(key.value), start: key.range![0], end: key.range![1], first: (first.key as Scalar).range![0] };
      return visit.BREAK;
    },
  });
  return found;
}

/** The offset of the quote that opens a string never closed before `before`. */
function unclosedQuote(text: string, q: string, before: number): number | undefined {
  let open: number | undefined;
  let inComment = false;
  for (let i = 0; i < Math.min(before, text.length); i++) {
    const c = text[i];
    if (open === undefined && c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) inComment = true;
    if (c === '\n') inComment = false;
    if (inComment) continue;
    if (open !== undefined && q === '"' && c === '\\') {
      i++;
      continue;
    }
    if (c === q) {
      if (open === undefined) {
        // A quote starts a quoted scalar only where a value or item starts.
        const prev = text.slice(text.lastIndexOf('\n', i - 1) + 1, i);
        if (/(^|[:\-,[{]\s*)$/.test(prev) || /^\s*$/.test(prev)) open = i;
      } else if (q === "'" && text[i + 1] === "'") i++;
      else open = undefined;
    }
  }
  return open;
}

/**
 * The offset of the innermost flow collection still open before `before`, when it opens with `opener`. Quoted strings
 * and comments are skipped; a plain scalar's brackets are not told apart, which is as far as an error message needs.
 */
function unclosedBracket(text: string, opener: '[' | '{', before: number): number | undefined {
  const stack: number[] = [];
  let quote: string | undefined;
  for (let i = 0; i < Math.min(before, text.length); i++) {
    const c = text[i]!;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote && quote === "'" && text[i + 1] === "'") i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol;
    } else if ((c === '"' || c === "'") && (stack.length || /(^|[:\-,[{]\s*)$/.test(text.slice(text.lastIndexOf('\n', i - 1) + 1, i)))) {
      quote = c;
    } else if (c === '[' || c === '{') stack.push(i);
    else if ((c === ']' || c === '}') && stack.length) stack.pop();
  }
  const open = stack.at(-1);
  return open !== undefined && text[open] === opener ? open : undefined;
}

/**
 * The value that starts at `offset`, when it holds ": " (or ends with ":") on its own line: what makes yaml read a
 * mapping nested in it. Its span on the line (without a comment) and where the colon is.
 */
function colonInValue(source: SourceFile, offset: number): { start: number; end: number; value: string; atEnd: boolean } | undefined {
  const eol = source.text.indexOf('\n', offset);
  let value = source.text.slice(offset, eol < 0 ? source.text.length : eol).replace(/\r$/, '');
  const comment = value.search(/\s#/);
  if (comment >= 0) value = value.slice(0, comment);
  value = value.trimEnd();
  // A quoted part first ("Redis": slow) holds no colon of its own that counts.
  let from = 0;
  if (value[0] === '"' || value[0] === "'") {
    const close = value.indexOf(value[0], 1);
    if (close > 0) from = close + 1;
  }
  const colon = value.slice(from).search(/:( |$)/);
  if (colon < 0) return undefined;
  return { start: offset, end: offset + value.length, value, atEnd: from + colon === value.length - 1 };
}

/** A value in quotes, as it reads back: double quotes unless it holds " or \\, single quotes then. */
function quote(value: string): string {
  return /["\\]/.test(value) ? `'${value.replace(/'/g, "''")}'` : `"${value}"`;
}

const OVER_INDENTED = 'this line is indented more than the key above it, so YAML reads it as part of that value';
const OVER_INDENTED_HINT = 'indent it like its sibling keys';

/** The line (0-based) an indentation error at `offset` is about: its own, or the next one when it is past the text. */
function offendingLine(source: SourceFile, offset: number): number {
  const l = source.position(offset).line - 1;
  const text = source.lines[l] ?? '';
  const col = source.position(offset).col - 1;
  if (text.slice(col).trim() !== '' && !text.slice(col).trim().startsWith('#')) return l;
  for (let k = l + 1; k < source.lines.length; k++) if (isContent(source.lines[k]!)) return k;
  return l;
}

/** Whether a line's content has a ": " (or ends with ":") outside quotes: a key, as far as a message needs. */
const colonAt = (content: string) => /:(?:\s|$)/.test(content.replace(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g, '""').replace(/\s#.*$/, ''));
const isContent = (line: string) => line.trim() !== '' && !line.trim().startsWith('#');

/** A key of a block mapping, or a "-" of a block list, where it is: 0-based line and column. */
interface Entry {
  line: number;
  col: number;
  kind: 'key' | 'item';
  /** Its value starts on a later line (or is missing): the lines after it may be indented more. */
  opens: boolean;
  /** Its value is text (a scalar), which may go on over the lines after it. */
  text: boolean;
}

/**
 * The keys and list items of the block collections in a text, as yaml's parser reads them (its concrete syntax tree:
 * the lines before a syntax error are read as the author meant them). Block scalars and multi-line values hold none.
 */
function blockEntries(source: SourceFile): Entry[] {
  const out: Entry[] = [];
  const lineOf = (offset: number) => source.lineCounter.linePos(offset).line - 1;
  const walk = (token: CST.Token | undefined): void => {
    if (!token) return;
    if (token.type === 'document') return walk(token.value);
    if (token.type !== 'block-map' && token.type !== 'block-seq') return;
    for (const item of token.items) {
      const dash = item.start.find((t) => t.type === 'seq-item-ind' || t.type === 'explicit-key-ind');
      const offset = dash?.offset ?? (item as { key?: CST.Token | null }).key?.offset;
      if (offset !== undefined) {
        const p = source.lineCounter.linePos(offset);
        const value = item.value;
        const opens = !value || lineOf(value.offset) > p.line - 1;
        const text = !!value && /scalar$/.test(value.type);
        out.push({ line: p.line - 1, col: p.col - 1, kind: dash ? 'item' : 'key', opens, text });
      }
      walk((item as { key?: CST.Token | null }).key ?? undefined);
      walk(item.value);
    }
  };
  try {
    for (const token of new Parser().parse(source.text)) walk(token);
  } catch {
    /* no entries: yaml's own message then */
  }
  return out;
}

/**
 * What is wrong with the indentation of a line (0-based) that yaml could not place: indented more than the line above
 * (which does not open a block), or to a column where no key (or, for a "- " line, no list item) above it is. With
 * the columns, and lines, it could line up with. Undefined when it lines up after all: yaml's own message then.
 */
function misaligned(source: SourceFile, l: number): { start: number; end: number; message: string; hint: string } | undefined {
  const text = source.lines[l];
  if (text === undefined || !isContent(text) || /^ *\t/.test(text)) return undefined;
  const indent = text.length - text.trimStart().length;
  const content = text.trim();
  const item = /^-(?:\s|$)/.test(content);
  const start = source.lineCounter.lineStarts[l]! + indent;
  const span = { start, end: start + content.length };
  // The lines above with keys or list items on them, nearest first.
  const byLine = new Map<number, Entry[]>();
  for (const e of blockEntries(source)) if (e.line < l) byLine.set(e.line, [...(byLine.get(e.line) ?? []), e]);
  const lines = [...byLine.keys()].sort((a, b) => b - a);
  if (!lines.length) return undefined;
  // The line just above: its last entry may open a block, which the line may be indented into.
  const above = byLine.get(lines[0]!)!.sort((a, b) => a.col - b.col).at(-1)!;
  // A line under a value of text that goes on over lines, indented less than them: it was to go on with that text
  // (it is indented more than the value's key, or it is no key nor list item).
  let last = l - 1;
  while (last > above.line && !isContent(source.lines[last]!)) last--;
  const lastIndent = source.lines[last]!.length - source.lines[last]!.trimStart().length;
  if (above.text && last > above.line && indent < lastIndent && (indent > above.col || (!item && !colonAt(content)))) {
    return {
      ...span,
      message: 'this line is indented less than the text above it, so YAML does not read it as part of that text',
      hint: `indent it like line ${last + 1} (${lastIndent} spaces)`,
    };
  }
  if (indent > above.col) return above.opens ? undefined : { ...span, message: OVER_INDENTED, hint: OVER_INDENTED_HINT };
  // The columns of the collections still open at the line, each with the nearest line that has an entry there.
  const levels = new Map<number, number>();
  let min = Infinity;
  for (const k of lines) {
    const entries = byLine.get(k)!;
    const first = Math.min(...entries.map((e) => e.col));
    if (first >= min) continue;
    for (const e of entries) if (e.col < min && e.kind === (item ? 'item' : 'key') && !levels.has(e.col)) levels.set(e.col, k);
    min = first;
  }
  // A list may start at the column of the key it is the value of.
  if (item && above.kind === 'key' && above.opens && !levels.has(above.col)) levels.set(above.col, above.line);
  if (levels.has(indent) || !levels.size) return undefined;
  // The columns either side of the line's: it belongs with the lines above one of them.
  const sorted = [...levels].sort(([x], [y]) => x - y);
  const a = sorted.find(([c]) => c > indent);
  const b = sorted.filter(([c]) => c < indent).at(-1);
  const spaces = (n: number) => `${n} space${n === 1 ? '' : 's'}`;
  const by = ([c, k]: [number, number]) => `${c === 0 ? 'not at all' : `by ${spaces(c)}`} like line ${k + 1}`;
  const [c, k] = (a ?? b)!;
  const hint = a && b ? `indent it ${by(a)}, or ${by(b)}` : c === 0 ? `do not indent it, like line ${k + 1}` : `indent it by ${spaces(c)}, like line ${k + 1}`;
  return {
    ...span,
    message: `this line is indented ${spaces(indent)}, which lines up with no ${item ? 'list item' : 'key'} above it, so YAML cannot tell where it belongs`,
    hint,
  };
}

/** The first line after `offset` whose indentation puts it inside a scalar value. */
function overIndentedLine(source: SourceFile, offset: number): [number, number] | undefined {
  const { line } = source.position(offset);
  const keyIndent = (source.lines[line - 1] ?? '').search(/\S/);
  for (let l = line; l < source.lines.length; l++) {
    const text = source.lines[l]!;
    if (!text.trim() || text.trim().startsWith('#')) continue;
    const indent = text.search(/\S/);
    if (indent <= keyIndent) return undefined;
    const start = source.text.split('\n').slice(0, l).join('\n').length + 1 + indent;
    return [start, start + text.trim().length];
  }
  return undefined;
}

function yamlMessage(code: string, message: string): string {
  // The yaml library's messages are good; drop its own "at line x, column y" since ours says that.
  const m = message.replace(/ at line \d+, column \d+:?[\s\S]*$/, '').trim();
  if (code === 'DUPLICATE_KEY') return `${m}: each key may appear once in a mapping`;
  return m;
}
