// Standard output and error written by irm itself (src/util/std-stream.ts): whole writes to files and pipes, a pipe
// whose reader is slow (EAGAIN) or gone (EPIPE), and telling a terminal from what is plainly not one.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FdWriter, plainlyNotTTY, takesWritesAtOnce } from '../src/util/std-stream.js';

const dir = () => mkdtempSync(join(tmpdir(), 'irm-std-'));

describe('FdWriter', () => {
  it('writes every byte to a file, text of any size', () => {
    const file = join(dir(), 'out');
    const fd = openSync(file, 'w');
    const w = new FdWriter(fd);
    const big = 'é'.repeat(600_000);
    expect(w.write('first\n')).toBe(true);
    expect(w.write(big)).toBe(true);
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(`first\n${big}`);
  });

  it('waits for a slow reader of a non-blocking pipe instead of losing output', async () => {
    const d = dir();
    const fifo = join(d, 'fifo');
    const copy = join(d, 'copy');
    execFileSync('mkfifo', [fifo]);
    // A reader that starts late: the pipe's buffer (64 KiB) fills and writes fail with EAGAIN until it reads. Our
    // own read end (never read) lets the write end open without blocking.
    const reader = spawn('sh', ['-c', `sleep 0.3; cat "${fifo}" > "${copy}"`]);
    const readerEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const done = new Promise((res) => reader.on('close', res));
    const text = 'x'.repeat(1024 * 1024);
    // cat opens the pipe while we write; until then the pipe is full and writes fail with EAGAIN.
    expect(new FdWriter(fd).write(text)).toBe(true);
    closeSync(fd);
    closeSync(readerEnd);
    await done;
    expect(statSync(copy).size).toBe(text.length);
  });

  it('stops quietly when the reader of a pipe has gone (EPIPE), and says so once', () => {
    const d = dir();
    const fifo = join(d, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const readerEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY);
    closeSync(readerEnd);
    let closed = 0;
    const w = new FdWriter(fd, () => closed++);
    expect(w.write('nobody reads this\n')).toBe(false);
    expect(w.write('nor this\n')).toBe(false);
    expect(closed).toBe(1);
    closeSync(fd);
  });
});

describe('plainlyNotTTY', () => {
  it('says so for /dev/null, a file and a pipe', () => {
    expect(plainlyNotTTY(openSync('/dev/null', 'w'))).toBe(true);
    const file = join(dir(), 'f');
    expect(plainlyNotTTY(openSync(file, 'w'))).toBe(true);
    const fifo = join(dir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(plainlyNotTTY(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK))).toBe(true);
  });

  it('does not say so for a character device that may be a terminal, nor for a descriptor that is not open', () => {
    expect(plainlyNotTTY(openSync('/dev/zero', 'r'))).toBe(false);
    expect(plainlyNotTTY(987654)).toBe(false);
  });
});

describe('takesWritesAtOnce (where irm writes standard output itself)', () => {
  it('is a regular file or /dev/null; not a pipe, whose reader may stall, nor another device', () => {
    expect(takesWritesAtOnce(openSync(join(dir(), 'f'), 'w'))).toBe(true);
    expect(takesWritesAtOnce(openSync('/dev/null', 'w'))).toBe(true);
    const fifo = join(dir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(takesWritesAtOnce(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK))).toBe(false);
    expect(takesWritesAtOnce(openSync('/dev/zero', 'r'))).toBe(false);
    expect(takesWritesAtOnce(987654)).toBe(false);
  });
});
