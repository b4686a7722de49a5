// npm run build, after tsc: the bundle bin/irm runs, and the built-in runbooks compiled to validated JSON.
//
// dist/bundle/ holds:
// - cli.js and its chunks: src/cli.ts bundled with its dependencies (ESM, split at each lazy import(), so a command
//   loads only the code it needs); what every command needs is in few files, which Node loads far faster than the
//   hundreds of small modules the dependencies come as;
// - files.cjs: the YAML and schema half of loading (src/load/files.ts with yaml and zod). Loading is synchronous and
//   most commands never need it, so the bundle requires it on first use instead of importing it up front; ora.cjs
//   likewise, for the spinner;
// - runbooks.json: runbooks/*.yaml, validated as irm validates them (a bad built-in runbook fails the build here,
//   with its located diagnostics), for src/load/catalog.ts to use while runbooks/ still holds exactly those bytes;
// - meta.json: which source modules went into which file (test/perf-guard.test.ts reads it).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { compileBuiltins, PACKAGE_DIR } from '../load/catalog.js';
import { formatDiagnostic, sortDiagnostics } from '../load/diagnostics.js';
import { RunbookError } from '../errors.js';

const root = PACKAGE_DIR;
const final = join(root, 'dist', 'bundle');
// Built beside the old bundle and swapped in at the end, so that an irm started meanwhile finds a whole one.
const out = `${final}.${process.pid}.tmp`;
const FILES_MODULE = resolve(root, 'src/load/files.ts');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'silent',
  absWorkingDir: root,
} as const;

function failOnWarnings(what: string, r: { warnings: { text: string; location: { file: string; line: number } | null }[] }): void {
  if (!r.warnings.length) return;
  for (const w of r.warnings) console.error(`${what}: ${w.location ? `${w.location.file}:${w.location.line}: ` : ''}${w.text}`);
  throw new Error(`${what}: ${r.warnings.length} bundler warning(s)`);
}

async function main(): Promise<void> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });

  // The loader's heavy half, as CommonJS so that it can be required synchronously when a file must be parsed.
  const files = await build({ ...common, entryPoints: [FILES_MODULE], format: 'cjs', outfile: join(out, 'files.cjs'), metafile: true });
  failOnWarnings('files.cjs', files);
  const filesExports = createRequire(import.meta.url)(join(out, 'files.cjs')) as Record<string, unknown>;
  const names = Object.keys(filesExports);
  for (const n of names) {
    if (typeof filesExports[n] !== 'function') throw new Error(`src/load/files.ts exports "${n}", which is not a function: the lazy stub can only forward functions`);
  }
  // The loader and the manual team files are checked against: a team file cached by another build is checked again.
  const buildId = createHash('sha1').update(readFileSync(join(out, 'files.cjs'))).update(readFileSync(join(root, 'runbooks/manual.yaml'))).digest('hex').slice(0, 16);

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

  // In the bundle, src/load/files.ts is this stub: each export requires files.cjs the first time it is called.
  const lazyFiles: Plugin = {
    name: 'lazy-files',
    setup(b) {
      b.onResolve({ filter: /^\.\/files\.js$/ }, (args) =>
        resolve(args.resolveDir, 'files.ts') === FILES_MODULE ? { path: FILES_MODULE, namespace: 'lazy-files' } : undefined
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-files' }, () => ({
        loader: 'js',
        contents: [
          "import { createRequire } from 'node:module';",
          'let files;',
          "const load = () => (files ??= createRequire(import.meta.url)('./files.cjs'));",
          ...names.map((n) => `export function ${n}(...args) { return load().${n}(...args); }`),
        ].join('\n'),
      }));
      // The schema module only defines schemas: a chunk that uses none of them (validate.ts's checkValue does not)
      // must not load zod for them.
      b.onResolve({ filter: /\/model\/schema\.js$/ }, (args) => ({ path: resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')), sideEffects: false }));
    },
  };
  // commander requires child_process (and with it net, dgram and streams) for subcommands that are separate
  // executables, which irm has none of: load it when first used, not on every start.
  const lazyChildProcess: Plugin = {
    name: 'lazy-child-process',
    setup(b) {
      b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined));
      b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
        loader: 'js',
        contents: "module.exports = new Proxy({}, { get: (_, name) => require('node:child_process')[name] });",
      }));
    },
  };
  // ora (a spinner: it and its dependencies are about a quarter of irm run's code) is needed only when a spinner
  // starts, on a terminal; run-view.ts calls it synchronously, so it too comes from a CommonJS file on first use.
  const oraSide = await build({ ...common, stdin: { contents: "export { default } from 'ora';", resolveDir: root, sourcefile: 'ora-entry.js' }, format: 'cjs', outfile: join(out, 'ora.cjs'), metafile: true });
  failOnWarnings('ora.cjs', oraSide);
  const lazyOra: Plugin = {
    name: 'lazy-ora',
    setup(b) {
      b.onResolve({ filter: /^ora$/ }, () => ({ path: 'ora', namespace: 'lazy-ora' }));
      b.onLoad({ filter: /.*/, namespace: 'lazy-ora' }, () => ({
        loader: 'js',
        contents: [
          "import { createRequire } from 'node:module';",
          'let ora;',
          "export default function lazyOra(options) { return (ora ??= createRequire(import.meta.url)('./ora.cjs').default)(options); }",
        ].join('\n'),
      }));
    },
  };

  const cli = await build({
    ...common,
    entryPoints: { cli: 'src/cli.ts' },
    format: 'esm',
    splitting: true,
    outdir: out,
    chunkNames: '[name]-[hash]',
    // CommonJS dependencies (commander, cli-table3) call require(); an ES module has none of its own.
    // Made on first use: most chunks never require anything, and createRequire costs a little for each.
    banner: { js: "import { createRequire as __irmCreateRequire } from 'node:module'; let __irmRequire; const require = (id) => (__irmRequire ??= __irmCreateRequire(import.meta.url))(id);" },
    plugins: [lazyFiles, lazyChildProcess, lazyOra],
    metafile: true,
  });
  failOnWarnings('cli.js', cli);
  const meta = { inputs: { ...files.metafile.inputs, ...oraSide.metafile.inputs, ...cli.metafile.inputs }, outputs: { ...files.metafile.outputs, ...oraSide.metafile.outputs, ...cli.metafile.outputs } };
  writeFileSync(join(out, 'meta.json'), JSON.stringify(meta).replaceAll(`dist/bundle.${process.pid}.tmp/`, 'dist/bundle/'));

  const old = `${final}.${process.pid}.old`;
  try {
    renameSync(final, old);
  } catch {
    /* no bundle yet */
  }
  renameSync(out, final);
  rmSync(old, { recursive: true, force: true });
}

try {
  await main();
} catch (e) {
  rmSync(out, { recursive: true, force: true });
  throw e;
}
