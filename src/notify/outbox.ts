// The outbox: every notification is written here before anything is sent, so a channel that is down loses nothing.
//
// One file per message (0600) in outbox/pending/, named so that they sort in the order they were queued; a delivered
// message is renamed into outbox/sent/, which is the delivered marker: rename is atomic, so a message is either
// pending or sent, never both, and a flush never sends one from sent/. When the last pending message goes, pending/
// is removed, so "is anything waiting?" is one stat (see hasPending); a small hint file in the default state folder
// points at the outbox for the cheap check at the start of each irm command (cli.ts), which cannot afford to load
// irm.yaml to learn where state_dir puts it.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Message, NewMessage } from './messages.js';
import { HINT_FILE } from './pending.js';



export class Outbox {
  readonly pending: string;
  readonly sent: string;
  /** Given up: a receiver refused it for good (a 4xx), or it can never be delivered (a comment with no Jira issue). */
  readonly failed: string;
  /** Discarded by the operator (irm notify drop): kept, so that the key is never queued again. */
  readonly dropped: string;
  private seq = 0;

  constructor(readonly dir: string, private readonly now: () => Date = () => new Date(), private readonly hintDir?: string) {
    this.pending = join(dir, 'pending');
    this.sent = join(dir, 'sent');
    this.failed = join(dir, 'failed');
    this.dropped = join(dir, 'dropped');
  }

  private static safe(key: string): string {
    return key.replace(/[^A-Za-z0-9._-]/g, '_');
  }

  /** Every key queued or delivered, so that a message is queued once per event and channel. */
  private known(): Set<string> {
    const keys = new Set<string>();
    for (const d of [this.pending, this.sent, this.failed, this.dropped]) {
      if (!existsSync(d)) continue;
      for (const f of readdirSync(d)) if (f.endsWith('.json')) keys.add(f.slice(f.indexOf('-') + 1, -'.json'.length));
    }
    return keys;
  }

  /** Queue messages; those whose key is already queued or sent are left out. Returns the ones queued. */
  enqueue(messages: NewMessage[]): Message[] {
    if (!messages.length) return [];
    mkdirSync(this.pending, { recursive: true, mode: 0o700 });
    const known = this.known();
    const queued: Message[] = [];
    for (const m of messages) {
      const safe = Outbox.safe(m.key);
      if (known.has(safe)) continue;
      known.add(safe);
      const msg: Message = { ...m, created_at: this.now().toISOString(), attempts: 0 };
      // Time, then a counter: the order of queueing, also within one millisecond.
      const name = `${String(Date.now()).padStart(15, '0')}${String(this.seq++).padStart(4, '0')}${String(process.pid % 100000).padStart(5, '0')}-${safe}.json`;
      writeAtomic(join(this.pending, name), JSON.stringify(msg, null, 2) + '\n');
      queued.push(msg);
    }
    if (queued.length) this.hint(true);
    return queued;
  }

  /** The pending messages in the order they were queued, each with its file name. */
  list(): { file: string; message: Message }[] {
    return this.read(this.pending);
  }

  /** The messages given up on, in the order they were queued. */
  listFailed(): { file: string; message: Message }[] {
    return this.read(this.failed);
  }

  /** The Jira issue a delivered creation made for an incident (the record has it too, unless its append failed). */
  sentJiraKey(incident: string): string | undefined {
    return this.read(this.sent).find((x) => x.message.incident === incident && x.message.jira_key)?.message.jira_key;
  }

  /** The creation of an incident's Jira issue, given up on. */
  failedJiraCreate(incident: string): Message | undefined {
    return this.listFailed().find((x) => x.message.incident === incident && x.message.channel === 'jira' && (x.message.body as { op?: string }).op === 'create')?.message;
  }

  private read(dir: string): { file: string; message: Message }[] {
    if (!existsSync(dir)) return [];
    const out: { file: string; message: Message }[] = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
      try {
        out.push({ file: f, message: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Message });
      } catch {
        /* being written or renamed by another irm: the next flush sees it */
      }
    }
    return out;
  }

  sentCount(): number {
    return existsSync(this.sent) ? readdirSync(this.sent).filter((n) => n.endsWith('.json')).length : 0;
  }

  update(file: string, message: Message): void {
    writeAtomic(join(this.pending, file), JSON.stringify(message, null, 2) + '\n');
  }

  /** The delivered marker: the message moves to sent/, and pending/ goes when it is empty. */
  markSent(file: string, message: Message): void {
    mkdirSync(this.sent, { recursive: true, mode: 0o700 });
    this.update(file, message);
    renameSync(join(this.pending, file), join(this.sent, file));
    this.tidy();
  }

  /** Given up: the message moves to failed/, where irm notify status lists it until it is dropped or retried. */
  markFailed(file: string, message: Message): void {
    mkdirSync(this.failed, { recursive: true, mode: 0o700 });
    this.update(file, message);
    renameSync(join(this.pending, file), join(this.failed, file));
    this.tidy();
  }

  /**
   * A pending or failed message by its key, or a prefix of it that names one message (irm notify drop / retry).
   * Throws a plain Error naming the candidates when the id names none or several.
   */
  find(id: string): { file: string; message: Message; where: 'pending' | 'failed' } {
    const all = [...this.list().map((x) => ({ ...x, where: 'pending' as const })), ...this.listFailed().map((x) => ({ ...x, where: 'failed' as const }))];
    const exact = all.filter((x) => x.message.key === id);
    const hits = exact.length ? exact : all.filter((x) => x.message.key.startsWith(id));
    if (hits.length === 1) return hits[0]!;
    throw new Error(hits.length ? `"${id}" names ${hits.length} messages: ${hits.map((x) => x.message.key).join(', ')}` : `no message "${id}" waits or failed in the outbox`);
  }

  /** Discard a message that can never be delivered: it moves to dropped/ and is never sent. */
  drop(id: string): Message {
    const { file, message, where } = this.find(id);
    mkdirSync(this.dropped, { recursive: true, mode: 0o700 });
    renameSync(join(where === 'pending' ? this.pending : this.failed, file), join(this.dropped, file));
    if (where === 'pending') this.tidy();
    return message;
  }

  /** Queue a failed message again (its cause fixed): back to pending/, attempts and backoff cleared. */
  retry(id: string): Message {
    const { file, message, where } = this.find(id);
    if (where === 'pending') return message;
    mkdirSync(this.pending, { recursive: true, mode: 0o700 });
    const m: Message = { ...message, attempts: 0 };
    delete m.next_at;
    delete m.failed_at;
    delete m.warned;
    writeAtomic(join(this.failed, file), JSON.stringify(m, null, 2) + '\n');
    renameSync(join(this.failed, file), join(this.pending, file));
    this.hint(true);
    return m;
  }

  /** Remove pending/ (and the hint) when nothing waits; rmdir fails harmlessly when another irm just queued one. */
  tidy(): void {
    try {
      if (readdirSync(this.pending).length === 0) {
        rmdirSync(this.pending);
        this.hint(false);
      }
    } catch {
      /* not empty, or gone already */
    }
  }

  private hint(on: boolean): void {
    if (!this.hintDir) return;
    const file = join(this.hintDir, HINT_FILE);
    try {
      if (on) {
        mkdirSync(this.hintDir, { recursive: true, mode: 0o700 });
        writeFileSync(file, this.dir + '\n', { mode: 0o600 });
      } else if (existsSync(file) && readFileSync(file, 'utf8').trim() === this.dir) unlinkSync(file);
    } catch {
      /* the hint only saves a later command a look; the outbox itself is what counts */
    }
  }

  /**
   * One flush at a time per outbox: two irm processes flushing together would both send a message. A lock older
   * than staleMs (its holder was killed) is taken over.
   */
  lock(staleMs: number): (() => void) | undefined {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, 'flush.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return () => {
          try {
            unlinkSync(file);
          } catch {
            /* already gone */
          }
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        try {
          const age = Date.now() - statSync(file).mtimeMs;
          const pid = Number(readFileSync(file, 'utf8').trim());
          if (age > staleMs || !alive(pid)) unlinkSync(file);
          else return undefined;
        } catch {
          /* released meanwhile: try again */
        }
      }
    }
    return undefined;
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}
