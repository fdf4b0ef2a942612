import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const keyringTools = ['dbus-daemon', 'gnome-keyring-daemon'].every((t) => spawnSync('which', [t]).status === 0);

export interface Keyring {
  address: string;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * A private D-Bus session with an unlocked gnome-keyring (Secret Service) in it, the same as
 * `dbus-run-session -- sh -c 'echo -n pw | gnome-keyring-daemon --unlock --components=secrets; …'`
 * but usable from inside a test process.
 */
export async function startKeyring(): Promise<Keyring> {
  const { stdout } = await run('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1']);
  const [address, pidText] = stdout.trim().split('\n');
  const data = mkdtempSync(join(tmpdir(), 'tv-keyring-'));
  const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: address!, XDG_DATA_HOME: data, XDG_RUNTIME_DIR: data };
  await new Promise<void>((resolve, reject) => {
    const child = execFile('gnome-keyring-daemon', ['--unlock', '--components=secrets'], { env }, (err) => (err ? reject(err) : resolve()));
    child.stdin!.end('pw');
  });
  return {
    address: address!,
    env,
    stop: async () => {
      await run('pkill', ['-f', `gnome-keyring-daemon`]).catch(() => undefined);
      try {
        process.kill(Number(pidText), 'SIGTERM');
      } catch {
        // gone
      }
    },
  };
}
