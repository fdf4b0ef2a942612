import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { cspVerdicts, LOCKED_DOWN } from '../helpers/csp.js';
import { startHttpServer } from '../helpers/servers.js';

const require = createRequire(import.meta.url);
function electronBinary(): string | null {
  try {
    const path = require('electron') as unknown;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}
const binary = electronBinary();

describe('the packaged Electron app (real binary, Playwright _electron)', () => {
  it.skipIf(binary === null)(
    binary === null
      ? 'skipped: no Electron binary here (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1; the Electron layer is tested against the fake module instead)'
      : 'launches, shows the dashboard, and keeps the renderer locked down',
    async () => {
      const { _electron } = await import('playwright-core');
      const http = await startHttpServer('not for the renderer');
      const app = await _electron.launch({ executablePath: binary!, args: ['.'], env: { ...process.env, TUNNELVISION_CONFIG_DIR: '/tmp/tv-electron-e2e' } });
      try {
        const page = await app.firstWindow();
        await page.waitForSelector('h1');
        expect(await page.title()).toBe('Tunnelvision');
        expect(await page.evaluate(() => ['require', 'process', 'ipcRenderer', 'module', 'Buffer'].filter((name) => name in globalThis))).toEqual([]);
        expect(await cspVerdicts(page, http.port)).toEqual(LOCKED_DOWN);
        // Denied by the main process: new windows, navigation away, permission requests.
        // (No DOM types in this compilation: the page's globals are reached through a narrow view.)
        type Win = { open(url: string): unknown; location: { href: string }; Notification: { requestPermission(): Promise<string> } };
        expect(await page.evaluate(() => (globalThis as unknown as Win).open('https://example.org/') === null)).toBe(true);
        const home = page.url();
        await page.evaluate(() => {
          (globalThis as unknown as Win).location.href = 'https://example.org/';
        });
        await new Promise((r) => setTimeout(r, 1000));
        expect(page.url()).toBe(home);
        expect(await page.evaluate(() => (globalThis as unknown as Win).Notification.requestPermission())).toBe('denied');
      } finally {
        await app.close();
        await http.close();
      }
    },
  );
});
