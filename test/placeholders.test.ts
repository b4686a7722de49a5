// Variables are data, never code: every expansion is checked by running the line in a real shell.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { expandShell, expandText, expandWith, findShellPlaceholders, MissingVariableError } from '../src/model/placeholders.js';
import { looksDestructive } from '../src/model/risk.js';

const NASTY = [
  'plain',
  'two words',
  `x; touch /tmp/irm-pwned-$$`,
  `$(id) and \`id\``,
  `it's "quoted" \\ back\\slash`,
  `'; echo injected; '`,
  `"; echo injected; "`,
  '${HOME} $HOME ${{ nested }}',
  '--flag=value*?[a]',
  '',
  'new\nline',
];

function sh(line: string): string {
  const r = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe('shell expansion', () => {
  for (const value of NASTY) {
    it(`keeps ${JSON.stringify(value)} one literal word, unquoted, in double quotes and in single quotes`, () => {
      const lookup = () => value;
      expect(sh(expandShell(`printf '%s|' \${{ v }}`, lookup))).toBe(`${value}|`);
      expect(sh(expandShell(`printf '%s|' "pre-\${{ v }}-post"`, lookup))).toBe(`pre-${value}-post|`);
      expect(sh(expandShell(`printf '%s|' 'pre-\${{ v }}-post'`, lookup))).toBe(`pre-${value}-post|`);
      expect(sh(expandShell(`printf '%s|' x\${{ v }}y`, lookup))).toBe(`x${value}y|`);
    });
  }

  it('leaves everything that is not a placeholder alone', () => {
    const line = `echo $(date +%Y) \${HOME} <PID> '{{.Names}}' {{ .State }} $\${{ literal }}`;
    expect(findShellPlaceholders(line).found).toEqual([]);
    expect(expandShell(line, () => 'X')).toBe(`echo $(date +%Y) \${HOME} <PID> '{{.Names}}' {{ .State }} \${{ literal }}`);
  });

  it('refuses a placeholder inside $(...) or backticks, where it cannot be quoted', () => {
    expect(findShellPlaceholders('echo $(cat ${{ f }})').found[0]!.context).toBe('substitution');
    expect(findShellPlaceholders('echo "`cat ${{ f }}`"').found[0]!.context).toBe('substitution');
    expect(() => expandShell('echo $(cat ${{ f }})', () => 'x')).toThrow(/cannot be quoted safely/);
  });

  it('names the variable without a value', () => {
    expect(() => expandShell('echo ${{ api_port }}', () => undefined)).toThrow(MissingVariableError);
    try {
      expandText('${{ pid }}', () => undefined);
    } catch (e) {
      expect((e as MissingVariableError).variable).toBe('pid');
    }
  });

  it('expands text fields literally', () => {
    expect(expandText('port ${{ p }} of ${{q}}', (n) => (n === 'p' ? '8000' : 'api'))).toBe('port 8000 of api');
  });
});

describe('destructive-looking commands', () => {
  const cases: [string, string | undefined][] = [
    ['kill -9 1234', 'kill'],
    ['pkill -f "python3 -m uvicorn"', 'kill'],
    ['rm -rf /tmp/x', 'rm'],
    ['docker-compose down', 'down'],
    ['docker-compose -f x.yml restart tradingbot', 'restart'],
    [`psql -c "DELETE FROM trades WHERE id = 1;"`, 'DELETE'],
    [`psql -c "drop table trades"`, 'DROP'],
    [`psql -c "TRUNCATE trades"`, 'TRUNCATE'],
    [`psql -c "VACUUM FULL trades;"`, 'VACUUM FULL'],
    ['curl -X DELETE http://localhost:8000/api/orders', 'DELETE'],
    ['docker run --rm alpine true', undefined],
    [`grep -E "restart|kill" app.log`, undefined],
    ['lsof -i :8000', undefined],
    ['docker ps --format "{{.Names}}"', undefined],
    ['echo shutdown', undefined],
  ];
  for (const [line, word] of cases) {
    it(`${line} → ${word ?? 'fine'}`, () => expect(looksDestructive(line)).toBe(word));
  }
});

describe('expandWith: one placeholder scanner for every caller', () => {
  it('renders each placeholder, keeps "$${{" a literal "${{", and leaves what the renderer leaves', () => {
    expect(expandWith('dir ${{ app_dir }}, literal $${{ app_dir }}, ${{ unset }}', (p, text) => (p.name === 'app_dir' ? '/opt/bot' : text))).toBe(
      'dir /opt/bot, literal ${{ app_dir }}, ${{ unset }}'
    );
  });

});
