// Expectations and verdicts: what each wanted and what it got, in plain words.
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../src/engine/runner.js';
import { couldNotRun, evaluate, jsonAt, judge } from '../src/engine/verdict.js';
import { BoundedOutput, fold } from '../src/engine/output.js';
import { maskSecrets, maskSecretsWithin } from '../src/model/redact.js';
import { parseDotenv } from '../src/engine/redactor.js';

function result(stdout: string, exitCode = 0, stderr = '', extra: Partial<RunResult> = {}): RunResult {
  return { exitCode, signal: null, durationMs: 5, stdout, stderr, output: stdout + stderr, bytes: stdout.length + stderr.length, truncated: false, timedOut: false, windowEnded: false, interrupted: false, ...extra };
}

describe('expectations', () => {
  it('contains says what it wanted and what it got', () => {
    const r = evaluate({ contains: 'PONG' }, result('', 1, 'Could not connect to Redis at 127.0.0.1:6379: Connection refused\n'));
    expect(r).toEqual({ ok: false, wanted: 'output containing "PONG"', got: 'Could not connect to Redis at 127.0.0.1:6379: Connection refused' });
    expect(evaluate({ contains: 'PONG' }, result('PONG\n')).ok).toBe(true);
  });

  it('exit status, one or several', () => {
    expect(evaluate({ exit: 0 }, result('', 0)).ok).toBe(true);
    const bad = evaluate({ exit: 0 }, result('', 2, 'psql: error: connection refused\n'));
    expect(bad).toMatchObject({ ok: false, wanted: 'exit status 0', got: 'exit status 2: psql: error: connection refused' });
    expect(evaluate({ exit: [0, 1] }, result('', 1)).ok).toBe(true);
    expect(evaluate({ exit: 0 }, result('', null as unknown as number, '', { signal: 'SIGKILL' })).got).toBe('killed by SIGKILL: no output');
  });

  it('not_contains, matches, not_matches', () => {
    expect(evaluate({ not_contains: 'ERROR' }, result('INFO ok\nERROR boom\n'))).toMatchObject({ ok: false, got: 'ERROR boom' });
    expect(evaluate({ matches: '^ENABLE_AUTO_TRADING=true$' }, result('ENABLE_AUTO_TRADING=true\n')).ok).toBe(true);
    expect(evaluate({ matches: '^ENABLE_AUTO_TRADING=true$' }, result('ENABLE_AUTO_TRADING=false\n')).ok).toBe(false);
    expect(evaluate({ not_matches: 'LOG_LEVEL=DEBUG' }, result('LOG_LEVEL=DEBUG\n'))).toMatchObject({ ok: false, got: 'LOG_LEVEL=DEBUG' });
    // Healthy, what was found is the output itself (the diagnosis' evidence), not "not found" or "no match".
    expect(evaluate({ not_contains: 'taken by', says: 'the API port free' }, result('port 8000 is free\n'))).toMatchObject({ ok: true, wanted: 'the API port free', got: 'port 8000 is free' });
    expect(evaluate({ not_matches: 'LOG_LEVEL=DEBUG' }, result('LOG_LEVEL=INFO\n'))).toMatchObject({ ok: true, got: 'LOG_LEVEL=INFO' });
  });

  it('a number compared to a threshold, the first or every match', () => {
    expect(evaluate({ number: { pattern: '(\\d+)%', max: 90 } }, result('/dev/sda1 100 95 5 95% /\n'))).toMatchObject({ ok: false, got: '95' });
    expect(evaluate({ number: { pattern: '(\\d+)%', max: 90 } }, result('/dev/sda1 100 50 50 50% /\n')).ok).toBe(true);
    expect(evaluate({ number: { pattern: 'cpu=(\\d+)', max: 80, every: true } }, result('cpu=10\ncpu=95\n'))).toMatchObject({ ok: false, got: '95' });
    expect(evaluate({ number: { pattern: 'cpu=(\\d+)', max: 80 } }, result('cpu=10\ncpu=95\n')).ok).toBe(true);
    expect(evaluate({ number: { pattern: 'DB_POOL_SIZE=(\\d+)', min: 20 } }, result(''))).toMatchObject({ ok: false, got: 'no such number in: no output' });
    expect(evaluate({ number: { pattern: 'x=(\\d+)', min: 1, missing: 'healthy' } }, result(''))).toMatchObject({ ok: true, got: 'no output' });
    // No number where none is healthy: the output is the evidence, not a "no such number" that reads as a fault.
    expect(evaluate({ number: { pattern: '\\((\\d+)% of the', max: 75, missing: 'healthy' } }, result('no bot process\n'))).toMatchObject({ ok: true, got: 'no bot process' });
    expect(evaluate({ number: { pattern: 'n=(\\d+)', above: 5, below: 10 } }, result('n=5')).ok).toBe(false);
  });

  it('lines: no output wanted', () => {
    expect(evaluate({ lines: { max: 0 } }, result('\n\n')).ok).toBe(true);
    expect(evaluate({ lines: { max: 0 } }, result('4242|00:00:07|select pg_sleep(30)\n'))).toMatchObject({ ok: false, wanted: 'no output', got: '1 line: 4242|00:00:07|select pg_sleep(30)' });
  });

  it('a JSON field, with * over every entry, naming the one that is off', () => {
    const status = JSON.stringify({ circuit_breakers: { binance: { state: 'closed' }, upbit: { state: 'open' } } });
    const r = evaluate({ json: { path: 'circuit_breakers.*.state', equals: 'closed' } }, result(status));
    expect(r).toEqual({ ok: false, wanted: 'circuit_breakers.*.state = closed', got: 'circuit_breakers.upbit.state = open' });
    const ok = JSON.stringify({ circuit_breakers: { binance: { state: 'closed' } } });
    expect(evaluate({ json: { path: 'circuit_breakers.*.state', equals: 'closed' } }, result(ok)).ok).toBe(true);
    expect(evaluate({ json: { path: 'a.b', exists: true } }, result('{"a":{}}')).ok).toBe(false);
    expect(evaluate({ json: { path: 'lag', max: 10 } }, result('{"lag": 30}'))).toMatchObject({ ok: false, got: '30' });
    expect(evaluate({ json: { path: 'x', equals: 1 } }, result('<html>502 Bad Gateway</html>'))).toMatchObject({ ok: false, got: 'output is not JSON: <html>502 Bad Gateway</html>' });
    expect(jsonAt({ a: [{ b: 1 }, { b: 2 }] }, 'a.*.b').map(([p, v]) => `${p}=${v}`)).toEqual(['a.0.b=1', 'a.1.b=2']);
  });

  it("says fills in its variables, and keeps the words as written when one has no value", () => {
    const expand = (s: string) =>
      s.replace(/\$\{\{ *(\w+) *\}\}/g, (_, n: string) => {
        if (n === 'env_file') return '/srv/bot/.env';
        throw new Error(`no value for ${n}`);
      });
    expect(evaluate({ exit: 0, says: 'a readable ${{ env_file }}' }, result('', 1), expand)).toMatchObject({ ok: false, wanted: 'a readable /srv/bot/.env' });
    expect(evaluate({ exit: 0, says: 'a readable ${{ nothing }}' }, result('', 1), expand)).toMatchObject({ wanted: 'a readable ${{ nothing }}' });
  });

  it('any and all compose; says replaces the wording', () => {
    expect(evaluate({ any: [{ contains: 'PONG' }, { contains: 'pong' }] }, result('pong')).ok).toBe(true);
    expect(evaluate({ all: [{ exit: 0 }, { contains: 'x' }] }, result('y'))).toMatchObject({ ok: false, got: 'y' });
    expect(evaluate({ lines: { max: 0 }, says: 'no query longer than 5 seconds' }, result('1|2|3'))).toMatchObject({ wanted: 'no query longer than 5 seconds' });
  });

  it('expectations may use variables; in a regex they match literally', () => {
    expect(evaluate({ contains: '${{ db }}' }, result('db=trading.bot'), () => 'trading.bot').ok).toBe(true);
    const r = judge([{ matches: '^db=${{ db }}$' }], undefined, result('db=tradingXbot'), () => 'trading.bot');
    expect(r.verdict).toBe('problem');
  });
});

describe('verdicts', () => {
  it('healthy when all hold, a warning when a warn expectation fails, a problem otherwise; default exit 0', () => {
    expect(judge(undefined, undefined, result('', 0)).verdict).toBe('healthy');
    expect(judge(undefined, undefined, result('', 1)).verdict).toBe('problem');
    const pool = (n: number) => judge([{ number: { pattern: 'SIZE=(\\d+)', min: 20 } }], [{ number: { pattern: 'SIZE=(\\d+)', min: 30 } }], result(`SIZE=${n}`)).verdict;
    expect([pool(5), pool(20), pool(35)]).toEqual(['problem', 'warning', 'healthy']);
  });

  it('a command stopped at the end of its window: judged on its output, its exit status left out', () => {
    const stopped = (out: string) => result(out, null as unknown as number, '', { signal: 'SIGTERM', windowEnded: true });
    expect(judge([{ contains: 'NOPE' }], undefined, stopped('tick\n'))).toMatchObject({ verdict: 'problem', reasons: [{ ok: false }] });
    // The default (exit status 0) is listed as not judged, so the verdict says why it holds.
    expect(judge(undefined, undefined, stopped('tick\n'))).toEqual({
      verdict: 'healthy',
      reasons: [{ ok: true, wanted: 'exit status 0', got: 'not judged: irm stopped the command at the end of its window' }],
      warnings: [],
    });
    // An exit status among alternatives: the others decide.
    expect(judge([{ any: [{ exit: 0 }, { contains: 'NOPE' }] }], undefined, stopped('tick\n')).verdict).toBe('problem');
    expect(judge([{ all: [{ exit: 0 }, { contains: 'tick' }] }], [{ exit: 0, says: 'a clean end' }], stopped('tick\n'))).toMatchObject({
      verdict: 'healthy',
      warnings: [{ ok: true, wanted: 'a clean end', got: 'not judged: irm stopped the command at the end of its window' }],
    });
  });

  it('could not run: a missing command, the docker daemon, a timeout, a missing script', () => {
    expect(couldNotRun(result('', 127, 'bash: line 1: redis-cli: command not found\n'))).toMatchObject({ kind: 'missing-command', message: 'command not found: redis-cli', hint: expect.stringContaining('redis-tools') });
    expect(couldNotRun(result('', 1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n'))).toMatchObject({ kind: 'docker-unavailable' });
    expect(couldNotRun(result('', null as unknown as number, '', { timedOut: true, durationMs: 2000 }))).toMatchObject({ kind: 'timeout', message: 'timed out after 2s' });
    expect(couldNotRun(result('', 2, "python3: can't open file '/srv/bot/scripts/check_balances.py': [Errno 2] No such file or directory\n"))).toMatchObject({ kind: 'missing-file' });
    expect(couldNotRun(result('', null as unknown as number, '', { spawnError: 'command not found: psql' }))).toMatchObject({ kind: 'missing-command', hint: expect.stringContaining('postgresql-client') });
    expect(couldNotRun(result('Could not connect to Redis', 1))).toBeUndefined();
  });
});

describe('bounded output', () => {
  it('keeps the head and the tail and says how much was cut', () => {
    const b = new BoundedOutput(10, 10);
    for (let i = 0; i < 100; i++) b.push(Buffer.from(`${String(i).padStart(3, '0')}\n`));
    expect(b.total).toBe(400);
    expect(b.truncated).toBe(true);
    const t = b.text();
    expect(t.startsWith('000\n001\n00')).toBe(true);
    expect(t.endsWith('\n098\n099\n')).toBe(true);
    expect(t).toContain('[... 380 bytes cut by irm ...]');
  });

  it('a big chunk keeps only its tail', () => {
    const b = new BoundedOutput(4, 4);
    b.push(Buffer.from('abcdefghijklmnop'));
    expect(b.text()).toBe('abcd\n[... 8 bytes cut by irm ...]\nmnop');
  });

  it('masks a secret the cut splits, whatever the sizes of the cut and the chunks', () => {
    const secret = 'sk_live_9f8e7d6c5b4a';
    const redact = Object.assign((t: string) => maskSecrets(t, [secret]), { within: (t: string, a: number, b: number) => maskSecretsWithin(t, a, b, [secret]) });
    const pieces = Array.from({ length: secret.length - 3 }, (_, i) => secret.slice(i, i + 4));
    // Head 32, tail 32, room to read 24 past each cut; the secret starts at each offset around both cuts.
    for (const total of [70, 90, 200]) {
      for (let at = 0; at + secret.length <= total; at++) {
        const text = 'x'.repeat(at) + secret + 'y'.repeat(total - at - secret.length);
        for (const size of [1, 7, 64, 1000]) {
          const b = new BoundedOutput(32, 32, 24);
          const plain = new BoundedOutput(32, 32);
          for (let i = 0; i < text.length; i += size) {
            b.push(Buffer.from(text.slice(i, i + size)));
            plain.push(Buffer.from(text.slice(i, i + size)));
          }
          const shown = b.text(redact);
          for (const p of pieces) expect(shown, `${total} bytes, secret at ${at}, chunks of ${size}`).not.toContain(p);
          // What is read past the cuts is never shown.
          expect(b.text()).toBe(plain.text());
          expect(shown.replace(/\*{8}/g, '').length).toBeLessThanOrEqual(plain.text().length);
        }
      }
    }
    const b = new BoundedOutput(32, 32, 24);
    b.push(Buffer.from('x'.repeat(25) + secret + 'y'.repeat(100) + secret + 'z'.repeat(25)));
    expect(b.text(redact)).toBe(`${'x'.repeat(25)}********\n[... 126 bytes cut by irm ...]\n********${'z'.repeat(25)}`);
    expect(maskSecretsWithin('TOKEN="a b c" rest', 0, 10)).toBe('TOKEN=********');
    expect(maskSecretsWithin('url postgres://u:pw-123@h', 18, 25)).toBe('********@h');
  });

  it('folds long output for display', () => {
    const text = Array.from({ length: 50 }, (_, i) => `line ${i}`).join('\n');
    const f = fold(text, 10);
    expect(f.hidden).toBe(40);
    expect(f.shown.split('\n')).toHaveLength(11);
    expect(f.shown).toContain('… 40 more lines …');
  });
});

describe('secrets', () => {
  it('masks secret-looking keys, URL credentials and known values', () => {
    const text = 'DATABASE_URL=postgres://bot:s3cr3t-pw@db:5432/trading\nBINANCE_API_KEY=AKIA123456\nREDIS_URL=redis://localhost:6379\nLOG_LEVEL=INFO\n';
    const masked = maskSecrets(text);
    expect(masked).toContain('DATABASE_URL=postgres://bot:********@db:5432/trading');
    expect(masked).toContain('BINANCE_API_KEY=********');
    expect(masked).toContain('REDIS_URL=redis://localhost:6379');
    expect(masked).toContain('LOG_LEVEL=INFO');
    expect(masked).not.toMatch(/s3cr3t-pw|AKIA123456/);
    expect(maskSecrets('the key is AKIA123456 here', ['AKIA123456'])).toBe('the key is ******** here');
  });

  it('a reason quoting a long line masks the secrets in it before it is shortened', () => {
    const secret = 'sk_live_9f8e7d6c5b4a';
    const redact = Object.assign((t: string) => maskSecrets(t, [secret]), { within: (t: string, a: number, b: number) => maskSecretsWithin(t, a, b, [secret]) });
    const noPiece = (got: string) => {
      for (let i = 0; i + 4 <= secret.length; i++) expect(got).not.toContain(secret.slice(i, i + 4));
    };
    // Both ways a reason quotes output: its first lines (cut at 240 characters) and the line that matched (at 200).
    const first = judge([{ contains: 'nope' }], undefined, result('a'.repeat(230) + secret + '\n'), undefined, redact).reasons[0]!.got;
    expect(first).toBe('a'.repeat(230) + '********');
    noPiece(first);
    const line = judge([{ not_contains: 'found' }], undefined, result('found ' + 'a'.repeat(190) + secret + '\n'), undefined, redact).reasons[0]!.got;
    expect(line).toBe('found ' + 'a'.repeat(190) + '****…');
    noPiece(line);
    // The line is masked with the rest of the output as context: a KEY=value pair is recognized by the key's line.
    const multi = evaluate({ matches: 'tail' }, result('API_KEY="first half\nsecond half tail"\n'), undefined, undefined, redact).got;
    expect(multi).toBe('second half tail"');
  });

  it('a short secret is masked where it stands alone; passphrases and webhook URLs look secret', () => {
    expect(maskSecrets('token is ab; label lab; ab_cd; (ab) ab.', ['ab'])).toBe('token is ********; label lab; ab_cd; (********) ********.');
    expect(maskSecrets('x=7 and 7 but 17 and 7a', ['7'])).toBe('x=******** and ******** but 17 and 7a');
    expect(maskSecrets('a.b is not a+b', ['a.b'])).toBe('******** is not a+b');
    expect(maskSecrets('', [''])).toBe('');
    expect(maskSecrets('abcd inside xabcdx', ['abcd'])).toBe('******** inside x********x');
    expect(maskSecrets('EXCHANGE_API_PASSPHRASE=correct-horse\nKUCOIN_PASSCODE=123456\nSLACK_WEBHOOK_URL=https://example.com/x\nWALLET_MNEMONIC="abandon ability"\n')).toBe(
      'EXCHANGE_API_PASSPHRASE=********\nKUCOIN_PASSCODE=********\nSLACK_WEBHOOK_URL=********\nWALLET_MNEMONIC=********\n'
    );
    expect(maskSecrets('posting to https://hooks.slack.com/services/T0AAAA/B0BBBB/xyzSECRETxyz123 failed')).toBe('posting to https://hooks.slack.com/services/******** failed');
    expect(maskSecrets('LOG_LEVEL=INFO BYPASS_CACHE=1 https://hooks.slack.com/')).toBe('LOG_LEVEL=INFO BYPASS_CACHE=1 https://hooks.slack.com/');
  });

  it('parses a dotenv file', () => {
    expect(parseDotenv('# c\nexport A=1\nB="two words"\nC=3 # note\n\nbad line\n')).toEqual([['A', '1'], ['B', 'two words'], ['C', '3']]);
  });
});
