import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/**
 * A fresh HOME with an empty ~/.ssh for every test of the file (ssh_config lookups read it), the
 * real one restored after. Returns a getter: the folder changes per test.
 */
export function useTempHome(): () => string {
  let home = '';
  const saved = process.env.HOME;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'tv-home-'));
    mkdirSync(join(home, '.ssh'));
    process.env.HOME = home;
  });
  afterEach(() => {
    process.env.HOME = saved;
  });
  return () => home;
}
