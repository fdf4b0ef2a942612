import { defineConfig } from 'vite';

// The dashboard. React's JSX through esbuild (no plugin needed); a relative base so the same
// build loads from file:// in Electron and from the web mode's server.
export default defineConfig({
  root: 'src/renderer',
  base: './',
  esbuild: { jsx: 'automatic' },
  build: { outDir: '../../dist/renderer', emptyOutDir: true, sourcemap: false, target: 'es2022' },
});
