import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** CLI tests run the built `tunnelvision`; build once if `npm test` did not already. */
export default function setup(): void {
  if (!existsSync('dist/main/cli/index.js') || process.env.TV_REBUILD === '1') {
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  }
}
