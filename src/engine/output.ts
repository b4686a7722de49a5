// Command output kept within a fixed size: the head and the tail, with a marker of what was cut in between.

export const DEFAULT_HEAD = 64 * 1024;
export const DEFAULT_TAIL = 64 * 1024;

export class BoundedOutput {
  private head: Buffer[] = [];
  private headLen = 0;
  private tail: Buffer[] = [];
  private tailLen = 0;
  /** Every byte seen, kept or not. */
  total = 0;

  constructor(private readonly headMax = DEFAULT_HEAD, private readonly tailMax = DEFAULT_TAIL) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headLen < this.headMax) {
      const take = Math.min(chunk.length, this.headMax - this.headLen);
      this.head.push(chunk.subarray(0, take));
      this.headLen += take;
      chunk = chunk.subarray(take);
      if (!chunk.length) return;
    }
    const kept = chunk.length > this.tailMax ? chunk.subarray(chunk.length - this.tailMax) : chunk;
    this.tail.push(kept);
    this.tailLen += kept.length;
    // Drop whole chunks from the front while what remains still covers the tail.
    while (this.tail.length > 1 && this.tailLen - this.tail[0]!.length >= this.tailMax) {
      this.tailLen -= this.tail.shift()!.length;
    }
  }

  get truncated(): boolean {
    return this.total > this.headLen + this.tailKept().length;
  }

  private tailKept(): Buffer {
    const t = Buffer.concat(this.tail);
    return t.length > this.tailMax ? t.subarray(t.length - this.tailMax) : t;
  }

  /** The text kept; when something was cut, a marker line says how much. */
  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = this.tailKept();
    const cut = this.total - this.headLen - tail.length;
    if (cut <= 0) return head + tail.toString('utf8');
    return `${head}\n[... ${cut} bytes cut by irm ...]\n${tail.toString('utf8')}`;
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
