// ${{ name }} placeholders: found, checked and expanded after YAML parsing, never by a shell.
//
// The syntax is chosen so that nothing a command line legitimately holds is mistaken for one:
// $(date +%s), ${HOME}, <PID> and docker's --format '{{.Names}}' are all left alone. "$${{" writes a literal "${{".
import { scanShell } from './shell-context.js';

export interface Placeholder {
  name: string;
  /** Offsets in the string. */
  start: number;
  end: number;
  /**
   * Where the placeholder stands in a shell line, which says how its value is put there:
   * - none, single, double: quoted for the quotes in force, as one literal word or literal text;
   * - ansi: inside $'...', where backslash escapes are read: the value with its backslashes and quotes escaped;
   * - heredoc: the body of a here-document whose delimiter is unquoted (<<END), where quotes mean nothing and $, `
   *   still expand: the value is read from the environment there ("${IRM_VAR_NAME}"), so that nothing in it expands;
   * - literal-heredoc: the body of a here-document whose delimiter is quoted (<<'END'), where nothing expands: the
   *   value as it is, refused if a line break in it could end the document early;
   * - comment: in a comment, which bash does not read, but which a line break in a value would end: the placeholder
   *   is written "${IRM_VAR_NAME}", which holds no line break (and is the value as one word, were it not a comment);
   * - arithmetic: where bash evaluates the text as an arithmetic expression ($(( )), (( )), let, [[ a -gt b ]], an
   *   array subscript, declare -i...), and a name in it is a variable whose value is evaluated in turn: a[$(cmd)] runs
   *   cmd, quoted or not, and so does "$IRM_VAR_NAME" holding it. Only a plain number goes there;
   * - substitution: inside $(...) or backticks, where irm cannot quote it;
   * - code: where a shell reads the value again as code (eval, bash -c, ssh's remote command, a shell's input, a
   *   variable's name, the word after >&; the place is said in `where`): only a word without shell syntax goes there.
   */
  context: 'none' | 'single' | 'double' | 'ansi' | 'heredoc' | 'literal-heredoc' | 'comment' | 'arithmetic' | 'substitution' | 'code';
  /** For a context that refuses values: the place in words, for a diagnostic ("in the delimiter of a here-document"). */
  where?: string;
  /** For code: how to pass the value as data there instead, for a diagnostic's hint. */
  how?: string;
}

export interface PlaceholderProblem {
  start: number;
  end: number;
  message: string;
}

const OPEN = '${{';
const ESCAPED_OPEN = '$${{';
const NAME = /^[a-z][a-z0-9_]*$/;

/** The environment variable a command gets a variable's value in. */
export function envName(name: string): string {
  return `IRM_VAR_${name.toUpperCase()}`;
}

/** Every placeholder of a plain text (no shell context). */
export function findPlaceholders(s: string): { found: Placeholder[]; problems: PlaceholderProblem[] } {
  // Most text holds no placeholder at all.
  if (!s.includes(OPEN)) return { found: [], problems: [] };
  return scanText(s);
}

/** Every placeholder of a shell line, with the context bash reads it in (src/model/shell-context.ts). */
export function findShellPlaceholders(s: string): { found: Placeholder[]; problems: PlaceholderProblem[] } {
  if (!s.includes(OPEN)) return { found: [], problems: [] };
  // Where a name's text is read as shell text, the line is scanned as it is: after an escaped "$${{" bash reads the
  // name as words, and a here-document's delimiter or a single-quoted word keeps it verbatim.
  if (s.includes(ESCAPED_OPEN) || s.includes("'") || s.includes('<<')) return scanShell(s);
  // The scan depends on the line's shape, not on the names in its placeholders: lines that differ only in those (the
  // same curl for another port, a thousand generated runbooks) are scanned once. The key keeps every position: each
  // well-formed name becomes as many "a"s. A line with a problem is scanned as it is, for its messages.
  const key = s.replace(PLACEHOLDER_NAME, (_, before: string, name: string, after: string) => `\${{${before}${'a'.repeat(name.length)}${after}}}`);
  let shape = shapes.get(key);
  if (!shape) {
    if (shapes.size >= 5000) shapes.clear();
    shapes.set(key, (shape = scanShell(key)));
  }
  if (shape.problems.length) return scanShell(s);
  return { found: shape.found.map((p) => ({ ...p, name: s.slice(p.start + OPEN.length, p.end - 2).trim() })), problems: [] };
}

const PLACEHOLDER_NAME = /\$\{\{([ \t]*)([a-z][a-z0-9_]*)([ \t]*)\}\}/g;
const shapes = new Map<string, { found: Placeholder[]; problems: PlaceholderProblem[] }>();

function scanText(s: string): { found: Placeholder[]; problems: PlaceholderProblem[] } {
  const found: Placeholder[] = [];
  const problems: PlaceholderProblem[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '$' && s.startsWith(ESCAPED_OPEN, i)) {
      i += OPEN.length; // escaped: "$${{" stands for a literal "${{"
      continue;
    }
    if (c === '$' && s.startsWith(OPEN, i)) {
      const close = s.indexOf('}}', i + OPEN.length);
      if (close < 0) {
        problems.push({ start: i, end: s.length, message: 'unclosed placeholder: "${{" without "}}" (write "$${{" for a literal "${{")' });
        break;
      }
      const name = s.slice(i + OPEN.length, close).trim();
      const end = close + 2;
      if (!NAME.test(name)) {
        problems.push({ start: i, end, message: `malformed placeholder "${s.slice(i, end)}": a variable name is lower-case letters, digits and underscores` });
      } else {
        found.push({ name, start: i, end, context: 'none' });
      }
      i = end - 1;
      continue;
    }
  }
  return { found, problems };
}

/** A value as one literal shell word, or literal text inside the quotes in force. */
export function shellQuote(value: string, context: Placeholder['context'] = 'none'): string {
  switch (context) {
    case 'single':
      return value.replace(/'/g, `'\\''`);
    case 'double':
      return value.replace(/[\\$`"]/g, '\\$&');
    default:
      if (isInertWord(value)) return value;
      return `'${value.replace(/'/g, `'\\''`)}'`;
  }
}

export type Lookup = (name: string) => string | undefined;

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`no value for variable "${variable}"`);
  }
}

/** A value that cannot stand where its placeholder is without becoming code: the command is not run. */
export class UnsafeValueError extends Error {
  constructor(readonly variable: string, message: string, readonly hint?: string) {
    super(message);
  }
}

function substitute(s: string, found: Placeholder[], render: (p: Placeholder) => string): string {
  let out = '';
  let last = 0;
  for (const p of found) {
    out += unescape(s.slice(last, p.start)) + render(p);
    last = p.end;
  }
  return out + unescape(s.slice(last));
}

function unescape(s: string): string {
  return s.split('$' + OPEN).join(OPEN);
}

function valueOf(lookup: Lookup, name: string): string {
  const v = lookup(name);
  if (v === undefined) throw new MissingVariableError(name);
  return v;
}

/** A text with each placeholder rendered by `render` (given the placeholder), "$${{" turned into a literal "${{". */
export function expandWith(s: string, render: (p: Placeholder, text: string) => string): string {
  return substitute(s, findPlaceholders(s).found, (p) => render(p, s.slice(p.start, p.end)));
}

/** Expand a text field (a title, an explanation, an argv element): values inserted as they are. */
export function expandText(s: string, lookup: Lookup): string {
  return substitute(s, findPlaceholders(s).found, (p) => valueOf(lookup, p.name));
}

/** Expand a shell line: each value is put where it stands so that it stays one literal piece of data. */
export function expandShell(s: string, lookup: Lookup): string {
  const { found } = findShellPlaceholders(s);
  return substitute(s, found, (p) => renderShell(p, valueOf(lookup, p.name)));
}

/**
 * A value as the shell text that stands for it at its placeholder (see Placeholder['context']); throws
 * UnsafeValueError where the value would not stay data.
 */
export function renderShell(p: Placeholder, value: string): string {
  switch (p.context) {
    case 'none':
    case 'single':
    case 'double':
      return shellQuote(value, p.context);
    case 'ansi':
      return value.replace(/[\\']/g, '\\$&');
    case 'heredoc':
      return `\${${envName(p.name)}}`;
    case 'comment':
      return `"\${${envName(p.name)}}"`;
    case 'literal-heredoc':
      if (value.includes('\n')) {
        throw new UnsafeValueError(
          p.name,
          `the value of "${p.name}" holds a line break, and it stands in a here-document with a quoted delimiter (<<'END'), where a line of it could end the document and run the rest as commands`,
          'give a value on one line, or write the here-document with an unquoted delimiter (<<END), where irm passes the value through the environment'
        );
      }
      return value;
    case 'arithmetic':
      if (!isPlainNumber(value)) {
        throw new UnsafeValueError(
          p.name,
          `the value of "${p.name}" is not a plain number, and it stands ${p.where ?? 'in bash arithmetic'}, where bash would evaluate it as an expression (a name in it, with a [subscript], can run a command)`,
          `give a number such as 42 or -1.5`
        );
      }
      return value;
    case 'substitution':
      throw new UnsafeValueError(p.name, `placeholder "${p.name}" inside $(...) or backticks cannot be quoted safely`);
    case 'code':
      if (!isInertWord(value)) {
        throw new UnsafeValueError(
          p.name,
          `the value of "${p.name}" is not a plain word, and it stands ${p.where ?? 'where a shell reads it as code'}, where it would be code`,
          'give a value of letters, digits and . _ - / : = , + @ % only'
        );
      }
      return value;
  }
}

/** A number as bash arithmetic reads it, with nothing in it that bash could take for a name: 42, -7, 1.5. */
export function isPlainNumber(value: string): boolean {
  return /^[+-]?[0-9]+(\.[0-9]+)?$/.test(value);
}

/** A word that every shell reads as itself, wherever it stands: nothing to quote, expand, split or match. */
export function isInertWord(value: string): boolean {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value);
}

/** Names of every placeholder in a string. */
export function placeholderNames(s: string): string[] {
  return findPlaceholders(s).found.map((p) => p.name);
}
