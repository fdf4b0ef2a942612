import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultProfile, type Forward, type Profile } from '../../shared/profile.js';
import { newSavedProfile } from '../../shared/saved-profile.js';
import type { ApiService } from '../api/service.js';
import { ProfileStore } from '../store/profile-store.js';
import { generateKeys, startDemoServer } from './demo-server.js';

const TRAFFIC_EVERY_MS = 700;

function get(port: number, socket?: Socket): Promise<void> {
  return new Promise((resolve) => {
    const s = socket ?? connect(port, '127.0.0.1');
    s.on('error', () => resolve());
    s.on('close', () => resolve());
    s.on('data', () => undefined);
    const send = (): void => void s.end(`GET /?size=${Math.floor(Math.random() * 200_000)} HTTP/1.0\r\nHost: demo\r\n\r\n`);
    if (socket) send();
    else s.once('connect', send);
  });
}

/** A SOCKS5 CONNECT to 127.0.0.1:target through the -D listener, then one request. */
function getViaSocks(socksPort: number, target: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(socksPort, '127.0.0.1');
    s.on('error', () => resolve());
    let stage = 0;
    s.once('connect', () => s.write(Buffer.from([5, 1, 0])));
    s.on('data', (d: Buffer) => {
      if (stage === 0) {
        stage = 1;
        s.write(Buffer.from([5, 1, 0, 1, 127, 0, 0, 1, target >> 8, target & 255]));
      } else if (stage === 1) {
        stage = 2;
        if (d[1] !== 0) return void s.destroy();
        void get(0, s).then(resolve);
      }
    });
  });
}

/**
 * `tunnelvision web --demo`: two embedded SSH servers on loopback, sample tunnels of every kind
 * (-L, -R, -D, a two-hop -J chain) in a throwaway profile directory, all started, with real
 * traffic flowing through them. The user's own profiles are not touched.
 */
export async function prepareDemo(): Promise<{ store: ProfileStore; start(service: ApiService): Promise<void>; stop(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'tunnelvision-demo-'));
  const keys = generateKeys();
  const [a, b] = [await startDemoServer(keys.hostKey, keys.clientKey), await startDemoServer(keys.hostKey, keys.clientKey)];
  const keyFile = join(dir, 'demo_key');
  await writeFile(keyFile, keys.clientPrivate, { mode: 0o600 });
  const knownHosts = join(dir, 'known_hosts');
  await writeFile(knownHosts, [a, b].map((s) => `[127.0.0.1]:${s.port} ${keys.hostPublic}`).join('\n') + '\n');

  const site = createHttpServer((req, res) => {
    const size = Math.min(Number(new URL(req.url ?? '/', 'http://x').searchParams.get('size') ?? 1000), 1_000_000);
    res.end(Buffer.alloc(size, 0x2e));
  });
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const sitePort = (site.address() as { port: number }).port;

  const base = (port: number, forwards: Forward[]): Profile => ({
    ...defaultProfile('127.0.0.1'),
    port,
    user: 'demo',
    identityFiles: [keyFile],
    identitiesOnly: true,
    knownHostsFiles: [knownHosts],
    strictHostKeyChecking: 'yes',
    batchMode: true,
    forwards,
  });
  const target = { host: '127.0.0.1', port: sitePort };
  const store = new ProfileStore(dir);
  const samples = [
    newSavedProfile('Web app (-L)', base(a.port, [{ kind: 'local', bind: { host: null, port: 0 }, target }]), { group: 'Demo' }),
    newSavedProfile('Share a local site (-R)', base(a.port, [{ kind: 'remote', bind: { host: null, port: 0 }, target }]), { group: 'Demo' }),
    newSavedProfile('SOCKS proxy (-D)', base(b.port, [{ kind: 'dynamic', bind: { host: null, port: 0 } }]), { group: 'Demo' }),
    newSavedProfile('Two hops (-J)', { ...base(a.port, [{ kind: 'local', bind: { host: null, port: 0 }, target }]), jumps: [{ host: '127.0.0.1', port: b.port, user: 'demo' }, { host: '127.0.0.1', port: a.port, user: 'demo' }] }, { group: 'Demo' }),
  ];
  const ids: string[] = [];
  for (const s of samples) ids.push((await store.add(s)).id);

  let timer: NodeJS.Timeout | null = null;
  return {
    store,
    async start(service) {
      for (const id of ids) await service.call('tunnels.start', { id });
      timer = setInterval(() => {
        for (const id of ids) {
          const tunnel = service.manager.get(id);
          const f = tunnel?.forwardStatuses()[0];
          const port = f?.allocatedPort;
          if (!tunnel || !port || tunnel.getState() !== 'up') continue;
          if (tunnel.profile.forwards[0]!.kind === 'dynamic') void getViaSocks(port, sitePort);
          else void get(port);
        }
      }, TRAFFIC_EVERY_MS);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      site.close();
      await Promise.all([a.close(), b.close()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
