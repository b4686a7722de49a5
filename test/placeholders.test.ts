// Variables are data, never code: every expansion is checked by running the line in a real shell.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandShell, expandText, expandWith, findShellPlaceholders, MissingVariableError, UnsafeValueError } from '../src/model/placeholders.js';
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

/** Runs a line with bash, with irm's variables in the environment as the engine gives them. */
function bash(line: string, env: Record<string, string> = {}): string {
  const r = spawnSync('bash', ['-c', line], { encoding: 'utf8', env: { ...process.env, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

const contexts = (line: string) => findShellPlaceholders(line).found.map((p) => `${p.name}:${p.context}`);

describe('lines of the same shape are scanned once', () => {
  it('gives each line its own names and positions, and the shape\'s contexts', () => {
    const a = findShellPlaceholders('cat <<END\n[${{ word }}] # ${{ w }}\nEND\n(( ${{ n }} + 1 ))');
    const b = findShellPlaceholders('cat <<END\n[${{ text }}] # ${{ x }}\nEND\n(( ${{ m }} + 1 ))');
    expect(a.found.map((p) => [p.name, p.context])).toEqual([['word', 'heredoc'], ['w', 'heredoc'], ['n', 'arithmetic']]);
    expect(b.found.map((p) => [p.name, p.context])).toEqual([['text', 'heredoc'], ['x', 'heredoc'], ['m', 'arithmetic']]);
    const line = 'echo ${{ longer_name }} ${{ y }}';
    expect(findShellPlaceholders(line).found.map((p) => line.slice(p.start, p.end))).toEqual(['${{ longer_name }}', '${{ y }}']);
  });

  it('where bash reads a name as text (after an escaped $${{, a here-document delimiter), the line is scanned as it is', () => {
    findShellPlaceholders('x=$${{ aaaa }} ${{ y }}');
    expect(findShellPlaceholders('x=$${{ eval }} ${{ y }}').found.map((p) => [p.name, p.context])).toEqual([['y', 'code']]);
    findShellPlaceholders("cat <<'${{ a }}'\n${{ b }}\necho ${{ c }}\n${{ a }}");
    const r = findShellPlaceholders("cat <<'${{ x }}'\n${{ y }}\necho ${{ z }}\n${{ x }}");
    expect(r.found.map((p) => [p.name, p.context])).toEqual(expect.arrayContaining([['y', 'literal-heredoc'], ['z', 'literal-heredoc']]));
  });

  it('a malformed name keeps its own message, whatever shape was seen before', () => {
    findShellPlaceholders('echo ${{ ok }}');
    const r = findShellPlaceholders('echo ${{ Bad }}');
    expect(r.problems.map((p) => p.message)).toEqual([expect.stringContaining('malformed placeholder "${{ Bad }}"')]);
  });
});

describe("$'...' strings", () => {
  for (const value of [...NASTY, "\\'; touch /tmp/irm-pwned-$$ #", '\\n\\x41\\\\']) {
    it(`keeps ${JSON.stringify(value)} literal text inside $'...', where backslash escapes are read`, () => {
      const line = expandShell("printf '%s|' $'pre-${{ v }}-post' x$'\\t'${{ v }}", () => value);
      expect(bash(line)).toBe(`pre-${value}-post|x\t${value}|`);
    });
  }

  it("knows $'...' from '...' and from a $ inside double quotes", () => {
    expect(contexts("echo $'a\\'${{ a }}' ${{ b }} \"$'${{ c }}'\" $\"${{ d }}\"")).toEqual(['a:ansi', 'b:none', 'c:double', 'd:double']);
  });
});

describe('bash arithmetic', () => {
  it('knows where bash evaluates text as an arithmetic expression', () => {
    const where = (line: string) => findShellPlaceholders(line).found.map((p) => `${p.name}:${p.context === 'arithmetic' ? p.where : p.context}`);
    expect(where('if [[ ${{ a }} -lt 3 && "${{ b }}" == x || ( "${{ c }}" -ge 1 ) ]]; then echo ${{ d }}; fi')).toEqual([
      'a:as an operand of -lt in [[ ]]',
      'b:double',
      'c:as an operand of -ge in [[ ]]',
      'd:none',
    ]);
    expect(where('[[ ${{ a }} < ${{ b }} ]]; test ${{ c }} -gt 1; [ ${{ d }} -eq 1 ]; echo ${{ e }} -gt 1')).toEqual(['a:none', 'b:none', 'c:none', 'd:none', 'e:none']);
    expect(where('echo $(( ${{ a }} + "${{ b }}" )) $[ ${{ c }} ] "$(( ${{ d }} ))"')).toEqual(['a:in $(( ))', 'b:in $(( ))', 'c:in $[ ]', 'd:in $(( ))']);
    expect(where("if (( '${{ a }}' > 1 )); then for (( i=${{ b }}; i<3; i++ )); do :; done; fi")).toEqual(['a:in (( ))', 'b:in for (( ))']);
    expect(where('let n=${{ a }} "m=${{ b }}"')).toEqual(['a:as an argument of let', 'b:as an argument of let']);
    expect(where('declare -i n=${{ a }}; n=${{ b }}; m=${{ c }}; local -i k; k+=${{ d }}; declare n2=${{ e }}')).toEqual([
      'a:in the value of an integer variable (declare -i)',
      'b:in the value of an integer variable (declare -i)',
      'c:none',
      'd:in the value of an integer variable (declare -i)',
      'e:none',
    ]);
    expect(where('a[${{ a }}]=1; declare -A m; m[${{ b }}]=2; echo ${a[${{ c }}]} ${m[${{ d }}]} a[${{ e }}] ${x:-${{ f }}}')).toEqual([
      'a:in an array subscript',
      'b:none',
      'c:in an array subscript',
      'd:none',
      'e:none',
      'f:none',
    ]);
    expect(where('a=( [${{ a }}]=x ${{ b }} ); echo "${x:${{ c }}:2}" ${x: -${{ d }}}')).toEqual([
      'a:in an array subscript',
      'b:none',
      'c:in the offset or length of ${name:offset:length}',
      'd:in the offset or length of ${name:offset:length}',
    ]);
    expect(where('cat <<E\n$(( ${{ a }} )) ${{ b }}\nE\ncase x in (y) (( ${{ c }} ));; esac')).toEqual(['a:in $(( ))', 'b:heredoc', 'c:in (( ))']);
    expect(where('echo $(( $(echo ${{ a }}) ))')).toEqual(['a:substitution']);
  });

  it('takes a plain number and refuses anything bash could read as a name', () => {
    const line = '[[ 5 -gt ${{ n }} ]] && echo y; echo $(( ${{ n }} * 2 ))';
    expect(bash(expandShell(line, () => '3'))).toBe('y\n6\n');
    expect(bash(expandShell(line, () => '-4'))).toBe('y\n-8\n');
    for (const bad of ['a[$(touch /tmp/irm-pwned)]', 'n', '1+x', '0x1f', ' 5', '', '1e3']) {
      expect(() => expandShell(line, () => bad), bad).toThrow(UnsafeValueError);
    }
  });
});

describe('where a shell reads a value as code', () => {
  const where = (line: string) => findShellPlaceholders(line).found.map((p) => `${p.name}:${p.context === 'code' ? p.where : p.context}`);

  it('eval, trap, bash -c (after sudo, docker exec, find -exec...), but not the arguments after its command string', () => {
    expect(where('eval "echo ${{ a }}"; echo eval ${{ b }}; trap "rm ${{ c }}" EXIT; trap - ${{ d }}')).toEqual([
      'a:as an argument of eval, which runs it as shell code',
      'b:none',
      "c:in trap's command, which bash runs as shell code",
      'd:none',
    ]);
    const c = (sh: string) => `c:in the command string of ${sh} -c, which that shell reads as code`;
    expect(where('bash -c "echo ${{ a }}" _ ${{ b }}; sudo -u x sh -ec "${{ c }}"; bash ./x.sh ${{ d }}; pgrep -x sh ${{ e }}')).toEqual([
      'a:in the command string of bash -c, which that shell reads as code',
      'b:none',
      c('sh'),
      'd:none',
      'e:none',
    ]);
    expect(where('docker exec ${{ a }} /bin/bash -o pipefail -c "x ${{ c }}"; find . -exec sh -c \'x\' ${{ b }} \\;')).toEqual(['a:none', c('bash'), 'b:none']);
  });

  it("a shell's input: a pipe, a here-string, a here-document", () => {
    const stdin = (sh: string) => `in the input of ${sh}, which reads it as a script`;
    expect(where('echo ${{ a }} | tee x | sh -s; echo ${{ b }} | cat; bash <<< "${{ c }}"; bash -c x <<< ${{ d }}')).toEqual([`a:${stdin('sh')}`, 'b:none', `c:${stdin('bash')}`, 'd:none']);
    expect(where('cat <<E | bash\n${{ a }}\nE\nbash <<\'E\'\n${{ b }}\nE\ncat <<E\n${{ c }}\nE')).toEqual([`a:${stdin('bash')}`, `b:${stdin('bash')}`, 'c:heredoc']);
  });

  it("ssh's remote command and input, su -c, watch, and ssh options that run a local command", () => {
    const remote = "in ssh's remote command, which the remote shell reads as code";
    expect(where('ssh ${{ a }} uptime ${{ b }}; ssh -p 22 -i ${{ c }} host "cat ${{ d }}"; ssh -o ProxyCommand=${{ e }} h; ssh h <<E\n${{ f }}\nE')).toEqual([
      'a:none',
      `b:${remote}`,
      'c:none',
      `d:${remote}`,
      'e:in a command that ssh runs with a shell',
      'f:in the input of ssh, which the remote shell reads as a script',
    ]);
    expect(where('su - postgres -c "psql ${{ a }}"; watch -n 5 "cat ${{ b }}"; watch -x cat ${{ c }}')).toEqual([
      'a:in the command of su -c, which a shell reads as code',
      'b:in the command of watch, which runs it with sh -c',
      'c:none',
    ]);
  });

  it("variables' names, the word after >&, prompt strings", () => {
    const name = 'as the name of a variable, whose [subscript] bash evaluates as code';
    expect(where('read ${{ a }} <<< x; printf -v ${{ b }} %s x; [[ -v ${{ c }} ]]; declare "${{ d }}=1"; declare -n r=${{ e }}; local x=${{ f }}')).toEqual([
      `a:${name}`,
      `b:${name}`,
      `c:${name}`,
      `d:${name}`,
      `e:${name}`,
      'f:none',
    ]);
    expect(where('echo hi >&${{ a }}; echo hi 2>&${{ b }} >${{ c }}; PS4=${{ d }}')).toEqual([
      'a:after >&, where bash expands the word twice',
      'b:none',
      'c:none',
      'd:in a prompt string, which bash expands again',
    ]);
  });

  it('takes a plain word there and refuses anything else', () => {
    const line = 'bash -c "echo ${{ v }}"';
    expect(bash(expandShell(line, () => 'db-1.internal:5432'))).toBe('db-1.internal:5432\n');
    for (const bad of ['$(touch /tmp/irm-pwned)', 'a b', "it's", 'x;y', 'a[1]', '*', '']) {
      expect(() => expandShell(line, () => bad), bad).toThrow(UnsafeValueError);
    }
  });
});

describe('here-documents', () => {
  const RUNS = `$(touch /tmp/irm-pwned-$$) \`touch /tmp/irm-pwned-$$\` \${HOME} $HOME \\$(x)`;
  for (const value of [...NASTY, RUNS, 'x\nEND\ntouch /tmp/irm-pwned-$$ #']) {
    it(`keeps ${JSON.stringify(value)} literal text in the body of <<END`, () => {
      const line = expandShell('cat <<END\n[${{ v }}] "${{ v }}"\nEND\necho after', () => value);
      expect(line).toBe('cat <<END\n[${IRM_VAR_V}] "${IRM_VAR_V}"\nEND\necho after');
      expect(bash(line, { IRM_VAR_V: value })).toBe(`[${value}] "${value}"\nafter\n`);
    });
  }

  it('knows the body from the lines around it: <<END, <<-END, quoted delimiters, two documents on a line', () => {
    expect(contexts('cat <<END\n${{ a }}\nEND\necho ${{ b }}')).toEqual(['a:heredoc', 'b:none']);
    expect(contexts("cat <<'END' <<\"E2\"; echo ${{ a }}\n${{ b }}\nEND\n${{ c }}\nE2\n${{ d }}")).toEqual(['a:none', 'b:literal-heredoc', 'c:literal-heredoc', 'd:none']);
    expect(contexts('cat <<\\END\n${{ a }}\nEND')).toEqual(['a:literal-heredoc']);
    expect(contexts('cat <<-END\n\t${{ a }}\n\tEND\n${{ b }}')).toEqual(['a:heredoc', 'b:none']);
    // a backslash-newline joins two lines of an unquoted body before bash looks for the delimiter
    expect(contexts('cat <<END\nx\\\nEND\n${{ a }}\nEND\n${{ b }}')).toEqual(['a:heredoc', 'b:none']);
    expect(contexts('x=$(cat <<END\n${{ a }}\nEND\n)')).toEqual(['a:substitution']);
    expect(contexts('cat <<E${{ a }}\nx\nE')).toEqual(['a:code']);
  });

  it("puts a value as it is into a body that nothing expands (<<'END'), and refuses one whose line break could end it", () => {
    expect(bash(expandShell("cat <<'END'\n[${{ v }}]\nEND", () => "$(touch /tmp/irm-pwned-$$) it's"))).toBe("[$(touch /tmp/irm-pwned-$$) it's]\n");
    expect(() => expandShell("cat <<'END'\n${{ v }}\nEND", () => 'x\nEND\ntouch /tmp/irm-pwned')).toThrow(UnsafeValueError);
  });
});

describe('comments', () => {
  it('a line break in a value does not end the comment its placeholder stands in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'irm-comment-'));
    const pwned = join(dir, 'PWNED');
    const value = `a\ntouch ${pwned} #`;
    const line = expandShell('echo hi # note ${{ v }}\necho "${{ v }}" | wc -l', () => value);
    expect(line).toBe(`echo hi # note "\${IRM_VAR_V}"\necho "${value}" | wc -l`);
    expect(bash(line, { IRM_VAR_V: value })).toBe('hi\n2\n');
    expect(existsSync(pwned)).toBe(false);
  });

  it('a comment starts where a word does, not inside one, quotes or ${#...}', () => {
    expect(contexts('echo a#${{ a }} "#${{ b }}" ${#x} $# # ${{ c }}\necho ${{ d }};#${{ e }}')).toEqual(['a:none', 'b:double', 'c:comment', 'd:none', 'e:comment']);
    // an apostrophe in a comment opens no quote
    expect(contexts("echo x # don't\necho ${{ a }}")).toEqual(['a:none']);
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
    ['/bin/kill 1', 'kill'],
    ['sudo /usr/bin/systemctl stop nginx', 'stop'],
    ['systemctl stop postgresql', 'stop'],
    ['service redis stop', 'stop'],
    ['docker stop x', 'stop'],
    ['docker rm -f x', 'rm'],
    ['docker-compose stop', 'stop'],
    ['docker compose -f x.yml stop app', 'stop'],
    ['shutdown -h now', 'shutdown'],
    ['sudo /sbin/reboot', 'reboot'],
    ['echo reboot; cat shutdown.log', undefined],
    ['find /var/log -name "*.gz" -delete', 'find -delete'],
    ['truncate -s 0 /var/log/app.log', 'truncate'],
    ['echo > logfile', '> logfile'],
    ['cmd &> out.txt', '> out.txt'],
    ['pg_dump db > backup_$(date +%s).sql', '> backup_$(...)'],
    ['echo hi >> log', undefined],
    ['cmd 2>/dev/null >/dev/null', undefined],
    ['echo hi >&2 2>&1', undefined],
    ['[[ a > b ]] && (( 3 > 2 )) && echo $(( 1 > 0 ))', undefined],
    ['cat x # a > b', undefined],
    ['diff <(a) >(b)', undefined],
    ["awk '$1 > 5 { print }' x", undefined],
    ['docker logs x 2>&1 | grep stop', undefined],
    ['systemctl status postgresql | grep -c stop', undefined],
    ['docker ps --filter status=exited', undefined],
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
