// Fitting tables to a terminal: the column widths and the breaking of words too long for their column.
import { describe, expect, it } from 'vitest';
import { breakLongWords, createUI, fitColumns } from '../src/views/ui.js';

const shown = (s: string) => [...s.replace(/\u001b\[[0-9;]*m/g, '')].length;

describe('fitColumns', () => {
  const head = ['Runbook', 'Check', 'Verdict', 'Detail'];
  const row = ['trades-not-executing', 'No order rejected by the risk manager in the recent log', '✖ problem found', 'x'.repeat(150)];

  it('leaves a table that fits alone', () => {
    expect(fitColumns([head, ['a', 'b', 'c', 'd']], 80)).toBeUndefined();
  });

  it('fits the total to the terminal, keeps a narrow column whole and gives the widest the most room', () => {
    for (const columns of [72, 80, 100, 120, 160]) {
      const w = fitColumns([head, row], columns)!;
      expect(w.reduce((a, b) => a + b, 0) + w.length + 1, `at ${columns}`).toBeLessThanOrEqual(columns);
      expect(w[2], 'the verdict keeps its width').toBe(shown(row[2]!) + 2);
      expect(w[3]).toBe(Math.max(...w));
    }
  });

  it('breaks no word where there is room for every longest word: a phone number stays on one line', () => {
    const rows = [
      ['Role', 'Name', 'Contact', 'Availability', 'Why'],
      ['Engineering Manager', 'TBD', 'phone: +1-555-123-4567', 'Business hours', 'Notify management immediately, then keep them posted every thirty minutes'],
    ];
    const w = fitColumns(rows, 80)!;
    expect(w.reduce((a, b) => a + b, 0) + w.length + 1).toBeLessThanOrEqual(80);
    expect(w[2]).toBeGreaterThanOrEqual('+1-555-123-4567'.length + 2);
    expect(w[4]).toBeGreaterThanOrEqual('immediately,'.length + 2);
  });

  it("fits a view's chosen widths too", () => {
    const w = fitColumns([['Level', 'Response time', 'Impact', 'Examples']], 80, [10, 12, 28, 48])!;
    expect(w.reduce((a, b) => a + b, 0) + w.length + 1).toBeLessThanOrEqual(80);
    expect(w.slice(0, 2)).toEqual([10, 12]);
    expect(fitColumns([['Level']], 120, [10, 12, 28, 48])).toBeUndefined();
  });

  it('never makes a column narrower than its heading, even when the table cannot fit', () => {
    const w = fitColumns([['A long heading', 'Another long heading'], ['x'.repeat(100), 'y'.repeat(100)]], 20)!;
    expect(w[0]).toBeGreaterThanOrEqual('A long heading'.length + 2);
    expect(w[1]).toBeGreaterThanOrEqual('Another long heading'.length + 2);
  });
});

describe('breakLongWords', () => {
  it('breaks only the words longer than the width, into pieces of that width', () => {
    expect(breakLongWords('short words stay', 6)).toBe('short words stay');
    expect(breakLongWords('see http://127.0.0.1:8000/health now', 10)).toBe('see http://127\n.0.0.1:800\n0/health now');
  });

  it('keeps colour codes whole and does not count them', () => {
    const red = '\u001b[31m' + 'abcdefgh' + '\u001b[39m';
    const out = breakLongWords(red, 3);
    expect(out.replace(/\u001b\[[0-9;]*m/g, '')).toBe('abc\ndef\ngh');
    expect(out).toContain('\u001b[31m');
    expect(out).toContain('\u001b[39m');
  });
});

describe('a table on a terminal', () => {
  it('is as wide as the terminal at most, and loses no character of a long cell', () => {
    const ui = createUI(false, 60);
    const long = 'http://127.0.0.1:9/' + 'segment/'.repeat(12);
    const out = ui.table(['Name', 'Value'], [['db_url', long]]);
    for (const line of out.split('\n')) expect(shown(line)).toBeLessThanOrEqual(60);
    const body = out.split('\n').slice(out.split('\n').findIndex((l) => l.startsWith('├')));
    const value = body.map((l) => l.split('│')[2]?.trim() ?? '').join('');
    expect(value).toBe(long);
  });

  it('keeps its natural width without a terminal', () => {
    const out = createUI(false).table(['Name', 'Value'], [['db_url', 'v'.repeat(200)]]);
    expect(out).toContain('v'.repeat(200));
  });
});
