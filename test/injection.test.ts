// Variables are data, never code, end to end: a value that would run a command if bash read it as code runs nothing,
// wherever its placeholder stands. Each case runs bin/irm on a runbook and looks for the file the value would create.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { irm, oneCauseRunbook, tree } from './helpers.js';

/** A runbook whose one check runs `run` (any lines), with a variable "word" of the given declaration. */
function runbook(run: string, word = '{ description: Any text, default: hello }'): string {
  const body = run.split('\n').map((l) => `          ${l}`);
  return oneCauseRunbook('inject', 'Injection', ['      - id: k', '        title: K', '        run: |', ...body], ['variables:', `  word: ${word}`]);
}

function runWith(run: string, value: (pwned: string) => string, word?: string) {
  const dir = tree({ 'lab/inject.yaml': runbook(run, word) });
  const pwned = join(dir, 'PWNED');
  const r = irm(['run', 'inject', '--runbooks', 'lab', '--yes', '--json', '--set', `word=${value(pwned)}`], { cwd: dir });
  return { r, pwned, dir, value: value(pwned) };
}

function excerpt(r: ReturnType<typeof irm>): string {
  return r.json().checks[0].output.excerpt;
}

describe('a value runs nothing, wherever its placeholder stands', () => {
  it('in the body of a here-document (<<END): the value is printed as it is', () => {
    const { r, pwned, value } = runWith('cat <<END\n[${{ word }}]\nEND', (f) => `$(touch ${f}) \`touch ${f}\` '$(touch ${f})'`);
    expect(r.code, r.stderr).toBe(0);
    expect(excerpt(r)).toBe(`[${value}]\n`);
    expect(existsSync(pwned)).toBe(false);
  });

  it("in the body of a here-document with a quoted delimiter (<<'END'): a value that would end it early is refused", () => {
    const { r, pwned } = runWith("cat <<'END'\n[${{ word }}]\nEND", (f) => `x\nEND\ntouch ${f} #`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the value of "word" holds a line break');
    expect(existsSync(pwned)).toBe(false);
    const fine = runWith("cat <<'END'\n[${{ word }}]\nEND", (f) => `$(touch ${f})`);
    expect(excerpt(fine.r)).toBe(`[${fine.value}]\n`);
    expect(existsSync(fine.pwned)).toBe(false);
  });

  it('in a comment: a line break in the value does not end it', () => {
    const { r, pwned } = runWith('echo hi # note ${{ word }}', (f) => `a\ntouch ${f} #`);
    expect(r.code, r.stderr).toBe(0);
    expect(excerpt(r)).toBe('hi\n');
    expect(existsSync(pwned)).toBe(false);
  });

  it("inside $'...', where a backslash escapes a quote", () => {
    const { r, pwned, value } = runWith("printf '%s\\n' $'[${{ word }}]'", (f) => `\\'; touch ${f} #`);
    expect(r.code, r.stderr).toBe(0);
    expect(excerpt(r)).toBe(`[${value}]\n`);
    expect(existsSync(pwned)).toBe(false);
  });

  it('in bash arithmetic ([[ 5 -gt x ]]): a text variable there does not validate, and the runbook runs nothing', () => {
    const run = '[[ 5 -gt ${{ word }} ]] && echo y';
    const { r, pwned, dir } = runWith(run, (f) => `a[$(touch ${f})]`);
    expect(r.code).not.toBe(0);
    expect(existsSync(pwned)).toBe(false);
    const v = irm(['validate', 'lab'], { cwd: dir });
    expect(v.code).toBe(3);
    expect(v.stderr + v.stdout).toContain('placeholder "word" stands as an operand of -gt in [[ ]]');
  });

  it('in bash arithmetic, an integer variable takes a number and refuses anything else', () => {
    const run = '[[ 5 -gt ${{ word }} ]] && echo y; echo $(( ${{ word }} * 2 ))';
    const integer = '{ description: A count, type: integer, default: 1 }';
    const ok = runWith(run, () => '3', integer);
    expect(ok.r.code, ok.r.stderr).toBe(0);
    expect(excerpt(ok.r)).toBe('y\n6\n');
    const { r, pwned } = runWith(run, (f) => `a[$(touch ${f})]`, integer);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('expected an integer');
    expect(existsSync(pwned)).toBe(false);
  });

  it('where a shell reads it as code (bash -c, eval, ssh, a pipe into sh, >&): such runbooks do not validate, and run nothing', () => {
    for (const run of ['bash -c "echo [${{ word }}]"', 'eval "echo [${{ word }}]"', 'echo ${{ word }} | sh', 'echo hi >&${{ word }}', 'ssh -o BatchMode=yes nohost.invalid echo ${{ word }}']) {
      const { r, pwned, dir } = runWith(run, (f) => `$(touch ${f})`);
      expect(r.code, run).not.toBe(0);
      expect(existsSync(pwned), run).toBe(false);
      const v = irm(['validate', 'lab'], { cwd: dir });
      expect(v.code, run).toBe(3);
      expect(v.stderr + v.stdout, run).toContain('its value would be code there');
    }
    // As the diagnostics advise: bash -c reads it from the environment or as an argument, and prints it as it is.
    const { r, pwned, value } = runWith(`bash -c 'printf "[%s]\\n" "$IRM_VAR_WORD" "$1"' _ \${{ word }}`, (f) => `$(touch ${f}); touch ${f}`);
    expect(r.code, r.stderr).toBe(0);
    expect(excerpt(r)).toBe(`[${value}]\n[${value}]\n`);
    expect(existsSync(pwned)).toBe(false);
    // An enum of plain words may stand in bash -c.
    const word = '{ description: A mode, type: enum, values: [fast, slow], default: fast }';
    const ok = runWith('bash -c "echo mode=${{ word }}"', () => 'slow', word);
    expect(ok.r.code, ok.r.stderr).toBe(0);
    expect(excerpt(ok.r)).toBe('mode=slow\n');
  });
});
