// irm list, irm show, irm validate and irm config: the runbooks and settings as data.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Context } from '../context.js';
import { displayPath, findConfig, loadConfigFile, loadFile, runbookDirs, yamlFiles, BUILTIN_DIR, type RunbookEntry } from '../load/catalog.js';
import type { Diagnostic } from '../load/diagnostics.js';
import { displayValue, lookupOf, type ResolvedVariable } from '../load/variables.js';
import { displayForm, formsOf, selectForm } from '../model/command.js';
import { expandWith } from '../model/placeholders.js';
import type { CommandSpec, Runbook } from '../model/schema.js';
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
  return { id: rb.id, source: entry.origin, file: entry.source.path, deployment, runbook: rb, commands, variables, text };
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

/** Validate files or folders (default: every folder irm would load, and irm.yaml). */
export function validate(ctx: Context, paths: string[]): ValidateResult {
  const cwd = ctx.io.cwd;
  const manualResult = loadFile(resolve(BUILTIN_DIR, 'manual.yaml'), undefined, 'runbooks/manual.yaml');
  const manual = manualResult.manual;
  const targets: { file: string; config?: boolean }[] = [];
  if (paths.length === 0) {
    targets.push({ file: resolve(BUILTIN_DIR, 'manual.yaml') });
    const cfg = findConfig({ cwd, env: ctx.io.env, configFile: ctx.options.config });
    if (cfg) targets.push({ file: cfg, config: true });
    let dirs: string[];
    try {
      dirs = ctx.loadedCatalog().dirs.map((d) => d.dir);
    } catch (e) {
      // A runbook folder that is not there is the caller's mistake, said as such (exit 2).
      if (e instanceof UsageError) throw e;
      // An invalid irm.yaml (reported below, as a file of its own): the folders it does not name are still checked.
      dirs = runbookDirs({ cwd, env: ctx.io.env, runbookDirs: ctx.options.runbooks }).map((d) => d.dir);
      const missing = dirs.find((d) => !existsSync(d));
      if (missing) throw new UsageError(`runbook folder not found: ${displayPath(missing, cwd)}`, 'check the path');
    }
    for (const d of dirs) for (const f of yamlFiles(d)) if (!targets.some((t) => t.file === f)) targets.push({ file: f });
  } else {
    for (const p of paths) {
      const abs = resolve(cwd, p);
      if (!existsSync(abs)) throw new UsageError(`no such file or folder: ${p}`);
      if (statSync(abs).isDirectory()) {
        for (const f of yamlFiles(abs)) targets.push({ file: f });
      } else targets.push({ file: abs, config: /(^|\/)irm\.ya?ml$/.test(abs) });
    }
  }
  const result: ValidateResult = { files: [], diagnostics: [], errors: 0, warnings: 0 };
  const ids = new Map<string, string>();
  for (const t of targets) {
    const shown = t.file.startsWith(BUILTIN_DIR) ? `runbooks/${t.file.slice(BUILTIN_DIR.length)}` : displayPath(t.file, cwd);
    let diags: Diagnostic[];
    let kind = 'config';
    let id: string | undefined;
    if (t.config) diags = loadConfigFile(t.file, manual, shown).diagnostics;
    else {
      const r = loadFile(t.file, manual, shown);
      diags = [...r.diagnostics];
      kind = r.kind;
      if (r.runbook) {
        id = r.runbook.id;
        const other = ids.get(id);
        if (other) diags.push(r.source.at(['id'], `duplicate runbook id "${id}": also defined in ${other}`, 'ids are unique within the folders validated together'));
        else ids.set(id, shown);
      }
    }
    const errors = diags.filter((d) => d.severity === 'error').length;
    const file: ValidateResult['files'][number] = { file: shown, kind, errors, warnings: diags.length - errors };
    if (id) file.id = id;
    result.files.push(file);
    result.diagnostics.push(...diags);
    result.errors += errors;
    result.warnings += diags.length - errors;
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
    runbook_dirs: catalog.dirs.map((d) => ({ dir: d.origin === 'built-in' ? 'runbooks/ (built-in)' : displayPath(d.dir, ctx.io.cwd), origin: d.origin })),
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
