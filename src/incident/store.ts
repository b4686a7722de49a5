// Incident records on disk: one append-only JSON Lines file per incident, mode 0600, each event flushed before
// the next step. Appends are single O_APPEND writes, so concurrent irm processes interleave whole lines and lose none.
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, fstatSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { fold, isOpen, type Incident, type NewEvent, type TimelineEvent } from './model.js';

export interface Damage {
  line: number;
  message: string;
}

export class IncidentStore {
  constructor(readonly dir: string, private readonly now: () => Date = () => new Date(), readonly user = 'unknown') {}

  private file(id: string): string {
    return join(this.dir, `${id}.jsonl`);
  }

  private ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** A new id from the detection time in UTC, as irm shows every time: inc-20261127-1405, with a suffix when taken. */
  newId(detected: Date): string {
    const p = (n: number) => String(n).padStart(2, '0');
    const base = `inc-${detected.getUTCFullYear()}${p(detected.getUTCMonth() + 1)}${p(detected.getUTCDate())}-${p(detected.getUTCHours())}${p(detected.getUTCMinutes())}`;
    let id = base;
    for (let i = 2; existsSync(this.file(id)); i++) id = `${base}-${i}`;
    return id;
  }

  stamp(e: NewEvent): TimelineEvent {
    return { id: randomUUID(), at: this.now().toISOString(), by: this.user, ...e } as TimelineEvent;
  }

  /** Create the record with its first event; the file is the user's alone (0600). */
  create(created: Extract<NewEvent, { type: 'created' }>, id?: string): { id: string; event: TimelineEvent } {
    this.ensureDir();
    const theId = id ?? this.newId(new Date(created.detected_at));
    const event = this.stamp(created);
    const fd = openSync(this.file(theId), 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify(event) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return { id: theId, event };
  }

  /** Append events, each whole line in one write, flushed to disk before returning. */
  append(id: string, events: NewEvent[]): TimelineEvent[] {
    const file = this.file(id);
    if (!existsSync(file)) throw new NotFoundError(`no incident "${id}"`);
    const stamped = events.map((e) => this.stamp(e));
    const fd = openSync(file, 'a', 0o600);
    try {
      // A writer killed mid-line leaves no newline at the end: start on a fresh line, so the torn one stays alone.
      const size = fstatSync(fd).size;
      let prefix = '';
      if (size > 0) {
        const last = Buffer.alloc(1);
        const rfd = openSync(file, 'r');
        try {
          readSync(rfd, last, 0, 1, size - 1);
        } finally {
          closeSync(rfd);
        }
        if (last[0] !== 0x0a) prefix = '\n';
      }
      for (const [i, e] of stamped.entries()) {
        writeSync(fd, (i === 0 ? prefix : '') + JSON.stringify(e) + '\n');
        fsyncSync(fd);
      }
    } finally {
      closeSync(fd);
    }
    return stamped;
  }

  /** Every readable event, and every line that could not be read (a torn write, a corrupted line). */
  read(id: string): { events: TimelineEvent[]; damage: Damage[] } {
    const file = this.file(id);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new NotFoundError(`no incident "${id}"`, 'irm incident list shows them');
    }
    const events: TimelineEvent[] = [];
    const damage: Damage[] = [];
    const seen = new Set<string>();
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (!line.trim()) return;
      const torn = i === lines.length - 1;
      try {
        const e = JSON.parse(line) as TimelineEvent;
        if (typeof e !== 'object' || !e || typeof e.type !== 'string' || typeof e.at !== 'string') throw new Error('not an event');
        if (e.id && seen.has(e.id)) return;
        if (e.id) seen.add(e.id);
        events.push(e);
      } catch {
        damage.push({ line: i + 1, message: torn ? 'the last line is incomplete (a write was cut off); it is skipped' : 'this line is not a readable event; it is skipped' });
      }
    });
    return { events, damage };
  }

  load(id: string): { incident: Incident; damage: Damage[] } {
    const { events, damage } = this.read(id);
    try {
      return { incident: fold(id, events), damage };
    } catch (e) {
      throw new UsageError(`incident "${id}" cannot be read: ${(e as Error).message}`);
    }
  }

  ids(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => f.slice(0, -'.jsonl'.length))
      .sort();
  }

  all(): { incident: Incident; damage: Damage[] }[] {
    const out: { incident: Incident; damage: Damage[] }[] = [];
    for (const id of this.ids()) {
      try {
        out.push(this.load(id));
      } catch {
        /* a record without its first event is listed by nothing */
      }
    }
    return out;
  }

  /**
   * An incident by id (or a unique prefix); without one, the most recently detected open incident, or, where
   * `anyStatus` allows (reading it, closing it, its post-mortem), the most recent of all when none is open.
   */
  resolve(id?: string, anyStatus = false): string {
    const ids = this.ids();
    if (id) {
      if (ids.includes(id)) return id;
      const matches = ids.filter((x) => x.startsWith(id) || x.endsWith(id));
      if (matches.length === 1) return matches[0]!;
      const c = closest(id, ids);
      throw new NotFoundError(`no incident "${id}"`, matches.length > 1 ? `several match: ${matches.join(', ')}` : c ? `did you mean "${c}"?` : 'irm incident list shows them');
    }
    const byDetection = this.all()
      .map((x) => x.incident)
      .sort((a, b) => a.detected_at.localeCompare(b.detected_at) || a.id.localeCompare(b.id));
    const latest = byDetection.filter(isOpen).at(-1) ?? (anyStatus ? byDetection.at(-1) : undefined);
    if (!latest) throw new NotFoundError('no open incident', 'start one with irm triage, or name one (irm incident list)');
    return latest.id;
  }
}
