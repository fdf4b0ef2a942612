import { fileURLToPath } from 'node:url';
import { TunnelError } from '../../shared/errors.js';
import { ApiService } from '../api/service.js';
import type { ProfileStore } from '../store/profile-store.js';
import { startWebServer } from '../web/server.js';
import { prepareDemo } from '../demo/demo.js';
import { onFatalExit } from './fatal-exit.js';
import { jsonLine, say } from './terminal-text.js';
import { loadWebAddress, newWebToken, saveWebAddress } from './web-address.js';

/**
 * The port and token of the last run for this config dir, so an open page finds the engine
 * again after a restart; --port overrides the port. A remembered port someone else took meanwhile
 * gives way to a fresh one (said on stderr) rather than failing.
 */
async function listenOnStableAddress(service: ApiService, configDir: string, requested: number | null) {
  const saved = await loadWebAddress(configDir);
  const token = saved?.token ?? newWebToken();
  const port = requested ?? saved?.port ?? 0;
  let server;
  try {
    server = await startWebServer(service, RENDERER_DIR, port, { token });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || requested !== null) {
      throw new TunnelError('BAD_PORT', `cannot listen on 127.0.0.1:${port}: ${(err as Error).message}`);
    }
    say(`tunnelvision: port ${port} (used last time) is taken now; using another one — open pages need the new address\n`);
    server = await startWebServer(service, RENDERER_DIR, 0, { token });
  }
  await saveWebAddress(configDir, { port: server.port, token });
  return server;
}

export const RENDERER_DIR = fileURLToPath(new URL('../../renderer/', import.meta.url));

/**
 * `tunnelvision web [--port N] [--json] [--demo]`: the dashboard on loopback until SIGINT/SIGTERM.
 * --demo shows sample tunnels through embedded SSH servers instead of the user's profiles.
 */
export async function webCommand(store: ProfileStore, args: string[]): Promise<number> {
  let port: number | null = null;
  let json = false;
  let demo = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--demo') demo = true;
    else if (a === '--port') {
      const v = args[++i];
      if (!v || !/^\d{1,5}$/.test(v) || Number(v) > 65535) throw new TunnelError('BAD_PORT', '--port needs a port number (0–65535)');
      port = Number(v);
    } else throw new TunnelError('BAD_ARGUMENT', `unknown argument ${a}`);
  }
  const demoSetup = demo ? await prepareDemo() : null;
  const service = new ApiService({ store: demoSetup?.store ?? store });
  const server = await listenOnStableAddress(service, store.dir, port);
  if (json) process.stdout.write(jsonLine({ event: 'web', url: server.url }));
  else {
    say(
      `tunnelvision: dashboard at ${server.url}\n` +
        `(loopback only; the token in the address is the key — keep it private. The address stays the same the next time\n` +
        ` \`tunnelvision web\` runs with this config dir, so an open page reconnects by itself.)\n`,
    );
  }
  await service.startAtLaunch();
  await demoSetup?.start(service);
  const shutdown = async (): Promise<void> => {
    await server.close();
    await service.dispose();
    await demoSetup?.stop();
  };
  const forgetFatal = onFatalExit(shutdown);
  return new Promise((resolve) => {
    const stop = async (): Promise<void> => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      forgetFatal();
      await shutdown();
      resolve(0);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
