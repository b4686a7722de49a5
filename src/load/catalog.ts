// Finds and loads the manual, the built-in and team runbooks and irm.yaml into one validated catalog.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config, Manual, Runbook, type Config as ConfigT, type Manual as ManualT, type Runbook as RunbookT } from '../model/schema.js';
import { RunbookError, UsageError } from '../errors.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseYamlFile, type SourceFile } from './source.js';
import { lintConfig, lintManual, lintRunbook, schemaDiagnostics } from './validate.js';

export const BUILTIN_DIR = fileURLToPath(new URL('../../runbooks/', import.meta.url));
export const CONFIG_NAMES = ['irm.yaml', 'irm.yml'];

export type Origin = 'built-in' | 'irm.yaml' | 'IRM_RUNBOOKS' | '--runbooks';

export interface RunbookEntry {
  runbook: RunbookT;
  file: string;
  origin: Origin;
  source: SourceFile;
  /** The entry this one replaced (same id, loaded earlier). */
  overrides?: RunbookEntry;
}

export interface LoadedConfig {
  file?: string;
  config: ConfigT;
  source?: SourceFile;
}

export interface Catalog {
  manual: ManualT;
  manualFile: string;
  manualSource: SourceFile;
  runbooks: RunbookEntry[];
  config: LoadedConfig;
  /** Every problem found while loading: broken files are left out, the rest loads. */
  diagnostics: Diagnostic[];
  /** The folders searched, in order, with where each came from. */
  dirs: { dir: string; origin: Origin }[];
}

export interface LoadOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** --runbooks DIR (may repeat). */
  runbookDirs?: string[];
  /** --config FILE */
  configFile?: string;
  /** Built-in runbooks folder (tests point it elsewhere). */
  builtinDir?: string;
}

/** irm.yaml: --config, IRM_CONFIG, then the working directory and its parents, then the XDG config dir. */
export function findConfig(opts: LoadOptions): string | undefined {
  const explicit = opts.configFile ?? opts.env.IRM_CONFIG;
  if (explicit) {
    const p = resolve(opts.cwd, explicit);
    if (!existsSync(p)) throw new UsageError(`config file not found: ${explicit}`, 'check the path given to --config or IRM_CONFIG');
    return p;
  }
  let dir = resolve(opts.cwd);
  for (;;) {
    for (const name of CONFIG_NAMES) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const xdg = opts.env.XDG_CONFIG_HOME || join(opts.env.HOME || homedir(), '.config');
  for (const name of CONFIG_NAMES) {
    const p = join(xdg, 'irm', name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** YAML files of a folder (not recursive), sorted; a file path is taken as it is. */
export function yamlFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  return readdirSync(path)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
    .sort()
    .map((f) => join(path, f));
}

export interface FileResult {
  file: string;
  kind: 'runbook' | 'manual' | 'unknown';
  runbook?: RunbookT;
  manual?: ManualT;
  source: SourceFile;
  diagnostics: Diagnostic[];
}

/** Parse and validate one runbook or manual file, its diagnostics in file order. Never throws for what the file holds. */
export function loadFile(file: string, shared: ManualT | undefined, display = file): FileResult {
  const r = loadFileUnsorted(file, shared, display);
  r.diagnostics = sortDiagnostics(r.diagnostics);
  return r;
}

function loadFileUnsorted(file: string, shared: ManualT | undefined, display: string): FileResult {
  const parsed = parseYamlFile(file);
  const src = parsed.source;
  (src as { path: string }).path = display;
  for (const d of parsed.diagnostics) d.file = display;
  if (parsed.diagnostics.length) return { file, kind: 'unknown', source: src, diagnostics: parsed.diagnostics };
  const data = parsed.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { file, kind: 'unknown', source: src, diagnostics: [src.at([], `expected a mapping (id: ..., title: ..., causes: ...), got ${Array.isArray(data) ? 'a list' : typeof data === 'string' ? 'text' : String(data)}`)] };
  }
  const kind = (data as { kind?: unknown }).kind;
  if (kind === 'manual') {
    const r = Manual.safeParse(data);
    if (!r.success) return { file, kind: 'manual', source: src, diagnostics: schemaDiagnostics(Manual, r.error.issues, data, src) };
    return { file, kind: 'manual', manual: r.data, source: src, diagnostics: lintManual(r.data, src) };
  }
  if (kind !== undefined && kind !== 'runbook') {
    return { file, kind: 'unknown', source: src, diagnostics: [src.at(['kind'], `unknown kind "${String(kind)}"`, 'kind is "runbook" (the default) or "manual"')] };
  }
  const r = Runbook.safeParse(data);
  if (!r.success) return { file, kind: 'runbook', source: src, diagnostics: schemaDiagnostics(Runbook, r.error.issues, data, src) };
  const diagnostics = lintRunbook(r.data, { src, sharedVariables: shared?.variables ?? {} });
  return { file, kind: 'runbook', runbook: r.data, source: src, diagnostics };
}

export function loadConfigFile(file: string, manual: ManualT | undefined, display = file): { loaded?: LoadedConfig; diagnostics: Diagnostic[] } {
  const parsed = parseYamlFile(file);
  (parsed.source as { path: string }).path = display;
  for (const d of parsed.diagnostics) d.file = display;
  if (parsed.diagnostics.length) return { diagnostics: parsed.diagnostics };
  const data = parsed.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) return { diagnostics: [parsed.source.at([], 'irm.yaml must be a mapping (runbooks:, variables:, contacts:, channels:)')] };
  const r = Config.safeParse(data);
  if (!r.success) return { diagnostics: schemaDiagnostics(Config, r.error.issues, data, parsed.source) };
  return { loaded: { file, config: r.data, source: parsed.source }, diagnostics: lintConfig(r.data, parsed.source, manual) };
}

export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && rel.length < file.length ? rel : file;
}

/**
 * Load everything. Broken files are reported in `diagnostics` and left out; the built-in manual must load.
 * Later folders override earlier ones by id: built-in, irm.yaml's, IRM_RUNBOOKS, --runbooks.
 */
export function loadCatalog(opts: LoadOptions): Catalog {
  const builtinDir = opts.builtinDir ?? BUILTIN_DIR;
  const diagnostics: Diagnostic[] = [];
  const show = (f: string) => (f.startsWith(builtinDir) ? join('runbooks', relative(builtinDir, f)) : displayPath(f, opts.cwd));

  const manualPath = join(builtinDir, 'manual.yaml');
  const manualResult = loadFile(manualPath, undefined, show(manualPath));
  if (!manualResult.manual || manualResult.diagnostics.some((d) => d.severity === 'error')) {
    throw new RunbookError(`the built-in manual ${show(manualPath)} is invalid`, manualResult.diagnostics);
  }
  const manual = manualResult.manual;

  const configPath = findConfig(opts);
  let config: LoadedConfig = { config: {} };
  if (configPath) {
    const r = loadConfigFile(configPath, manual, displayPath(configPath, opts.cwd));
    diagnostics.push(...r.diagnostics);
    if (r.loaded && !r.diagnostics.some((d) => d.severity === 'error')) config = r.loaded;
    else if (r.diagnostics.some((d) => d.severity === 'error')) throw new RunbookError(`invalid configuration in ${displayPath(configPath, opts.cwd)}`, r.diagnostics);
  }

  const dirs: { dir: string; origin: Origin }[] = [{ dir: builtinDir, origin: 'built-in' }];
  for (const d of config.config.runbooks ?? []) dirs.push({ dir: resolve(dirname(config.file!), d), origin: 'irm.yaml' });
  for (const d of (opts.env.IRM_RUNBOOKS ?? '').split(delimiter).filter(Boolean)) dirs.push({ dir: resolve(opts.cwd, d), origin: 'IRM_RUNBOOKS' });
  for (const d of opts.runbookDirs ?? []) dirs.push({ dir: resolve(opts.cwd, d), origin: '--runbooks' });

  const byId = new Map<string, RunbookEntry>();
  for (const { dir, origin } of dirs) {
    let files: string[];
    try {
      files = yamlFiles(dir);
    } catch (e) {
      const where = origin === 'irm.yaml' ? ` (listed in ${config.file ? displayPath(config.file, opts.cwd) : 'irm.yaml'})` : origin === 'built-in' ? '' : ` (from ${origin})`;
      const error = new UsageError(`runbook folder not found: ${displayPath(dir, opts.cwd)}${where}`, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'check the path' : (e as Error).message);
      throw error;
    }
    const seenHere = new Map<string, RunbookEntry>();
    for (const file of files) {
      if (file === manualPath) continue;
      const r = loadFile(file, manual, show(file));
      if (r.kind === 'manual' && r.diagnostics.length === 0) {
        diagnostics.push(r.source.at(['kind'], 'only the built-in manual may be of kind "manual"', "set the team's contacts, channels and variables in irm.yaml instead"));
        continue;
      }
      diagnostics.push(...r.diagnostics);
      if (!r.runbook || r.diagnostics.some((d) => d.severity === 'error')) continue;
      const dup = seenHere.get(r.runbook.id);
      if (dup) {
        diagnostics.push(r.source.at(['id'], `duplicate runbook id "${r.runbook.id}": also defined in ${dup.source.path}`, 'runbook ids are unique; rename one of them'));
        continue;
      }
      const entry: RunbookEntry = { runbook: r.runbook, file, origin, source: r.source };
      const earlier = byId.get(r.runbook.id);
      if (earlier) entry.overrides = earlier;
      seenHere.set(r.runbook.id, entry);
      byId.set(r.runbook.id, entry);
    }
  }
  return {
    manual,
    manualFile: manualPath,
    manualSource: manualResult.source,
    runbooks: [...byId.values()],
    config,
    diagnostics,
    dirs,
  };
}
