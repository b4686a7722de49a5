// One precedence for every variable: --set flags, then IRM_VAR_<NAME> in the environment (--vars-file lines first), then irm.yaml, then the default.
import type { Runbook, Variable } from '../model/schema.js';
import { envName, findPlaceholders, expandText } from '../model/placeholders.js';
import { isSecretName, maskSecrets } from '../model/redact.js';
import { RunbookError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { lazyProperty } from '../util/lazy.js';
import type { Catalog, LoadedConfig } from './catalog.js';
import type { Diagnostic } from './diagnostics.js';
import { checkValue } from './validate.js';

export type VariableSource = 'flag' | 'env' | 'irm.yaml' | 'default' | 'unset';

export interface ResolvedVariable {
  name: string;
  value?: string;
  source: VariableSource;
  /** Where the value came from, in words: "--set", "IRM_VAR_API_PORT", "irm.yaml:12", "runbooks/manual.yaml". */
  where: string;
  secret: boolean;
  declaration: Variable;
  /** "manual" for the shared variables, or the runbook id that declares it. */
  declaredBy: string;
}

export { envName };

/** Parse repeated --set name=value flags. */
export function parseSets(sets: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of sets ?? []) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set expects name=value, got "${s}"`, 'for example: --set api_port=8080');
    out[s.slice(0, eq).trim()] = s.slice(eq + 1);
  }
  return out;
}

/** Every variable the manual or these runbooks declare: the names a command over several runbooks accepts. */
export function variableScope(catalog: Catalog, runbooks: readonly Runbook[]): Set<string> {
  return new Set([...Object.keys(catalog.manual.variables), ...runbooks.flatMap((rb) => Object.keys(rb.variables ?? {}))]);
}

/** A --set name that nothing in `declared` declares is a usage error, with the nearest declared name. */
export function checkSetNames(sets: Record<string, string>, declared: { has(name: string): boolean; keys(): Iterable<string> }, otherwise: { why?: string; hint: string }): void {
  for (const name of Object.keys(sets)) {
    if (declared.has(name)) continue;
    const c = closest(name, declared.keys());
    throw new UsageError(`unknown variable "${name}" in --set${otherwise.why ? `: ${otherwise.why}` : ''}`, c ? `did you mean "${c}"?` : otherwise.hint);
  }
}

export interface ResolveOptions {
  sets?: Record<string, string>;
  env: NodeJS.ProcessEnv;
  /** Where an IRM_VAR_<NAME> of `env` came from when not the environment ("--vars-file vars.env"). */
  where?: Record<string, string>;
}

/** The variables a runbook (or, without one, the manual) can use, each with its value and where it came from. */
export function resolveVariables(catalog: Catalog, runbook: Runbook | undefined, opts: ResolveOptions): Map<string, ResolvedVariable> {
  const decls: [string, Variable, string][] = [
    ...Object.entries(catalog.manual.variables).map(([n, v]) => [n, v, 'manual'] as [string, Variable, string]),
    ...Object.entries(runbook?.variables ?? {}).map(([n, v]) => [n, v, runbook!.id] as [string, Variable, string]),
  ];
  const declared = new Map(decls.map(([n, v, by]) => [n, { v, by }]));
  const sets = opts.sets ?? {};
  checkSetNames(sets, declared, { hint: `see the variables with: irm config${runbook ? ` ${runbook.id}` : ''}` });
  const cfgVars = catalog.config.config.variables ?? {};
  const cfgFile = catalog.config.source?.path ?? 'irm.yaml';
  const raw = new Map<string, ResolvedVariable>();
  for (const [name, { v, by }] of declared) {
    const secret = v.secret === true || isSecretName(name);
    const base = { name, secret, declaration: v, declaredBy: by };
    const env = opts.env[envName(name)];
    // Own values only: a variable named "constructor" has no value from Object.prototype.
    if (Object.hasOwn(sets, name) && sets[name] !== undefined) raw.set(name, { ...base, value: sets[name], source: 'flag', where: `--set ${name}` });
    else if (env !== undefined && env !== '') raw.set(name, { ...base, value: env, source: 'env', where: opts.where?.[envName(name)] ?? envName(name) });
    else if (Object.hasOwn(cfgVars, name) && cfgVars[name] !== undefined) {
      // The line is looked up only when shown: in a cached irm.yaml that means reading the file again with the YAML
      // parser, which a dry run or a check that shows no variable's origin need not pay.
      const source = catalog.config.source;
      const r: ResolvedVariable = { ...base, value: String(cfgVars[name]), source: 'irm.yaml', where: cfgFile };
      if (source) lazyProperty(r, 'where', () => {
        const line = source.at(['variables', name], '').line;
        return line ? `${cfgFile}:${line}` : cfgFile;
      });
      raw.set(name, r);
    } else if (v.default !== undefined) raw.set(name, { ...base, value: String(v.default), source: 'default', where: by === 'manual' ? 'manual default' : `${by} default` });
    else raw.set(name, { ...base, source: 'unset', where: 'no value' });
  }
  // Defaults (and only defaults) may refer to other variables.
  const resolving = new Set<string>();
  const done = new Map<string, ResolvedVariable>();
  const resolve = (name: string): ResolvedVariable | undefined => {
    const r = raw.get(name);
    if (!r) return undefined;
    if (done.has(name)) return done.get(name);
    if (r.source === 'default' && r.value !== undefined && findPlaceholders(r.value).found.length) {
      if (resolving.has(name)) throw new RunbookError(`variable defaults refer to each other in a cycle: ${[...resolving, name].join(' → ')}`);
      resolving.add(name);
      const value = expandText(r.value, (n) => resolve(n)?.value);
      resolving.delete(name);
      const res = { ...r, value };
      done.set(name, res);
      return res;
    }
    done.set(name, r);
    return r;
  };
  for (const name of raw.keys()) {
    try {
      resolve(name);
    } catch (e) {
      if (e instanceof RunbookError) throw e;
      // A default that refers to a variable without a value has no value itself.
      done.set(name, { ...raw.get(name)!, value: undefined, source: 'unset', where: 'no value (its default needs a variable without one)' });
    }
  }
  for (const r of done.values()) {
    if (r.value === undefined || r.source === 'default') continue;
    const problem = checkValue(r.declaration, r.value, r.secret);
    if (!problem) continue;
    if (r.source === 'irm.yaml') {
      const d = catalog.config.source?.at(['variables', r.name], `variable "${r.name}": ${maskSecrets(problem)}`, r.declaration.description, { secret: r.secret });
      throw new RunbookError(`invalid value for variable "${r.name}" in ${r.where}`, d ? [d] : []);
    }
    throw new UsageError(`invalid value for variable "${r.name}" (from ${r.where}): ${problem}`, r.declaration.description);
  }
  return done;
}

/** A lookup for placeholder expansion. */
export function lookupOf(vars: Map<string, ResolvedVariable>): (name: string) => string | undefined {
  return (name) => vars.get(name)?.value;
}

/** What to show of a variable's value: secrets masked. */
export function displayValue(r: ResolvedVariable): string {
  if (r.value === undefined) return '';
  if (r.secret) return '********';
  return maskSecrets(r.value);
}

/**
 * irm.yaml's variables against their declarations (the manual's, and those of the runbooks given): a value that fits
 * none of them is an error where it is set; a name nothing declares is a warning with the nearest declared name (a
 * misspelt api_port would otherwise leave the default in force without a word).
 */
export function configVariableDiagnostics(config: LoadedConfig, declarations: [name: string, variable: Variable, by: string][]): Diagnostic[] {
  const source = config.source;
  if (!source) return [];
  const out: Diagnostic[] = [];
  for (const [name, value] of Object.entries(config.config.variables ?? {})) {
    const decls = declarations.filter(([n]) => n === name);
    if (!decls.length) {
      const c = closest(name, new Set(declarations.map(([n]) => n)));
      // The line shows the value: masked when the name looks secret, or is a misspelling of a secret's.
      out.push(source.at(['variables', name], `variable "${name}" is not declared by the manual or any runbook, so nothing uses it`, c ? `did you mean "${c}"?` : 'irm config lists the variables', { key: true, severity: 'warning', secret: isSecretName(name) || declarations.some(([n, v]) => n === c && (v.secret === true || isSecretName(n))) }));
      continue;
    }
    for (const [, v, by] of decls) {
      const secret = v.secret === true || isSecretName(name);
      const problem = checkValue(v, String(value), secret);
      if (!problem) continue;
      out.push(source.at(['variables', name], `variable "${name}" (declared by ${by}): ${maskSecrets(problem)}`, v.description, { secret }));
      break;
    }
  }
  return out;
}
