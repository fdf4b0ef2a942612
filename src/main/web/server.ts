import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENTS, MAX_MESSAGE_BYTES, type EventName } from '../../shared/contract.js';
import type { ApiService } from '../api/service.js';
import { contentType, rendererFilePath, rendererPolicy } from './renderer-files.js';

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/**
 * The WebSocket carries the token as a second subprotocol (`tunnelvision`, `token.<token>`):
 * unlike a query string it never lands in a URL, a log line or a Referer, and unlike a first
 * message it is checked before the upgrade, so a socket without it is never opened.
 */
export const API_PROTOCOL = 'tunnelvision';
export const TOKEN_PROTOCOL_PREFIX = 'token.';

function tokenFromProtocols(header: string | undefined): string | null {
  if (!header) return null;
  const offered = header.split(',').map((p) => p.trim());
  if (!offered.includes(API_PROTOCOL)) return null;
  const token = offered.find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  return token ? token.slice(TOKEN_PROTOCOL_PREFIX.length) : null;
}

/** The decoded path of a request target, or null for one that is not a valid origin-form URL. */
function requestPath(target: string | undefined): string | null {
  if (!target || !target.startsWith('/')) return null;
  try {
    return decodeURIComponent(new URL(target, 'http://x').pathname);
  } catch {
    return null;
  }
}

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': rendererPolicy(`ws://127.0.0.1:${port} ws://localhost:${port}`),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

/**
 * `tunnelvision web`: the built dashboard and the contract over one WebSocket, on 127.0.0.1
 * only. The WebSocket needs the random token from the printed URL (kept in the fragment, so it
 * never reaches a log or a Referer) and an Origin of this very server: another web page, or
 * another local user without the token, cannot drive the tunnels.
 */
export async function startWebServer(service: ApiService, staticDir: string, port = 0, options: { token?: string } = {}): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  let actualPort = 0;
  const sockets = new Set<Socket>();

  // DNS rebinding: a foreign name that resolves to 127.0.0.1 reaches this port, but carries its
  // own name in Host; only our two spellings of loopback are served.
  const hostOk = (req: IncomingMessage): boolean =>
    req.headers.host === `127.0.0.1:${actualPort}` || req.headers.host === `localhost:${actualPort}`;

  const serveStatic = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headers = securityHeaders(actualPort);
    if (!hostOk(req)) {
      res.writeHead(421, headers).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    const pathname = requestPath(req.url);
    if (pathname === null) {
      res.writeHead(400, headers).end();
      return;
    }
    const file = rendererFilePath(staticDir, pathname);
    if (file === null) {
      res.writeHead(404, headers).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': contentType(file) }).end(req.method === 'HEAD' ? undefined : body);
    } catch {
      if (file === rendererFilePath(staticDir, '/')) {
        res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('The dashboard is not built: run `npm run build`.\n');
      } else res.writeHead(404, headers).end();
    }
  };

  const http = createServer((req, res) => {
    // No request may take the process (and every tunnel) down: whatever escapes is a 500.
    serveStatic(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, securityHeaders(actualPort));
      res.end();
    });
  });
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  // The answer names our protocol only, never echoes the token.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, handleProtocols: () => API_PROTOCOL });

  const expected = Buffer.from(token);
  const tokenOk = (given: string | null): boolean => {
    if (!given) return false;
    const g = Buffer.from(given);
    return g.length === expected.length && timingSafeEqual(g, expected);
  };

  http.on('upgrade', (req, socket: Socket, head) => {
    socket.on('error', () => socket.destroy());
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    try {
      const origin = req.headers.origin;
      const allowed = [`http://127.0.0.1:${actualPort}`, `http://localhost:${actualPort}`];
      if (!hostOk(req)) return refuse('421 Misdirected Request');
      const pathname = requestPath(req.url);
      if (pathname === null) return refuse('400 Bad Request');
      if (pathname !== '/api') return refuse('404 Not Found');
      if (!tokenOk(tokenFromProtocols(req.headers['sec-websocket-protocol']))) return refuse('401 Unauthorized');
      if (!origin || !allowed.includes(origin)) return refuse('403 Forbidden');
      wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
    } catch {
      refuse('400 Bad Request');
    }
  });

  const attach = (ws: WebSocket): void => {
    const send = (message: unknown): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const unsubscribe = (Object.keys(EVENTS) as EventName[]).map((event) => {
      const listener = (payload: unknown): void => send({ event, payload });
      service.on(event, listener as never);
      return () => service.off(event, listener as never);
    });
    // A page that connects late still sees questions already waiting.
    for (const prompt of service.prompts.open()) send({ event: 'prompt', payload: prompt });
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let id = 0;
        try {
          if (isBinary) throw new Error('binary messages are not accepted');
          const msg = JSON.parse(String(data)) as unknown;
          if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) throw new Error('a message is a JSON object');
          const { id: rawId, command, input } = msg as Record<string, unknown>;
          if (typeof rawId !== 'number' || !Number.isSafeInteger(rawId) || rawId < 1) throw new Error('"id" must be a positive integer');
          id = rawId;
          send({ id, result: await service.dispatch(command, input) });
        } catch (err) {
          send({ id, result: { ok: false, error: { code: 'BAD_ARGUMENT', message: `bad message: ${(err as Error).message}`.slice(0, 300) } } });
        }
      })();
    });
    ws.on('error', () => ws.terminate());
    ws.on('close', () => unsubscribe.forEach((u) => u()));
  };

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => resolve());
  });
  actualPort = (http.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${actualPort}/#token=${token}`,
    token,
    port: actualPort,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
