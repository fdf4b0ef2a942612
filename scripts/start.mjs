// `npm start`: build if needed, then launch the Electron app. Offline installs have no Electron
// binary (ELECTRON_SKIP_BINARY_DOWNLOAD=1); say so in one line instead of a stack trace.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const entry = 'dist/main/app/main.js';

if (!existsSync(entry) || !existsSync('dist/main/cli/index.js')) {
  execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
}

let electronPath;
try {
  electronPath = require('electron');
} catch {
  electronPath = null;
}
if (typeof electronPath !== 'string' || !existsSync(electronPath)) {
  console.error(
    'tunnelvision: the Electron binary is not installed (offline install). Open the same dashboard in your browser with: npx tunnelvision web   — or run a tunnel in the terminal: npx tunnelvision up -- ssh -N -L 8080:localhost:80 user@host',
  );
  process.exit(1);
}
const child = spawn(electronPath, ['.'], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 0));
