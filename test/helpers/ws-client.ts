import WebSocket from 'ws';
import type { Result } from '../../src/shared/contract.js';

/** A contract client over the web mode's WebSocket, for tests. */
export class WsClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: Result<unknown>) => void>();
  readonly events: { event: string; payload: any }[] = [];
  closeCode: number | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if ('event' in msg) this.events.push(msg);
      else this.waiting.get(msg.id)?.(msg.result);
    });
    ws.on('close', (code) => (this.closeCode = code));
  }

  /** Connects as the dashboard served at `dashboardUrl` (http://127.0.0.1:PORT/#token=…) does. */
  static forDashboard(dashboardUrl: string): Promise<WsClient> {
    const url = new URL(dashboardUrl);
    return WsClient.connect(`ws://${url.host}/api`, url.origin, url.hash.slice('#token='.length));
  }

  /** `token` goes where the dashboard sends it, in the subprotocol list; `null` offers none. */
  static connect(url: string, origin: string | undefined, token: string | null, headers: Record<string, string> = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const protocols = token === null ? [] : ['tunnelvision', `token.${token}`];
      const ws = new WebSocket(url, protocols, { headers, ...(origin ? { origin } : {}) });
      ws.once('open', () => resolve(new WsClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  call(command: string, input: unknown): Promise<Result<any>> {
    return this.raw({ id: this.nextId, command, input });
  }

  raw(message: unknown, id = this.nextId++): Promise<Result<any>> {
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
    });
  }

  async waitForEvent(pred: (e: { event: string; payload: any }) => boolean, timeoutMs = 15_000): Promise<{ event: string; payload: any }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no such event; last: ${JSON.stringify(this.events.slice(-3))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  close(): void {
    this.ws.close();
  }
}
