import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

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
      const app = await _electron.launch({ executablePath: binary!, args: ['.'], env: { ...process.env, TUNNELVISION_CONFIG_DIR: '/tmp/tv-electron-e2e' } });
      try {
        const page = await app.firstWindow();
        await page.waitForSelector('h1');
        expect(await page.title()).toBe('Tunnelvision');
        expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined');
        expect(await page.evaluate(() => typeof (globalThis as { process?: unknown }).process)).toBe('undefined');
      } finally {
        await app.close();
      }
    },
  );
});
