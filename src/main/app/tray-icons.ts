import type { NativeImage } from 'electron';
import type { ElectronApi } from './electron-api.js';

export type Health = 'up' | 'trouble' | 'failed' | 'idle';

const COLORS: Record<Health, [number, number, number]> = {
  up: [0x2e, 0x9e, 0x4f],
  trouble: [0xe0, 0x9b, 0x1a],
  failed: [0xd1, 0x3b, 0x3b],
  idle: [0x8a, 0x8f, 0x98],
};

/** A 16×16 disc in the health colour (BGRA bitmap), so no image files need shipping. */
export function trayIcon(electron: ElectronApi, health: Health): NativeImage {
  const size = 16;
  const [r, g, b] = COLORS[health];
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const d = Math.hypot(x - 7.5, y - 7.5);
      const alpha = d <= 6 ? 255 : d <= 7 ? Math.round((7 - d) * 255) : 0;
      pixels.set([b, g, r, alpha], (y * size + x) * 4);
    }
  }
  return electron.nativeImage.createFromBitmap(pixels, { width: size, height: size });
}
