// A command of a runbook made concrete for one deployment: the form that applies, with its variables filled in.
import type { CommandSpec } from './schema.js';
import { expandShell, expandText, findPlaceholders, findShellPlaceholders, renderShell, shellQuote, UnsafeValueError, type Lookup } from './placeholders.js';

export type Deployment = 'docker' | 'host';

export type CommandForm = { shell: true; line: string } | { shell: false; argv: string[] };

/** The form of a command for a deployment, or undefined when it has none (a docker-only command on a host). */
export function selectForm(spec: CommandSpec, deployment: string): CommandForm | undefined {
  if (typeof spec.run === 'string') return { shell: true, line: spec.run };
  if (spec.run) {
    const line = spec.run[deployment as Deployment];
    return line === undefined ? undefined : { shell: true, line };
  }
  if (Array.isArray(spec.argv)) return { shell: false, argv: spec.argv };
  if (spec.argv) {
    const argv = spec.argv[deployment as Deployment];
    return argv === undefined ? undefined : { shell: false, argv };
  }
  return undefined;
}

export function hasCommand(spec: CommandSpec): boolean {
  return spec.run !== undefined || spec.argv !== undefined;
}

/** The deployments a command has a form for. */
export function formsOf(spec: CommandSpec): string[] {
  if (typeof spec.run === 'string' || Array.isArray(spec.argv)) return ['docker', 'host'];
  return Object.keys((spec.run ?? spec.argv ?? {}) as object);
}

/** Ready to run: every placeholder filled; throws MissingVariableError naming the first variable without a value. */
export function expandForm(form: CommandForm, lookup: Lookup): CommandForm {
  if (form.shell) return { shell: true, line: expandShell(form.line, lookup) };
  return { shell: false, argv: form.argv.map((a) => expandText(a, lookup)) };
}

/**
 * For reading: the command line as it would run, placeholders without a value left as ${{ name }}
 * and secret values masked.
 */
export function displayForm(form: CommandForm, lookup: Lookup, isSecret: (name: string) => boolean): string {
  const show = (name: string, fallback: string, quote: (v: string) => string) => {
    if (isSecret(name)) return '********';
    const v = lookup(name);
    return v === undefined ? fallback : quote(v);
  };
  if (form.shell) {
    const { found } = findShellPlaceholders(form.line);
    let out = '';
    let last = 0;
    for (const p of found) {
      // In a here-document or a comment the line names the value's environment variable, which shows nothing of it.
      const text = p.context === 'heredoc' || p.context === 'comment' ? renderShell(p, '') : show(p.name, form.line.slice(p.start, p.end), (v) => shownShell(p, v));
      out += form.line.slice(last, p.start) + text;
      last = p.end;
    }
    return (out + form.line.slice(last)).split('$${{').join('${{');
  }
  return form.argv
    .map((a) => {
      const { found } = findPlaceholders(a);
      let out = '';
      let last = 0;
      for (const p of found) {
        out += a.slice(last, p.start) + show(p.name, a.slice(p.start, p.end), (v) => v);
        last = p.end;
      }
      return shellQuote(out + a.slice(last));
    })
    .join(' ');
}

/** A value as it will stand in the line that runs; where irm would refuse it, as it is (the refusal says why). */
function shownShell(p: Parameters<typeof renderShell>[0], value: string): string {
  try {
    return renderShell(p, value);
  } catch (e) {
    if (e instanceof UnsafeValueError) return value;
    throw e;
  }
}

/** Variables a command refers to, in order of appearance. */
export function commandVariables(spec: CommandSpec): string[] {
  const names = new Set<string>();
  const add = (s: string) => findPlaceholders(s).found.forEach((p) => names.add(p.name));
  if (typeof spec.run === 'string') add(spec.run);
  else if (spec.run) Object.values(spec.run).forEach((l) => l && add(l));
  if (Array.isArray(spec.argv)) spec.argv.forEach(add);
  else if (spec.argv) Object.values(spec.argv).forEach((a) => a?.forEach(add));
  return [...names];
}
