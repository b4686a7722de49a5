// Command output kept within a fixed size: the head and the tail, with a marker of what was cut in between.

export const DEFAULT_HEAD = 64 * 1024;
export const DEFAULT_TAIL = 64 * 1024;

/** What redacts kept output: the text, and the part of it to mask and return (see Redact in redactor.ts). */
export interface CutRedact {
  (text: string): string;
  within(text: string, from: number, to: number): string;
}

export class BoundedOutput {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  private readonly headKeep: number;
  private readonly tailKeep: number;
  /** Every byte seen, kept or not. */
  total = 0;

  /**
   * `reach`: bytes kept past each cut (after the head, before the tail) that are never shown: redaction reads them to
   * recognize a secret the cut splits, so that no part of it is shown.
   */
  constructor(private readonly headMax = DEFAULT_HEAD, private readonly tailMax = DEFAULT_TAIL, reach = 0) {
    this.headKeep = headMax + reach;
    this.tailKeep = tailMax + reach;
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.headKeep) {
      const take = Math.min(chunk.length, this.headKeep - this.headLen);
      this.head.push(chunk.subarray(0, take));
      this.headLen += take;
      chunk = chunk.subarray(take);
      if (!chunk.length) return;
    }
    const kept = chunk.length > this.tailKeep ? chunk.subarray(chunk.length - this.tailKeep) : chunk;
    this.tail.push(kept);
    this.tailLen += kept.length;
    // Drop whole chunks from the front while what remains still covers the tail.
    while (this.tail.length > 1 && this.tailLen - this.tail[0]!.length >= this.tailKeep) {
      this.tailLen -= this.tail.shift()!.length;
    }
  }

  get truncated(): boolean {
    return this.total > this.headMax + this.tailMax;
  }

  /** The text kept, redacted when given a redactor; when something was cut, a marker line says how much. */
  text(redact?: CutRedact): string {
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    if (!this.truncated) {
      const all = Buffer.concat([head, tail]).toString('utf8');
      return redact ? redact(all) : all;
    }
    // The last tailMax bytes and up to `reach` before them: from the tail's chunks, or, when the cut is shorter than
    // that, the end of the head and all of the tail, which then meet.
    const from = Math.max(0, this.total - this.tailKeep);
    const tailStart = this.total - tail.length;
    const around = from >= tailStart ? tail.subarray(from - tailStart) : Buffer.concat([head.subarray(from), tail]);
    const parts = (b: Buffer, at: number) => [b.subarray(0, at).toString('utf8'), b.subarray(at).toString('utf8')] as const;
    const [headShown, afterHead] = parts(head, this.headMax);
    const [beforeTail, tailShown] = parts(around, around.length - this.tailMax);
    const cut = this.total - this.headMax - this.tailMax;
    const shownHead = redact ? redact.within(headShown + afterHead, 0, headShown.length) : headShown;
    const shownTail = redact ? redact.within(beforeTail + tailShown, beforeTail.length, beforeTail.length + tailShown.length) : tailShown;
    return `${shownHead}\n[... ${cut} bytes cut by irm ...]\n${shownTail}`;
  }
}

/** The first lines of a text, for a folded display: the rest is counted, not shown. */
export function fold(text: string, maxLines: number): { shown: string; hidden: number } {
  const lines = text.replace(/\n$/, '').split('\n');
  if (lines.length <= maxLines) return { shown: lines.join('\n'), hidden: 0 };
  const keepHead = Math.ceil(maxLines / 2);
  const keepTail = maxLines - keepHead;
  return {
    shown: [...lines.slice(0, keepHead), `… ${lines.length - maxLines} more lines …`, ...lines.slice(lines.length - keepTail)].join('\n'),
    hidden: lines.length - maxLines,
  };
}

/** A short excerpt for a report: at most this many characters, head and tail. */
export function excerpt(text: string, max = 2000): string {
  if (text.length <= max) return text;
  const half = Math.floor(max / 2);
  return `${text.slice(0, half)}\n[... ${text.length - max} characters omitted ...]\n${text.slice(text.length - half)}`;
}
