import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where profiles live when nobody says otherwise, by each platform's convention. The Electron
 * app passes its `userData` instead; the CLI honours --config-dir and TUNNELVISION_CONFIG_DIR.
 */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.TUNNELVISION_CONFIG_DIR) return env.TUNNELVISION_CONFIG_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Tunnelvision');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Tunnelvision');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'tunnelvision');
}
