import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/cli.js';
import { WsClient } from '../helpers/ws-client.js';

describe('tunnelvision web --demo', () => {
  it('brings up a -L, -R, -D and two-hop -J tunnel through embedded servers, with real traffic', async () => {
    const env = { ...process.env };
    delete env.SSH_AUTH_SOCK;
    const web = spawn(process.execPath, [CLI, 'web', '--demo', '--json'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const first = await new Promise<string>((resolve) => createInterface({ input: web.stdout! }).once('line', resolve));
      const url = new URL((JSON.parse(first) as { url: string }).url);
      const client = await WsClient.forDashboard(url.href);
      const batch = await client.waitForEvent((e) => e.event === 'traffic' && e.payload.length === 4 && e.payload.every((s: any) => s.state === 'up' && s.bytesReceived > 0), 20_000);
      expect(batch.payload).toHaveLength(4);
      const list = await client.call('profiles.list', {});
      expect(list.ok && list.value.profiles.map((p: any) => p.forwards[0].kind).sort()).toEqual(['dynamic', 'local', 'local', 'remote']);
      expect(list.ok && list.value.profiles.some((p: any) => p.jumps.length === 2)).toBe(true);
      client.close();
    } finally {
      web.kill('SIGTERM');
      await new Promise((r) => web.on('close', r));
    }
    expect(web.exitCode ?? 0).toBe(0);
  });
});
