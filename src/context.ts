// What every command gets: its options, its streams, and the catalog loaded once (broken runbooks warned about once).
import type { OutStream } from './util/std-stream.js';
import { displayPath, loadCatalog, type Catalog, type RunbookEntry } from './load/catalog.js';
import { formatDiagnostic, sortDiagnostics, type Paint } from './load/diagnostics.js';
import { resolveVariables, parseSets, type ResolvedVariable } from './load/variables.js';
import { NotFoundError, RunbookError } from './errors.js';
import { closest } from './util/suggest.js';

export interface GlobalOptions {
  json?: boolean;
  color?: boolean;
  runbooks?: string[];
  config?: string;
  strict?: boolean;
  set?: string[];
}

export interface IO {
  /** Standard output and error: Node's streams on a terminal, else irm's own synchronous writers (src/util/std-stream.ts). */
  stdout: OutStream;
  stderr: OutStream;
  stdinIsTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export class Context {
  private loaded?: Catalog;
  private checked?: Catalog;
  /** Set by the CLI so that warnings can be coloured; plain by default. */
  paint?: Paint;
  /**
   * A throwaway state folder that stands in for the real one (irm triage --dry-run): the walk needs a record to fold
   * and to notify from, but a dry run must leave none behind, nor an incident that becomes the default target.
   */
  scratchState?: string;

  constructor(readonly options: GlobalOptions, readonly io: IO, private readonly builtinDir?: string) {}

  /**
   * What loaded, broken files left out, without a word about them: for irm validate, which reports every file itself
   * (and must not stop at --strict before it has).
   */
  loadedCatalog(): Catalog {
    return (this.loaded ??= loadCatalog({
      cwd: this.io.cwd,
      env: this.io.env,
      runbookDirs: this.options.runbooks,
      configFile: this.options.config,
      builtinDir: this.builtinDir,
    }));
  }

  /** What loaded; broken files are left out with a warning on stderr, or stop the command with --strict. */
  catalog(): Catalog {
    if (this.checked) return this.checked;
    const catalog = this.loadedCatalog();
    const errors = catalog.diagnostics.filter((d) => d.severity === 'error');
    const strict = this.options.strict ?? catalog.config.config.strict ?? false;
    if (errors.length && strict) {
      const why = this.options.strict ? '--strict' : `strict: true in ${catalog.config.file ? displayPath(catalog.config.file, this.io.cwd) : 'irm.yaml'}`;
      throw new RunbookError(`${errors.length} error${errors.length === 1 ? '' : 's'} in the runbooks (${why})`, catalog.diagnostics);
    }
    if (catalog.diagnostics.length) {
      const folderProblems = new Set(catalog.dirs.flatMap((d) => (d.problem ? [d.problem] : [])));
      const files = new Set(errors.filter((d) => !folderProblems.has(d)).map((d) => d.file));
      const lines = sortDiagnostics(catalog.diagnostics).map((d) => formatDiagnostic(d, this.paint));
      const folders = folderProblems.size;
      const what = [
        files.size ? `${files.size} runbook file${files.size === 1 ? '' : 's'}` : '',
        folders ? `${folders} runbook folder${folders === 1 ? '' : 's'}` : '',
      ].filter(Boolean).join(' and ');
      const summary = files.size || folders
        ? `irm: warning: left out ${what} that did not load (irm validate shows every error; --strict makes this fatal):`
        : 'irm: warning:';
      this.io.stderr.write(`${summary}\n${lines.join('\n')}\n`);
    }
    this.checked = catalog;
    return catalog;
  }

  runbook(id: string): RunbookEntry {
    const catalog = this.catalog();
    const entry = catalog.runbooks.find((r) => r.runbook.id === id);
    if (entry) return entry;
    const broken = catalog.broken.find((b) => b.id === id);
    if (broken) throw new NotFoundError(`runbook "${id}" did not load: ${broken.file} has errors`, `irm validate ${broken.file} shows them`);
    const ids = catalog.runbooks.map((r) => r.runbook.id);
    const c = closest(id, ids);
    throw new NotFoundError(`no runbook "${id}"`, c ? `did you mean "${c}"? (irm list shows them all)` : `runbooks: ${ids.join(', ')}`);
  }

  variables(entry?: RunbookEntry): Map<string, ResolvedVariable> {
    return resolveVariables(this.catalog(), entry?.runbook, { sets: parseSets(this.options.set), env: this.io.env });
  }
}
