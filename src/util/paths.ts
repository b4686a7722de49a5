// Where irm keeps state: IRM_HOME, else $XDG_STATE_HOME/irm, else ~/.local/state/irm.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function stateDir(env: NodeJS.ProcessEnv): string {
  if (env.IRM_HOME) return env.IRM_HOME;
  const base = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state');
  return join(base, 'irm');
}
