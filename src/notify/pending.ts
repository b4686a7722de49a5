// The cheap check at the start of every irm command: are notifications waiting in an outbox? One read of a small
// hint file (see outbox.ts); nothing else is loaded unless it exists.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stateDir } from '../util/paths.js';

/** The hint file the outbox keeps in the state folder while messages wait (outbox.ts writes it). */
export const HINT_FILE = 'notify-pending';

export function notificationsWaiting(env: NodeJS.ProcessEnv): boolean {
  try {
    return readFileSync(join(stateDir(env), HINT_FILE), 'utf8').trim() !== '';
  } catch {
    return false;
  }
}
