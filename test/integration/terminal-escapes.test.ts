import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const HOSTILE = '\u001b]0;pwned\u0007\u001b[2J\u001b[31mred\u009b1m\u202egnp.exe';

/** The unencrypted binary packet of RFC 4253 §6 that carries an SSH_MSG_DISCONNECT. */
function disconnectPacket(description: string): Buffer {
  const desc = Buffer.from(description, 'utf8');
  const payload = Buffer.alloc(1 + 4 + 4 + desc.length + 4);
  let o = payload.writeUInt8(1, 0); // SSH_MSG_DISCONNECT
  o = payload.writeUInt32BE(2, o); // SSH_DISCONNECT_PROTOCOL_ERROR
  o = payload.writeUInt32BE(desc.length, o);
  o += desc.copy(payload, o);
  payload.writeUInt32BE(0, o); // language tag ""
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8;
  const packet = Buffer.alloc(5 + payload.length + padding);
  packet.writeUInt32BE(1 + payload.length + padding, 0);
  packet.writeUInt8(padding, 4);
  payload.copy(packet, 5);
  return packet;
}

let server: Server;
let port: number;

beforeAll(async () => {
  // A server that says hello and then disconnects with a description full of terminal escapes.
  server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write('SSH-2.0-Hostile_1.0\r\n');
    socket.once('data', () => socket.end(disconnectPacket(`bye ${HOSTILE}`)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('text from a server reaches the terminal escaped, as strnvis(3) would show it', () => {
  it('a DISCONNECT reason with OSC, CSI and C1 codes is printed as visible octal escapes', async () => {
    const r = await runCli(['up', '--gate-time', '30', '--', 'ssh', '-N', '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-L', '0:127.0.0.1:9', 'someone@127.0.0.1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('bye \\033]0;pwned\\007\\033[2J\\033[31mred\\2331m\\u{202e}gnp.exe');
    // eslint-disable-next-line no-control-regex
    expect(r.stderr).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });

  it('--json keeps the text exact (JSON escapes it) for programs', async () => {
    const r = await runCli(['up', '--json', '--gate-time', '30', '--', 'ssh', '-N', '-p', String(port), '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-L', '0:127.0.0.1:9', 'someone@127.0.0.1']);
    expect(r.code).toBe(1);
    const failed = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l)).find((e) => e.event === 'state' && e.state === 'failed');
    expect(failed.error.message).toContain(`bye ${HOSTILE}`);
    // eslint-disable-next-line no-control-regex
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/);
  });
});
