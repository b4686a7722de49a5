// One runbook, manual or irm.yaml file read, parsed (YAML with positions) and validated (zod schema, then lint).
// The heavy half of loading (the yaml and zod libraries): the bundle loads it on first use, which a command that
// reads only the compiled built-ins or cached team files never makes.
import type { z } from 'zod';
import { fastParse } from '../model/fast-parse.js';
import type { Manual as ManualT } from '../model/schema.js';
import { Config, Manual, Runbook } from '../model/schema.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { parseYamlFile } from './read.js';
import { lintConfig, lintManual, lintRunbook, schemaDiagnostics } from './validate.js';
import type { FileResult, LoadedConfig } from './catalog.js';

/**
 * Parse and validate one runbook or manual file, its diagnostics in file order. Never throws for what the file holds.
 * `bytes`: the file's content when the caller has read it already (the cache keys it by those very bytes).
 */
export function loadFile(file: string, shared: ManualT | undefined, display = file, bytes?: Buffer): FileResult {
  const r = loadFileUnsorted(file, shared, display, bytes);
  r.diagnostics = sortDiagnostics(r.diagnostics);
  return r;
}

function loadFileUnsorted(file: string, shared: ManualT | undefined, display: string, bytes: Buffer | undefined): FileResult {
  const parsed = parseYamlFile(file, bytes);
  const src = parsed.source;
  (src as { path: string }).path = display;
  for (const d of parsed.diagnostics) d.file = display;
  if (parsed.diagnostics.length) return { file, kind: 'unknown', source: src, diagnostics: parsed.diagnostics };
  const data = parsed.data;
  if (data === undefined) return { file, kind: 'unknown', source: src, diagnostics: [src.diagnostic(0, 0, 'empty file: expected a runbook (id, title, causes, ...)')] };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    return { file, kind: 'unknown', source: src, diagnostics: [src.at([], `expected a mapping (id: ..., title: ..., causes: ...), got ${Array.isArray(data) ? 'a list' : typeof data === 'string' ? 'text' : String(data)}`)] };
  }
  const kind = (data as { kind?: unknown }).kind;
  if (kind === 'manual') {
    const r = parseAs(Manual, data);
    if (!r.success) return { file, kind: 'manual', source: src, diagnostics: schemaDiagnostics(Manual, r.error.issues, data, src) };
    return { file, kind: 'manual', manual: r.data, source: src, diagnostics: lintManual(r.data, src) };
  }
  if (kind !== undefined && kind !== 'runbook') {
    return { file, kind: 'unknown', source: src, diagnostics: [src.at(['kind'], `unknown kind "${String(kind)}"`, 'kind is "runbook" (the default) or "manual"')] };
  }
  const r = parseAs(Runbook, data);
  if (!r.success) {
    // The id it was meant to have, so that asking for that runbook can say it did not load.
    const id = (data as { id?: unknown }).id;
    return { file, kind: 'runbook', source: src, diagnostics: schemaDiagnostics(Runbook, r.error.issues, data, src), ...(typeof id === 'string' ? { id } : {}) };
  }
  const diagnostics = lintRunbook(r.data, { src, sharedVariables: shared?.variables ?? {} });
  return { file, kind: 'runbook', runbook: r.data, source: src, diagnostics };
}

/** zod's verdict on the data: the quick way for data it is sure of (src/model/fast-parse.ts), zod itself otherwise. */
function parseAs<T extends z.ZodType>(schema: T, data: unknown): z.ZodSafeParseResult<z.output<T>> {
  const fast = fastParse(schema, data);
  return fast ? { success: true, data: fast.data } : schema.safeParse(data);
}

export function loadConfigFile(file: string, manual: ManualT | undefined, display = file, bytes?: Buffer): { loaded?: LoadedConfig; diagnostics: Diagnostic[] } {
  const parsed = parseYamlFile(file, bytes);
  (parsed.source as { path: string }).path = display;
  for (const d of parsed.diagnostics) d.file = display;
  if (parsed.diagnostics.length) return { diagnostics: parsed.diagnostics };
  // An empty irm.yaml, or one of comments only (a schema line, settings commented out): no settings.
  const data = parsed.data ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) return { diagnostics: [parsed.source.at([], 'irm.yaml must be a mapping (runbooks:, variables:, contacts:, channels:)')] };
  // A section whose entries are all commented out (`variables:` and nothing under it) is no section.
  const settings = Object.fromEntries(Object.entries(data).filter(([, v]) => v !== null));
  const r = parseAs(Config, settings);
  if (!r.success) return { diagnostics: schemaDiagnostics(Config, r.error.issues, settings, parsed.source) };
  return { loaded: { file, config: r.data, source: parsed.source }, diagnostics: lintConfig(r.data, parsed.source, manual) };
}
