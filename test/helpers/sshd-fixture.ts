import { afterAll, beforeAll } from 'vitest';
import { knownHostsFor } from './fixtures.js';
import { startEchoServer, type Closable } from './servers.js';
import { makeClientKeys, Sshd, type ClientKeys } from './sshd.js';

export interface SshdWithEcho {
  keys: ClientKeys;
  sshd: Sshd;
  knownHosts: string;
  echo: Closable;
  dispose(): Promise<void>;
}

/** The common setup of the forwarding tests: client keys, a real sshd that knows them, a known_hosts file for it, an echo server. */
export async function startSshdWithEcho(config: string[] = []): Promise<SshdWithEcho> {
  delete process.env.SSH_AUTH_SOCK; // tests authenticate with their own keys only
  const keys = await makeClientKeys();
  const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config });
  const knownHosts = await knownHostsFor([sshd]);
  const echo = await startEchoServer();
  return {
    keys,
    sshd,
    knownHosts,
    echo,
    dispose: async () => {
      await echo.close();
      await sshd.dispose();
    },
  };
}

/**
 * The same, as hooks for a test file: started before its tests, disposed after them. Read the
 * fields inside tests (they are set once beforeAll has run).
 */
export function useSshdWithEcho(config: string[] = []): SshdWithEcho {
  const fixture = {} as SshdWithEcho;
  beforeAll(async () => {
    Object.assign(fixture, await startSshdWithEcho(config));
  });
  afterAll(async () => {
    await fixture.dispose?.();
  });
  return fixture;
}
