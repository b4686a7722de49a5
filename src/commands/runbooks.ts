// irm list, irm show, irm validate and irm config: the runbooks and settings as data.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Context } from '../context.js';
import { displayPath, findConfig, loadConfigFile, loadFile, misplacedManual, runbookDirs, yamlFiles, BUILTIN_DIR, CONFIG_NAMES, type RunbookEntry } from '../load/catalog.js';
import type { Diagnostic } from '../load/diagnostics.js';
import { configVariableDiagnostics, displayValue, lookupOf, type ResolvedVariable } from '../load/variables.js';
import { displayForm, formsOf, selectForm } from '../model/command.js';
import { expandWith } from '../model/placeholders.js';
import { isSecretName, MASK } from '../model/redact.js';
import type { CommandSpec, Runbook, Variable } from '../model/schema.js';
import { UsageError } from '../errors.js';
import { channels, people, services } from './reference.js';

export interface ListItem {
  id: string;
  title: string;
  severity: string;
  source: string;
  file: string;
  overrides?: string;
}

export function list(ctx: Context): ListItem[] {
  const catalog = ctx.catalog();
  return catalog.runbooks.map((e) => {
    const item: ListItem = { id: e.runbook.id, title: e.runbook.title, severity: e.runbook.severity, source: e.origin, file: e.source.path };
    if (e.overrides) item.overrides = `${e.overrides.origin} (${e.overrides.source.path})`;
    return item;
  });
}

/** A command as an operator reads it: the line that would run here, with its risk. */
export interface CommandView {
  command?: string;
  unavailable?: string;
  risk: string;
  timeout?: string | number;
  impact?: string;
  confirm?: string;
  stream?: boolean;
}

export interface ShowResult {
  id: string;
  source: string;
  file: string;
  deployment: string;
  runbook: Runbook;
  /** Each command of the runbook as it would run with the current variables, keyed by its path in the runbook. */
  commands: Record<string, CommandView>;
  variables: { name: string; value: string; source: string; description: string }[];
  /** Fill a text field's placeholders with the current values (secrets masked), for reading. */
  text: (s: string) => string;
}

export function show(ctx: Context, id: string): ShowResult {
  const entry = ctx.runbook(id);
  const vars = ctx.variables(entry);
  const rb = entry.runbook;
  const deployment = vars.get('deployment')?.value ?? 'docker';
  const commands: Record<string, CommandView> = {};
  const add = (key: string, spec: CommandSpec, defaultRisk?: string) => {
    if (spec.run === undefined && spec.argv === undefined) return;
    commands[key] = commandView(spec, vars, deployment, defaultRisk);
  };
  rb.causes.forEach((c) => {
    c.checks.forEach((k) => add(`${c.id}.${k.id}`, k, 'read'));
    c.solution.forEach((s, i) => add(`${c.id}.solution.${i}`, s));
  });
  (rb.mitigations ?? []).forEach((s, i) => add(`mitigations.${i}`, s));
  const mentioned = new Set(JSON.stringify(rb).match(/\$\{\{\s*[a-z0-9_]+\s*\}\}/g)?.map((s) => s.replace(/[${}\s]/g, '')) ?? []);
  const variables = [...vars.values()]
    .filter((v) => mentioned.has(v.name) || v.declaredBy === rb.id || v.name === 'deployment')
    .map((v) => ({ name: v.name, value: v.value === undefined ? '' : displayValue(v), source: v.where, description: v.declaration.description }));
  const text = (s: string) =>
    expandWith(s, (p, placeholder) => {
      const v = vars.get(p.name);
      return v?.value === undefined ? placeholder : displayValue(v);
    });
  return { id: rb.id, source: entry.origin, file: entry.source.path, deployment, runbook: withSecretsMasked(rb), commands, variables, text };
}

/** The runbook as data with its secrets' defaults masked: --json prints it whole, and a default can be a real secret. */
function withSecretsMasked(rb: Runbook): Runbook {
  if (!rb.variables) return rb;
  const variables = Object.fromEntries(
    Object.entries(rb.variables).map(([name, v]) => [name, v.default !== undefined && (v.secret === true || isSecretName(name)) ? { ...v, default: MASK } : v])
  );
  return { ...rb, variables };
}

export function commandView(spec: CommandSpec, vars: Map<string, ResolvedVariable>, deployment: string, defaultRisk?: string): CommandView {
  const form = selectForm(spec, deployment);
  const view: CommandView = { risk: spec.risk ?? defaultRisk ?? 'read' };
  if (form) view.command = displayForm(form, lookupOf(vars), (n) => vars.get(n)?.secret ?? false);
  else view.unavailable = `not for a ${deployment} deployment (only ${formsOf(spec).join(', ')})`;
  if (spec.timeout !== undefined) view.timeout = spec.timeout;
  if (spec.impact) view.impact = spec.impact;
  if (spec.confirm) view.confirm = spec.confirm;
  if (spec.stream) view.stream = true;
  return view;
}

// ---- validate ----------------------------------------------------------------------------------

export interface ValidateResult {
  files: { file: string; kind: string; id?: string; errors: number; warnings: number }[];
  diagnostics: Diagnostic[];
  errors: number;
  warnings: number;
}

/**
 * Validate files or folders (default: every folder irm would load, and irm.yaml), on the loader's terms: ids are
 * unique within a folder (a later folder overrides an earlier one), irm.yaml in a runbook folder is settings, only the
 * built-in manual is of kind manual. Beyond the loader, irm.yaml's variables are checked against their declarations.
 */
export function validate(ctx: Context, paths: string[]): ValidateResult {
  const cwd = ctx.io.cwd;
  const manualFile = resolve(BUILTIN_DIR, 'manual.yaml');
  const manual = loadFile(manualFile, undefined, 'runbooks/manual.yaml').manual;
  const targets = new Map<string, { file: string; config?: boolean }>();
  const add = (file: string, config = false) => targets.has(file) || targets.set(file, { file, config });
  const folderProblems: Diagnostic[] = [];
  if (paths.length === 0) {
    add(manualFile);
    const cfg = findConfig({ cwd, env: ctx.io.env, configFile: ctx.options.config });
    if (cfg) add(cfg, true);
    let dirs: string[];
    try {
      const catalog = ctx.loadedCatalog();
      dirs = catalog.dirs.filter((d) => !d.problem).map((d) => d.dir);
      folderProblems.push(...catalog.dirs.flatMap((d) => (d.problem ? [d.problem] : [])));
    } catch (e) {
      // A runbook folder given with --runbooks that is not there is the caller's mistake, said as such (exit 2).
      if (e instanceof UsageError) throw e;
      // An invalid irm.yaml (reported below, as a file of its own): the folders it does not name are still checked.
      const all = runbookDirs({ cwd, env: ctx.io.env, runbookDirs: ctx.options.runbooks });
      const missing = all.find((d) => d.origin === '--runbooks' && !existsSync(d.dir));
      if (missing) throw new UsageError(`runbook folder not found: ${displayPath(missing.dir, cwd)} (from --runbooks)`, 'check the path');
      dirs = all.map((d) => d.dir).filter((d) => existsSync(d));
    }
    for (const d of dirs) for (const f of yamlFiles(d)) add(f);
  } else {
    for (const p of paths) {
      const abs = resolve(cwd, p);
      if (!existsSync(abs)) throw new UsageError(`no such file or folder: ${p}`);
      if (statSync(abs).isDirectory()) {
        const files = yamlFiles(abs);
        const cfg = CONFIG_NAMES.map((n) => join(abs, n)).filter((f) => existsSync(f));
        if (!files.length && !cfg.length) throw new UsageError(`no runbook files in ${p}`, 'runbooks are *.yaml or *.yml files directly in the folder (subfolders are not read)');
        for (const f of cfg) add(f, true);
        for (const f of files) add(f);
      } else add(abs, CONFIG_NAMES.includes(basename(abs)));
    }
  }
  const result: ValidateResult = { files: [], diagnostics: [], errors: 0, warnings: 0 };
  const count = (diags: Diagnostic[]) => {
    const errors = diags.filter((d) => d.severity === 'error').length;
    result.diagnostics.push(...diags);
    result.errors += errors;
    result.warnings += diags.length - errors;
    return errors;
  };
  // Ids are unique within a folder; the same id in another folder overrides it, as when irm loads them.
  const ids = new Map<string, string>();
  const declarations: [string, Variable, string][] = Object.entries(manual?.variables ?? {}).map(([n, v]) => [n, v, 'the manual']);
  const configs: { file: string; entry: ValidateResult['files'][number] }[] = [];
  for (const t of targets.values()) {
    const shown = t.file.startsWith(BUILTIN_DIR) ? `runbooks/${t.file.slice(BUILTIN_DIR.length)}` : displayPath(t.file, cwd);
    let diags: Diagnostic[];
    let kind = 'config';
    let id: string | undefined;
    if (t.config) diags = loadConfigFile(t.file, manual, shown).diagnostics;
    else {
      const r = loadFile(t.file, manual, shown);
      diags = [...r.diagnostics];
      kind = r.kind;
      if (r.kind === 'manual' && t.file !== manualFile && !diags.length) diags.push(misplacedManual(r.source));
      if (r.runbook) {
        id = r.runbook.id;
        const key = `${dirname(t.file)}\0${id}`;
        const other = ids.get(key);
        if (other) diags.push(r.source.at(['id'], `duplicate runbook id "${id}": also defined in ${other}`, 'ids are unique within a folder; a runbook in another folder with the same id overrides it'));
        else ids.set(key, shown);
        declarations.push(...Object.entries(r.runbook.variables ?? {}).map(([n, v]) => [n, v, `runbook ${r.runbook!.id}`] as [string, Variable, string]));
      }
    }
    const errors = count(diags);
    const file: ValidateResult['files'][number] = { file: shown, kind, errors, warnings: diags.length - errors };
    if (id) file.id = id;
    result.files.push(file);
    if (t.config && !errors) configs.push({ file: t.file, entry: file });
  }
  // irm.yaml's variables, now that every runbook validated has said which it declares (and those irm loads, when
  // irm.yaml is validated on its own).
  if (configs.length && paths.length) {
    try {
      for (const e of ctx.loadedCatalog().runbooks) declarations.push(...Object.entries(e.runbook.variables ?? {}).map(([n, v]) => [n, v, `runbook ${e.runbook.id}`] as [string, Variable, string]));
    } catch {
      // What does not load is reported where it is validated.
    }
  }
  for (const c of configs) {
    const loaded = loadConfigFile(c.file, manual, c.entry.file).loaded;
    if (!loaded) continue;
    const diags = configVariableDiagnostics(loaded, declarations);
    const errors = count(diags);
    c.entry.errors += errors;
    c.entry.warnings += diags.length - errors;
  }
  // A folder irm.yaml names is a mistake in irm.yaml.
  for (const d of folderProblems) {
    const errors = count([d]);
    const entry = result.files.find((f) => f.file === d.file);
    if (entry) entry.errors += errors;
  }
  return result;
}

// ---- config ------------------------------------------------------------------------------------

export function config(ctx: Context, runbookId?: string) {
  const catalog = ctx.catalog();
  const entry: RunbookEntry | undefined = runbookId ? ctx.runbook(runbookId) : undefined;
  const vars = ctx.variables(entry);
  return {
    config_file: catalog.config.file ? displayPath(catalog.config.file, ctx.io.cwd) : null,
    runbook_dirs: catalog.dirs.map((d) => ({
      dir: d.origin === 'built-in' ? 'runbooks/' : displayPath(d.dir, ctx.io.cwd),
      origin: d.origin,
      ...(d.problem ? { problem: d.problem.message } : {}),
    })),
    // irm.yaml's variables that nothing declares: a misspelt name leaves the default in force.
    undeclared_variables: configVariableDiagnostics(catalog.config, [
      ...Object.entries(catalog.manual.variables).map(([n, v]) => [n, v, 'the manual'] as [string, Variable, string]),
      ...catalog.runbooks.flatMap((e) => Object.entries(e.runbook.variables ?? {}).map(([n, v]) => [n, v, e.runbook.id] as [string, Variable, string])),
    ])
      .filter((d) => d.severity === 'warning')
      .map((d) => ({ where: `${d.file}:${d.line}`, message: d.message, ...(d.hint ? { hint: d.hint } : {}) })),
    strict: ctx.options.strict ?? catalog.config.config.strict ?? false,
    variables: [...vars.values()].map((v) => ({
      name: v.name,
      value: v.value === undefined ? null : displayValue(v),
      source: v.source,
      where: v.where,
      declared_by: v.declaredBy,
      description: v.declaration.description,
      ...(v.secret ? { secret: true } : {}),
    })),
    contacts: people(catalog),
    services: services(catalog),
    channels: channels(catalog),
  };
}
