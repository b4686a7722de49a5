// The cheap check at the start of every irm command: are notifications waiting in an outbox? One read of a small
// hint file (see outbox.ts); nothing else is loaded unless it exists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../util/paths.js';

export function notificationsWaiting(env: NodeJS.ProcessEnv): boolean {
  try {
    return readFileSync(join(stateDir(env), 'notify-pending'), 'utf8').trim() !== '';
  } catch {
    return false;
  }
}
