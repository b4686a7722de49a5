// What a command line does to the system, as far as its words tell: a guard against a destructive command declared "read".

/** The start of a command word: the line's start or a shell operator, then an optional path (/bin/kill, sudo's target). */
const CMD = String.raw`(?:^|[\s;&|(])(?:\S*/)?`;
/** Words between a program and its subcommand: options and names, not across a shell operator. */
const ARGS = String.raw`(?:[^\s;&|]+\s+)*?`;
const END = String.raw`(?=\s|$|[;&|)])`;
/** Where a command, not an argument, stands: the line's start, after an operator, or after sudo and the like. */
const CMD_POSITION = String.raw`(?:^|[;&|(]\s*|(?:^|\s)(?:sudo|exec|nohup|then|do|else)\s+)(?:\S*/)?`;

/** Shell words that change or destroy, looked for outside quotes: the word to name, or the group that names it. */
const SHELL_WORDS: [RegExp, string | number][] = [
  [new RegExp(`${CMD}(kill|pkill|killall)${END}`), 'kill'],
  [new RegExp(`${CMD}rm${END}`), 'rm'],
  [new RegExp(`${CMD}(shred|truncate|wipefs|mkfs(?:\\.\\w+)?)${END}`), 1],
  [new RegExp(`${CMD_POSITION}(shutdown|reboot|halt|poweroff)${END}`), 1],
  [new RegExp(`${CMD_POSITION}(?:init|telinit)\\s+[06]${END}`), 'shutdown'],
  [new RegExp(`${CMD}(?:docker-compose|docker\\s+compose|docker|podman|podman-compose)\\s+${ARGS}(down|stop|kill|rm|rmi|prune)${END}`), 1],
  [new RegExp(`${CMD}(?:systemctl|service)\\s+${ARGS}(stop|kill|disable|mask|isolate|poweroff|reboot|halt)${END}`), 1],
  [new RegExp(`${CMD}find\\s+${ARGS}(-delete)${END}`), 'find -delete'],
  [new RegExp(`${CMD}dd\\s+${ARGS}of=`), 'dd of='],
  [/(^|[\s;&|(])(\S+\s+)*?restart(?=\s|$)/, 'restart'],
];
/** A line without any of these cannot match a SHELL_WORDS pattern: most lines are passed over with one test. */
const SHELL_HINT = /kill|rm|shred|truncate|mkfs|shutdown|reboot|halt|poweroff|init|down|stop|prune|disable|mask|isolate|delete|dd|restart/;

/**
 * A redirection that empties a file (> file, >| file, &> file, 2> file), other than to /dev/null and the like: the
 * file's text is gone before the command runs. ">>" appends and ">&2" duplicates: neither destroys.
 */
const TRUNCATE = /(?:^|[^<>&0-9|$-])[0-9]*(?:&>|>\|?)(?![>&(])\s*([^\s;&|)]+)/g;
const HARMLESS_TARGET = /^(\/dev\/(null|stdout|stderr|tty|fd\/\d+)|&\d*-?)$/;

/** SQL and HTTP words that destroy data, looked for anywhere (they sit inside quotes). */
const DATA_WORDS: [RegExp, string][] = [
  [/\bDELETE\b/, 'DELETE'],
  [/\bdelete\s+from\b/i, 'DELETE'],
  [/\bDROP\b/, 'DROP'],
  [/\bdrop\s+(table|database|index|schema|role|user)\b/i, 'DROP'],
  [/\bTRUNCATE\b/i, 'TRUNCATE'],
  [/\bvacuum\s+full\b/i, 'VACUUM FULL'],
  [/\bFLUSHALL\b|\bFLUSHDB\b/i, 'FLUSHALL'],
];
/** The same for DATA_WORDS. */
const DATA_HINT = /delete|drop|truncate|vacuum|flush/i;

/** The text of a shell line with quoted parts blanked out. */
export function unquoted(line: string): string {
  let out = '';
  let quote: '' | "'" | '"' = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = '';
      else if (c === '\\' && quote === '"') i++;
      out += ' ';
      continue;
    }
    if (c === '\\') {
      out += ' ';
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

/** The word that makes a command look like a change or worse, or undefined. */
export function looksDestructive(line: string): string | undefined {
  if (SHELL_HINT.test(line) || line.includes('>')) {
    const bare = unquoted(line);
    for (const [re, word] of SHELL_WORDS) {
      const m = re.exec(bare);
      if (m) return typeof word === 'number' ? m[word]! : word;
    }
    for (const m of redirections(bare).matchAll(TRUNCATE)) if (!HARMLESS_TARGET.test(m[1]!)) return `> ${m[1]!.replace(/\$\(.*$/, '$(...)')}`;
  }
  if (DATA_HINT.test(line)) for (const [re, word] of DATA_WORDS) if (re.test(line)) return word;
  return undefined;
}

/**
 * A shell line's unquoted text with what holds a ">" that is no redirection blanked: (( ... )), $(( ... )) and
 * [[ ... ]] (where it compares) and comments.
 */
function redirections(bare: string): string {
  return bare.replace(/\$?\(\([^]*?\)\)|\[\[[^]*?\]\]|(?<=^|\s)#[^\n]*/g, (m) => ' '.repeat(m.length));
}
