// The fast reader of plain YAML (src/load/plain-yaml.ts) against the yaml library: on every input it either gives
// up or returns exactly what the yaml library returns with the loader's options. The inputs: every runbook and
// fixture in the repository, hand-written documents for each construct, and thousands of seeded random mutations
// of all of those (mutations make the near-misses: a colon too many, a quote left open, a line indented wrong).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, yamlFilesUnder } from './helpers.js';
import { parseDocument } from 'yaml';
import { readPlainYaml } from '../src/load/plain-yaml.js';
import { MAX_ALIASES, YAML_OPTIONS } from '../src/load/source.js';


/** What the loader's full path reads: the data, or undefined where the yaml library reports an error. */
function library(text: string): { data: unknown } | undefined {
  const doc = parseDocument(text, YAML_OPTIONS);
  if (doc.errors.length) return undefined;
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIASES }) };
  } catch {
    return undefined;
  }
}

/** Checks one input; true when the fast reader took it. */
function agrees(text: string): boolean {
  const fast = readPlainYaml(text);
  if (fast === undefined) return false;
  const full = library(text);
  if (full === undefined) expect.fail(`the fast reader accepted what the yaml library rejects:\n${text}`);
  expect(fast.data, text).toStrictEqual(full.data);
  return true;
}

const corpus = [...yamlFilesUnder(join(ROOT, 'runbooks')), ...yamlFilesUnder(join(ROOT, 'test'))].map((f) => ({ f, text: readFileSync(f, 'utf8') }));

// Each of these is plain YAML the fast reader must take (and read as the yaml library does).
const TAKEN: string[] = [
  'a: 1\nb: two\nc: 3.5\nd: true\ne: null\nf: ~\ng:\n',
  'n: [0o17, 0x1F, +12, 012, -0, 1e3, .5, 1., .inf, -.Inf, .NaN, 1_000, 0b11, True, FALSE, Null, NULL, yes, no, on]',
  'k: { pattern: \'(\\d+)%\', max: 90, min: -1, ok: true, s: "x y" }\n',
  "q: 'it''s # not a comment'  # but this is\nr: \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\x41 \\/\"\n",
  'run: |\n  echo one\n    indented\n\n  echo two\n\nnext: x\n',
  'run: |-\n  line 1\n  line 2\n\n\n',
  'text: >\n  folded one\n  folded two\n\n  new paragraph\n\n\n  after two\nz: 1\n',
  'text: >-\n  a\n  b\n',
  'lead: |\n\n\n  after two empty lines\n',
  'list:\n- a\n- b: 1\n  c: 2\n-\n  - x\nafter: 1\ntime: 12:30\n',
  'list:\n  - id: one\n    title: One  # comment\n    checks:\n      - id: c\n        run: \'echo "a: b"\'\n  -   id: two\n      nested:\n        - x\n',
  '# leading comment\n\nkey with spaces: value with a colon:inside? yes\n',
  'url: http://localhost:8080/health?x=1#frag\nhash: a#b\ncolon: a:b\nemptyq: ""\nsq: \'\'\n',
  'deep:\n  a:\n    b:\n      c:\n        d: [1, [2, [3, {e: f}]]]\n',
  '- top\n- level\n- list\n',
  'cmd: echo ${{ name }} && ls *.log | grep -v x > /dev/null\n',
  'a:\n  # a comment between\n  b: 1\n# and at the edge\n  c: 2\n',
  'empty_list: []\nempty_map: {}\nnulls: [~, null]\n',
  '- echo "a: b"\n- key: "value" # comment\n',
  'block_in_seq:\n  - |\n    literal in a list\n  - >-\n    folded\n    in a list\n',
];

// Each of these the fast reader must leave to the yaml library (which may accept it or not).
const LEFT: string[] = [
  'a: &x 1\nb: *x\n',
  '--- \na: 1\n',
  'a: !!str 1\n',
  'a: multi\n  line plain\n',
  'a: "multi\n  line quoted"\n',
  'a: [1,\n  2]\n',
  'a:\tb\n',
  'a: 1\r\nb: 2\r\n',
  'a: 1\na: 2\n',
  '? complex\n: key\n',
  '"quoted key": 1\n',
  'a: |+\n  keep\n\n',
  'a: |2\n   explicit\n',
  '1: numeric key\n',
  'a: b: c\n',
  '<<: {a: 1}\n',
  '__proto__: x\n',
  '',
  '# only a comment\n',
  '- - nested on one line\n',
  'flow: [12:30]\n',
];

describe('the fast reader of plain YAML', () => {
  it('reads every runbook of irm as the yaml library does, and takes every built-in one', () => {
    for (const { f, text } of corpus) {
      const taken = agrees(text);
      if (f.startsWith(join(ROOT, 'runbooks'))) expect(taken, f).toBe(true);
    }
  });

  it.each(TAKEN.map((t) => [t]))('takes %j', (text) => {
    expect(agrees(text)).toBe(true);
  });

  it.each(LEFT.map((t) => [t]))('leaves %j to the yaml library', (text) => {
    expect(readPlainYaml(text)).toBeUndefined();
  });

  it('agrees with the yaml library on thousands of mutated documents, or gives up', () => {
    let seed = Number(process.env.SEED ?? 20261127);
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const CHARS = [':', ' ', '  ', '#', '- ', '-', '"', "'", '|', '>', '[', ']', '{', '}', ',', '&', '*', '!', '?', '\\', 'x', '0', '.', '~', 'e5', ': ', ' #', '%', '@', '`', '\n', '\n  '];
    const sources = [...TAKEN, ...corpus.map((c) => c.text)];
    let tried = 0;
    let taken = 0;
    for (let round = 0; round < Number(process.env.ROUNDS ?? 12); round++) {
      for (const src of sources) {
        const lines = src.split('\n');
        const edits = 1 + rnd(3);
        for (let e = 0; e < edits; e++) {
          if (!lines.length) lines.push('');
          const l = rnd(lines.length);
          const line = lines[l]!;
          const at = rnd(line.length + 1);
          switch (rnd(8)) {
            case 0:
              lines[l] = line.slice(0, at) + CHARS[rnd(CHARS.length)] + line.slice(at);
              break;
            case 1:
              lines[l] = line.slice(0, at) + line.slice(at + 1);
              break;
            case 2:
              lines[l] = ' '.repeat(1 + rnd(3)) + line;
              break;
            case 3:
              lines[l] = line.replace(/^ {1,2}/, '');
              break;
            case 4:
              lines.splice(l, 0, line);
              break;
            case 5:
              lines.splice(l, 1);
              break;
            case 6:
              if (l + 1 < lines.length) [lines[l], lines[l + 1]] = [lines[l + 1]!, line];
              break;
            default:
              lines[l] = line.slice(0, at) + CHARS[rnd(CHARS.length)] + CHARS[rnd(CHARS.length)] + line.slice(at);
          }
        }
        tried++;
        if (agrees(lines.join('\n'))) taken++;
      }
    }
    if (process.env.ROUNDS) console.log({ tried, taken });
    // The mutations must exercise both sides: many still plain (and read alike), many left to the library.
    expect(tried).toBeGreaterThan(500);
    expect(taken / tried).toBeGreaterThan(0.2);
    expect(taken / tried).toBeLessThan(0.95);
  });
});
