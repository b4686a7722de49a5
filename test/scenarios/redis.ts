// A real Redis from Debian's packages on a free loopback port, with nothing saved to disk.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, onFreePorts, ready, start, type Child } from './services.js';

export class Redis {
  port = 0;
  readonly dir = mkdtempSync(join(tmpdir(), 'irm-redis-'));
  private server?: Child;

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
    if (r.error) throw new Error('redis-server is not installed: apt-get install redis-server, or run .ci/run');
    this.server = start('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', this.dir, '--loglevel', 'notice'], { cwd: this.dir });
    await ready(this.server, /Ready to accept connections/, `Redis on 127.0.0.1:${this.port}`);
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  get running(): boolean {
    return !!this.server;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }
}

export async function startRedis(): Promise<Redis> {
  const r = new Redis();
  await onFreePorts('Redis', async (fresh) => {
    if (fresh) r.port = await freePort();
    await r.start();
  });
  return r;
}
