// npm run build, after tsc: the bundle bin/irm runs, and the built-in runbooks compiled to validated JSON.
//
// dist/bundle/ holds:
// - cli.cjs: src/cli.ts with all of irm's code, commander, chalk and cli-table3, as one CommonJS file. Node loads
//   one file far faster than the hundreds of small modules the dependencies come as, and on Node 20 a CommonJS
//   program starts about 15 ms sooner than an ES module one (no ES module loader, cheaper compilation). Each command's
//   modules are still evaluated only when its import() runs: the bundler makes those lazy.
// - files.cjs, source.cjs, execa.cjs, ora.cjs, inquirer.cjs: the heavy code few commands need, each required the
//   first time it is used (a stub in cli.cjs forwards to it): the schema half of loading (src/load/files.ts with
//   zod, needed synchronously), the yaml library (positions, and files the fast reader of plain YAML leaves to it;
//   files.cjs requires it through a stub too), running commands, the spinner, the prompts;
// - *.cjs.v8cache: V8's compiled code for cli.cjs and the files it requires, for bin/irm (Node 20 has no compile
//   cache of its own);
// - runbooks.json: runbooks/*.yaml, validated as irm validates them (a bad built-in runbook fails the build here,
//   with its located diagnostics), for src/load/catalog.ts to use while runbooks/ still holds exactly those bytes;
// - meta.json: which source modules went into which file (test/perf-guard.test.ts reads it).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { build, type BuildOptions, type Metafile, type Plugin } from 'esbuild';
import { compileBuiltins, PACKAGE_DIR } from '../load/catalog.js';
import { formatDiagnostic, sortDiagnostics } from '../load/diagnostics.js';
import { RunbookError } from '../errors.js';

const root = PACKAGE_DIR;
const final = join(root, 'dist', 'bundle');
// Built beside the old bundle and swapped in at the end, so that an irm started meanwhile finds a whole one.
const out = `${final}.${process.pid}.tmp`;
const FILES_MODULE = resolve(root, 'src/load/files.ts');
const SOURCE_MODULE = resolve(root, 'src/load/source.ts');
const CATALOG_MODULE = resolve(root, 'src/load/catalog.ts');
const READ_MODULE = resolve(root, 'src/load/read.ts');

const common: BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'silent',
  absWorkingDir: root,
  metafile: true,
  // CommonJS has no import.meta: the file's own URL, as an ES module would see it.
  define: { 'import.meta.url': '__irmImportMetaUrl' },
  banner: { js: "var __irmImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
};

function failOnWarnings(what: string, r: { warnings: { text: string; location: { file: string; line: number } | null }[] }): void {
  if (!r.warnings.length) return;
  for (const w of r.warnings) console.error(`${what}: ${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`);
  throw new Error(`${what}: ${r.warnings.length} bundler warning(s)`);
}

/** The heavy code cli.cjs requires on first use: a file of its own, and the names it exports. */
interface Side {
  file: string;
  names: string[];
  metafile: Metafile;
}

async function side(file: string, entry: { module: string } | { source: string }, plugins: Plugin[] = []): Promise<Side> {
  const r = await build({
    ...common,
    plugins,
    ...('module' in entry ? { entryPoints: [entry.module] } : { stdin: { contents: entry.source, resolveDir: root, sourcefile: `${file}-entry.js` } }),
    outfile: join(out, file),
  });
  failOnWarnings(file, r);
  const names = Object.keys(createRequire(import.meta.url)(join(out, file)) as object);
  return { file, names, metafile: r.metafile! };
}

/**
 * What cli.cjs holds in place of a heavy module: its exports, each requiring the side file when first read. irm's
 * sources are ES modules in a "type": "module" package, so the bundler gives them a CommonJS module's exports object
 * as the default export: a default export is forwarded by making the stub's exports that function.
 */
function stub(s: Side): string {
  const named = s.names.filter((n) => n !== 'default');
  return [
    "const { join } = require('node:path');",
    'let m;',
    // bin/irm leaves a loader that uses the file's V8 code cache; without it (Node 22.1+, tests), require.
    `const load = () => (m ??= (globalThis[Symbol.for('irm.compiled')] ?? require)(join(__dirname, ${JSON.stringify(s.file)})));`,
    s.names.includes('default') ? 'module.exports = function (...args) { return load().default.apply(this, args); };' : '',
    `for (const name of ${JSON.stringify(named)}) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });`,
  ].join('\n');
}

/**
 * zod's messages in English only. zod bundles every locale it has (z.locales: 300 KB, half of files.cjs) and uses the
 * English one unless told otherwise; irm never tells it otherwise, and its own messages are English. Every start that
 * parses a team file loads files.cjs, so it loads them all for nothing.
 */
const englishOnly: Plugin = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => (/[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: resolve(args.resolveDir, '../locales/index.js'), namespace: 'zod-english-only' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({ loader: 'js', resolveDir: dirname(args.path), contents: "export { default as en } from './en.js';" }));
  },
};

function lazy(name: string, filter: RegExp, matches: (path: string, resolveDir: string, importer: string) => boolean, s: Side): Plugin {
  return {
    name,
    setup(b) {
      b.onResolve({ filter }, (args) => (matches(args.path, args.resolveDir, args.importer) ? { path: name, namespace: name } : undefined));
      b.onLoad({ filter: /.*/, namespace: name }, () => ({ loader: 'js', contents: stub(s) }));
    },
  };
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  // The yaml library, for positions (in a file read the quick way, compiled or cached) and for what the fast reader
  // of plain YAML leaves to it: no schema (zod) to load for that.
  const source = await side('source.cjs', { module: SOURCE_MODULE });
  const lazySource = lazy('lazy-source', /^\.\/source\.js$/, (p, dir, importer) => (importer === CATALOG_MODULE || importer === READ_MODULE) && resolve(dir, p.replace(/\.js$/, '.ts')) === SOURCE_MODULE, source);
  const files = await side('files.cjs', { module: FILES_MODULE }, [lazySource, englishOnly]);
  const execa = await side('execa.cjs', { source: "export * from 'execa';" });
  const ora = await side('ora.cjs', { source: "export { default } from 'ora';" });
  const inquirer = await side('inquirer.cjs', { source: "export * from '@inquirer/prompts';" });

  // The loader (files.cjs, and source.cjs, which turns YAML syntax errors into diagnostics) and the manual team files
  // are checked against: a team file cached by another build is checked again.
  const buildId = createHash('sha1')
    .update(readFileSync(join(out, 'files.cjs')))
    .update(readFileSync(join(out, 'source.cjs')))
    .update(readFileSync(join(root, 'runbooks/manual.yaml')))
    .digest('hex')
    .slice(0, 16);

  // The built-in runbooks, validated by the loader the bundle carries.
  try {
    writeFileSync(join(out, 'runbooks.json'), JSON.stringify(compileBuiltins(buildId)));
  } catch (e) {
    if (!(e instanceof RunbookError)) throw e;
    for (const d of sortDiagnostics(e.diagnostics)) console.error(formatDiagnostic(d));
    console.error(`build: ${e.message}`);
    rmSync(out, { recursive: true, force: true });
    process.exit(1);
  }

  const special: Plugin = {
    name: 'irm-special',
    setup(b) {
      // The schema module only defines schemas: code that uses none of them (validate.ts's checkValue does not)
      // must not bring zod along for them.
      b.onResolve({ filter: /\/model\/schema\.js$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')), sideEffects: false }));
      // commander requires child_process (and with it net, dgram and streams) for subcommands that are separate
      // executables, which irm has none of: load it when first used, not on every start.
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
        loader: 'js',
        contents: "module.exports = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });",
      }));
      // nodemailer is CommonJS already, and imported (import()) only when a mail is sent: a require() when that
      // happens, since code compiled with its cache (bin/irm) has no import().
      b.onResolve({ filter: /^nodemailer$/ }, (args) => (args.namespace === 'lazy-nodemailer' ? undefined : { path: 'nodemailer', namespace: 'lazy-nodemailer' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-nodemailer' }, () => ({ loader: 'js', contents: "module.exports = require('nodemailer');" }));
    },
  };
  const cli = await build({
    ...common,
    entryPoints: { cli: 'src/cli.ts' },
    outfile: join(out, 'cli.cjs'),
    external: ['nodemailer'],
    plugins: [
      special,
      lazy('lazy-files', /^\.\/files\.js$/, (p, dir) => resolve(dir, p.replace(/\.js$/, '.ts')) === FILES_MODULE, files),
      lazySource,
      lazy('lazy-execa', /^execa$/, () => true, execa),
      lazy('lazy-ora', /^ora$/, () => true, ora),
      lazy('lazy-inquirer', /^@inquirer\/prompts$/, () => true, inquirer),
    ],
  });
  failOnWarnings('cli.cjs', cli);
  const dynamic = cli.metafile!.outputs[`dist/bundle.${process.pid}.tmp/cli.cjs`]?.imports.filter((i) => i.kind === 'dynamic-import') ?? [];
  if (dynamic.length) throw new Error(`cli.cjs keeps an import() of ${dynamic.map((i) => i.path).join(', ')}: bin/irm compiles it as a script, which cannot import()`);
  const metas = [files, source, execa, ora, inquirer].map((s) => s.metafile).concat(cli.metafile!);
  const meta = { inputs: Object.assign({}, ...metas.map((m) => m.inputs)), outputs: Object.assign({}, ...metas.map((m) => m.outputs)) };
  writeFileSync(join(out, 'meta.json'), JSON.stringify(meta).replaceAll(`dist/bundle.${process.pid}.tmp/`, 'dist/bundle/'));

  const old = `${final}.${process.pid}.old`;
  try {
    renameSync(final, old);
  } catch {
    /* no bundle yet */
  }
  renameSync(out, final);
  rmSync(old, { recursive: true, force: true });

  // V8's compiled code for cli.cjs and the files it requires (see bin/irm), made by running what people run most, each
  // run adding to the caches it makes. cli.cjs's cache comes from the reading commands alone: every start reads it
  // whole, so code only other commands use would make every start slower. The heavy files' caches come from team
  // runbooks read, checked (one with a mistake, for the positions) and run.
  const home = mkdtempSync(join(tmpdir(), 'irm-build-'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), XDG_STATE_HOME: join(home, 'state') };
  for (const k of Object.keys(env)) if (/^(IRM_|NODE_OPTIONS$)/.test(k)) delete env[k];
  const team = join(home, 'team');
  mkdirSync(team);
  const sample = readFileSync(join(root, 'runbooks', 'db-performance.yaml'), 'utf8').replace(/^id: db-performance$/m, 'id: team-sample');
  writeFileSync(join(team, 'team-sample.yaml'), sample);
  const broken = join(home, 'broken.yaml');
  writeFileSync(broken, 'id: broken\ntitle: A runbook with a mistake\nseverity: P9\n');
  const quick = join(home, 'quick');
  mkdirSync(quick);
  writeFileSync(join(quick, 'quick.yaml'), 'id: quick\ntitle: Quick\nsummary: One check\nseverity: P3\nsymptoms: [none]\ncauses:\n  - id: c\n    title: C\n    explanation: E.\n    checks:\n      - id: t\n        title: T\n        run: "true"\n    solution:\n      - text: Nothing to do.\n');
  const runs: [string[], string[]][] = [
    [['cli.cjs'], ['--version']], [['cli.cjs'], ['contacts', 'p0', '--json']], [['cli.cjs'], ['contacts', 'p0']], [['cli.cjs'], ['severity', '--json']],
    [['cli.cjs'], ['list', '--json']], [['cli.cjs'], ['list']], [['cli.cjs'], ['show', 'db-performance', '--json']], [['cli.cjs'], ['--help']],
    [['files.cjs', 'source.cjs'], ['validate', team]], [['files.cjs'], ['list', '--runbooks', team]], [['files.cjs'], ['run', 'team-sample', '--dry-run', '--runbooks', team]],
    [['files.cjs', 'source.cjs'], ['validate', broken]], [['files.cjs', 'execa.cjs'], ['check', 'quick', '--runbooks', quick]],
  ];
  for (const [caches, args] of runs) {
    // A command that fails (a runbook renamed) still compiles what it ran: no reason to fail the build.
    spawnSync(process.execPath, [join(root, 'bin', 'irm'), ...args], { cwd: home, env: { ...env, IRM_WRITE_CODE_CACHE: caches.map((c) => join(final, c)).join(delimiter) }, stdio: 'ignore' });
  }
  rmSync(home, { recursive: true, force: true });
}

try {
  await main();
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  throw e;
}
