// Secrets never reach the screen, a report or a record: key names that look secret, and credentials inside URLs.

// A word of the name that is a secret's (DB_PASS, API_KEY, AUTH), or anywhere in it a word that always names one: an
// exchange's API passphrase, a webhook URL (its path is the credential), a wallet's mnemonic. README's list follows this.
const SECRET_NAME =
  /(^|_)(key|secret|token|password|passwd|pass|pwd|credentials?|auth|api_?key|private)($|_)|secret|token|password|passphrase|passcode|webhook|mnemonic|seed_?phrase/i;

/** True for names such as BINANCE_API_KEY, JWT_SECRET, SLACK_TOKEN, DB_PASSWORD, API_PASSPHRASE, SLACK_WEBHOOK_URL. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export const MASK = '********';

// Bounded repetitions: output can be megabytes of one line, and an unbounded pattern would backtrack on it forever.
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:@/]{0,256}:)([^\s@/]{1,512})(@)/gi;
// A Slack webhook URL is its own credential, wherever it appears: its path after /services/ (or /workflows/, /triggers/).
const SLACK_WEBHOOK = /(https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)([A-Za-z0-9_\/-]{1,512})/gi;
const KEY_VALUE = /\b([A-Za-z_][A-Za-z0-9_]{0,100})([ \t]{0,10}[=:][ \t]{0,10})("[^"\n]{0,4096}"|'[^'\n]{0,4096}'|[^\s"'\n]{1,4096})/g;

/**
 * The longest text either pattern above can match (a key of 101, a separator of 21, a quoted value of 4098): a secret
 * split by a cut is recognized when redaction reads this far past the cut.
 */
export const PATTERN_REACH = 101 + 21 + 4098;

/**
 * A known secret this short is masked only where it stands alone, not touching a letter, digit or underscore: "ab" is
 * masked in "token is ab" and "(ab)", but not in "label" or "ab_cd". Masking one or two characters everywhere would
 * destroy the output (every "a" in it) and tell where the secret is not; from four characters up, a secret is masked
 * wherever it appears, inside a longer word too.
 */
export const WHOLE_TOKEN_BELOW = 4;

type Range = [start: number, end: number];

/** Where the secrets in a text are: half-open ranges, sorted, overlapping ones merged. */
function secretRanges(text: string, knownSecrets: readonly string[]): Range[] {
  const ranges: Range[] = [];
  for (const m of text.matchAll(URL_CREDENTIALS)) {
    const start = m.index + m[1]!.length;
    ranges.push([start, start + m[2]!.length]);
  }
  for (const m of text.matchAll(SLACK_WEBHOOK)) {
    const start = m.index + m[1]!.length;
    ranges.push([start, start + m[2]!.length]);
  }
  for (const m of text.matchAll(KEY_VALUE)) {
    const [, key, sep, value] = m as unknown as [string, string, string, string];
    if (!isSecretName(key) || /^\*+$/.test(value)) continue;
    const start = m.index + key.length + sep.length;
    ranges.push([start, start + value.length]);
  }
  for (const s of knownSecrets) {
    if (!s) continue;
    if (s.length >= WHOLE_TOKEN_BELOW) {
      for (let i = text.indexOf(s); i !== -1; i = text.indexOf(s, i + s.length)) ranges.push([i, i + s.length]);
      continue;
    }
    const alone = new RegExp(`(?<![\\p{L}\\p{N}_])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_])`, 'gu');
    for (const m of text.matchAll(alone)) ranges.push([m.index, m.index + s.length]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const merged: Range[] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] < last[1]) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged;
}

/**
 * Credentials inside URLs (postgres://user:pass@host), Slack webhook URLs, KEY=value pairs whose key looks secret, and
 * known secret values (a short one where it stands alone: WHOLE_TOKEN_BELOW).
 */
export function maskSecrets(text: string, knownSecrets: readonly string[] = []): string {
  return maskSecretsWithin(text, 0, text.length, knownSecrets);
}

/**
 * text[from, to) with its secrets masked, reading the rest of text as context: a secret that a cut at `from` or `to`
 * splits is recognized whole, and the part of it inside is masked. What irm keeps of long output is cut; masking
 * only what is kept would miss a secret that straddles the cut and show all of it but a character.
 */
export function maskSecretsWithin(text: string, from: number, to: number, knownSecrets: readonly string[] = []): string {
  let out = '';
  let at = from;
  for (const [start, end] of secretRanges(text, knownSecrets)) {
    if (end <= from) continue;
    if (start >= to) break;
    out += text.slice(at, Math.max(start, from)) + MASK;
    at = Math.min(end, to);
  }
  return out + text.slice(at, to);
}
