// ${{ name }} placeholders: found, checked and expanded after YAML parsing, never by a shell.
//
// The syntax is chosen so that nothing a command line legitimately holds is mistaken for one:
// $(date +%s), ${HOME}, <PID> and docker's --format '{{.Names}}' are all left alone. "$${{" writes a literal "${{".

export interface Placeholder {
  name: string;
  /** Offsets in the string. */
  start: number;
  end: number;
  /** The shell quoting in force where the placeholder stands (for shell lines). */
  context: 'none' | 'single' | 'double' | 'substitution';
}

export interface PlaceholderProblem {
  start: number;
  end: number;
  message: string;
}

const OPEN = '${{';
const ESCAPED_OPEN = '$${{';
const NAME = /^[a-z][a-z0-9_]*$/;

/** Every placeholder of a plain text (no shell context). */
export function findPlaceholders(s: string): { found: Placeholder[]; problems: PlaceholderProblem[] } {
  return scan(s, false);
}

/** Every placeholder of a shell line, with the quoting in force where each stands. */
export function findShellPlaceholders(s: string): { found: Placeholder[]; problems: PlaceholderProblem[] } {
  return scan(s, true);
}

function scan(s: string, shell: boolean): { found: Placeholder[]; problems: PlaceholderProblem[] } {
  // Most text holds no placeholder at all: the quoting state matters only where one stands.
  if (!s.includes(OPEN)) return { found: [], problems: [] };
  const found: Placeholder[] = [];
  const problems: PlaceholderProblem[] = [];
  // Quoting state of a POSIX shell line, enough to quote a value for where it lands.
  let quote: 'none' | 'single' | 'double' = 'none';
  let substDepth = 0;
  let backtick = false;
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
        const context = !shell ? 'none' : substDepth > 0 || backtick ? 'substitution' : quote;
        found.push({ name, start: i, end, context });
      }
      i = end - 1;
      continue;
    }
    if (!shell) continue;
    if (quote === 'single') {
      if (c === "'") quote = 'none';
      continue;
    }
    if (c === '\\') {
      i++;
      continue;
    }
    if (quote === 'double') {
      if (c === '"') quote = 'none';
      else if (c === '$' && s[i + 1] === '(') {
        substDepth++;
        i++;
      } else if (c === ')' && substDepth > 0) substDepth--;
      else if (c === '`') backtick = !backtick;
      continue;
    }
    if (c === "'") quote = 'single';
    else if (c === '"') quote = 'double';
    else if (c === '$' && s[i + 1] === '(') {
      substDepth++;
      i++;
    } else if (c === ')' && substDepth > 0) substDepth--;
    else if (c === '`') backtick = !backtick;
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
      if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
      return `'${value.replace(/'/g, `'\\''`)}'`;
  }
}

export type Lookup = (name: string) => string | undefined;

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`no value for variable "${variable}"`);
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

/** Expand a shell line: each value is quoted for where it stands, so it stays one literal piece of data. */
export function expandShell(s: string, lookup: Lookup): string {
  const { found } = findShellPlaceholders(s);
  return substitute(s, found, (p) => {
    if (p.context === 'substitution') throw new Error(`placeholder "${p.name}" inside $(...) or backticks cannot be quoted safely`);
    return shellQuote(valueOf(lookup, p.name), p.context);
  });
}

/** Names of every placeholder in a string. */
export function placeholderNames(s: string): string[] {
  return findPlaceholders(s).found.map((p) => p.name);
}
