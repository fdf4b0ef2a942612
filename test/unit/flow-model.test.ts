import { describe, expect, it } from 'vitest';
import { buildFlow } from '../../src/renderer/flow/flow-model.js';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import type { ForwardStatus } from '../../src/shared/tunnel.js';

const flow = (cmd: string, status?: Partial<ForwardStatus>, state: Parameters<typeof buildFlow>[3] = 'up') => {
  const { profile } = parseSshCommand(cmd.split(' '));
  return buildFlow(profile, profile.forwards[0]!, status as ForwardStatus | undefined, state);
};

describe('flow diagrams: the path each forward kind takes, and its sentence', () => {
  it('-L: this computer → SSH server (encrypted) → destination (plain)', () => {
    const m = flow('ssh -L 127.0.0.1:8080:example.org:80 ssh-server');
    expect(m.nodes.map((n) => n.kind)).toEqual(['apps', 'computer', 'server', 'destination']);
    expect(m.segments.map((s) => `${s.from}>${s.to}:${s.encrypted ? 'ssh' : 'tcp'}`)).toEqual(['apps>computer:tcp', 'computer>server:ssh', 'server>destination:tcp']);
    expect(m.sentence).toBe('Connections to 127.0.0.1:8080 on this computer reach example.org:80 through ssh-server; example.org sees them coming from ssh-server.');
    // Alias on one line, address on the next.
    expect(m.nodes.find((n) => n.id === 'server')).toMatchObject({ label: 'ssh-server', address: 'ssh-server:22' });
    expect(m.exposure).toBeNull();
  });

  it('-L to localhost means the server itself', () => {
    expect(flow('ssh -L 5432:localhost:5432 db').sentence).toBe('Connections to 127.0.0.1:5432 on this computer reach port 5432 on db itself through db; to db they are local connections.');
  });

  it('jump chains: every hop is inside the tunnel, named in order', () => {
    const m = flow('ssh -J alice@bastion:2222,inner -L 8080:app:80 target');
    expect(m.nodes.map((n) => n.label)).toEqual(['your programs', 'this computer', 'bastion', 'inner', 'target', 'app:80']);
    expect(m.segments.filter((s) => s.encrypted).map((s) => `${s.from}>${s.to}`)).toEqual(['computer>jump0', 'jump0>jump1', 'jump1>server']);
    expect(m.sentence).toContain('through bastion, inner and target; app sees them coming from target');
  });

  it('-R: the entrance is on the server; this computer dials the destination', () => {
    const m = flow('ssh -R 9000:localhost:3000 relay');
    expect(m.nodes.map((n) => n.id)).toEqual(['apps', 'server', 'computer', 'destination']);
    expect(m.segments.find((s) => s.encrypted)).toEqual({ from: 'server', to: 'computer', encrypted: true });
    expect(m.sentence).toBe('Connections to localhost:9000 on relay reach localhost:3000 through this computer; to it they come from this computer itself.');
  });

  it('-R port 0 shows the port the server allocated', () => {
    expect(flow('ssh -R 0:localhost:22 relay', { allocatedPort: 41234 }).sentence).toContain('localhost:41234 on relay');
  });

  it('-D: the destination is *:*', () => {
    const m = flow('ssh -D 1080 proxy');
    expect(m.nodes.at(-1)!.label).toBe('any host');
    expect(m.sentence).toBe('Programs using the SOCKS proxy at 127.0.0.1:1080 on this computer reach any host through proxy; those hosts see them coming from proxy.');
  });

  it('-g -D 1081 is drawn listening on all interfaces, with the real listening addresses when running', () => {
    const stopped = flow('ssh -g -D 1081 proxy');
    expect(stopped.sentence).toContain('SOCKS proxy at *:1081');
    expect(stopped.exposure).toMatch(/Other machines can connect to \*:1081/);
    const running = flow('ssh -g -D 1081 proxy', { listening: ['[::]:1081'] });
    expect(running.nodes.find((n) => n.id === 'computer')!.address).toBe('*:1081');
    const loopback = flow('ssh -D 1080 proxy', { listening: ['127.0.0.1:1080', '[::1]:1080'] });
    expect(loopback.nodes.find((n) => n.id === 'computer')!.address).toBe('127.0.0.1:1080 and [::1]:1080');
  });

  it('a hop that answered and refused the login is "refused", the hops before it fine, the ones after not reached', () => {
    const { profile } = parseSshCommand('ssh -J alice@b1,bob@b2 -L 1:h:2 carol@s'.split(' '));
    const m = buildFlow(profile, profile.forwards[0]!, undefined, 'failed', { code: 'AUTH_FAILED', message: 'Permission denied for bob@b2:22: the server accepted none of the offered credentials (tried the key /k)' });
    expect(m.nodes.filter((n) => n.kind === 'jump' || n.kind === 'server').map((n) => n.condition)).toEqual(['ok', 'refused', 'unreached']);
  });

  it.each([
    ['ssh -L *:8080:h:80 s', true],
    ['ssh -L 0.0.0.0:8080:h:80 s', true],
    ['ssh -g -L 8080:h:80 s', true],
    ['ssh -L 192.168.1.5:8080:h:80 s', true],
    ['ssh -D [::1]:1080 s', false],
    ['ssh -L localhost:8080:h:80 s', false],
  ])('exposure warning for %s: %s', (cmd, exposed) => {
    expect(flow(cmd).exposure !== null).toBe(exposed);
  });

  it('-R on all interfaces warns that GatewayPorts decides', () => {
    expect(flow('ssh -R *:9000:localhost:3000 relay').exposure).toMatch(/GatewayPorts/);
  });

  it('a hop that is down is marked; a destination whose probe failed too', () => {
    expect(flow('ssh -L 1:h:2 s', undefined, 'reconnecting').nodes.find((n) => n.id === 'server')!.down).toBe(true);
    expect(flow('ssh -L 1:h:2 s', { probe: 'down' }).nodes.at(-1)!.down).toBe(true);
    expect(flow('ssh -L 1:h:2 s').nodes.some((n) => n.down)).toBe(false);
  });
});
