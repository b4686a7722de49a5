// Finds and loads the manual, the built-in and team runbooks and irm.yaml into one validated catalog.
//
// Parsing YAML with positions and validating it with the schema is the slow half of starting up (the yaml and zod
// libraries alone take longer to load than Node itself), so the built irm avoids it wherever the answer is known:
// - the built-in runbooks come compiled: the build validates runbooks/*.yaml (a bad one fails the build) and writes
//   the result to runbooks.json beside the bundled code; it is used only while runbooks/ holds exactly the bytes it
//   was compiled from, and otherwise the YAML is read as it is;
// - a team file's result (its data and its diagnostics) is cached under $XDG_CACHE_HOME/irm with what the file held,
//   the manual it was checked against and the build of irm that checked it, and used only while all three are the
//   same (for irm validate too: the result is a function of those three).
// "The same bytes" is decided as git decides it: the file's stat signature, and when that changed, its SHA-1.
// Code run from the sources (the tests) has no runbooks.json beside it, so it parses everything.
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config as ConfigT, Manual as ManualT, Runbook as RunbookT } from '../model/schema.js';
import { RunbookError, UsageError } from '../errors.js';
import type { Diagnostic } from './diagnostics.js';
import * as parse from './files.js';
import { lazyProperty } from '../util/lazy.js';
import { MAX_FILE_BYTES, readError, readSource } from './read.js';
import type { SourceFile } from './source.js';

/** The package's folder: this file is two levels down in the sources (src/load) and in every build (dist/load, dist/bundle). */
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const BUILTIN_DIR = fileURLToPath(new URL('../../runbooks/', import.meta.url));
export const CONFIG_NAMES = ['irm.yaml', 'irm.yml'];
/** The compiled built-in runbooks, beside the bundled code that was built with them. */
export const COMPILED_FILE = fileURLToPath(new URL('./runbooks.json', import.meta.url));

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
  /** The runbook files left out for their errors, with the id each has (or its file name, when it has none). */
  broken: { id: string; file: string }[];
  /** The folders searched, in order, with where each came from, and why one could not be. */
  dirs: (RunbookDir & { problem?: Diagnostic })[];
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

export interface FileResult {
  file: string;
  kind: 'runbook' | 'manual' | 'unknown';
  runbook?: RunbookT;
  manual?: ManualT;
  /** The runbook's id, when it is known without reading the runbook (a compiled one is parsed when first used). */
  id?: string;
  source: SourceFile;
  diagnostics: Diagnostic[];
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

/** The names of a folder's YAML files (not recursive, no hidden ones), sorted. */
/** The runbook files of a folder: its YAML files but irm.yaml, which a team may keep beside its runbooks. */
function yamlNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.') && !CONFIG_NAMES.includes(f))
    .sort();
}

/** The runbook files of a folder (not recursive), sorted; a file path is taken as it is. */
export function yamlFiles(path: string): string[] {
  const st = statSync(path);
  if (st.isFile()) return [path];
  return yamlNames(path).map((f) => join(path, f));
}

export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel && !rel.startsWith('..') && rel.length < file.length ? rel : file;
}

// ---- the compiled built-ins and the cache of team files -------------------------------------------------

/** What the build writes to runbooks.json (src/tools/build.ts). */
export interface Compiled {
  format: typeof COMPILED_FORMAT;
  /** Which build of the loader validated these, and with which manual: a cached team file checked by another is not used. */
  build: string;
  files: CompiledFile[];
}

export interface CompiledFile {
  /** The file's name in runbooks/. */
  name: string;
  /** What it was compiled from: its stat signature (taken before it was read) and the SHA-1 of its bytes. */
  signature: string;
  sha1: string;
  kind: FileResult['kind'];
  id?: string;
  /** The runbook or the manual as JSON, parsed when first used: irm contacts needs no runbook. */
  json?: string;
  diagnostics: Diagnostic[];
}

export const COMPILED_FORMAT = 3;

let crypto: typeof import('node:crypto') | undefined;

/** SHA-1 of a file's bytes; crypto is loaded only when a stat signature no longer matches. */
function sha1(bytes: Buffer): string {
  crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  // crypto.hash (Node 20.12+) hashes a small buffer in half the time of a Hash object.
  return crypto.hash ? crypto.hash('sha1', bytes, 'hex') : crypto.createHash('sha1').update(bytes).digest('hex');
}

/**
 * Whether JSON gives back exactly this value (as isDeepStrictEqual judges): plain objects and arrays of strings,
 * booleans, null and finite numbers other than -0, with no holes and no undefined.
 */
export function survivesJson(v: unknown): boolean {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(v) && !Object.is(v, -0);
    case 'object': {
      if (v === null) return true;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) if (!(i in v) || !survivesJson(v[i])) return false;
        return true;
      }
      if (Object.getPrototypeOf(v) !== Object.prototype || Object.getOwnPropertySymbols(v).length) return false;
      for (const k of Object.keys(v)) if (!survivesJson((v as Record<string, unknown>)[k])) return false;
      return Object.keys(v).length === Object.getOwnPropertyNames(v).length;
    }
    default:
      return false;
  }
}

/**
 * Size, modification and change times, inode and device: any write to a file changes its times, so while these are the
 * same the bytes are too (as git's index assumes). Taken before the file is read, so a write while it is being read
 * changes them after the fact. A copy or a checkout changes them without changing the bytes: then the SHA-1 decides.
 */
function signatureOf(st: Stats): string {
  return `${st.size}:${st.mtimeMs}:${st.ctimeMs}:${st.ino}:${st.dev}`;
}

/** Whether a file still holds what was recorded of it. */
function unchanged(file: string, st: Stats, recorded: { signature: string; sha1: string }): boolean {
  return signatureOf(st) === recorded.signature || sha1(readFileSync(file)) === recorded.sha1;
}

/** A short name for a cache slot (FNV-1a, twice): a collision only shares a slot, whose entry says whose it is. */
function slotName(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}

const withFile = (ds: Diagnostic[], file: string): Diagnostic[] => ds.map((d) => ({ ...d, file }));

/** The compiled built-ins as this process found them: read once, and only while runbooks/ holds what they came from. */
interface CurrentBuild {
  build: string;
  manual: ManualT;
  manualPath: string;
  files: Map<string, CompiledFile>;
  /** Each file's data, parsed once: the same object every time it is asked for. */
  parsed: Map<string, unknown>;
}

function compiledData(cur: CurrentBuild, file: string): unknown {
  if (!cur.parsed.has(file)) cur.parsed.set(file, JSON.parse(cur.files.get(file)!.json!));
  return cur.parsed.get(file);
}

let current: CurrentBuild | null | undefined;

function currentBuild(): CurrentBuild | null {
  if (current === undefined) current = readCompiled(BUILTIN_DIR) ?? null;
  return current;
}

function readCompiled(builtinDir: string): CurrentBuild | undefined {
  try {
    const compiled = JSON.parse(readFileSync(COMPILED_FILE, 'utf8')) as Compiled;
    if (compiled.format !== COMPILED_FORMAT) return undefined;
    const names = yamlNames(builtinDir);
    if (names.length !== compiled.files.length) return undefined;
    const files = new Map<string, CompiledFile>();
    for (const [i, name] of names.entries()) {
      const f = compiled.files[i]!;
      const file = join(builtinDir, name);
      if (f.name !== name || !unchanged(file, statSync(file), f)) return undefined;
      files.set(file, f);
    }
    const manualPath = join(builtinDir, 'manual.yaml');
    const m = files.get(manualPath);
    if (m?.kind !== 'manual' || !m.json) return undefined;
    const manual = JSON.parse(m.json) as ManualT;
    return { build: compiled.build, manual, manualPath, files, parsed: new Map([[manualPath, manual]]) };
  } catch {
    return undefined;
  }
}

interface CachedFile {
  /** What the file held when it was checked. */
  signature: string;
  sha1: string;
  value: unknown;
}

/** The results for one folder's files: one read per folder, not per file. */
interface Pack {
  /** The build it was checked by (with its manual), the kind of files and their folder. */
  context: string;
  kind: string;
  dir: string;
  files: Record<string, CachedFile>;
}

/**
 * Results of team files, one pack per folder, used only when the file's bytes, the manual and irm are the same. New
 * results are written when the catalog has loaded (or at exit): each pack once, however many files changed.
 */
class FileCache {
  private readonly packs = new Map<string, { pack: Pack; dirty: boolean }>();

  constructor(private readonly dir: string, private readonly context: string) {}

  private slot(kind: string, dir: string): string {
    return join(this.dir, `${slotName(`${kind}\0${dir}`)}.json`);
  }

  private pack(kind: string, dir: string): { pack: Pack; dirty: boolean } {
    const key = `${kind}\0${dir}`;
    let p = this.packs.get(key);
    if (!p) {
      let pack: Pack | undefined;
      try {
        pack = JSON.parse(readFileSync(this.slot(kind, dir), 'utf8')) as Pack;
      } catch {
        /* none yet, or unreadable: start afresh */
      }
      if (!pack || pack.context !== this.context || pack.kind !== kind || pack.dir !== dir || typeof pack.files !== 'object') pack = { context: this.context, kind, dir, files: {} };
      this.packs.set(key, (p = { pack, dirty: false }));
    }
    return p;
  }

  get<T>(file: string, kind: string, st: Stats): T | undefined {
    const p = this.pack(kind, dirname(file));
    const e = p.pack.files[basename(file)];
    if (!e) return undefined;
    const signature = signatureOf(st);
    if (e.signature === signature) return e.value as T;
    try {
      if (sha1(readFileSync(file)) !== e.sha1) return undefined;
    } catch {
      return undefined;
    }
    // The same bytes under a new signature (a copy, a checkout): remember it, so that the next run need not read them.
    e.signature = signature;
    this.changed(p);
    return e.value as T;
  }

  set(file: string, kind: string, st: Stats, bytes: Buffer, value: unknown): void {
    // Only what survives JSON exactly is cached, so that a cached result is the very value the loader gave.
    if (!survivesJson(value)) return;
    const p = this.pack(kind, dirname(file));
    p.pack.files[basename(file)] = { signature: signatureOf(st), sha1: sha1(bytes), value };
    this.changed(p);
  }

  private changed(p: { dirty: boolean }): void {
    p.dirty = true;
    if (!flushAtExit) {
      flushAtExit = true;
      process.once('exit', flushCaches);
    }
  }

  flush(): void {
    for (const p of this.packs.values()) {
      if (!p.dirty) continue;
      p.dirty = false;
      try {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 });
        const slot = this.slot(p.pack.kind, p.pack.dir);
        const tmp = `${slot}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(p.pack), { mode: 0o600 });
        renameSync(tmp, slot);
      } catch {
        /* a cache that cannot be written is no cache: the next run parses again */
      }
    }
  }
}

let flushAtExit = false;

function flushCaches(): void {
  for (const c of caches.values()) c.flush();
}

/** Files larger than this are not cached (the loader refuses runbooks over 1 MiB anyway). */
const MAX_CACHED_BYTES = MAX_FILE_BYTES;

/** A file's stat, when the cache may serve it; undefined for what the loader should see for itself (missing, special, huge). */
function cacheable(file: string): Stats | undefined {
  try {
    const st = statSync(file);
    return st.isFile() && st.size <= MAX_CACHED_BYTES ? st : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The bytes of a file the cache may take (`st`, from cacheable, taken before the read), read to the size the stat gave:
 * open, read, close, where readFileSync would add an fstat (a first run reads every file). Only a regular file gets here:
 * opening a FIFO releases a writer waiting on it, and opening a device can do things (a tape rewinds). Opened without
 * blocking, in case the path turns into a FIFO after the stat. A size of 0 (an empty file, or one whose size is known
 * only by reading it, in /proc) is read as readFileSync reads, to its end.
 */
function readStated(file: string, st: Stats): Buffer | undefined {
  if (st.size === 0) return readBytes(file);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const bytes = Buffer.allocUnsafeSlow(st.size);
    let n = 0;
    for (let k = 1; n < st.size && k > 0; n += k) k = readSync(fd, bytes, n, st.size - n, n);
    return n === st.size ? bytes : bytes.subarray(0, n);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function readBytes(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

type RunbookLoad = Pick<FileResult, 'kind' | 'id' | 'runbook' | 'manual' | 'diagnostics'>;
type ConfigLoad = { config?: ConfigT; diagnostics: Diagnostic[] };

const caches = new Map<string, FileCache>();
const cacheOfEnv = new WeakMap<NodeJS.ProcessEnv, FileCache>();

/** The cache of team files, when there is a current build and the file is checked against its manual. */
function cacheFor(shared: ManualT | undefined, env: NodeJS.ProcessEnv): FileCache | undefined {
  const cur = currentBuild();
  if (!cur || shared !== cur.manual) return undefined;
  let cache = cacheOfEnv.get(env);
  if (!cache) {
    const dir = join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'irm', 'files');
    cache = caches.get(dir);
    if (!cache) caches.set(dir, (cache = new FileCache(dir, cur.build)));
    cacheOfEnv.set(env, cache);
  }
  return cache;
}

/**
 * Parse and validate one runbook or manual file, its diagnostics in file order; never throws for what the file
 * holds. A built-in file comes compiled and a team file may come from the cache, when that result was found for
 * exactly these bytes, checked against this manual by this build (see the top of this file).
 */
export function loadFile(file: string, shared: ManualT | undefined, display = file, env: NodeJS.ProcessEnv = process.env): FileResult {
  const cur = currentBuild();
  const c = cur?.files.get(file);
  if (cur && c && shared === (file === cur.manualPath ? undefined : cur.manual)) {
    const r: FileResult = { file, kind: c.kind, source: readSource(file, display), diagnostics: withFile(c.diagnostics, display) };
    if (c.id !== undefined) r.id = c.id;
    if (c.json !== undefined) lazyProperty(r, c.kind === 'manual' ? 'manual' : 'runbook', () => compiledData(cur, file) as never);
    return r;
  }
  const cache = cacheFor(shared, env);
  const st = cache && cacheable(file);
  if (!cache || !st) return parse.loadFile(file, shared, display);
  const hit = cache.get<RunbookLoad>(file, 'runbook', st);
  if (hit) return { ...hit, file, source: readSource(file, display), diagnostics: withFile(hit.diagnostics, display) };
  const bytes = readStated(file, st);
  // A file that cannot be read is reported by the loader, located, like any broken file.
  if (!bytes) return parse.loadFile(file, shared, display);
  const r = parse.loadFile(file, shared, display, bytes);
  const value: RunbookLoad = { kind: r.kind, diagnostics: r.diagnostics };
  if (r.id !== undefined) value.id = r.id;
  if (r.runbook) value.runbook = r.runbook;
  if (r.manual) value.manual = r.manual;
  cache.set(file, 'runbook', st, bytes, value);
  return r;
}

/** Parse and validate irm.yaml, or its result from the cache on the same terms as loadFile. */
export function loadConfigFile(file: string, manual: ManualT | undefined, display = file, env: NodeJS.ProcessEnv = process.env): { loaded?: LoadedConfig; diagnostics: Diagnostic[] } {
  const cache = cacheFor(manual, env);
  const st = cache && cacheable(file);
  if (!cache || !st) return parse.loadConfigFile(file, manual, display);
  const hit = cache.get<ConfigLoad>(file, 'config', st);
  if (hit) {
    const diagnostics = withFile(hit.diagnostics, display);
    return hit.config ? { loaded: { file, config: hit.config, source: readSource(file, display) }, diagnostics } : { diagnostics };
  }
  const bytes = readStated(file, st);
  if (!bytes) return parse.loadConfigFile(file, manual, display);
  const r = parse.loadConfigFile(file, manual, display, bytes);
  const value: ConfigLoad = { diagnostics: r.diagnostics };
  if (r.loaded) value.config = r.loaded.config;
  cache.set(file, 'config', st, bytes, value);
  return r;
}

export interface RunbookDir {
  dir: string;
  origin: Origin;
  /** Its index in irm.yaml's runbooks list. */
  index?: number;
}

/**
 * The runbook folders, in the order they override each other: built-in, irm.yaml's, IRM_RUNBOOKS, --runbooks. A
 * leading ~/ is the home folder, as a shell would read it.
 */
export function runbookDirs(opts: LoadOptions, config: LoadedConfig = { config: {} }): RunbookDir[] {
  const home = (d: string) => (/^~(\/|$)/.test(d) && opts.env.HOME ? join(opts.env.HOME, d.slice(1)) : d);
  const dirs: RunbookDir[] = [{ dir: opts.builtinDir ?? BUILTIN_DIR, origin: 'built-in' }];
  (config.config.runbooks ?? []).forEach((d, index) => dirs.push({ dir: resolve(dirname(config.file!), home(d)), origin: 'irm.yaml', index }));
  for (const d of (opts.env.IRM_RUNBOOKS ?? '').split(delimiter).filter(Boolean)) dirs.push({ dir: resolve(opts.cwd, home(d)), origin: 'IRM_RUNBOOKS' });
  for (const d of opts.runbookDirs ?? []) dirs.push({ dir: resolve(opts.cwd, d), origin: '--runbooks' });
  return dirs;
}

/**
 * A runbook folder that cannot be listed. Named on the command line, it stops the command (exit 2). Named in irm.yaml
 * or IRM_RUNBOOKS, it is a diagnostic and the rest loads: a folder moved away must not keep `irm contacts p0` from
 * answering mid-incident (--strict makes it fatal, irm validate reports it).
 */
function folderProblem(d: RunbookDir, e: unknown, config: LoadedConfig, cwd: string): Diagnostic {
  const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
  const message = missing ? `runbook folder not found: ${displayPath(d.dir, cwd)}` : `cannot read the runbook folder ${displayPath(d.dir, cwd)}: ${readError(e)}`;
  const hint = missing ? 'check the path (relative paths are from the folder of irm.yaml)' : undefined;
  if (d.origin === 'irm.yaml' && config.source && d.index !== undefined) return config.source.at(['runbooks', d.index], message, hint);
  if (d.origin === 'IRM_RUNBOOKS') return { file: 'IRM_RUNBOOKS', line: 0, col: 0, width: 0, message, hint: missing ? 'check the path in IRM_RUNBOOKS' : undefined, severity: 'error', source: '' };
  const where = d.origin === 'built-in' ? '' : ` (from ${d.origin})`;
  throw new UsageError(message + where, missing ? 'check the path' : undefined);
}

/** A file of kind manual outside the built-ins: the manual is irm's own; a team's settings go in irm.yaml. */
export function misplacedManual(source: SourceFile): Diagnostic {
  return source.at(['kind'], 'only the built-in manual may be of kind "manual"', "set the team's contacts, channels and variables in irm.yaml instead");
}

/**
 * Load everything. Broken files are reported in `diagnostics` and left out; the built-in manual must load.
 * Later folders override earlier ones by id: built-in, irm.yaml's, IRM_RUNBOOKS, --runbooks.
 */
export function loadCatalog(opts: LoadOptions): Catalog {
  const builtinDir = opts.builtinDir ?? BUILTIN_DIR;
  const diagnostics: Diagnostic[] = [];
  const broken: Catalog['broken'] = [];
  const show = (f: string) => (f.startsWith(builtinDir) ? join('runbooks', relative(builtinDir, f)) : displayPath(f, opts.cwd));

  const manualPath = join(builtinDir, 'manual.yaml');
  const manualResult = loadFile(manualPath, undefined, show(manualPath), opts.env);
  if (!manualResult.manual || manualResult.diagnostics.some((d) => d.severity === 'error')) {
    throw new RunbookError(`the built-in manual ${show(manualPath)} is invalid`, manualResult.diagnostics);
  }
  const manual = manualResult.manual;

  const configPath = findConfig(opts);
  let config: LoadedConfig = { config: {} };
  if (configPath) {
    const r = loadConfigFile(configPath, manual, displayPath(configPath, opts.cwd), opts.env);
    diagnostics.push(...r.diagnostics);
    if (r.loaded && !r.diagnostics.some((d) => d.severity === 'error')) config = r.loaded;
    else if (r.diagnostics.some((d) => d.severity === 'error')) throw new RunbookError(`invalid configuration in ${displayPath(configPath, opts.cwd)}`, r.diagnostics);
  }

  const dirs: Catalog['dirs'] = runbookDirs(opts, config);

  const byId = new Map<string, RunbookEntry>();
  for (const d of dirs) {
    const { dir, origin } = d;
    let files: string[];
    try {
      // The built-in folder was listed already, to check the compiled runbooks against it.
      const compiled = dir === BUILTIN_DIR ? currentBuild() : null;
      files = compiled ? [...compiled.files.keys()] : yamlFiles(dir);
    } catch (e) {
      diagnostics.push((d.problem = folderProblem(d, e, config, opts.cwd)));
      continue;
    }
    const seenHere = new Map<string, RunbookEntry>();
    for (const file of files) {
      if (file === manualPath) continue;
      const r = loadFile(file, manual, show(file), opts.env);
      if (r.kind === 'manual' && r.diagnostics.length === 0) {
        diagnostics.push(misplacedManual(r.source));
        continue;
      }
      diagnostics.push(...r.diagnostics);
      const id = r.id ?? r.runbook?.id;
      if (r.diagnostics.some((d) => d.severity === 'error')) {
        broken.push({ id: id ?? basename(file).replace(/\.ya?ml$/, ''), file: show(file) });
        continue;
      }
      if (id === undefined) continue;
      const dup = seenHere.get(id);
      if (dup) {
        diagnostics.push(r.source.at(['id'], `duplicate runbook id "${id}": also defined in ${dup.source.path}`, 'runbook ids are unique; rename one of them'));
        continue;
      }
      const entry = { file, origin, source: r.source } as RunbookEntry;
      lazyProperty(entry, 'runbook', () => r.runbook!);
      const earlier = byId.get(id);
      if (earlier) entry.overrides = earlier;
      seenHere.set(id, entry);
      byId.set(id, entry);
    }
  }
  flushCaches();
  return {
    manual,
    manualFile: manualPath,
    manualSource: manualResult.source,
    runbooks: [...byId.values()],
    config,
    diagnostics,
    dirs,
    broken,
  };
}

/** Compile the built-in runbooks for runbooks.json; throws a RunbookError with every located diagnostic when one is invalid. */
export function compileBuiltins(build: string, builtinDir = BUILTIN_DIR): Compiled {
  const manualPath = join(builtinDir, 'manual.yaml');
  const show = (f: string) => join('runbooks', relative(builtinDir, f));
  const read = (file: string) => {
    const signature = signatureOf(statSync(file));
    const bytes = readFileSync(file);
    return { signature, bytes, sha1: sha1(bytes) };
  };
  const manualBytes = read(manualPath);
  const manualResult = parse.loadFile(manualPath, undefined, show(manualPath), manualBytes.bytes);
  const files: CompiledFile[] = [];
  const errors: Diagnostic[] = [];
  for (const file of yamlFiles(builtinDir)) {
    const { signature, bytes, sha1: digest } = file === manualPath ? manualBytes : read(file);
    const r = file === manualPath ? manualResult : parse.loadFile(file, manualResult.manual, show(file), bytes);
    errors.push(...r.diagnostics.filter((d) => d.severity === 'error'));
    const entry: CompiledFile = { name: basename(file), signature, sha1: digest, kind: r.kind, diagnostics: r.diagnostics };
    const data = r.runbook ?? r.manual;
    if (r.runbook) entry.id = r.runbook.id;
    if (data) entry.json = JSON.stringify(data);
    if (!survivesJson({ ...entry, json: data })) throw new Error(`${show(file)}: the loaded runbook does not survive JSON unchanged, so it cannot be compiled`);
    files.push(entry);
  }
  if (!manualResult.manual && !errors.length) throw new Error(`${show(manualPath)} is not the manual (kind: manual)`);
  if (errors.length) throw new RunbookError(`${errors.length} error${errors.length === 1 ? '' : 's'} in the built-in runbooks`, errors);
  return { format: COMPILED_FORMAT, build, files };
}
