// What must be masked in anything irm shows or keeps: secret variables, and the secret values of the bot's .env.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isSecretName, maskSecrets, maskSecretsWithin, PATTERN_REACH, WHOLE_TOKEN_BELOW } from '../model/redact.js';
import type { ResolvedVariable } from '../load/variables.js';

export interface Redact {
  (text: string): string;
  /** text[from, to) masked, the rest of text read as context: for output cut at from or to (see maskSecretsWithin). */
  within(text: string, from: number, to: number): string;
  /** How far past a cut redaction must read to recognize any secret the cut splits. */
  readonly reach: number;
}

/** KEY=value pairs of a dotenv file (comments, export and quotes handled). */
export function parseDotenv(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/);
    if (!m) continue;
    let value = m[2]!;
    if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1);
    else value = value.replace(/\s+#.*$/, '');
    out.push([m[1]!, value]);
  }
  return out;
}

/**
 * Secret values worth masking wherever they appear: secret variables (any length: a short one is masked where it stands
 * alone), and secret keys and URL passwords of the .env, from four characters up: those are secrets by their key's
 * name only, and a short one (AUTH_ENABLED=1) is more often a flag, masked beside its key anyway.
 */
export function secretValues(vars: Map<string, ResolvedVariable>, cwd: string): string[] {
  const secrets = new Set<string>();
  const fromEnv = new Set<string>();
  for (const v of vars.values()) if (v.secret && v.value) secrets.add(v.value);
  const envFile = vars.get('env_file')?.value;
  if (envFile) {
    try {
      const text = readFileSync(resolve(cwd, envFile), 'utf8');
      for (const [key, value] of parseDotenv(text)) {
        if (!value) continue;
        if (isSecretName(key)) fromEnv.add(value);
        const pass = value.match(/^[a-z][a-z0-9+.-]*:\/\/[^\s:@/]*:([^\s@/]+)@/i);
        if (pass) fromEnv.add(pass[1]!);
      }
    } catch {
      /* no .env here: nothing of it to mask */
    }
  }
  for (const s of fromEnv) if (s.length >= WHOLE_TOKEN_BELOW) secrets.add(s);
  // Longest first, so that a secret containing another is masked whole.
  return [...secrets].sort((a, b) => b.length - a.length);
}

/**
 * The values of the notification secrets irm.yaml names (notify.slack.webhook_env, pagerduty.routing_key_env,
 * jira.token_env, email.password_env ...): a log or a command's output that holds the webhook URL or the routing
 * key must not carry it into the record. A URL's path is masked on its own too (a webhook's path is its secret).
 */
export function notifySecretValues(notify: unknown, env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  if (!notify || typeof notify !== 'object') return [];
  for (const section of Object.values(notify as Record<string, unknown>)) {
    if (!section || typeof section !== 'object') continue;
    for (const [key, name] of Object.entries(section as Record<string, unknown>)) {
      if (!key.endsWith('_env') || typeof name !== 'string') continue;
      const value = env[name];
      // user_env and email_env name who, not a secret: an address is not worth masking in every log line.
      if (!value || key === 'user_env' || key === 'email_env') continue;
      out.add(value);
      try {
        const u = new URL(value);
        if (u.pathname.length > 8) out.add(u.pathname);
      } catch {
        /* not a URL */
      }
    }
  }
  return [...out];
}

/**
 * The redactor of one session. A secret typed in at a prompt joins the variables after this is made, so the values to
 * mask are looked at again whenever the secret variables (or env_file) change.
 */
export function createRedactor(vars: Map<string, ResolvedVariable>, cwd: string, extra: readonly string[] = []): Redact {
  let seen: string | undefined;
  let known: string[] = [];
  const current = () => {
    const now = JSON.stringify([...vars.values()].filter((v) => v.secret || v.name === 'env_file').map((v) => [v.name, v.value]));
    if (now !== seen) {
      seen = now;
      known = [...new Set([...secretValues(vars, cwd), ...extra.filter((s) => s.length >= 4)])].sort((a, b) => b.length - a.length);
    }
    return known;
  };
  const redact = (text: string) => maskSecrets(text, current());
  const within = (text: string, from: number, to: number) => maskSecretsWithin(text, from, to, current());
  return Object.defineProperty(Object.assign(redact, { within }), 'reach', {
    get: () => Math.max(PATTERN_REACH, ...current().map((s) => s.length)),
    enumerable: true,
  }) as Redact;
}

/**
 * Masks output shown as it comes (a followed command): a secret can arrive split over two reads, and masking each
 * read alone would show both halves. Complete lines are shown at once; a partial line waits for the rest, or until it
 * is longer than any secret; what was shown stays as context for what follows.
 */
export class StreamRedactor {
  private seen = '';
  private pending = '';

  constructor(private readonly redact: Redact) {}

  /** What can be shown now, masked ('' while a partial line waits). */
  push(chunk: string): string {
    this.pending += chunk;
    let ready = this.pending.lastIndexOf('\n') + 1;
    if (this.pending.length - ready > this.redact.reach) ready = this.pending.length - this.redact.reach;
    return this.take(ready);
  }

  /** The rest, when the command has ended. */
  end(): string {
    return this.take(this.pending.length);
  }

  private take(n: number): string {
    if (n <= 0) return '';
    const text = this.seen + this.pending;
    const shown = this.redact.within(text, this.seen.length, this.seen.length + n);
    this.seen = text.slice(Math.max(0, this.seen.length + n - this.redact.reach), this.seen.length + n);
    this.pending = this.pending.slice(n);
    return shown;
  }
}
