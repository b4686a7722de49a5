// The quick way through the schema (src/model/fast-parse.ts) against zod itself: on every value it either says it is
// unsure or gives exactly zod's output, key order included. The values: every runbook, manual and fixture in the
// repository, and seeded random mutations of them (a key removed, added or misspelt; a value of another type, empty,
// negative, fractional, too long; a list emptied or doubled), which make the near misses a quick check gets wrong.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, yamlFilesUnder } from './helpers.js';
import { parse } from 'yaml';
import { z } from 'zod';
import { fastParse } from '../src/model/fast-parse.js';
import { Config, Manual, Runbook } from '../src/model/schema.js';


function read(file: string): unknown {
  try {
    return parse(readFileSync(file, 'utf8'), { logLevel: 'silent' });
  } catch {
    return undefined;
  }
}

const schemaFor = (data: unknown): z.ZodType =>
  (data as { kind?: unknown } | null)?.kind === 'manual' ? Manual : /irm\.ya?ml$/.test(String((data as { file?: string })?.file)) ? Config : Runbook;

/** Checks one value against one schema; true when the quick way took it. */
function agrees(schema: z.ZodType, data: unknown, label: string): boolean {
  const fast = fastParse(schema, data);
  if (fast === undefined) return false;
  const full = schema.safeParse(data);
  if (!full.success) expect.fail(`the quick way took what zod rejects (${label}): ${JSON.stringify(data).slice(0, 400)}\n${full.error.message}`);
  expect(fast.data, label).toStrictEqual(full.data);
  // The same keys in the same order: the cache and --json print them in that order.
  expect(JSON.stringify(fast.data), label).toBe(JSON.stringify(full.data));
  return true;
}

const files = [...yamlFilesUnder(join(ROOT, 'runbooks')), ...yamlFilesUnder(join(ROOT, 'test'))];
const corpus = files.map((f) => ({ f, data: read(f) })).filter((c) => c.data !== null && typeof c.data === 'object' && !Array.isArray(c.data));
const configs = files.filter((f) => /irm\.ya?ml$/.test(f)).map((f) => ({ f, data: read(f) })).filter((c) => c.data && typeof c.data === 'object');

describe('the quick way through the schema', () => {
  it('gives zod\'s output for every built-in runbook and the manual, and takes each of them', () => {
    for (const f of yamlFilesUnder(join(ROOT, 'runbooks'))) {
      const data = read(f);
      expect(agrees(schemaFor(data), data, f), `${f} is valid and plain: the quick way must take it`).toBe(true);
    }
  });

  it('agrees with zod on every file in the repository, as a runbook, a manual and irm.yaml', () => {
    let taken = 0;
    for (const { f, data } of corpus) for (const schema of [Runbook, Manual, Config]) if (agrees(schema, data, f)) taken++;
    for (const { f, data } of configs) expect(agrees(Config, data, f) || !Config.safeParse(data).success, `${f}`).toBe(true);
    expect(taken).toBeGreaterThan(20);
  });

  it('is unsure where zod would report something', () => {
    const rb = read(join(ROOT, 'runbooks', 'db-performance.yaml')) as Record<string, unknown>;
    const bad: [string, unknown][] = [
      ['an unknown key', { ...rb, extra: 1 }],
      ['a missing required key', { ...rb, title: undefined }],
      ['an empty title', { ...rb, title: '' }],
      ['a bad id', { ...rb, id: 'DB Performance' }],
      ['a severity out of the enum', { ...rb, severity: 'P5' }],
      ['no causes', { ...rb, causes: [] }],
      ['a list where a mapping belongs', { ...rb, variables: [] }],
      ['a number where text belongs', { ...rb, summary: 5 }],
      ['null for a list', { ...rb, symptoms: null }],
      ['a retry count out of range', withCheck(rb, { retry: { count: 21 } })],
      ['a fractional retry count', withCheck(rb, { retry: { count: 1.5 } })],
      ['a negative timeout', withCheck(rb, { timeout: -1 })],
      ['Infinity for a timeout', withCheck(rb, { timeout: Infinity })],
      ['a duration without a unit', withCheck(rb, { timeout: '10' })],
      ['a run per deployment for an unknown one', withCheck(rb, { run: { docker: 'true', k8s: 'true' } })],
      ['an empty run', withCheck(rb, { run: '' })],
      ['a bad variable name', { ...rb, variables: { 'Bad-Name': { description: 'x' } } }],
      ['a variable name that is a number', { ...rb, variables: { '1': { description: 'x' } } }],
      ['an expectation with an unknown key', withCheck(rb, { expect: [{ containz: 'x' }] })],
      ['a nested expectation with a mistake', withCheck(rb, { expect: [{ any: [{ exit: 'zero' }] }] })],
      ['a reference with a URL that is not one', { ...rb, references: [{ title: 'x', url: 'not a url' }] }],
    ];
    for (const [what, data] of bad) {
      expect(Runbook.safeParse(data).success, what).toBe(false);
      expect(fastParse(Runbook, data), what).toBeUndefined();
    }
  });

  it('counts a string\'s length as zod does (in code points), or leaves it to zod', () => {
    const cases: [z.ZodType, unknown][] = [
      [z.string().min(2), '😀'],
      [z.string().min(2), 'ab'],
      [z.string().min(2), '😀😀'],
      [z.string().min(1), '😀'],
      [z.string().max(2), '😀😀'],
      [z.string().max(2), 'abc'],
      [z.string().length(2), '😀😀'],
      [z.array(z.string()).length(2), ['a', 'b']],
      [z.array(z.string()).min(2), ['a']],
    ];
    for (const [schema, value] of cases) {
      const fast = fastParse(schema, value);
      const full = schema.safeParse(value);
      if (fast) expect(full, JSON.stringify(value)).toEqual({ success: true, data: fast.data });
    }
    expect(fastParse(z.string().min(2), '😀')).toBeUndefined();
    expect(fastParse(z.array(z.string()).length(2), ['a', 'b'])).toEqual({ data: ['a', 'b'] });
  });

  it('fills defaults as zod does, each time a fresh value', () => {
    const rb = read(join(ROOT, 'runbooks', 'db-performance.yaml')) as Record<string, unknown>;
    const causes = (rb.causes as Record<string, unknown>[]).map(({ checks: _, ...c }) => c);
    const data = { ...rb, kind: undefined, causes };
    delete data.kind;
    const a = fastParse(Runbook, data)!.data;
    const b = fastParse(Runbook, data)!.data;
    expect(a.kind).toBe('runbook');
    expect(a.causes[0]!.checks).toEqual([]);
    expect(a.causes[0]!.checks).not.toBe(b.causes[0]!.checks);
    expect(agrees(Runbook, data, 'defaults')).toBe(true);
  });

  it('agrees with zod on thousands of seeded mutations', () => {
    let seed = Number(process.env.SEED ?? 20261127);
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const replacements: unknown[] = [null, 0, -0, -1, 1.5, 21, 1e21, '', 'x', 'P5', 'read', 'destructive', '10s', '10', 'a-b', 'A', '${{ x }}', true, [], ['x'], [{}], {}, { x: 1 }, { title: 'T', text: 'x' }, { exit: 0 }, { docker: 'true' }, { description: 'd' }];
    const mutate = (v: unknown, depth: number): unknown => {
      if (Array.isArray(v)) {
        const a = [...v];
        const i = rand(a.length + 1);
        const op = rand(4);
        if (op === 0 && a.length) a.splice(rand(a.length), 1);
        else if (op === 1 && a.length) a.push(structuredClone(a[rand(a.length)]));
        else if (i < a.length) a[i] = depth > 0 && rand(3) ? mutate(a[i], depth - 1) : replacements[rand(replacements.length)];
        return a;
      }
      if (v && typeof v === 'object') {
        const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
        const keys = Object.keys(o);
        const op = rand(5);
        if (op === 0 && keys.length) delete o[keys[rand(keys.length)]!];
        else if (op === 1) o[['extra', 'timeout', 'risk', 'expect', 'needs', 'default', 'type', 'values', 'run', 'argv', 'kind', 'secret'][rand(12)]!] = replacements[rand(replacements.length)];
        else if (keys.length) {
          const k = keys[rand(keys.length)]!;
          o[k] = depth > 0 && rand(4) ? mutate(o[k], depth - 1) : replacements[rand(replacements.length)];
        }
        return o;
      }
      return replacements[rand(replacements.length)];
    };
    let taken = 0;
    let tried = 0;
    const all = corpus.filter((c) => Runbook.safeParse(c.data).success || Manual.safeParse(c.data).success);
    for (let round = 0; round < 100; round++) {
      for (const { f, data } of all) {
        const schema = schemaFor(data);
        let m = data;
        for (let k = 0, n = 1 + rand(3); k < n; k++) m = mutate(m, 6);
        tried++;
        if (agrees(schema, m, `${f} (mutation ${tried}, SEED=${process.env.SEED ?? 20261127})`)) taken++;
      }
    }
    // Many mutations leave a valid runbook (a key removed that was optional): the quick way must take some.
    expect(tried).toBeGreaterThan(3000);
    expect(taken).toBeGreaterThan(tried / 20);
  });
});

function withCheck(rb: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown> {
  const causes = structuredClone(rb.causes) as { checks: Record<string, unknown>[] }[];
  Object.assign(causes[0]!.checks[0]!, fields);
  return { ...rb, causes };
}
