// Secrets never reach the screen, a report or a record: key names that look secret, and credentials inside URLs.

const SECRET_NAME = /(^|_)(key|secret|token|password|passwd|pass|pwd|credentials?|auth|api_?key|private)($|_)|secret|token|password/i;

/** True for names such as BINANCE_API_KEY, JWT_SECRET, SLACK_TOKEN, DB_PASSWORD. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export const MASK = '********';

/** Credentials inside URLs (postgres://user:pass@host) and KEY=value pairs whose key looks secret. */
export function maskSecrets(text: string, knownSecrets: readonly string[] = []): string {
  // Bounded repetitions: output can be megabytes of one line, and an unbounded pattern would backtrack on it forever.
  let out = text.replace(/([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:@/]{0,256}:)([^\s@/]{1,512})(@)/gi, `$1${MASK}$3`);
  out = out.replace(/\b([A-Za-z_][A-Za-z0-9_]{0,100})([ \t]{0,10}[=:][ \t]{0,10})("[^"\n]{0,4096}"|'[^'\n]{0,4096}'|[^\s"'\n]{1,4096})/g, (m, key: string, sep: string, value: string) =>
    isSecretName(key) && !/^\*+$/.test(value) ? `${key}${sep}${MASK}` : m
  );
  for (const s of knownSecrets) {
    if (s.length >= 4) out = out.split(s).join(MASK);
  }
  return out;
}
