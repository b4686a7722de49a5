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
  const out = [`${paint.bold(visible(d.line ? `${d.file}:${d.line}:${d.col}` : d.file))}: ${label}: ${visible(d.message)}`];
  if (d.source.trim()) {
    const num = String(d.line);
    const gutter = ' '.repeat(num.length);
    // Tabs shown as spaces, so that the caret line (spaces) lines up with the line shown whatever the terminal's tabs.
    // Control characters as their pictures (ESC as ␛), one column each: the file's line reaches a terminal.
    const expanded = visible(expandTabs(d.source));
    const shown = expanded.length > 200 ? expanded.slice(0, 200) + '…' : expanded;
    const caretCol = Math.min(displayColumn(d.source, d.col - 1), shown.length);
    const width = Math.max(1, Math.min(displayColumn(d.source, d.col - 1 + d.width) - caretCol, shown.length - caretCol, 80));
    out.push(paint.dim(` ${num} | `) + shown);
    out.push(paint.dim(` ${gutter} | `) + ' '.repeat(caretCol) + (d.severity === 'error' ? paint.error('^'.repeat(width)) : paint.warning('^'.repeat(width))));
  }
  if (d.hint) out.push(paint.dim(` ${' '.repeat(String(d.line).length)} = `) + visible(d.hint));
  return out.join('\n');
}

const TAB_STOP = 4;

/**
 * A character a terminal acts on instead of showing: the C0 controls but newline and tab, DEL and the C1 controls.
 * What the lint refuses in a file's text, and what is shown harmless wherever text from outside reaches a terminal.
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTER = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTER.source, 'g');

/**
 * Text from a file made safe for a terminal, one character for one: C0 controls as their Unicode pictures (ESC as ␛,
 * which a terminal shows instead of acting on), DEL as ␡, C1 controls as �. Newline and tab stay.
 */
export function visible(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (ch) => {
    const code = ch.charCodeAt(0);
    return code < 0x20 ? String.fromCharCode(0x2400 + code) : code === 0x7f ? '\u2421' : '\ufffd';
  });
}

/** The column (0-based) where the character at `index` of a line is shown, tabs expanded to every 4th column. */
function displayColumn(line: string, index: number): number {
  let col = 0;
  for (let i = 0; i < index; i++) col = line[i] === '\t' ? col - (col % TAB_STOP) + TAB_STOP : col + 1;
  return col;
}

/** A line with its tabs expanded to spaces, to every 4th column. */
function expandTabs(line: string): string {
  if (!line.includes('\t')) return line;
  let out = '';
  for (const ch of line) out += ch === '\t' ? ' '.repeat(TAB_STOP - (out.length % TAB_STOP)) : ch;
  return out;
}

export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
}
