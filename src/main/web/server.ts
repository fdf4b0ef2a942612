import { randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { EVENTS, MAX_MESSAGE_BYTES, type EventName } from '../../shared/contract.js';
import type { ApiService } from '../api/service.js';

export interface WebServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

function securityHeaders(port: number): Record<string, string> {
  return {
    'Content-Security-Policy': [
      "default-src 'self'",
      `connect-src ws://127.0.0.1:${port} ws://localhost:${port}`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "object-src 'none'",
      "base-uri 'none'",
      "frame-ancestors 'none'",
      "form-action 'none'",
    ].join('; '),
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

  const serveStatic = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headers = securityHeaders(actualPort);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, headers).end();
      return;
    }
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const relative = pathname === '/' ? 'index.html' : pathname.slice(1);
    const root = resolve(staticDir);
    const file = resolve(root, relative);
    if (!file.startsWith(root + sep)) {
      res.writeHead(404, headers).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(req.method === 'HEAD' ? undefined : body);
    } catch {
      if (relative === 'index.html') {
        res.writeHead(503, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('The dashboard is not built: run `npm run build`.\n');
      } else res.writeHead(404, headers).end();
    }
  };

  const http = createServer((req, res) => void serveStatic(req, res));
  http.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  const expected = Buffer.from(token);
  const tokenOk = (given: string | null): boolean => {
    if (!given) return false;
    const g = Buffer.from(given);
    return g.length === expected.length && timingSafeEqual(g, expected);
  };

  http.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const origin = req.headers.origin;
    const allowed = [`http://127.0.0.1:${actualPort}`, `http://localhost:${actualPort}`];
    const refuse = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/api') return refuse('404 Not Found');
    if (!tokenOk(url.searchParams.get('token'))) return refuse('401 Unauthorized');
    if (!origin || !allowed.includes(origin)) return refuse('403 Forbidden');
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws));
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
