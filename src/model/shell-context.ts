// Where each ${{ placeholder }} of a shell line stands as bash reads the line: in quotes or not, inside $(...), in a
// here-document's body, in arithmetic... As much of bash's grammar as it takes to know how a value can be put there as
// data, or that it cannot be. Where in doubt, a place is taken for the stricter one.
import type { Placeholder, PlaceholderProblem } from './placeholders.js';

export type ShellContext = Placeholder['context'];

const OPEN = '${{';
const ESCAPED_OPEN = '$${{';
const NAME = /^[a-z][a-z0-9_]*$/;
/** Characters that end an unquoted word. */
const METACHAR = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
/** [[ ... ]] operators whose operands bash evaluates as arithmetic expressions. */
const ARITHMETIC_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
const DECLARATIONS = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
/** Reserved words after which a command starts: if (( x )), while [[ ... ]], ! let ... */
const KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'fi', 'do', 'done', 'while', 'until', '!', 'time', '{', '}']);

/** A place that decides the context of every placeholder within it, whatever the quotes. */
interface Inside {
  context: 'substitution' | 'arithmetic' | 'code';
  where?: string;
  /** For code: how to pass the value as data there instead. */
  how?: string;
}

/** Inside `inner` within `outer`: nothing within a command substitution can be quoted, whatever it is. */
function nest(outer: Inside | undefined, inner: Inside): Inside {
  return outer?.context === 'substitution' ? outer : inner;
}

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
  /** NAME=value, NAME+=value, NAME[subscript]=value: the name, and where the value's placeholders start in holes. */
  assignment?: { name: string; valueFrom: number };
  /** Placeholders in the [subscript] of NAME[subscript]= (arithmetic for an indexed array). */
  subscript?: Placeholder[];
  /** An operator of [[ ... ]] taken as a word of its own: ( ) ! && || < > */
  operator?: boolean;
}

interface PendingHeredoc {
  delimiter: string;
  quoted: boolean;
  stripTabs: boolean;
  /** Set when the command it feeds reads it as code (bash, ssh host): every placeholder in its body is code. */
  code?: Inside;
}

/** A redirection of a command: a here-string's word, a here-document. */
interface Redirection {
  op: string;
  word?: Word;
  heredoc?: PendingHeredoc;
}

/** What the commands of a pipeline before this one hold: their output is this one's input. */
interface Pipe {
  holes: Placeholder[];
  heredocs: PendingHeredoc[];
}

const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'yash', 'posh', 'fish', 'csh', 'tcsh']);
/** Programs that run one of their arguments as a shell command: the option that gives it. */
const COMMAND_OPTIONS: Record<string, string[]> = { su: ['-c', '--command'], runuser: ['-c', '--command'], script: ['-c', '--command'], flock: ['-c', '--command'] };
/** ssh's options that take an argument. */
const SSH_ARGUMENT_OPTIONS = 'BbcDEeFIiJLlmOoPpQRSWw';

const ENV_HINT = (what: string) => `refer to the environment variable there instead (${what}), or declare the variable type: integer or enum, whose values hold no shell syntax`;
const QUOTE_HINT = (what: string, why = '') => `${why}quote the value for that shell: ${what}, or declare the variable type: integer or enum, whose values hold no shell syntax`;

function isBare(w: Word | undefined, text: string): boolean {
  return !!w && w.literal && !w.quoted && w.text === text;
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
  /** Variables the line declares integer (declare -i n) or associative (declare -A m). */
  private readonly integers = new Set<string>();
  private readonly associative = new Set<string>();

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

  /**
   * At "${{" or "$${{": records the placeholder, in `context` unless `inside` decides, and moves past it. Returns it
   * (undefined if escaped or malformed).
   */
  private placeholder(context: ShellContext, inside?: Inside): Placeholder | undefined {
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
    const p: Placeholder = { name, start, end, context: inside?.context ?? context };
    if (inside?.where && inside.context !== 'substitution') p.where = inside.where;
    if (inside?.how && inside.context === 'code') p.how = inside.how;
    this.found.push(p);
    return p;
  }

  private isPlaceholder(): boolean {
    return this.at(OPEN) || this.at(ESCAPED_OPEN);
  }

  /** A placeholder already found turns out to stand in a stricter place (the operand of -gt, an argument of let). */
  private restrict(holes: readonly Placeholder[], inside: Inside): void {
    for (const p of holes) {
      if (p.context === 'substitution') continue;
      if (p.context === 'code' && inside.context === 'arithmetic') continue;
      p.context = inside.context;
      if (inside.where) p.where = inside.where;
      if (inside.how) p.how = inside.how;
      else delete p.how;
    }
  }

  // ---- commands -------------------------------------------------------------------------------------------------

  /**
   * A list of commands, up to `close` (")" of a $(...) or <(...)) or the end. `inside` is set within a command
   * substitution, whose every placeholder is reported as such.
   */
  private list(close: ')' | null, inside: Inside | undefined): void {
    let depth = 0; // ( ... ) subshells and groups opened within this list
    let words: Word[] = [];
    /** Open case commands, and whether a pattern comes next (where a ")" ends the pattern, not a subshell). */
    let cases = 0;
    let expectPattern = false;
    /** Within [[ ... ]]: ( ) < > && || are operators of the test, not of the shell. */
    let cond = false;
    let redirs: Redirection[] = [];
    let pipe: Pipe = { holes: [], heredocs: [] };
    const end = (op?: string) => {
      if (words.length || redirs.length) this.command(words, redirs, pipe);
      if (op === '|' || op === '|&') {
        pipe.holes.push(...words.flatMap((w) => w.holes), ...redirs.flatMap((r) => r.word?.holes ?? []));
        pipe.heredocs.push(...redirs.flatMap((r) => (r.heredoc ? [r.heredoc] : [])));
      } else pipe = { holes: [], heredocs: [] };
      words = [];
      redirs = [];
    };
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
      if (cond && c !== '\n' && METACHAR.has(c)) {
        const op = /^(&&|\|\||[()<>!])/.exec(s.slice(this.i, this.i + 2))?.[0] ?? c;
        words.push({ text: op, literal: true, quoted: false, start: this.i, end: this.i + op.length, holes: [], operator: true });
        this.i += op.length;
        continue;
      }
      if (c === '\n') {
        this.i++;
        end();
        this.heredocBodies(inside);
        continue;
      }
      if (c === ';' || c === '&' || c === '|') {
        const op = /^(;;&|;;|;&|&&|\|\||\|&|[;&|])/.exec(s.slice(this.i, this.i + 3))![0];
        this.i += op.length;
        end(op);
        if (cases > 0 && (op === ';;' || op === ';&' || op === ';;&')) expectPattern = true;
        continue;
      }
      if (c === '(') {
        if (s[this.i + 1] === '(' && (words.length === 0 || (words.length === 1 && isBare(words[0], 'for')))) {
          // (( expression )) and for (( ...; ...; ... )): arithmetic
          this.i += 2;
          this.arithmetic('))', nest(inside, { context: 'arithmetic', where: words.length ? 'in for (( ))' : 'in (( ))' }));
          words = [];
          continue;
        }
        this.i++;
        if (!(expectPattern && words.length === 0)) depth++;
        end();
        continue;
      }
      if (c === ')') {
        this.i++;
        end();
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
        redirs.push(this.redirection(inside));
        continue;
      }
      if (c === '#') {
        // a comment: to the end of the line (a backslash does not continue it)
        const eol = s.indexOf('\n', this.i);
        this.placeholdersIn(this.i, eol < 0 ? s.length : eol, 'comment', inside, undefined);
        this.i = eol < 0 ? s.length : eol;
        continue;
      }
      const w = this.word(inside, words.length === 0 || words.every((x) => x.assignment) || this.declaring(words));
      if (cases > 0 && words.length === 0 && isBare(w, 'esac')) {
        cases--;
        expectPattern = false;
        continue;
      }
      if (words.length === 0 && !cond && w.literal && !w.quoted && KEYWORDS.has(w.text)) continue;
      if (words.length === 0 && isBare(w, '[[')) cond = true;
      if (cond && isBare(w, ']]')) cond = false;
      words.push(w);
      if (words.length === 3 && isBare(words[0], 'case') && isBare(words[2], 'in')) {
        cases++;
        expectPattern = true;
        words = [];
      }
    }
    end();
  }

  /** Whether the words so far are a declaration builtin and its options, where NAME=value words are assignments. */
  private declaring(words: Word[]): boolean {
    const first = words.findIndex((w) => !w.assignment);
    return first >= 0 && words[first]!.literal && DECLARATIONS.has(words[first]!.text);
  }

  /** A simple command's words, once all are known: the places its command makes of them. */
  private command(words: Word[], redirs: Redirection[], pipe: Pipe): void {
    // Assignments before the command, and the command's name
    let k = 0;
    for (; k < words.length && words[k]!.assignment; k++) this.assignment(words[k]!, false);
    // command and builtin run the builtin they name
    while (k < words.length - 1 && (isBare(words[k], 'command') || isBare(words[k], 'builtin'))) k++;
    const name = words[k];
    if (!name) return;
    const args = words.slice(k + 1);
    this.code(name, args, redirs, pipe);
    if (isBare(name, '[[')) {
      args.forEach((w, j) => {
        if (!w.operator && w.literal && ARITHMETIC_TESTS.has(w.text)) {
          const where = { context: 'arithmetic' as const, where: `as an operand of ${w.text} in [[ ]]` };
          for (const operand of [args[j - 1], args[j + 1]]) if (operand && !operand.operator) this.restrict(operand.holes, where);
        }
      });
      return;
    }
    if (isBare(name, 'let')) {
      for (const w of args) this.restrict(w.holes, { context: 'arithmetic', where: 'as an argument of let' });
      return;
    }
    if (name.literal && DECLARATIONS.has(name.text)) {
      const flags = args.filter((w) => w.literal && /^-[A-Za-z]+$/.test(w.text)).map((w) => w.text);
      const integer = flags.some((f) => f.includes('i'));
      const assoc = flags.some((f) => f.includes('A'));
      for (const w of args) {
        if (!w.assignment) {
          if (w.literal && /^[A-Za-z_]\w*$/.test(w.text)) {
            if (integer) this.integers.add(w.text);
            if (assoc) this.associative.add(w.text);
          }
          continue;
        }
        if (integer) this.integers.add(w.assignment.name);
        if (assoc) this.associative.add(w.assignment.name);
        this.assignment(w, integer);
      }
      return;
    }
    // [subscript]=value in a compound assignment a=( [i]=x ), taken for a word of a command
    for (const w of [name, ...args]) if (w.subscript?.length && !w.assignment) this.restrict(w.subscript, { context: 'arithmetic', where: 'in an array subscript' });
  }

  /**
   * The words a command reads as shell code, or as a variable's name: eval's, bash -c's, ssh's remote command, and
   * the input of a shell that reads its script from it.
   */
  private code(name: Word, args: Word[], redirs: Redirection[], pipe: Pipe): void {
    const restrict = (ws: (Word | undefined)[], where: string, how: string) => {
      for (const w of ws) if (w) this.restrict(w.holes, { context: 'code', where, how });
    };
    /** The command's input is code: here-strings, here-documents, and what the pipeline before it prints. */
    const stdin = (where: string, how: string) => {
      const inside: Inside = { context: 'code', where, how };
      for (const r of redirs) {
        if (r.op === '<<<' && r.word) this.restrict(r.word.holes, inside);
        if (r.heredoc) r.heredoc.code = inside;
      }
      this.restrict(pipe.holes, inside);
      for (const h of pipe.heredocs) h.code = inside;
    };
    const all = [name, ...args];
    const bare = (w: Word | undefined) => (w && w.literal && !w.quoted ? w.text : undefined);
    const base = (w: Word | undefined) => bare(w)?.replace(/^.*\//, '');
    const cmd = bare(name);
    if (cmd === 'eval') {
      restrict(args, 'as an argument of eval, which runs it as shell code', `avoid eval, or quote the value for it: eval "... $(printf '%q' "$IRM_VAR_NAME")"`);
    }
    if (cmd === 'trap') {
      const first = args[bare(args[0]) === '--' ? 1 : 0];
      // trap - SIGNAL resets, trap -p and trap -l list: no command
      if (!/^-/.test(bare(first) ?? '') || bare(args[0]) === '--') restrict([first], "in trap's command, which bash runs as shell code", ENV_HINT(`trap 'echo "$IRM_VAR_NAME"' EXIT`));
    }
    // Names of variables, whose [subscript] bash evaluates as arithmetic: read NAME, printf -v NAME, -v NAME...
    const name_ = (ws: (Word | undefined)[]) => restrict(ws, 'as the name of a variable, whose [subscript] bash evaluates as code', 'write a fixed variable name');
    if (cmd === 'read') {
      let j = 0;
      for (; j < args.length; j++) {
        const a = bare(args[j]);
        if (a === undefined || !a.startsWith('-') || a === '--') break;
        if (/^-[A-Za-z]*[adinNptu]$/.test(a)) {
          if (a.endsWith('a')) name_([args[j + 1]]);
          j++;
        }
      }
      name_(args.slice(j + (bare(args[j]) === '--' ? 1 : 0)));
    }
    if (cmd === 'printf' || cmd === 'wait') {
      const v = args.findIndex((w) => bare(w) === (cmd === 'printf' ? '-v' : '-p'));
      if (v >= 0) name_([args[v + 1]]);
    }
    if (cmd === '[[' || cmd === 'test' || cmd === '[') args.forEach((w, j) => (bare(w) === '-v' || bare(w) === '-R') && name_([args[j + 1]]));
    if (cmd && DECLARATIONS.has(cmd)) {
      const nameref = args.some((w) => /^-[A-Za-z]*n/.test(bare(w) ?? ''));
      for (const w of args) {
        const eq = w.text.indexOf('=');
        if (w.assignment) {
          if (nameref) name_([w]);
        } else if (eq > 0 && w.text.slice(0, eq).includes('\u0000')) name_([w]);
      }
    }
    // Shells, wherever they stand (after sudo, env, timeout, docker exec, xargs, find -exec...)
    const shell = all.findIndex((w) => SHELLS.has(base(w) ?? ''));
    if (shell >= 0) {
      let j = shell + 1;
      let c = false;
      let s = false;
      for (; j < all.length; j++) {
        const a = bare(all[j]);
        if (a === undefined || a === '-' || a === '--' || !/^[-+]/.test(a)) break;
        if (/^[-+][oO]$/.test(a) || a === '--rcfile' || a === '--init-file') j++;
        else if (/^-[A-Za-z]*c[A-Za-z]*$/.test(a)) c = true;
        else if (/^-[A-Za-z]*s[A-Za-z]*$/.test(a)) s = true;
      }
      if (bare(all[j]) === '-' || bare(all[j]) === '--') j++;
      const program = base(all[shell]);
      if (c) {
        restrict([all[j]], `in the command string of ${program} -c, which that shell reads as code`, ENV_HINT(`${program} -c '... "$IRM_VAR_NAME" ...'`) + `; or pass it as an argument: ${program} -c '... "$1" ...' _ VALUE`);
      } else if (s || j >= all.length) {
        stdin(`in the input of ${program}, which reads it as a script`, ENV_HINT(`in a script with a quoted delimiter, <<'END' ... "$IRM_VAR_NAME" ... END`));
      }
    }
    const ssh = all.findIndex((w) => base(w) === 'ssh');
    if (ssh >= 0) {
      let j = ssh + 1;
      for (; j < all.length; j++) {
        const a = bare(all[j]);
        if (a === undefined || !a.startsWith('-') || a === '-') break;
        if (a === '--') {
          j++;
          break;
        }
        // -o ProxyCommand=... and the like run a command on this host
        if ((a === '-o' && /^(ProxyCommand|LocalCommand|RemoteCommand|KnownHostsCommand)/i.test(all[j + 1]?.text ?? '')) || /^-o(ProxyCommand|LocalCommand|RemoteCommand|KnownHostsCommand)/i.test(a)) {
          restrict([a === '-o' ? all[j + 1] : all[j]], 'in a command that ssh runs with a shell', 'write a fixed command');
        }
        const flags = a.slice(1);
        for (let f = 0; f < flags.length; f++) {
          if (SSH_ARGUMENT_OPTIONS.includes(flags[f]!)) {
            if (f === flags.length - 1) j++;
            break;
          }
        }
      }
      const remote = all.slice(j + 1);
      const how = QUOTE_HINT(`ssh HOST "... $(printf '%q' "$IRM_VAR_NAME")"`, 'the remote shell sees no IRM_VAR_ variable: ');
      if (remote.length) restrict(remote, "in ssh's remote command, which the remote shell reads as code", how);
      else if (j < all.length) stdin('in the input of ssh, which the remote shell reads as a script', how);
    }
    for (const [program, options] of Object.entries(COMMAND_OPTIONS)) {
      const at = all.findIndex((w) => base(w) === program);
      if (at < 0) continue;
      for (let j = at + 1; j < all.length; j++) {
        const a = bare(all[j]) ?? '';
        if (options.includes(a)) restrict([all[j + 1]], `in the command of ${program} ${a}, which a shell reads as code`, program === 'su' || program === 'runuser' ? QUOTE_HINT(`${program} -c "... $(printf '%q' "$IRM_VAR_NAME")"`) : ENV_HINT(`${program} ${a} '... "$IRM_VAR_NAME" ...'`));
        else if (options.some((o) => all[j]!.text.startsWith(o.length > 2 ? `${o}=` : o) && all[j]!.text.length > o.length)) restrict([all[j]], `in the command of ${program} ${options[0]}, which a shell reads as code`, QUOTE_HINT(`"$(printf '%q' "$IRM_VAR_NAME")"`));
      }
    }
    const watch = all.findIndex((w) => base(w) === 'watch');
    if (watch >= 0 && !all.some((w) => bare(w) === '-x' || bare(w) === '--exec')) {
      let j = watch + 1;
      for (; j < all.length; j++) {
        const a = bare(all[j]);
        if (a === undefined || !a.startsWith('-')) break;
        if (/^-[A-Za-z]*[nq]$/.test(a) || /^--(interval|equexit)$/.test(a)) j++;
      }
      restrict(all.slice(j), 'in the command of watch, which runs it with sh -c', ENV_HINT(`watch '... "$IRM_VAR_NAME" ...'`) + '; or use watch -x');
    }
  }

  /** NAME=value: a subscript is arithmetic (for an indexed array), and so is the value of an integer variable. */
  private assignment(w: Word, integer: boolean): void {
    const a = w.assignment!;
    if (/^(PS[0-4]|PROMPT_COMMAND)$/.test(a.name)) {
      this.restrict(w.holes.slice(a.valueFrom), { context: 'code', where: 'in a prompt string, which bash expands again', how: 'write a fixed prompt' });
    }
    if (w.subscript?.length && !this.associative.has(a.name)) this.restrict(w.subscript, { context: 'arithmetic', where: 'in an array subscript' });
    if (integer || this.integers.has(a.name)) {
      this.restrict(w.holes.slice(a.valueFrom), { context: 'arithmetic', where: 'in the value of an integer variable (declare -i)' });
    }
  }

  /** At digits: whether they are a redirection's file descriptor (2>, 1>&2, 0<). */
  private redirectionAhead(): boolean {
    let k = this.i;
    while (k < this.s.length && /[0-9]/.test(this.s[k]!)) k++;
    return this.s[k] === '<' || this.s[k] === '>';
  }

  /** A redirection: its operator and the word it takes, or a here-document to read after the line. */
  private redirection(inside: Inside | undefined): Redirection {
    const s = this.s;
    const from = this.i;
    while (/[0-9]/.test(s[this.i]!)) this.i++;
    const fd = s.slice(from, this.i);
    const op = /^(<<<|<<-|<<|<>|<&|>>|>&|>\||<|>)/.exec(s.slice(this.i, this.i + 3))?.[0] ?? s[this.i]!;
    this.i += op.length;
    while (s[this.i] === ' ' || s[this.i] === '\t') this.i++;
    if (op === '<<' || op === '<<-') {
      const w = this.word(nest(inside, { context: 'code', where: 'in the delimiter of a here-document', how: 'write a fixed delimiter' }), false);
      const heredoc: PendingHeredoc = { delimiter: w.text, quoted: w.quoted, stripTabs: op === '<<-' };
      this.heredocs.push(heredoc);
      return { op, heredoc };
    }
    if (this.done || METACHAR.has(s[this.i]!)) return { op };
    if (op === '>&' && (fd === '' || fd === '1')) {
      // >&word with a word that is not a number means &>word, and bash expands that word a second time
      const where = { context: 'code' as const, where: 'after >&, where bash expands the word twice', how: 'write >FILE 2>&1 (or &>FILE) to send both outputs to a file' };
      return { op, word: this.word(nest(inside, where), false) };
    }
    return { op, word: this.word(inside, false) };
  }

  // ---- words ----------------------------------------------------------------------------------------------------

  /** One word: up to an unquoted metacharacter. `assigning`: where NAME=value is an assignment. */
  private word(inside: Inside | undefined, assigning: boolean): Word {
    const s = this.s;
    const w: Word = { text: '', literal: true, quoted: false, start: this.i, end: this.i, holes: [] };
    const expansion = () => {
      w.text += '\u0000';
      w.literal = false;
    };
    /** In NAME[...] at the start of the word: the subscript's bracket depth. */
    let subscript = 0;
    while (!this.done) {
      const c = s[this.i]!;
      if (METACHAR.has(c)) break;
      if (subscript === 0 && c === '[' && !w.quoted && (/^[A-Za-z_]\w*$/.test(w.text) || w.text === '')) {
        // NAME[subscript]=... or a compound assignment's [subscript]=...: arithmetic for an indexed array
        subscript = 1;
        w.subscript = [];
        w.text += c;
        this.i++;
        continue;
      }
      if (subscript > 0 && (c === '[' || c === ']')) {
        subscript += c === '[' ? 1 : -1;
        w.text += c;
        this.i++;
        continue;
      }
      const before = w.holes.length;
      if (c === '=' && !w.assignment && assigning && /^[A-Za-z_]\w*(\[.*\])?\+?$/s.test(w.text) && !w.quoted) {
        w.assignment = { name: /^[A-Za-z_]\w*/.exec(w.text)![0], valueFrom: w.holes.length };
      }
      this.wordPart(w, inside);
      if (subscript > 0 && w.holes.length > before) w.subscript!.push(...w.holes.slice(before));
    }
    if (w.subscript && !(w.assignment || /^\[.*\]\+?=/s.test(w.text))) delete w.subscript;
    w.end = this.i;
    return w;
  }

  /** One character or quoted part of a word. */
  private wordPart(w: Word, inside: Inside | undefined): void {
    const s = this.s;
    const c = s[this.i]!;
    if (c === '\\') {
      if (s[this.i + 1] === '\n') {
        this.i += 2;
        return;
      }
      w.quoted = true;
      w.text += s[this.i + 1] ?? '';
      this.i += 2;
      return;
    }
    if (c === "'") {
      w.quoted = true;
      const start = this.i + 1;
      const holes = w.holes.length;
      const end = this.singleQuoted(inside, w);
      if (w.holes.length > holes) w.literal = false;
      w.text += s.slice(start, end);
      return;
    }
    if (c === '"') {
      w.quoted = true;
      this.i++;
      this.doubleQuoted(inside, w);
      return;
    }
    if (c === '`') {
      this.backticks();
      w.text += '\u0000';
      w.literal = false;
      return;
    }
    if (c === '$') {
      if (this.isPlaceholder()) {
        const p = this.placeholder('none', inside);
        if (p) {
          w.holes.push(p);
          w.text += '\u0000';
          w.literal = false;
        }
        return;
      }
      if (this.dollar('none', inside, w, true)) return;
    }
    w.text += c;
    this.i++;
  }

  /** Placeholders between two offsets of text bash takes literally (single quotes, a comment, a quoted body). */
  private placeholdersIn(from: number, to: number, context: ShellContext, inside: Inside | undefined, w: Word | undefined): void {
    const saved = this.i;
    for (let k = from; k < to; ) {
      const next = this.s.indexOf('${{', k);
      const escaped = this.s.indexOf('$${{', k);
      const at = escaped >= 0 && escaped < to && (next < 0 || escaped < next) ? escaped : next;
      if (at < 0 || at >= to) break;
      this.i = at;
      const p = this.placeholder(context, inside);
      if (p) w?.holes.push(p);
      k = this.i;
    }
    this.i = saved;
  }

  /** Inside "...": up to the closing quote. */
  private doubleQuoted(inside: Inside | undefined, w: Word | undefined): void {
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
          const p = this.placeholder('double', inside);
          if (p && w) w.holes.push(p), (w.text += '\u0000'), (w.literal = false);
          continue;
        }
        if (this.dollar('double', inside, w)) continue;
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
        this.placeholder('substitution', { context: 'substitution' });
        continue;
      }
      this.i++;
    }
    this.i++;
  }

  /**
   * At a "$" that starts an expansion ($(...), ${...}, $((...)), $'...'): moves past it and returns true; false for a
   * "$" that is just a character. `quote`: the quotes in force; `quotes`: whether quotes work here (not in "...").
   */
  private dollar(quote: ShellContext, inside: Inside | undefined, w: Word | undefined, quotes = false): boolean {
    const s = this.s;
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
          const p = this.placeholder('ansi', inside);
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
      this.i += 3;
      this.arithmetic('))', nest(inside, { context: 'arithmetic', where: 'in $(( ))' }));
      mark();
      return true;
    }
    if (this.at('$(')) {
      this.i += 2;
      this.list(')', { context: 'substitution' });
      mark();
      return true;
    }
    if (this.at('${')) {
      this.i += 2;
      this.parameter(quote, inside, w);
      mark();
      return true;
    }
    if (this.at('$[')) {
      this.i += 2;
      this.arithmetic(']', nest(inside, { context: 'arithmetic', where: 'in $[ ]' }));
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

  /**
   * Inside ${...}: up to its closing brace. A [subscript] of an indexed array and the offset and length of
   * ${name:offset:length} are arithmetic; the word of ${name:-word} and the like is text in the quotes in force.
   */
  private parameter(quote: ShellContext, inside: Inside | undefined, w: Word | undefined): void {
    const s = this.s;
    const param = /^[!#]?([A-Za-z_]\w*|[0-9]+|[@*#?$!-])/.exec(s.slice(this.i, this.i + 256));
    if (param) {
      this.i += param[0].length;
      const name = param[1]!;
      if (s[this.i] === '[') {
        this.i++;
        this.arithmetic(']', this.associative.has(name) ? inside : nest(inside, { context: 'arithmetic', where: 'in an array subscript' }));
      }
      if (s[this.i] === ':' && !/[-=?+]/.test(s[this.i + 1] ?? '')) {
        this.i++;
        this.arithmetic('}', nest(inside, { context: 'arithmetic', where: 'in the offset or length of ${name:offset:length}' }));
        return;
      }
    }
    // a quote inside "${...}" is a plain character
    const quotes = quote === 'none';
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
      if (c === "'" && quotes) {
        this.singleQuoted(inside, w);
        continue;
      }
      if (c === '"') {
        this.i++;
        this.doubleQuoted(inside, undefined);
        continue;
      }
      if (c === '`') {
        this.backticks();
        continue;
      }
      if (c === '$') {
        if (this.isPlaceholder()) {
          const p = this.placeholder(quote, inside);
          if (p) w?.holes.push(p);
          continue;
        }
        if (this.dollar(quote, inside, undefined, quotes)) continue;
      }
      this.i++;
    }
  }

  /**
   * A single-quoted string from its opening quote (at this.i): its placeholders are literal text there. Moves past the
   * closing quote and returns where that quote is (the end of the text when it is not closed).
   */
  private singleQuoted(inside: Inside | undefined, w: Word | undefined): number {
    const close = this.s.indexOf("'", this.i + 1);
    const end = close < 0 ? this.s.length : close;
    this.placeholdersIn(this.i + 1, end, 'single', inside, w);
    this.i = end + 1;
    return end;
  }

  /** Inside $((...)), ((...)), $[...], a subscript or an offset: up to `close`. */
  private arithmetic(close: '))' | ']' | '}', inside: Inside | undefined): void {
    const s = this.s;
    let depth = 0;
    while (!this.done) {
      const c = s[this.i]!;
      if (depth === 0 && this.at(close)) {
        this.i += close.length;
        return;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
      if (c === '\\') {
        this.i += 2;
        continue;
      }
      if (c === '$' && this.isPlaceholder()) {
        this.placeholder('none', inside);
        continue;
      }
      if (c === '"') {
        this.i++;
        this.doubleQuoted(inside, undefined);
        continue;
      }
      if (c === "'") {
        this.singleQuoted(inside, undefined);
        continue;
      }
      if (c === '`') {
        this.backticks();
        continue;
      }
      if (c === '$' && this.dollar('none', inside, undefined, true)) continue;
      this.i++;
    }
  }

  // ---- here-documents -------------------------------------------------------------------------------------------

  /** After a newline: the bodies of the here-documents its line opened, in order. */
  private heredocBodies(inside: Inside | undefined): void {
    const pending = this.heredocs;
    this.heredocs = [];
    for (const h of pending) {
      if (this.done) return;
      this.heredocBody(h, inside);
    }
  }

  private heredocBody(h: PendingHeredoc, outer: Inside | undefined): void {
    const s = this.s;
    const inside = h.code ? nest(outer, h.code) : outer;
    const context: ShellContext = h.quoted ? 'literal-heredoc' : 'heredoc';
    while (!this.done) {
      // In an unquoted body a backslash-newline joins two lines before bash compares a line with the delimiter.
      const { text, end } = logicalLine(s, this.i, !h.quoted);
      if ((h.stripTabs ? text.replace(/^\t+/, '') : text) === h.delimiter) {
        this.i = Math.min(s.length, end + 1);
        return;
      }
      if (h.quoted) {
        this.placeholdersIn(this.i, end, context, inside, undefined);
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
            this.placeholder(context, inside);
            continue;
          }
          if (this.dollar(context, inside, undefined)) continue;
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
