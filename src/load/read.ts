// Reading a YAML file, the quick way when it allows: the file's text checked (size, NUL bytes, UTF-8), then read by
// the fast reader of plain YAML (src/load/plain-yaml.ts); only what that reader leaves goes to the yaml library
// (src/load/source.ts), which also gives positions. A file read the quick way gets a source whose positions are
// parsed when a diagnostic first asks for one, so a valid runbook never loads the yaml library at all.
import { readFileSync, statSync } from 'node:fs';
import type { Diagnostic } from './diagnostics.js';
import { readPlainYaml } from './plain-yaml.js';
import { parseYamlText, sourceOf, type SourceFile } from './source.js';

export const MAX_FILE_BYTES = 1024 * 1024;

export interface Parsed {
  source: SourceFile;
  data: unknown;
  diagnostics: Diagnostic[];
}

/** A file's positions, parsed with the yaml library only when first asked for (a diagnostic needs one). */
export class DeferredSource implements SourceFile {
  private parsed?: SourceFile;
  constructor(public path: string, private readonly load: () => SourceFile) {}
  private get real(): SourceFile {
    if (!this.parsed) {
      this.parsed = this.load();
      (this.parsed as { path: string }).path = this.path;
    }
    return this.parsed;
  }
  get text() {
    return this.real.text;
  }
  get doc() {
    return this.real.doc;
  }
  get lineCounter() {
    return this.real.lineCounter;
  }
  get lines() {
    return this.real.lines;
  }
  position(offset: number) {
    return this.real.position(offset);
  }
  locate(...a: Parameters<SourceFile['locate']>) {
    return this.real.locate(...a);
  }
  diagnostic(...a: Parameters<SourceFile['diagnostic']>) {
    return this.real.diagnostic(...a);
  }
  at(...a: Parameters<SourceFile['at']>) {
    return this.real.at(...a);
  }
}

/**
 * A file's text, or what keeps it from being read as one. `content`: its text or bytes, when already read. A UTF-8
 * byte order mark that starts the file is not part of its text (YAML ignores it; editors do not show it): it would
 * count as a column on line 1 and be echoed in the line a diagnostic shows.
 */
export function readText(path: string, content?: string | Buffer): { text: string } | { problem: string } {
  if (typeof content === 'string') {
    return content.length > MAX_FILE_BYTES ? { problem: tooLarge(content.length) } : { text: withoutBom(content) };
  }
  try {
    let buf = content;
    if (!buf) {
      const st = statSync(path);
      if (!st.isFile()) return { problem: 'not a regular file' };
      if (st.size > MAX_FILE_BYTES) return { problem: tooLarge(st.size) };
      buf = readFileSync(path);
    }
    if (buf.length > MAX_FILE_BYTES) return { problem: tooLarge(buf.length) };
    if (buf.includes(0)) return { problem: 'not a text file (it contains NUL bytes)' };
    const text = buf.toString('utf8');
    // Invalid UTF-8 decodes to U+FFFD; a file may also hold U+FFFD itself, which is text.
    if (text.includes('\uFFFD') && !isUtf8(buf)) return { problem: 'not UTF-8 text' };
    return { text: withoutBom(text) };
  } catch (e) {
    return { problem: `cannot read: ${readError(e)}` };
  }
}

function isUtf8(buf: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/** Why a file or folder could not be read, in words: "permission denied", "no such file or folder". */
export function readError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOENT: 'no such file or folder',
    ENOTDIR: 'a part of the path is not a folder',
    EISDIR: 'it is a folder',
    ELOOP: 'too many symbolic links (a loop?)',
    EIO: 'input/output error',
  };
  return (code && words[code]) ?? code ?? (e as Error).message;
}

const withoutBom = (text: string) => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const tooLarge = (n: number) => `file too large: ${formatBytes(n)} (a runbook may be at most ${formatBytes(MAX_FILE_BYTES)})`;

/**
 * Read and parse one YAML file. Never throws for anything the file holds. `content` is the file's text, or its bytes
 * when the caller has read them already (they get the same checks as bytes read here).
 */
export function parseYamlFile(path: string, content?: string | Buffer): Parsed {
  const r = readText(path, content);
  if ('problem' in r) {
    return {
      source: new DeferredSource(path, () => sourceOf(path, '')),
      data: undefined,
      diagnostics: [{ file: path, line: 1, col: 1, width: 1, message: r.problem, severity: 'error', source: '' }],
    };
  }
  const { text } = r;
  const plain = readPlainYaml(text);
  if (plain) return { source: new DeferredSource(path, () => sourceOf(path, text)), data: plain.data, diagnostics: [] };
  return parseYamlText(path, text);
}

/** A file's source with its positions (parsed when first needed), for a file whose data came compiled or cached. */
export function readSource(file: string, display: string): SourceFile {
  return new DeferredSource(display, () => {
    const r = readText(file);
    return sourceOf(display, 'text' in r ? r.text : '');
  });
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
