import type { CommandInput, CommandName, CommandOutput, ContractClient, EventName, EventPayload, Result } from '../../shared/contract.js';

/** What the Electron preload exposes: two functions, nothing else. */
interface PreloadBridge {
  invoke(command: string, input: unknown): Promise<unknown>;
  on(event: string, listener: (payload: unknown) => void): () => void;
}

declare global {
  interface Window {
    tunnelvision?: PreloadBridge;
  }
}

type Listener = (payload: unknown) => void;

const LOST: Result<never> = { ok: false, error: { code: 'CONNECTION_LOST', message: 'the connection to the Tunnelvision engine was lost' } };

/** Loopback is cheap: try again at once, then every second — the page must notice the engine's return fast. */
const RETRY_MS = [250, 500, 1000];

/**
 * The contract over the `web` mode's WebSocket. It says at once when the engine is lost
 * (`onConnection(false)`), keeps trying the same address, and says when it is back. Calls made
 * while it is down fail at once with CONNECTION_LOST instead of waiting for an engine that may
 * never return — the page disables its actions meanwhile.
 */
class WebSocketClient implements ContractClient {
  readonly linkEvents = true as const;
  private readonly linkListeners = new Set<(connected: boolean) => void>();
  private connected = false;
  private failures = 0;
  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, (r: Result<unknown>) => void>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private queue: string[] = [];

  constructor(
    private readonly url: string,
    private readonly protocols: string[],
  ) {
    this.open();
  }

  private open(): void {
    const ws = new WebSocket(this.url, this.protocols);
    this.ws = ws;
    ws.onopen = () => {
      this.failures = 0;
      for (const m of this.queue) ws.send(m);
      this.queue = [];
      this.setConnected(true);
    };
    ws.onmessage = (e) => {
      const msg = JSON.parse(String(e.data)) as { id?: number; result?: Result<unknown>; event?: string; payload?: unknown };
      if (msg.event) this.emit(msg.event, msg.payload);
      else if (msg.id !== undefined) {
        this.pending.get(msg.id)?.(msg.result!);
        this.pending.delete(msg.id);
      }
    };
    ws.onclose = () => {
      this.setConnected(false);
      for (const [, resolve] of this.pending) resolve(LOST);
      this.pending.clear();
      this.queue = [];
      setTimeout(() => this.open(), RETRY_MS[Math.min(this.failures++, RETRY_MS.length - 1)]);
    };
  }

  private setConnected(connected: boolean): void {
    if (connected === this.connected && connected) return;
    this.connected = connected;
    for (const l of this.linkListeners) l(connected);
  }

  /** The listener hears the current state at once (the socket may have opened before anyone listened). */
  onConnection(listener: (connected: boolean) => void): () => void {
    this.linkListeners.add(listener);
    if (this.connected) listener(true);
    else if (this.failures > 0) listener(false);
    return () => this.linkListeners.delete(listener);
  }

  private emit(event: string, payload: unknown): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }

  invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    const id = this.nextId++;
    const message = JSON.stringify({ id, command, input });
    return new Promise((resolve) => {
      // Before the first connect, calls wait for it; after a loss they fail at once.
      if (this.ws?.readyState !== WebSocket.OPEN && this.failures > 0) return resolve(LOST as Result<CommandOutput<C>>);
      this.pending.set(id, resolve as (r: Result<unknown>) => void);
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(message);
      else this.queue.push(message);
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    const set = this.listeners.get(event) ?? new Set<Listener>();
    set.add(listener as Listener);
    this.listeners.set(event, set);
    return () => set.delete(listener as Listener);
  }
}

class BridgeClient implements ContractClient {
  constructor(private readonly bridge: PreloadBridge) {}
  invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    return this.bridge.invoke(command, input) as Promise<Result<CommandOutput<C>>>;
  }
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    return this.bridge.on(event, listener as Listener);
  }
}

const TOKEN_KEY = 'tunnelvision.token';

/**
 * The renderer's only door to the engine: Electron's preload bridge when present, else the
 * web mode's WebSocket with the token from the address fragment (kept for reloads in
 * sessionStorage, then removed from the visible address).
 */
export function createClient(): ContractClient {
  if (window.tunnelvision) return new BridgeClient(window.tunnelvision);
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname);
  }
  const token = fromHash ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
  // The token rides in the subprotocol list, never in the URL (see src/main/web/server.ts).
  return new WebSocketClient(`ws://${location.host}/api`, ['tunnelvision', `token.${token}`]);
}
