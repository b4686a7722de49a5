// Where each ${{ placeholder }} of a shell line stands as bash reads the line: in quotes or not, inside $(...), in a
// here-document's body... As much of bash's grammar as it takes to know how a value can be put there as data, or that
// it cannot be. Where in doubt, a place is taken for the stricter one.
import type { Placeholder, PlaceholderProblem } from './placeholders.js';

export type ShellContext = Placeholder['context'];

const OPEN = '${{';
const ESCAPED_OPEN = '$${{';
const NAME = /^[a-z][a-z0-9_]*$/;
/** Characters that end an unquoted word. */
const METACHAR = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);

/** A word of a command as bash will see it: its literal text (quotes removed) and the placeholders in it. */
interface Word {
  /** The text after quote removal; each expansion bash makes at run time (a placeholder, $x, $(...)) is one \u0000. */
  text: string;
  /** Whether every part of the word is literal text (no expansion). */
  literal: boolean;
  quoted: boolean;
  start: number;
  end: number;
  holes: Placeholder[];
}

interface PendingHeredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
}

function isBare(w: Word, text: string): boolean {
  return w.literal && !w.quoted && w.text === text;
}

/** Every placeholder of a shell line, with the context bash reads it in. */
export function scanShell(s: string): { found: Placeholder[]; problems: PlaceholderProblem[] } {
  const scanner = new Scanner(s);
  scanner.run();
  scanner.found.sort((a, b) => a.start - b.start);
  return { found: scanner.found, problems: scanner.problems };
}

class Scanner {
  i = 0;
  readonly found: Placeholder[] = [];
  readonly problems: PlaceholderProblem[] = [];
  private heredocs: PendingHeredoc[] = [];
  /** Set once a placeholder problem ends the scan (an unclosed "${{"). */
  private stopped = false;

  constructor(readonly s: string) {}

  run(): void {
    this.list(null, undefined);
  }

  private get done(): boolean {
    return this.stopped || this.i >= this.s.length;
  }

  private at(str: string, k = this.i): boolean {
    return this.s.startsWith(str, k);
  }

  // ---- placeholders ---------------------------------------------------------------------------------------------

  /** At "${{" or "$${{": records the placeholder in `context` and moves past it. Returns it (undefined if escaped or bad). */
  private placeholder(context: ShellContext, where?: string): Placeholder | undefined {
    const s = this.s;
    if (this.at(ESCAPED_OPEN)) {
      this.i += ESCAPED_OPEN.length; // a literal "${{"
      return undefined;
    }
    const start = this.i;
    const close = s.indexOf('}}', start + OPEN.length);
    if (close < 0) {
      this.problems.push({ start, end: s.length, message: 'unclosed placeholder: "${{" without "}}" (write "$${{" for a literal "${{")' });
      this.stopped = true;
      this.i = s.length;
      return undefined;
    }
    const name = s.slice(start + OPEN.length, close).trim();
    const end = close + 2;
    this.i = end;
    if (!NAME.test(name)) {
      this.problems.push({ start, end, message: `malformed placeholder "${s.slice(start, end)}": a variable name is lower-case letters, digits and underscores` });
      return undefined;
    }
    const p: Placeholder = { name, start, end, context };
    if (where && context !== 'substitution') p.where = where;
    this.found.push(p);
    return p;
  }

  private isPlaceholder(): boolean {
    return this.at(OPEN) || this.at(ESCAPED_OPEN);
  }

  // ---- commands -------------------------------------------------------------------------------------------------

  /**
   * A list of commands, up to `close` (")" of a $(...) or <(...)) or the end. `inside` is set within a command
   * substitution, whose every placeholder is reported as such.
   */
  private list(close: ')' | null, inside: 'substitution' | undefined): void {
    let depth = 0; // ( ... ) subshells and groups opened within this list
    let words: Word[] = [];
    /** Open case commands, and whether a pattern comes next (where a ")" ends the pattern, not a subshell). */
    let cases = 0;
    let expectPattern = false;
    while (!this.done) {
      const s = this.s;
      const c = s[this.i]!;
      if (c === ' ' || c === '\t') {
        this.i++;
        continue;
      }
      if (c === '\\' && s[this.i + 1] === '\n') {
        this.i += 2;
        continue;
      }
      if (c === '\n') {
        this.i++;
        words = [];
        this.heredocBodies(inside);
        continue;
      }
      if (c === ';' || c === '&' || c === '|') {
        const op = /^(;;&|;;|;&|&&|\|\||\|&|[;&|])/.exec(s.slice(this.i, this.i + 3))![0];
        this.i += op.length;
        words = [];
        if (cases > 0 && (op === ';;' || op === ';&' || op === ';;&')) expectPattern = true;
        continue;
      }
      if (c === '(') {
        this.i++;
        if (!(expectPattern && words.length === 0)) depth++;
        words = [];
        continue;
      }
      if (c === ')') {
        this.i++;
        words = [];
        if (expectPattern) expectPattern = false; // the end of a case pattern
        else if (depth > 0) depth--;
        else if (close === ')') return;
        continue;
      }
      if ((c === '<' || c === '>') && s[this.i + 1] === '(') {
        // process substitution: a word of its own
        this.i += 2;
        this.list(')', inside);
        continue;
      }
      if (c === '<' || c === '>' || (/[0-9]/.test(c) && this.redirectionAhead())) {
        this.redirection(inside);
        continue;
      }
      if (c === '#') {
        // a comment: to the end of the line (a backslash does not continue it)
        const eol = s.indexOf('\n', this.i);
        this.placeholdersIn(this.i, eol < 0 ? s.length : eol, inside ?? 'comment', undefined);
        this.i = eol < 0 ? s.length : eol;
        continue;
      }
      const w = this.word(inside);
      if (cases > 0 && words.length === 0 && w.literal && !w.quoted && w.text === 'esac') {
        cases--;
        expectPattern = false;
        continue;
      }
      words.push(w);
      if (words.length === 3 && isBare(words[0]!, 'case') && isBare(words[2]!, 'in')) {
        cases++;
        expectPattern = true;
        words = [];
      }
    }
  }

  /** At digits: whether they are a redirection's file descriptor (2>, 1>&2, 0<). */
  private redirectionAhead(): boolean {
    let k = this.i;
    while (k < this.s.length && /[0-9]/.test(this.s[k]!)) k++;
    return this.s[k] === '<' || this.s[k] === '>';
  }

  /** A redirection: its operator and the word it takes, or a here-document to read after the line. */
  private redirection(inside: 'substitution' | undefined): void {
    const s = this.s;
    while (/[0-9]/.test(s[this.i]!)) this.i++;
    const op = /^(<<<|<<-|<<|<>|<&|>>|>&|>\||<|>)/.exec(s.slice(this.i, this.i + 3))?.[0] ?? s[this.i]!;
    this.i += op.length;
    while (s[this.i] === ' ' || s[this.i] === '\t') this.i++;
    if (op === '<<' || op === '<<-') {
      const w = this.word(inside, 'delimiter');
      this.heredocs.push({ delimiter: w.text, quoted: w.quoted, stripTabs: op === '<<-' });
      return;
    }
    if (this.done || METACHAR.has(s[this.i]!)) return;
    this.word(inside);
  }

  // ---- words ----------------------------------------------------------------------------------------------------

  /** One word: up to an unquoted metacharacter. */
  private word(inside: 'substitution' | undefined, role?: 'delimiter'): Word {
    const s = this.s;
    const w: Word = { text: '', literal: true, quoted: false, start: this.i, end: this.i, holes: [] };
    const expansion = () => {
      w.text += '\u0000';
      w.literal = false;
    };
    while (!this.done) {
      const c = s[this.i]!;
      if (METACHAR.has(c)) break;
      if (c === '\\') {
        if (s[this.i + 1] === '\n') {
          this.i += 2;
          continue;
        }
        w.quoted = true;
        w.text += s[this.i + 1] ?? '';
        this.i += 2;
        continue;
      }
      if (c === "'") {
        w.quoted = true;
        const close = s.indexOf("'", this.i + 1);
        const end = close < 0 ? s.length : close;
        const holes = w.holes.length;
        this.placeholdersIn(this.i + 1, end, inside ?? 'single', w);
        if (w.holes.length > holes) w.literal = false;
        w.text += s.slice(this.i + 1, end);
        this.i = end + 1;
        continue;
      }
      if (c === '"') {
        w.quoted = true;
        this.i++;
        this.doubleQuoted(inside, w);
        continue;
      }
      if (c === '`') {
        this.backticks();
        expansion();
        continue;
      }
      if (c === '$') {
        if (this.isPlaceholder()) {
          const p = role === 'delimiter' ? this.placeholder(inside ?? 'code', 'in the delimiter of a here-document') : this.placeholder(inside ?? 'none');
          if (p) {
            w.holes.push(p);
            expansion();
          }
          continue;
        }
        if (this.dollar(inside ?? 'none', w, true)) continue;
      }
      w.text += c;
      this.i++;
    }
    w.end = this.i;
    return w;
  }

  /** Placeholders between two offsets of text bash takes literally (single quotes). */
  private placeholdersIn(from: number, to: number, context: ShellContext, w: Word | undefined): void {
    const saved = this.i;
    for (let k = from; k < to; ) {
      const next = this.s.indexOf('${{', k);
      const escaped = this.s.indexOf('$${{', k);
      const at = escaped >= 0 && escaped < to && (next < 0 || escaped < next) ? escaped : next;
      if (at < 0 || at >= to) break;
      this.i = at;
      const p = this.placeholder(context);
      if (p) w?.holes.push(p);
      k = this.i;
    }
    this.i = saved;
  }

  /** Inside "...": up to the closing quote. */
  private doubleQuoted(inside: 'substitution' | undefined, w: Word | undefined): void {
    const s = this.s;
    while (!this.done) {
      const c = s[this.i]!;
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\') {
        if (w && s[this.i + 1] !== '\n') w.text += '$`"\\'.includes(s[this.i + 1] ?? '') ? s[this.i + 1] : `\\${s[this.i + 1] ?? ''}`;
        this.i += 2;
        continue;
      }
      if (c === '`') {
        this.backticks();
        if (w) (w.text += '\u0000'), (w.literal = false);
        continue;
      }
      if (c === '$') {
        if (this.isPlaceholder()) {
          const p = this.placeholder(inside ?? 'double');
          if (p && w) w.holes.push(p), (w.text += '\u0000'), (w.literal = false);
          continue;
        }
        if (this.dollar(inside ?? 'double', w)) continue;
      }
      if (w) w.text += c;
      this.i++;
    }
  }

  /** `...`: a command substitution of the old kind. */
  private backticks(): void {
    const s = this.s;
    this.i++;
    while (!this.done && s[this.i] !== '`') {
      if (s[this.i] === '\\') {
        this.i += 2;
        continue;
      }
      if (this.isPlaceholder()) {
        this.placeholder('substitution');
        continue;
      }
      this.i++;
    }
    this.i++;
  }

  /**
   * At a "$" that starts an expansion ($(...), ${...}, $((...))): moves past it and returns true; false for a "$"
   * that is just a character or a plain $name (left for the caller to take as text).
   */
  private dollar(quote: ShellContext, w: Word | undefined, quotes = false): boolean {
    const s = this.s;
    const inside = quote === 'substitution' ? 'substitution' : undefined;
    const mark = () => {
      if (w) (w.text += '\u0000'), (w.literal = false);
    };
    if (quotes && this.at("$'")) {
      // $'...': backslash escapes are read, so a value goes in with its backslashes and quotes escaped
      this.i += 2;
      const holes = w?.holes.length ?? 0;
      while (!this.done && s[this.i] !== "'") {
        if (s[this.i] === '\\') {
          if (w) w.text += s[this.i + 1] ?? '';
          this.i += 2;
          continue;
        }
        if (this.isPlaceholder()) {
          const p = this.placeholder(inside ?? 'ansi');
          if (p) w?.holes.push(p);
          continue;
        }
        if (w) w.text += s[this.i];
        this.i++;
      }
      this.i++;
      if (w) {
        w.quoted = true;
        if (w.holes.length > holes) w.literal = false;
      }
      return true;
    }
    if (quotes && this.at('$"')) {
      // $"...": a double-quoted string looked up in a message catalog
      this.i += 2;
      if (w) w.quoted = true;
      this.doubleQuoted(inside, w);
      return true;
    }
    if (this.at('$((')) {
      // Taken for a command substitution, whose placeholders cannot be quoted.
      this.i += 3;
      this.arithmetic('))', 'substitution');
      mark();
      return true;
    }
    if (this.at('$(')) {
      this.i += 2;
      this.list(')', 'substitution');
      mark();
      return true;
    }
    if (this.at('${')) {
      this.i += 2;
      this.parameter(quote, w);
      mark();
      return true;
    }
    if (this.at('$[')) {
      this.i += 2;
      this.arithmetic(']', 'substitution');
      mark();
      return true;
    }
    if (/[A-Za-z_0-9@*#?$!-]/.test(s[this.i + 1] ?? '')) {
      // $name, $1, $?: an expansion, whose value bash does not read again
      this.i++;
      if (/[A-Za-z_]/.test(s[this.i]!)) while (/[A-Za-z0-9_]/.test(s[this.i] ?? '')) this.i++;
      else this.i++;
      mark();
      return true;
    }
    return false;
  }

  /** Inside ${...}: up to its closing brace. */
  private parameter(quote: ShellContext, w: Word | undefined): void {
    const s = this.s;
    let depth = 0;
    while (!this.done) {
      const c = s[this.i]!;
      if (c === '}') {
        this.i++;
        if (depth === 0) return;
        depth--;
        continue;
      }
      if (c === '{') depth++;
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      if (c === "'" && (quote === 'none' || quote === 'substitution')) {
        const close = s.indexOf("'", this.i + 1);
        const end = close < 0 ? s.length : close;
        this.placeholdersIn(this.i + 1, end, quote === 'substitution' ? quote : 'single', w);
        this.i = end + 1;
        continue;
      }
      if (c === '"') {
        this.i++;
        this.doubleQuoted(quote === 'substitution' ? 'substitution' : undefined, undefined);
        continue;
      }
      if (c === '`') {
        this.backticks();
        continue;
      }
      if (c === '$') {
        if (this.isPlaceholder()) {
          const p = this.placeholder(quote);
          if (p) w?.holes.push(p);
          continue;
        }
        if (this.dollar(quote, undefined, quote === 'none')) continue;
      }
      this.i++;
    }
  }

  /** Inside $((...)) or $[...]: up to `close`. */
  private arithmetic(close: '))' | ']', inside: 'substitution' | undefined): void {
    const s = this.s;
    let depth = 0;
    while (!this.done) {
      const c = s[this.i]!;
      if (depth === 0 && this.at(close)) {
        this.i += close.length;
        return;
      }
      if (c === '(' || c === '[') depth++;
      else if ((c === ')' || c === ']') && depth > 0) depth--;
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      if (c === '$' || c === '"' || c === "'" || c === '`') {
        if (this.isPlaceholder()) {
          this.placeholder(inside ?? 'none');
          continue;
        }
        if (c === '"') {
          this.i++;
          this.doubleQuoted(inside, undefined);
          continue;
        }
        if (c === "'") {
          const end = s.indexOf("'", this.i + 1);
          this.placeholdersIn(this.i + 1, end < 0 ? s.length : end, inside ?? 'single', undefined);
          this.i = end < 0 ? s.length : end + 1;
          continue;
        }
        if (c === '`') {
          this.backticks();
          continue;
        }
        if (this.dollar(inside ?? 'none', undefined, true)) continue;
      }
      this.i++;
    }
  }

  // ---- here-documents -------------------------------------------------------------------------------------------

  /** After a newline: the bodies of the here-documents its line opened, in order. */
  private heredocBodies(inside: 'substitution' | undefined): void {
    const pending = this.heredocs;
    this.heredocs = [];
    for (const h of pending) {
      if (this.done) return;
      this.heredocBody(h, inside);
    }
  }

  private heredocBody(h: PendingHeredoc, inside: 'substitution' | undefined): void {
    const s = this.s;
    const context: ShellContext = inside ?? (h.quoted ? 'literal-heredoc' : 'heredoc');
    while (!this.done) {
      // In an unquoted body a backslash-newline joins two lines before bash compares a line with the delimiter.
      const { text, end } = logicalLine(s, this.i, !h.quoted);
      if ((h.stripTabs ? text.replace(/^\t+/, '') : text) === h.delimiter) {
        this.i = Math.min(s.length, end + 1);
        return;
      }
      if (h.quoted) {
        this.placeholdersIn(this.i, end, context, undefined);
        this.i = Math.min(s.length, end + 1);
        continue;
      }
      // Unquoted: $ and ` work as in double quotes; quotes are plain characters.
      while (!this.done && this.i < end) {
        const c = s[this.i]!;
        if (c === '\\') {
          this.i += 2;
          continue;
        }
        if (c === '`') {
          this.backticks();
          continue;
        }
        if (c === '$') {
          if (this.isPlaceholder()) {
            this.placeholder(context);
            continue;
          }
          if (this.dollar(context, undefined)) continue;
        }
        this.i++;
      }
      if (this.i === end) this.i = Math.min(s.length, end + 1);
    }
  }
}

/** The line from `from`, its end (the newline's offset, or the text's length), and its text with continuations joined. */
function logicalLine(s: string, from: number, joinContinuations: boolean): { text: string; end: number } {
  let text = '';
  let k = from;
  for (;;) {
    const eol = s.indexOf('\n', k);
    const end = eol < 0 ? s.length : eol;
    const part = s.slice(k, end);
    const slashes = /\\*$/.exec(part)![0].length;
    if (joinContinuations && eol >= 0 && slashes % 2 === 1) {
      text += part.slice(0, -1);
      k = eol + 1;
      continue;
    }
    return { text: text + part, end };
  }
}
