import { describe, expect, it } from 'vitest';
import { formatForwardSpec, parseForwardSpec } from '../../src/main/openssh/forward-spec.js';
import { TunnelError } from '../../src/shared/errors.js';

describe('parseForwardSpec: every form in ssh(1)', () => {
  it.each([
    // -L [bind_address:]port:host:hostport
    ['local', '8080:example.org:80', { kind: 'local', bind: { host: null, port: 8080 }, target: { host: 'example.org', port: 80 } }],
    ['local', '127.0.0.1:8080:example.org:80', { kind: 'local', bind: { host: '127.0.0.1', port: 8080 }, target: { host: 'example.org', port: 80 } }],
    ['local', '*:8080:db:5432', { kind: 'local', bind: { host: '*', port: 8080 }, target: { host: 'db', port: 5432 } }],
    ['local', ':8080:db:5432', { kind: 'local', bind: { host: '*', port: 8080 }, target: { host: 'db', port: 5432 } }],
    ['local', 'localhost:8080:db:5432', { kind: 'local', bind: { host: 'localhost', port: 8080 }, target: { host: 'db', port: 5432 } }],
    ['local', '[::1]:8080:[2001:db8::1]:80', { kind: 'local', bind: { host: '::1', port: 8080 }, target: { host: '2001:db8::1', port: 80 } }],
    ['local', '8080:localhost:http', { kind: 'local', bind: { host: null, port: 8080 }, target: { host: 'localhost', port: 80 } }],
    // -L [bind_address:]port:remote_socket, local_socket:host:hostport, local_socket:remote_socket
    ['local', '8080:/run/docker.sock', { kind: 'local', bind: { host: null, port: 8080 }, target: { socket: '/run/docker.sock' } }],
    ['local', '127.0.0.1:8080:/run/docker.sock', { kind: 'local', bind: { host: '127.0.0.1', port: 8080 }, target: { socket: '/run/docker.sock' } }],
    ['local', '/tmp/local.sock:db:5432', { kind: 'local', bind: { socket: '/tmp/local.sock' }, target: { host: 'db', port: 5432 } }],
    ['local', '/tmp/l.sock:/run/r.sock', { kind: 'local', bind: { socket: '/tmp/l.sock' }, target: { socket: '/run/r.sock' } }],
    // -R
    ['remote', '9000:localhost:3000', { kind: 'remote', bind: { host: null, port: 9000 }, target: { host: 'localhost', port: 3000 } }],
    ['remote', '0:localhost:3000', { kind: 'remote', bind: { host: null, port: 0 }, target: { host: 'localhost', port: 3000 } }],
    ['remote', '0.0.0.0:9000:10.0.0.5:22', { kind: 'remote', bind: { host: '0.0.0.0', port: 9000 }, target: { host: '10.0.0.5', port: 22 } }],
    ['remote', '9000:/run/app.sock', { kind: 'remote', bind: { host: null, port: 9000 }, target: { socket: '/run/app.sock' } }],
    ['remote', '/tmp/remote.sock:localhost:3000', { kind: 'remote', bind: { socket: '/tmp/remote.sock' }, target: { host: 'localhost', port: 3000 } }],
    ['remote', '/tmp/r.sock:/tmp/l.sock', { kind: 'remote', bind: { socket: '/tmp/r.sock' }, target: { socket: '/tmp/l.sock' } }],
    ['remote', '1080', { kind: 'remote', bind: { host: null, port: 1080 } }],
    ['remote', 'localhost:1080', { kind: 'remote', bind: { host: 'localhost', port: 1080 } }],
    // -D [bind_address:]port
    ['dynamic', '1080', { kind: 'dynamic', bind: { host: null, port: 1080 } }],
    ['dynamic', '0.0.0.0:1080', { kind: 'dynamic', bind: { host: '0.0.0.0', port: 1080 } }],
    ['dynamic', '[::1]:1080', { kind: 'dynamic', bind: { host: '::1', port: 1080 } }],
    ['dynamic', '*:1080', { kind: 'dynamic', bind: { host: '*', port: 1080 } }],
  ] as const)('-%s %s', (kind, spec, expected) => {
    expect(parseForwardSpec(kind, spec)).toEqual(expected);
  });

  it('a backslash escapes a colon in a socket path', () => {
    expect(parseForwardSpec('local', '/tmp/a\\:b.sock:db:5432')).toEqual({ kind: 'local', bind: { socket: '/tmp/a:b.sock' }, target: { host: 'db', port: 5432 } });
  });

  it.each([
    ['local', ''],
    ['local', '8080'],
    ['local', '8080:host'],
    ['local', '65536:h:80'],
    ['local', '-1:h:80'],
    ['local', '80a:h:80'],
    ['local', '8080:h:0'],
    ['local', '8080:h:'],
    ['local', '8080::80'],
    ['local', '::1:8080:h:80'],
    ['local', '[::1:8080:h:80'],
    ['local', '[::1]x:8080:h:80'],
    ['local', 'a:1:b:2:c'],
    ['local', '8080:h;rm -rf /:80'],
    ['dynamic', '1080:host:80'],
    ['dynamic', '/tmp/socks.sock'],
    ['dynamic', 'notaport'],
    ['remote', '99999'],
  ] as const)('-%s %j is refused with BAD_FORWARD_SPEC', (kind, spec) => {
    let caught: unknown;
    try {
      parseForwardSpec(kind, spec);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TunnelError);
    expect((caught as TunnelError).code).toBe('BAD_FORWARD_SPEC');
    expect((caught as TunnelError).message).toMatch(/^Bad -[LRD] forward/);
  });

  it.each(['8080:example.org:80', '127.0.0.1:8080:db:5432', '[::1]:8080:[2001:db8::1]:80', '*:1080:h:1', '/tmp/a\\:b.sock:/run/r.sock', '0:localhost:22'])(
    'formatForwardSpec round-trips %s',
    (spec) => {
      const parsed = parseForwardSpec('local', spec);
      expect(parseForwardSpec('local', formatForwardSpec(parsed))).toEqual(parsed);
    },
  );
});
