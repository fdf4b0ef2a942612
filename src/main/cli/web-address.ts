import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The port and token `tunnelvision web` used last time for this config dir. */
export interface WebAddress {
  port: number;
  token: string;
}

const FILE = 'web.json';

/**
 * An open dashboard keeps working across a restart of `tunnelvision web` because the address
 * stays the same: the port and the access token are kept in the config dir, readable by the
 * user only (0600, like ~/.ssh keys). A missing or damaged file means a fresh address.
 */
export async function loadWebAddress(dir: string): Promise<WebAddress | null> {
  try {
    const raw = JSON.parse(await readFile(join(dir, FILE), 'utf8')) as Partial<WebAddress>;
    if (typeof raw.port !== 'number' || !Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65535) return null;
    if (typeof raw.token !== 'string' || !/^[A-Za-z0-9_-]{32}$/.test(raw.token)) return null;
    return { port: raw.port, token: raw.token };
  } catch {
    return null;
  }
}

export function newWebToken(): string {
  return randomBytes(24).toString('base64url');
}

export async function saveWebAddress(dir: string, address: WebAddress): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = join(dir, `${FILE}.${process.pid}.tmp`);
  await writeFile(tmp, `${JSON.stringify(address)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, join(dir, FILE));
}
