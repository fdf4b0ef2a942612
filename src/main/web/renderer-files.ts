import { extname, resolve, sep } from 'node:path';

/**
 * The built dashboard as both hosts serve it — `tunnelvision web` over HTTP, the desktop app over
 * its `app://` scheme: which file a path names, its type, and the page's policy.
 */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function contentType(file: string): string {
  return CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
}

/**
 * The file under `root` that a decoded URL path names, or null: outside the folder, or a source
 * map (the build makes none, and a stale one would hand the whole source to anyone who asks).
 */
export function rendererFilePath(root: string, pathname: string): string | null {
  const base = resolve(root);
  const file = resolve(base, pathname === '/' ? 'index.html' : pathname.slice(1));
  return file.startsWith(base + sep) && !file.endsWith('.map') ? file : null;
}

/** The dashboard's Content-Security-Policy; only where it may connect differs between hosts. */
export function rendererPolicy(connectSrc: string): string {
  return [
    "default-src 'self'",
    `connect-src ${connectSrc}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'none'",
  ].join('; ');
}
