import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newest(dir: string): number {
  return readdirSync(dir).reduce((latest, name) => {
    const path = join(dir, name);
    const info = statSync(path);
    return Math.max(latest, info.isDirectory() ? newest(path) : info.mtimeMs);
  }, 0);
}

/** CLI tests run the built `tunnelvision`: rebuild when any source is newer than the build. */
export default function setup(): void {
  const built = 'dist/main/cli/index.js';
  if (!existsSync(built) || statSync(built).mtimeMs < Math.max(newest('src/main'), newest('src/shared'))) {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  }
}
