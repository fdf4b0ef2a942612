import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|tsx)$/.test(name) ? [path] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
}

const NODE_BUILTINS = /^(node:|fs$|path$|os$|net$|crypto$|child_process$|stream$|events$|http$|https$|url$|util$|tls$|dns$|readline$)/;

describe('layering (DESIGN.md): enforced, not remembered', () => {
  it('only src/main/app imports electron', () => {
    const offenders = files('src')
      .filter((f) => !f.startsWith(join('src', 'main', 'app')))
      .filter((f) => imports(f).some((i) => i === 'electron' || i.startsWith('electron/')));
    expect(offenders).toEqual([]);
  });

  it('src/shared imports neither Node built-ins nor DOM-only modules nor main/renderer code', () => {
    const offenders = files('src/shared').flatMap((f) =>
      imports(f)
        .filter((i) => NODE_BUILTINS.test(i) || i.includes('/main/') || i.includes('/renderer/') || i === 'react-dom')
        .map((i) => `${f}: ${i}`),
    );
    expect(offenders).toEqual([]);
    const globals = files('src/shared').filter((f) => /\b(process\.|Buffer\.|window\.|document\.)/.test(readFileSync(f, 'utf8')));
    expect(globals).toEqual([]);
  });
});
