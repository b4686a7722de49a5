// What a command line does to the system, as far as its words tell: a guard against a destructive command declared "read".

/** Shell words that change or destroy, looked for outside quotes. */
const SHELL_WORDS: [RegExp, string][] = [
  [/(^|[\s;&|(])(kill|pkill|killall)(?=\s|$)/, 'kill'],
  [/(^|[\s;&|(])rm(?=\s|$)/, 'rm'],
  [/(^|[\s;&|(])(docker-compose|docker\s+compose|docker)\s+(\S+\s+)*?down(?=\s|$)/, 'down'],
  [/(^|[\s;&|(])(\S+\s+)*?restart(?=\s|$)/, 'restart'],
];
/** A line without any of these cannot match a SHELL_WORDS pattern: most lines are passed over with one test. */
const SHELL_HINT = /kill|rm|down|restart/;

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
  if (SHELL_HINT.test(line)) {
    const bare = unquoted(line);
    for (const [re, word] of SHELL_WORDS) if (re.test(bare)) return word;
  }
  if (DATA_HINT.test(line)) for (const [re, word] of DATA_WORDS) if (re.test(line)) return word;
  return undefined;
}
