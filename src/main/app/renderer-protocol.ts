import { readFile } from 'node:fs/promises';
import { contentType, rendererFilePath, rendererPolicy } from '../web/renderer-files.js';
import type { ElectronApi } from './electron-api.js';

/**
 * The window loads the dashboard from `app://tunnelvision/`, not `file://`. Under `file://` the
 * CSP's 'self' is every file on the disk; under a scheme of our own it is the built renderer and
 * nothing else, and the `grantFileProtocolExtraPrivileges` fuse can be turned off.
 */
export const RENDERER_SCHEME = 'app';
export const RENDERER_HOST = 'tunnelvision';
export const RENDERER_ORIGIN = `${RENDERER_SCHEME}://${RENDERER_HOST}`;
export const RENDERER_URL = `${RENDERER_ORIGIN}/index.html`;

/** The desktop window talks to main over IPC only: no network, no WebSocket. */
export const DESKTOP_CSP = rendererPolicy("'self'");

/** Must run before the app is ready: a standard, secure scheme, so 'self' and fetch behave. */
export function registerRendererScheme(electron: ElectronApi): void {
  electron.protocol.registerSchemesAsPrivileged([{ scheme: RENDERER_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
}

export function serveRenderer(electron: ElectronApi, rendererDir: string): void {
  electron.protocol.handle(RENDERER_SCHEME, (request) => rendererResponse(request.url, rendererDir));
}

/** The answer for one `app://` URL: a file of the built renderer, or an error status. */
export async function rendererResponse(url: string, rendererDir: string): Promise<Response> {
  const status = (code: number): Response => new Response(null, { status: code, headers: { 'Content-Security-Policy': DESKTOP_CSP } });
  let pathname: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== `${RENDERER_SCHEME}:` || parsed.host !== RENDERER_HOST) return status(404);
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return status(400);
  }
  const file = rendererFilePath(rendererDir, pathname);
  if (file === null) return status(404);
  try {
    const body = await readFile(file);
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': contentType(file),
        'Content-Security-Policy': DESKTOP_CSP,
        'X-Content-Type-Options': 'nosniff',
      },
    });
  } catch {
    return status(404);
  }
}
