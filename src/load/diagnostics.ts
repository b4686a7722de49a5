// A located problem in a runbook or config file, and its rendering as a compiler would print it.

export interface Diagnostic {
  file: string;
  line: number;
  col: number;
  /** How many columns to underline. */
  width: number;
  message: string;
  hint?: string | undefined;
  severity: 'error' | 'warning';
  /** The offending source line. */
  source: string;
}

export interface Paint {
  error(s: string): string;
  warning(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

const plain: Paint = { error: (s) => s, warning: (s) => s, dim: (s) => s, bold: (s) => s };

/** file:line:col: error: message, then the line with a caret under the spot, then the hint. */
export function formatDiagnostic(d: Diagnostic, paint: Paint = plain): string {
  const label = d.severity === 'error' ? paint.error('error') : paint.warning('warning');
  // Line 0: about something other than a file's text (IRM_RUNBOOKS naming a folder that is not there).
  const out = [`${paint.bold(d.line ? `${d.file}:${d.line}:${d.col}` : d.file)}: ${label}: ${d.message}`];
  if (d.source.trim()) {
    const num = String(d.line);
    const gutter = ' '.repeat(num.length);
    const shown = d.source.length > 200 ? d.source.slice(0, 200) + '…' : d.source;
    const caretCol = Math.min(d.col - 1, shown.length);
    const width = Math.max(1, Math.min(d.width, shown.length - caretCol, 80));
    out.push(paint.dim(` ${num} | `) + shown);
    out.push(paint.dim(` ${gutter} | `) + ' '.repeat(caretCol) + (d.severity === 'error' ? paint.error('^'.repeat(width)) : paint.warning('^'.repeat(width))));
  }
  if (d.hint) out.push(paint.dim(` ${' '.repeat(String(d.line).length)} = `) + d.hint);
  return out.join('\n');
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}
