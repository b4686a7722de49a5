// The loader against a corpus of broken runbooks: every problem is reported as a located diagnostic
// (line, column, message, did-you-mean hint), nothing a file holds makes it throw, and good files still load.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadCatalog, loadFile, survivesJson, type FileResult } from '../src/load/catalog.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../src/load/diagnostics.js';
import { MAX_FILE_BYTES } from '../src/load/read.js';
import { resolveVariables } from '../src/load/variables.js';
import type { Manual } from '../src/model/schema.js';
import { oneCauseRunbook } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BROKEN = join(ROOT, 'test/fixtures/broken');
const fixture = (name: string) => join(BROKEN, `${name}.yaml`);

let manual: Manual;
let tmp: string;

beforeAll(() => {
  const m = loadFile(join(ROOT, 'runbooks/manual.yaml'), undefined);
  expect(m.diagnostics).toEqual([]);
  manual = m.manual!;
  expect(manual).toBeDefined();
  tmp = mkdtempSync(join(tmpdir(), 'irm-loader-test-'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Expected {
  line: number;
  col: number;
  /** A distinctive part of the message. */
  message: string;
  /** A distinctive part of the hint; null: there is no hint. */
  hint?: string | null;
  /** A part of the offending source line the diagnostic shows. */
  source?: string;
}

function load(name: string): FileResult {
  const file = fixture(name);
  let r: FileResult | undefined;
  expect(() => (r = loadFile(file, manual))).not.toThrow();
  return r!;
}

function check(d: Diagnostic | undefined, e: Expected) {
  expect(d, `expected a diagnostic for: ${e.message}`).toBeDefined();
  expect({ line: d!.line, col: d!.col }, d!.message).toEqual({ line: e.line, col: e.col });
  expect(d!.severity).toBe('error');
  expect(d!.message).toContain(e.message);
  if (e.hint === null) expect(d!.hint).toBeUndefined();
  else if (e.hint !== undefined) expect(d!.hint ?? '').toContain(e.hint);
  if (e.source !== undefined) expect(d!.source).toContain(e.source);
}

/** The diagnostics of a fixture, in file order, are exactly these. */
function expectDiagnostics(name: string, expected: Expected[]): FileResult {
  const r = load(name);
  const ds = sortDiagnostics(r.diagnostics);
  expect(ds.map((d) => `${d.line}:${d.col} ${d.message}`), `diagnostics of ${name}`).toHaveLength(expected.length);
  expected.forEach((e, i) => check(ds[i], e));
  for (const d of ds) expect(d.file).toBe(fixture(name));
  return r;
}

/** Not loaded at all: one clean diagnostic at 1:1. */
function expectUnreadable(r: FileResult, message: string | RegExp) {
  expect(r.kind).toBe('unknown');
  expect(r.runbook).toBeUndefined();
  expect(r.diagnostics).toHaveLength(1);
  const d = r.diagnostics[0]!;
  expect({ line: d.line, col: d.col, severity: d.severity }).toEqual({ line: 1, col: 1, severity: 'error' });
  if (typeof message === 'string') expect(d.message).toContain(message);
  else expect(d.message).toMatch(message);
  expect(() => formatDiagnostic(d)).not.toThrow();
}

// ---- not a runbook at all ------------------------------------------------------------------------

describe('files that are not YAML, or not a mapping', () => {
  it('an unclosed quote is a YAML error and nothing loads', () => {
    const r = load('syntax-unclosed-quote');
    expect(r.kind).toBe('unknown');
    expect(r.runbook).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toContain('this double quote is never closed');
  });

  it('an unclosed quote is reported where the quote opens (2:8), not past the end of the file', () => {
    expectDiagnostics('syntax-unclosed-quote', [
      { line: 2, col: 8, message: 'this double quote is never closed', source: 'title: "An unclosed quote' },
    ]);
  });

  it('an unclosed [ or { is reported where it opens, not on the next line or past the end of the file', () => {
    expectDiagnostics('syntax-unclosed-bracket', [
      { line: 5, col: 11, message: 'this [ is never closed', hint: 'add the closing ]', source: 'symptoms: [Bot down' },
    ]);
    expectDiagnostics('syntax-unclosed-brace', [
      { line: 6, col: 9, message: 'this { is never closed', hint: 'add the closing }', source: 'port: { description' },
    ]);
  });

  it('a key indented deeper than its siblings is a YAML error and nothing loads', () => {
    const r = load('syntax-bad-indentation');
    expect(r.kind).toBe('unknown');
    expect(r.runbook).toBeUndefined();
    expect(r.diagnostics.length).toBeGreaterThanOrEqual(1);
    expect(r.diagnostics.map((d) => d.message).join('\n')).toContain('indented more than the key above it');
  });

  it('a key indented too deep is reported at its own line (4:3), once', () => {
    expectDiagnostics('syntax-bad-indentation', [
      { line: 4, col: 3, message: 'indented more than the key above it', source: '  severity: P2' },
    ]);
  });

  it('": " inside an unquoted value is reported at the value, with the value quoted as the hint', () => {
    const r = expectDiagnostics('syntax-colon-in-value', [
      {
        line: 11,
        col: 15,
        message: '": " inside an unquoted value starts a mapping, so YAML cannot read this value',
        hint: 'put the value in quotes: "Note: start Redis first."',
        source: '- text: Note: start Redis first.',
      },
    ]);
    expect(r.diagnostics[0]!.width).toBe('Note: start Redis first.'.length);
  });

  it.each([
    ['title: Redis: slow\n', 1, 8, '": " inside', '"Redis: slow"'],
    ['title: Redis: slow # a comment\n', 1, 8, '": " inside', '"Redis: slow"'],
    ['id: x\ntitle: Redis:\n', 2, 8, '":" at the end of', '"Redis:"'],
    ['title: Say "hi": now\n', 1, 8, '": " inside', `'Say "hi": now'`],
    ['k: a: b: c\n', 1, 4, '": " inside', '"a: b: c"'],
  ])('a colon in an unquoted value: %j', (text, line, col, message, quoted) => {
    const file = join(tmp, 'colon.yaml');
    writeFileSync(file, text);
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics[0], { line, col, message: `${message} an unquoted value starts a mapping`, hint: `put the value in quotes: ${quoted}` });
  });

  it('a list item key indented less than its siblings is reported at the key, with the columns it could line up with', () => {
    // One mistake, one error, on the right line (the parser's recovery errors after it are dropped).
    expectDiagnostics('bad-indentation-in-list', [
      {
        line: 9,
        col: 4,
        message: 'this line is indented 3 spaces, which lines up with no key above it, so YAML cannot tell where it belongs',
        source: '   explanation: E',
        hint: 'indent it by 4 spaces like line 8, or not at all like line 6',
      },
    ]);
  });

  it('a list item indented less than the one above it is reported once, as indented less', () => {
    const r = expectDiagnostics('syntax-list-item-indented-less', [
      {
        line: 12,
        col: 6,
        message: 'this line is indented 5 spaces, which lines up with no list item above it, so YAML cannot tell where it belongs',
        source: '     - text: bad',
        hint: 'indent it by 6 spaces like line 11, or by 2 spaces like line 7',
      },
    ]);
    expect(r.diagnostics[0]!.message).not.toContain('more');
  });

  it.each([
    // Between a key's column and its parent's.
    ['a:\n    b: 1\n  c: 2\n', 3, 3, 'indented 2 spaces, which lines up with no key above it', 'indent it by 4 spaces like line 2, or not at all like line 1'],
    // A list under a key may start at the key's column.
    ['causes:\n  - id: c1\n    solution:\n   - text: a\n', 4, 4, 'indented 3 spaces, which lines up with no list item above it', 'indent it by 4 spaces like line 3, or by 2 spaces like line 2'],
    ['list:\n    - a\n   - b\n', 3, 4, 'indented 3 spaces, which lines up with no list item above it', 'indent it by 4 spaces, like line 2'],
    // A line of a block of text indented less than the block: it ends the block.
    ['id: x\nrun: |\n    echo a\n  echo b: c\n', 4, 3, 'indented less than the text above it, so YAML does not read it as part of that text', 'indent it like line 3 (4 spaces)'],
    ['id: x\nhint: >-\n  one line\n  and another\n and a third\n', 5, 2, 'indented less than the text above it, so YAML does not read it as part of that text', 'indent it like line 4 (2 spaces)'],
  ])('a line indented less than its siblings: %j', (text, line, col, message, hint) => {
    const file = join(tmp, 'indent.yaml');
    writeFileSync(file, text);
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics[0], { line, col, message, hint });
  });

  it('a second document is reported at its "---", as a runbook file holds one', () => {
    const r = expectDiagnostics('syntax-two-documents', [
      {
        line: 13,
        col: 1,
        message: 'a runbook file holds one YAML document, but a second one starts here',
        hint: 'remove this "---", or move what follows it to a file of its own',
        source: '---',
      },
    ]);
    expect(r.diagnostics[0]!.width).toBe(3);
    expect(r.diagnostics[0]!.message).not.toContain('parseAllDocuments');
  });

  it('a second document after "..." is reported where it starts, with the line of the "..."', () => {
    const file = join(tmp, 'after-dots.yaml');
    writeFileSync(file, 'id: x\ntitle: T\n...\nid: y\n');
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics[0], {
      line: 4,
      col: 1,
      message: 'a runbook file holds one YAML document, but a second one starts here',
      hint: 'the "..." on line 3 ends the document: remove it, or move what follows it to a file of its own',
      source: 'id: y',
    });
  });

  it('a list or a mapping as a key is reported at the key, and yaml warns nothing on stderr', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    const log = vi.spyOn(console, 'warn');
    try {
      const r = expectDiagnostics('syntax-collection-key', [
        { line: 6, col: 3, message: 'a key must be text, not a list', hint: 'write the key as text, as in "name: value"', source: '? [a]' },
      ]);
      expect(r.diagnostics[0]!.width).toBe(3);
      const file = join(tmp, 'collection-keys.yaml');
      writeFileSync(file, 'id: x\ns: &s [a]\n*s : 1\n{a: 1}: 2\n');
      const ds = sortDiagnostics(loadFile(file, manual).diagnostics);
      expect(ds).toHaveLength(2);
      check(ds[0], { line: 3, col: 1, message: 'a key must be text, but *s is a list', hint: 'write the key as text' });
      check(ds[1], { line: 4, col: 1, message: 'a key must be text, not a mapping', hint: 'write the key as text' });
      expect(warn).not.toHaveBeenCalled();
      expect(log).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
      log.mockRestore();
    }
  });

  it('a tab-indented file', () => {
    const r = expectDiagnostics('tab-indented', [{ line: 6, col: 1, message: 'Tabs are not allowed as indentation', source: '\t- slow' }]);
    expect(r.kind).toBe('unknown');
  });

  it('a tab in the line shown: the caret stays under the spot (tabs shown as spaces in both lines)', () => {
    const file = join(tmp, 'tab-in-value.yaml');
    writeFileSync(file, 'id: x\ntitle: T\nseverity:\tP9\n');
    const d = loadFile(file, manual).diagnostics.find((x) => x.message.startsWith('severity'));
    check(d, { line: 3, col: 11, message: 'severity: expected one of "P0", "P1", "P2", "P3", got "P9"', hint: null, source: 'severity:\tP9' });
    const [, shown, caret] = formatDiagnostic(d!).split('\n');
    expect(shown).toBe(' 3 | severity:   P9');
    expect(caret).toBe('   |             ^^');
    expect(shown!.indexOf('P9')).toBe(caret!.indexOf('^'));
  });

  it('a tab inside the underlined span widens the underline to the columns the tab takes', () => {
    const d: Diagnostic = { file: 'f.yaml', line: 1, col: 2, width: 3, message: 'm', severity: 'error', source: 'a\tbc d' };
    expect(formatDiagnostic(d).split('\n').slice(1)).toEqual([' 1 | a   bc d', '   |  ^^^^^']);
  });

  it('a UTF-8 byte order mark is no column and is not shown', () => {
    const file = join(tmp, 'bom.yaml');
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id: Bad_ID\ntitle: Redis: slow\n')]));
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics[0], { line: 2, col: 8, message: '": " inside an unquoted value starts a mapping', hint: 'put the value in quotes: "Redis: slow"' });
    writeFileSync(file, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id: Bad_ID\ntitle: T\n')]));
    const ds = loadFile(file, manual).diagnostics;
    const id = ds.find((d) => d.message.startsWith('id:'));
    check(id, { line: 1, col: 5, message: 'id: an id is lower-case letters, digits and dashes', hint: null, source: 'id: Bad_ID' });
    expect(id!.source).toBe('id: Bad_ID');
    expect(formatDiagnostic(id!).split('\n').slice(1, 3)).toEqual([' 1 | id: Bad_ID', '   |     ^^^^^^']);
    // What is reported at the start of the mapping is at 1:1.
    for (const d of ds.filter((x) => x.message.startsWith('missing required key'))) expect([d.line, d.col]).toEqual([1, 1]);
  });

  it('an empty file', () => {
    const r = expectDiagnostics('empty', [{ line: 1, col: 1, message: 'empty file: expected a runbook' }]);
    expect(r.kind).toBe('unknown');
  });

  it('a file of only comments is empty too', () => {
    const r = expectDiagnostics('only-comments', [{ line: 1, col: 1, message: 'empty file: expected a runbook' }]);
    expect(r.kind).toBe('unknown');
  });

  it('a top-level list', () => {
    expectDiagnostics('top-level-list', [{ line: 1, col: 1, message: 'expected a mapping (id: ..., title: ..., causes: ...), got a list' }]);
  });

  it('a top-level scalar', () => {
    expectDiagnostics('top-level-scalar', [{ line: 1, col: 1, message: 'expected a mapping (id: ..., title: ..., causes: ...), got text' }]);
  });
});

// ---- hostile files: one clean diagnostic each, never a throw -------------------------------------

describe('hostile files', () => {
  it('binary content (NUL bytes)', () => {
    const file = join(tmp, 'binary.yaml');
    writeFileSync(file, Buffer.from([0x69, 0x64, 0x3a, 0x20, 0x00, 0x01, 0x02, 0xff, 0x0a]));
    expectUnreadable(loadFile(file, manual), 'not a text file (it contains NUL bytes)');
  });

  it('a file that is not UTF-8', () => {
    const file = join(tmp, 'latin1.yaml');
    writeFileSync(file, Buffer.from('id: caf\xe9\n', 'latin1'));
    expectUnreadable(loadFile(file, manual), 'not UTF-8 text');
  });

  it('a file over 1 MiB', () => {
    const file = join(tmp, 'large.yaml');
    const line = '  - padding padding padding padding padding padding padding padding\n';
    writeFileSync(file, 'id: large\nnotes:\n' + line.repeat(Math.ceil((MAX_FILE_BYTES + 1) / line.length)));
    expectUnreadable(loadFile(file, manual), /^file too large: 1\.\d MiB \(a runbook may be at most 1\.0 MiB\)$/);
  });

  it('a file of exactly 1 MiB is read (the limit is inclusive)', () => {
    const file = join(tmp, 'limit.yaml');
    const head = 'id: limit\n# ';
    writeFileSync(file, head + 'x'.repeat(MAX_FILE_BYTES - head.length - 1) + '\n');
    const r = loadFile(file, manual);
    expect(r.diagnostics.map((d) => d.message).join('\n')).not.toContain('too large');
    expect(r.diagnostics[0]!.message).toContain('missing required key');
  });

  it('a directory is not a runbook', () => {
    const dir = join(tmp, 'dir.yaml');
    mkdirSync(dir, { recursive: true });
    expectUnreadable(loadFile(dir, manual), 'not a regular file');
  });

  it('a file that does not exist', () => {
    expectUnreadable(loadFile(join(tmp, 'no-such-file.yaml'), manual), 'cannot read: no such file or folder');
  });

  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n) + '\n';

  it('deeply nested flow sequences (10 000 levels) give errors at line 1 and never throw', () => {
    const file = join(tmp, 'nested.yaml');
    writeFileSync(file, deep(10_000));
    let r: FileResult | undefined;
    expect(() => (r = loadFile(file, manual))).not.toThrow();
    expect(r!.kind).toBe('unknown');
    expect(r!.runbook).toBeUndefined();
    expect(r!.diagnostics.length).toBeGreaterThanOrEqual(1);
    for (const d of r!.diagnostics) {
      expect(d.line).toBe(1);
      expect(d.severity).toBe('error');
      // The 20 000-column source line is cut short when shown.
      expect(formatDiagnostic(d).length).toBeLessThan(1000);
    }
  });

  it('deeply nested flow sequences give one clean diagnostic: "too deeply nested to read"', () => {
    const file = join(tmp, 'nested-one.yaml');
    writeFileSync(file, deep(10_000));
    expectUnreadable(loadFile(file, manual), 'too deeply nested to read');
  });

  it('moderately nested flow sequences (100 levels) are read', () => {
    const file = join(tmp, 'nested-100.yaml');
    writeFileSync(file, deep(100));
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]!.message).toContain('got a list');
  });

  it('an alias bomb ("billion laughs")', () => {
    const file = join(tmp, 'bomb.yaml');
    const names = 'abcdefghi';
    let text = `${names[0]}: &${names[0]} [${Array(9).fill('lol').join(', ')}]\n`;
    for (let i = 1; i < names.length; i++) {
      text += `${names[i]}: &${names[i]} [${Array(9).fill(`*${names[i - 1]}`).join(', ')}]\n`;
    }
    writeFileSync(file, text);
    const started = Date.now();
    expectUnreadable(loadFile(file, manual), 'too many YAML aliases: this looks like an alias bomb');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an alias to no anchor is reported at the alias, not as an alias bomb', () => {
    const file = join(tmp, 'unresolved-alias.yaml');
    writeFileSync(file, 'id: x\ntitle: T\nx: *b\n');
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics[0], {
      line: 3,
      col: 4,
      message: 'the alias *b refers to no anchor before it',
      hint: 'mark the value to repeat with &b before this line, or quote the value if "*b" is meant as text',
      source: 'x: *b',
    });
    expect(r.diagnostics[0]!.width).toBe(2);
    expect(r.diagnostics[0]!.message).not.toContain('bomb');
  });

  it('an alias before its anchor is reported at the alias, with the line of the anchor', () => {
    const file = join(tmp, 'alias-before-anchor.yaml');
    writeFileSync(file, 'id: x\nsymptoms: *s\nx: &s [slow]\n');
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics[0], {
      line: 2,
      col: 11,
      message: 'the alias *s refers to no anchor before it',
      hint: 'the anchor &s is set on line 3: an alias can only repeat a value anchored before it',
    });
  });

  it('an alias inside the value it repeats is reported at the alias (the data would contain itself: it crashed irm)', () => {
    const file = join(tmp, 'cyclic-alias.yaml');
    const text = ['id: cyc', 'title: T', 'summary: S', 'severity: P3', 'symptoms: [s]', 'causes:', '  - id: c', '    title: C', '    explanation: E', '    checks:', '      - id: k', '        title: K', '        run: "true"', '        expect:', '          - &e', '            any:', '              - *e', '    solution:', '      - text: Nothing.', ''].join('\n');
    writeFileSync(file, text);
    let r: FileResult | undefined;
    expect(() => (r = loadFile(file, manual))).not.toThrow();
    expect(r!.diagnostics).toHaveLength(1);
    check(r!.diagnostics[0], { line: 17, col: 17, message: 'the alias *e is inside the value it repeats', source: '- *e' });
    // A value repeated after it ends is fine, however deep.
    writeFileSync(file, text.replace('              - *e', '              - { exit: 0 }').replace('    solution:', '      - id: k2\n        title: K2\n        run: "true"\n        expect: [*e]\n    solution:'));
    expect(loadFile(file, manual).diagnostics).toEqual([]);
  });

  it('a few aliases are fine', () => {
    const file = join(tmp, 'aliases.yaml');
    writeFileSync(file, 'x: &s [slow]\nsymptoms: *s\n');
    const r = loadFile(file, manual);
    expect(r.diagnostics.map((d) => d.message).join('\n')).not.toContain('alias');
  });
});

// ---- the schema ------------------------------------------------------------------------------------

describe('schema errors', () => {
  it('a duplicate key in a mapping: named, with the line where it is first set, the whole key underlined', () => {
    const r = expectDiagnostics('duplicate-key', [
      { line: 4, col: 1, message: 'duplicate key "title": already set on line 2', hint: 'a key may appear once in a mapping: keep one', source: 'title: Again' },
    ]);
    expect(r.diagnostics[0]!.width).toBe('title'.length);
  });

  it.each([
    ['id: x\ncauses:\n  - id: c1\n    title: A\n    explanation: E\n    title: B\n', 6, 5, 'duplicate key "title": already set on line 4', 'title'],
    ['id: x\ntitle: A\n"title": B\n', 3, 1, 'duplicate key "title": already set on line 2', '"title"'],
    ['id: x\nrun: { cmd: a, cmd: b }\n', 2, 16, 'duplicate key "cmd": already set earlier on this line', 'cmd'],
  ])('a duplicate key: %j', (text, line, col, message, key) => {
    const file = join(tmp, 'duplicate.yaml');
    writeFileSync(file, text);
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    const d = r.diagnostics[0]!;
    check(d, { line, col, message, hint: 'a key may appear once in a mapping: keep one' });
    expect(d.source.slice(d.col - 1, d.col - 1 + d.width)).toBe(key);
  });

  it('an unknown key in a check, with did-you-mean', () => {
    expectDiagnostics('unknown-key-check', [
      { line: 14, col: 9, message: 'unknown key "rsik" in causes[0].checks[0]', hint: 'did you mean "risk"?', source: 'rsik: read' },
    ]);
    expect(load('unknown-key-check').diagnostics[0]!.hint).toContain('expected one of: id, title, run, argv, risk');
  });

  it('an unknown top-level key, with did-you-mean', () => {
    expectDiagnostics('unknown-key-top', [
      { line: 4, col: 1, message: 'unknown key "sumary"', hint: 'did you mean "summary"?', source: 'sumary:' },
    ]);
  });

  it('a missing title is reported at the mapping that lacks it', () => {
    expectDiagnostics('missing-title', [{ line: 1, col: 1, message: 'missing required key "title"' }]);
  });

  it('missing causes', () => {
    expectDiagnostics('missing-causes', [{ line: 1, col: 1, message: 'missing required key "causes"' }]);
  });

  it('symptoms as a string instead of a list', () => {
    expectDiagnostics('symptoms-string', [
      { line: 5, col: 11, message: 'symptoms: expected a list, got "everything is slow"', source: 'symptoms: everything is slow' },
    ]);
  });

  it('an invalid risk, with did-you-mean', () => {
    expectDiagnostics('risk-typo', [
      {
        line: 14,
        col: 15,
        message: 'causes[0].checks[0].risk: expected one of "read", "change", "destructive", got "raed"',
        hint: 'did you mean "read"?',
        source: 'risk: raed',
      },
    ]);
  });

  it('an invalid severity', () => {
    expectDiagnostics('severity-p5', [
      { line: 4, col: 11, message: 'severity: expected one of "P0", "P1", "P2", "P3", got "P5"', source: 'severity: P5' },
    ]);
  });

  // "P5" is one edit from each of P0..P3: a guess would point the author at the most severe level.
  it('an invalid severity does not suggest P0 out of a four-way tie', () => {
    expect(load('severity-p5').diagnostics[0]!.hint).toBeUndefined();
  });

  it('a bad id format', () => {
    expectDiagnostics('bad-id', [{ line: 1, col: 5, message: 'id: an id is lower-case letters, digits and dashes', source: 'id: Bad_ID' }]);
  });

  it('a bad duration ("5 sec")', () => {
    expectDiagnostics('bad-duration', [
      { line: 14, col: 18, message: 'causes[0].checks[0].timeout: a duration is a number with a unit: 500ms, 10s, 2m, 1h, 1d', source: 'timeout: 5 sec' },
    ]);
  });
});

// ---- references between ids -------------------------------------------------------------------------

describe('references', () => {
  it('duplicate cause ids: the second is reported', () => {
    expectDiagnostics('duplicate-cause-id', [{ line: 12, col: 9, message: 'duplicate cause id "c1"', hint: 'each cause of a runbook needs its own id' }]);
  });

  it('duplicate check ids, across causes: the second is reported', () => {
    expectDiagnostics('duplicate-check-id', [{ line: 20, col: 13, message: 'duplicate check id "k1"', hint: 'check ids are unique within a runbook' }]);
  });

  it('goto and skip naming no cause, with did-you-mean', () => {
    expectDiagnostics('goto-unknown-cause', [
      { line: 12, col: 23, message: 'goto names no cause of this runbook: "disk-ful"', hint: 'did you mean "disk-full"?', source: 'then: { goto: disk-ful }' },
      { line: 16, col: 29, message: 'skip names no cause of this runbook: "pool-exhausted-typo"', hint: 'did you mean "pool-exhausted"?' },
      { line: 26, col: 17, message: 'goto names no cause of this runbook: "pool-exhaust"', hint: 'did you mean "pool-exhausted"?', source: 'goto: pool-exhaust' },
    ]);
    expect(load('goto-unknown-cause').diagnostics[0]!.hint).toContain('causes: disk-full, pool-exhausted');
  });

  it('needs naming no check, with did-you-mean', () => {
    expectDiagnostics('needs-unknown-check', [{ line: 17, col: 17, message: 'needs names no check of this runbook: "api-upp"', hint: 'did you mean "api-up"?' }]);
  });

  it('a needs cycle is reported once', () => {
    expectDiagnostics('needs-cycle', [{ line: 14, col: 16, message: 'checks need each other in a cycle: a → b → a', source: 'needs: [b]' }]);
  });
});

// ---- placeholders -------------------------------------------------------------------------------------

describe('placeholders', () => {
  it('a placeholder naming no declared variable, with did-you-mean, at the placeholder itself', () => {
    expectDiagnostics('placeholder-unknown', [
      { line: 13, col: 41, message: 'unknown variable "api_prot"', hint: 'did you mean "api_port"?' },
    ]);
    const d = load('placeholder-unknown').diagnostics[0]!;
    expect(d.source.slice(d.col - 1, d.col - 1 + d.width)).toBe('${{ api_prot }}');
  });

  it('a malformed placeholder', () => {
    expectDiagnostics('placeholder-malformed', [
      { line: 13, col: 19, message: 'malformed placeholder "${{ Bad-Name }}": a variable name is lower-case letters, digits and underscores' },
    ]);
  });

  it('an unclosed placeholder', () => {
    expectDiagnostics('placeholder-unclosed', [{ line: 13, col: 36, message: 'unclosed placeholder: "${{" without "}}"' }]);
  });

  it('a placeholder inside $(...)', () => {
    expectDiagnostics('placeholder-in-substitution', [
      { line: 13, col: 31, message: 'placeholder "pid" stands inside $(...) or backticks', hint: '"$IRM_VAR_PID"' },
    ]);
  });

  it('a placeholder in bash arithmetic, unless its variable can only hold a number', () => {
    const hint = 'declare "word" with type: integer (or number, port)';
    expectDiagnostics('placeholder-in-arithmetic', [
      { line: 17, col: 24, message: 'placeholder "word" stands as an operand of -gt in [[ ]], where bash evaluates its value as an expression', hint: '[ ... "$IRM_VAR_WORD" ], where test takes only a number', source: '[[ 5 -gt ${{ word }} ]]' },
      { line: 20, col: 38, message: 'placeholder "word" stands in $(( ))', hint },
      { line: 23, col: 64, message: 'placeholder "word" stands in an array subscript', hint },
    ]);
  });

  it('a placeholder where a shell reads its value as code, unless its variable holds only plain words', () => {
    expectDiagnostics('placeholder-as-code', [
      { line: 17, col: 28, message: 'placeholder "word" stands in the command string of bash -c, which that shell reads as code', hint: `bash -c '... "$IRM_VAR_WORD" ...'` },
      { line: 20, col: 25, message: 'placeholder "word" stands as an argument of eval', hint: `eval "... $(printf '%q' "$IRM_VAR_WORD")"` },
      { line: 23, col: 40, message: "placeholder \"word\" stands in ssh's remote command, which the remote shell reads as code", hint: `ssh HOST "... $(printf '%q' "$IRM_VAR_WORD")"` },
      { line: 26, col: 19, message: 'placeholder "word" stands in the input of sh, which reads it as a script', hint: '"$IRM_VAR_WORD"' },
      { line: 29, col: 24, message: 'placeholder "word" stands after >&, where bash expands the word twice', hint: 'write >FILE 2>&1' },
      { line: 32, col: 22, message: 'placeholder "word" stands as the name of a variable', hint: 'write a fixed variable name' },
    ]);
  });

  it('$(date +%Y%m%d), ${HOME}, <PID>, {{.Names}} and $${{ literal }} are not placeholders', () => {
    const r = expectDiagnostics('shell-syntax-clean', []);
    expect(r.runbook?.id).toBe('shell-syntax-clean');
  });

  it('${{ x }} unquoted in a flow mapping is a YAML error whose hint says to quote it', () => {
    const r = load('flow-mapping-placeholder');
    expect(r.kind).toBe('unknown');
    expect(r.runbook).toBeUndefined();
    const first = sortDiagnostics(r.diagnostics)[0]!;
    const line = '      - { id: k1, title: K1, run: echo ${{ api_port }} }';
    // At the first "{" of "${{", which YAML reads as the start of a flow mapping.
    check(first, { line: 11, col: line.indexOf('${{') + 2, message: 'Unexpected flow-map-start', hint: 'quote a value that holds ${{ ... }}', source: line });
    for (const d of r.diagnostics.filter((x) => x.line === 11)) expect(d.hint).toContain('quote');
  });

  it('${{ x }} unquoted in a flow mapping is reported on its own line only', () => {
    const r = load('flow-mapping-placeholder');
    expect(r.diagnostics.filter((d) => d.line !== 11)).toEqual([]);
  });
});

// ---- risk and commands ------------------------------------------------------------------------------

describe('commands', () => {
  it('commands that look destructive but are declared read, each at its own line', () => {
    const destructive = 'declare risk: destructive';
    expectDiagnostics('destructive-declared-read', [
      { line: 13, col: 14, message: 'command looks destructive ("kill") but is declared read', hint: destructive, source: 'kill -9' },
      { line: 16, col: 14, message: 'command looks destructive ("kill") but is declared read', hint: destructive, source: 'pkill -f' },
      { line: 19, col: 14, message: 'command looks destructive ("rm") but is declared read', hint: destructive, source: 'rm -rf' },
      { line: 22, col: 14, message: 'command looks destructive ("DELETE") but is declared read', hint: destructive, source: 'DELETE FROM' },
      { line: 25, col: 14, message: 'command looks destructive ("DROP") but is declared read', hint: destructive, source: 'DROP TABLE' },
      { line: 28, col: 14, message: 'command looks destructive ("TRUNCATE") but is declared read', hint: destructive, source: 'TRUNCATE' },
      { line: 31, col: 14, message: 'command looks destructive ("VACUUM FULL") but is declared read', hint: destructive, source: 'VACUUM FULL' },
      { line: 34, col: 14, message: 'command looks destructive ("down") but is declared read', hint: destructive, source: 'docker-compose -f ${{ compose_file }} down' },
      { line: 37, col: 14, message: 'command looks like a change ("restart") but is declared read', hint: 'declare risk: change', source: 'restart ${{ app_service }}' },
      // Declared read in so many words: reported at the declaration.
      { line: 41, col: 15, message: 'command looks destructive ("kill") but is declared read', hint: destructive, source: 'risk: read' },
    ]);
  });

  it('more destructive commands declared read: by path, stopping services and containers, find -delete, > file', () => {
    const r = load('destructive-declared-read-more');
    const words = ['kill', 'stop', 'stop', 'stop', 'shutdown', 'find -delete', '> logfile'];
    expect(sortDiagnostics(r.diagnostics).map((d) => [d.line, d.message])).toEqual(words.map((w, i) => [11 + i, `command looks destructive ("${w}") but is declared read`]));
  });

  it('change and destructive commands without impact', () => {
    const hint = 'add impact: what it does to the running system';
    expectDiagnostics('change-without-impact', [
      { line: 13, col: 15, message: 'a change command must state its impact', hint, source: 'risk: change' },
      { line: 16, col: 15, message: 'a destructive command must state its impact', hint, source: 'risk: destructive' },
    ]);
  });

  it('a solution step with neither text nor command', () => {
    expectDiagnostics('step-without-text-or-command', [
      { line: 12, col: 9, message: 'a solution step needs text (what to do by hand) or a command (run or argv)', source: 'title: A step that says nothing' },
    ]);
  });

  it('both run and argv: reported at argv', () => {
    expectDiagnostics('run-and-argv', [
      { line: 14, col: 9, message: 'a command has either run (a shell line) or argv (no shell), not both', source: 'argv: [echo, hi]' },
    ]);
  });
});

// ---- expectations ---------------------------------------------------------------------------------

describe('expectations', () => {
  it('an expectation with two predicates', () => {
    expectDiagnostics('expectation-two-predicates', [
      { line: 15, col: 13, message: 'an expectation says one thing; this one says exit and contains', hint: 'split it into separate list items' },
    ]);
  });

  it('a number expectation without bounds', () => {
    expectDiagnostics('number-without-bounds', [
      { line: 15, col: 21, message: 'a number expectation needs a bound: max, min, below or above', source: "number: { pattern: '(\\d+)%' }" },
    ]);
  });

  it('an invalid regex in matches', () => {
    expectDiagnostics('invalid-regex', [{ line: 15, col: 22, message: 'not a valid regular expression: /status=(ok/: Unterminated group' }]);
  });
});

// ---- variables ------------------------------------------------------------------------------------

describe('variables', () => {
  it('an enum variable without values: reported at the declaration (its first line)', () => {
    expectDiagnostics('enum-without-values', [
      { line: 8, col: 5, message: 'variable "region" is an enum without values', hint: 'add values: [a, b]', source: 'description: The region' },
    ]);
  });

  it('a variable default that fails its type (port 99999)', () => {
    expectDiagnostics('variable-default-invalid', [
      { line: 10, col: 14, message: 'default of "metrics_port" is invalid: expected a port (1-65535), got "99999"', source: 'default: 99999' },
    ]);
  });

  it('an invalid variable pattern', () => {
    expectDiagnostics('variable-pattern-invalid', [
      { line: 9, col: 14, message: 'not a valid regular expression: /[a-z/: Unterminated character class', source: "pattern: '[a-z'" },
    ]);
  });
});

// ---- several at once --------------------------------------------------------------------------------

describe('control characters in runbook text', () => {
  const base = ['id: ctl', 'title: T', 'summary: S', 'severity: P3', 'symptoms: [s]', 'causes:', '  - id: c', '    title: C', '    explanation: E', '    checks:', '      - id: k', '        title: K', '        run: "true"', '    solution:', '      - text: Nothing.', ''];
  it.each([
    ['the title (an escape that clears the screen)', 1, 'title: "\\e[2JAll clear"', 'title: control character U+001B (ESC)', 2],
    ['a command (a byte escape)', 12, '        run: "printf \\x1b]0;pwned\\x07"', 'causes[0].checks[0].run: control character U+001B (ESC)', 13],
    ['a symptom (C1 CSI)', 4, 'symptoms: ["slow \\u009b2J"]', 'symptoms[0]: control character U+009B (CSI)', 5],
    ['a solution step (a bell)', 14, '      - text: "ring \\a"', 'causes[0].solution[0].text: control character U+0007 (BEL)', 15],
  ])('in %s is a located error', (_what, index, line, message, lineNo) => {
    const file = join(tmp, 'control.yaml');
    const lines = [...base];
    lines[index] = line;
    writeFileSync(file, lines.join('\n'));
    const r = loadFile(file, manual);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics[0], { line: lineNo, col: r.diagnostics[0]!.col, message: `${message}: a terminal showing this text would act on it` });
  });

  it('newlines and tabs are text', () => {
    const file = join(tmp, 'control-ok.yaml');
    const lines = [...base];
    lines[12] = '        run: "printf \'a\\tb\\n\'"';
    lines[14] = '      - text: |\n          one\n          two\t(tab)';
    writeFileSync(file, lines.join('\n'));
    expect(loadFile(file, manual).diagnostics).toEqual([]);
  });
});

describe('placeholders naming what every object has', () => {
  it.each(['constructor'])('${{ %s }} is an unknown variable unless declared (Object.prototype has one)', (name) => {
    const file = join(tmp, 'proto-name.yaml');
    const text = ['id: proto', 'title: T', 'summary: S', 'severity: P3', 'symptoms: [s]', 'causes:', '  - id: c', '    title: C', '    explanation: E', '    checks:', '      - id: k', '        title: K', `        run: echo \${{ ${name} }}`, '    solution:', '      - text: Nothing.', ''].join('\n');
    writeFileSync(file, text);
    const r = loadFile(file, manual);
    expect(r.diagnostics.map((d) => d.message)).toEqual([`unknown variable "${name}"`]);
    writeFileSync(file, text.replace('causes:', `variables:\n  ${name}: { description: D, type: integer }\ncauses:`));
    expect(loadFile(file, manual).diagnostics).toEqual([]);
    // Declared, with no value anywhere: unset, not Object's constructor.
    const dir = join(tmp, 'proto-team');
    mkdirSync(dir, { recursive: true });
    copyFileSync(file, join(dir, 'proto.yaml'));
    const catalog = loadCatalog({ cwd: tmp, env: {}, runbookDirs: [dir] });
    const entry = catalog.runbooks.find((e) => e.runbook.id === 'proto')!;
    const vars = resolveVariables(catalog, entry.runbook, { env: {} });
    expect(vars.get(name)?.source).toBe('unset');
    expect(vars.get(name)?.value).toBeUndefined();
  });
});

describe('several errors in one file', () => {
  const schemaErrors: Expected[] = [
    { line: 4, col: 11, message: 'severity: expected one of "P0", "P1", "P2", "P3", got "P9"' },
    { line: 14, col: 9, message: 'unknown key "rsik" in causes[0].checks[0]', hint: 'did you mean "risk"?' },
    { line: 15, col: 18, message: 'causes[0].checks[0].timeout: a duration is a number with a unit' },
    { line: 18, col: 9, message: 'unknown key "tilte" in causes[0].solution[1]', hint: 'did you mean "title"?' },
  ];
  const lintErrors: Expected[] = [
    { line: 9, col: 26, message: 'unknown variable "api_prot"', hint: 'did you mean "api_port"?' },
    { line: 13, col: 14, message: 'command looks destructive ("rm") but is declared read' },
    { line: 14, col: 29, message: 'goto names no cause of this runbook: "c3"' },
    { line: 17, col: 9, message: 'duplicate cause id "c1"' },
    { line: 23, col: 15, message: 'a change command must state its impact' },
  ];

  it('every schema error is reported, not just the first', () => {
    expectDiagnostics('several-errors', schemaErrors);
  });

  it('every rule error is reported, not just the first', () => {
    expectDiagnostics('several-lint-errors', lintErrors);
  });

  it('loadFile itself returns them in file order', () => {
    for (const [name, expected] of [['several-errors', schemaErrors], ['several-lint-errors', lintErrors]] as const) {
      expect(load(name).diagnostics.map((d) => [d.line, d.col])).toEqual(expected.map((e) => [e.line, e.col]));
    }
  });
});

// ---- rendering ----------------------------------------------------------------------------------------

describe('formatDiagnostic', () => {
  it('renders file:line:col: error: message, the source line with its number, a caret under the column, the hint', () => {
    const display = 'test/fixtures/broken/placeholder-unknown.yaml';
    const r = loadFile(fixture('placeholder-unknown'), manual, display);
    expect(r.diagnostics).toHaveLength(1);
    const text = formatDiagnostic(r.diagnostics[0]!);
    const src = '        run: curl -fsS http://localhost:${{ api_prot }}/health';
    expect(text.split('\n')).toEqual([
      `${display}:13:41: error: unknown variable "api_prot"`,
      ` 13 | ${src}`,
      `    | ${' '.repeat(40)}${'^'.repeat('${{ api_prot }}'.length)}`,
      '    = did you mean "api_port"?; declare it under variables: (in this runbook, or the manual for all runbooks)',
    ]);
    // The caret sits under the "$" of the placeholder.
    const [, srcLine, caretLine] = text.split('\n') as [string, string, string];
    expect(srcLine[caretLine.indexOf('^')]).toBe('$');
  });

  it('a diagnostic without source text (an empty file) is one line', () => {
    const r = loadFile(fixture('empty'), manual, 'empty.yaml');
    expect(formatDiagnostic(r.diagnostics[0]!)).toBe('empty.yaml:1:1: error: empty file: expected a runbook (id, title, causes, ...)');
  });
});

// ---- the catalog ------------------------------------------------------------------------------------

describe('loadCatalog', () => {
  const goodRunbook = oneCauseRunbook('team-good', 'A good team runbook', ['      - id: api-health', '        title: The API answers', '        run: curl -fsS http://localhost:${{ api_port }}/health']);

  function catalogOf(dir: string) {
    const xdg = join(tmp, 'xdg-empty');
    mkdirSync(xdg, { recursive: true });
    let cat: ReturnType<typeof loadCatalog> | undefined;
    expect(() => (cat = loadCatalog({ cwd: tmp, env: { XDG_CONFIG_HOME: xdg }, runbookDirs: [dir] }))).not.toThrow();
    return cat!;
  }

  it('keeps the good runbook, reports the broken one, and does not throw', () => {
    const dir = join(tmp, 'team');
    mkdirSync(dir, { recursive: true });
    copyFileSync(fixture('risk-typo'), join(dir, 'broken.yaml'));
    writeFileSync(join(dir, 'good.yaml'), goodRunbook);
    const cat = catalogOf(dir);
    const ids = cat.runbooks.map((e) => e.runbook.id);
    expect(ids).toContain('team-good');
    expect(ids).toContain('db-performance');
    expect(ids).not.toContain('risk-typo');
    const good = cat.runbooks.find((e) => e.runbook.id === 'team-good')!;
    expect(good.origin).toBe('--runbooks');
    expect(good.overrides).toBeUndefined();
    expect(cat.diagnostics).toHaveLength(1);
    const d = cat.diagnostics[0]!;
    expect({ file: d.file, line: d.line, col: d.col, hint: d.hint }).toEqual({ file: join('team', 'broken.yaml'), line: 14, col: 15, hint: 'did you mean "read"?' });
    expect(d.message).toContain('got "raed"');
  });

  it('a team runbook with the id of a built-in overrides it', () => {
    const dir = join(tmp, 'team-override');
    mkdirSync(dir, { recursive: true });
    copyFileSync(join(ROOT, 'runbooks/db-performance.yaml'), join(dir, 'db-performance.yaml'));
    const cat = catalogOf(dir);
    expect(cat.diagnostics).toEqual([]);
    const entries = cat.runbooks.filter((e) => e.runbook.id === 'db-performance');
    expect(entries).toHaveLength(1);
    const entry = entries[0]!;
    expect(entry.origin).toBe('--runbooks');
    expect(entry.file).toBe(join(dir, 'db-performance.yaml'));
    expect(entry.overrides).toBeDefined();
    expect(entry.overrides!.origin).toBe('built-in');
    expect(entry.overrides!.runbook.id).toBe('db-performance');
  });
});

describe('where an irm.yaml variable came from', () => {
  it('is looked up in irm.yaml when first read, once, and is then a plain property that JSON and spreads carry', () => {
    const dir = join(tmp, 'where');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'irm.yaml'), 'contacts: {}\nvariables:\n  deployment: host\n  api_port: 9000\n');
    const cat = loadCatalog({ cwd: dir, env: { XDG_CONFIG_HOME: join(dir, 'xdg'), XDG_CACHE_HOME: join(dir, 'cache') } });
    const source = cat.config.source!;
    const at = source.at.bind(source);
    const looked: unknown[] = [];
    source.at = (...a: Parameters<typeof at>) => (looked.push(a[0]), at(...a));
    const vars = resolveVariables(cat, undefined, { env: {} });
    const port = vars.get('api_port')!;
    expect(port).toMatchObject({ value: '9000', source: 'irm.yaml' });
    expect(looked).toEqual([]);
    expect(port.where).toBe('irm.yaml:4');
    expect(looked).toEqual([['variables', 'api_port']]);
    expect(port.where).toBe('irm.yaml:4');
    expect(looked).toHaveLength(1);
    expect(Object.getOwnPropertyDescriptor(port, 'where')).toMatchObject({ value: 'irm.yaml:4', enumerable: true, writable: true });
    // Not read yet: a spread or JSON reads it then.
    const dep = vars.get('deployment')!;
    expect({ ...dep }.where).toBe('irm.yaml:3');
    expect(JSON.parse(JSON.stringify(dep)).where).toBe('irm.yaml:3');
    expect({ ...dep, where: 'typed in' }.where).toBe('typed in');
    expect(vars.get('api_url')).toMatchObject({ source: 'default', where: 'manual default', value: 'http://localhost:9000' });
  });
});

describe('the team-file cache keeps only what JSON gives back unchanged', () => {
  it.each([
    [{ a: 1, b: ['x', { c: null, d: true }] }],
    [{ a: undefined }],
    [[1, undefined]],
    // eslint-disable-next-line no-sparse-arrays
    [[1, , 2]],
    [{ n: -0 }],
    [{ n: NaN }],
    [{ n: Infinity }],
    [{ d: new Date(0) }],
    [Object.create(null)],
    [JSON.parse('{"__proto__": 1}')],
    [{ s: Symbol('x') }],
    [{ f: () => 1 }],
    [{ big: 1n }],
    ['text'],
    [null],
  ])('survivesJson(%o) is what a JSON round trip says', (v) => {
    let same: boolean;
    try {
      same = isDeepStrictEqual(JSON.parse(JSON.stringify(v)), v);
    } catch {
      same = false;
    }
    expect(survivesJson(v)).toBe(same);
  });
});
