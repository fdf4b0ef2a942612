import { EventEmitter } from 'node:events';
import type { ElectronApi } from '../../src/main/app/electron-api.js';

/**
 * A faithful-enough fake of the Electron APIs the app uses: the same method names, the same
 * event names and argument shapes, and observable state (menus, windows, notifications) for
 * assertions. Handlers run for real; nothing is mocked away.
 */
export interface FakeMenuItem {
  id?: string;
  label?: string;
  type?: string;
  checked?: boolean;
  enabled?: boolean;
  click?: () => void;
}

class FakeFrame {
  constructor(public url: string) {}
}

export class FakeWebContents extends EventEmitter {
  mainFrame = new FakeFrame('app://tunnelvision/index.html');
  readonly sent: { channel: string; args: unknown[] }[] = [];
  destroyed = false;
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  send(channel: string, ...args: unknown[]): void {
    if (this.destroyed) throw new Error('Object has been destroyed');
    this.sent.push({ channel, args });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static all: FakeBrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  visible = false;
  destroyed = false;
  loadedUrl: string | null = null;
  constructor(readonly options: Record<string, any>) {
    super();
    FakeBrowserWindow.all.push(this);
    setImmediate(() => this.emit('ready-to-show'));
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    this.webContents.mainFrame = new FakeFrame(url);
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** What the user clicking the close box does: 'close' (cancellable), then destruction. */
  userCloses(): void {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.webContents.destroyed = true;
      this.emit('closed');
    }
  }
}

export class FakeTray extends EventEmitter {
  static last: FakeTray | null = null;
  image: unknown;
  tooltip = '';
  menu: FakeMenuItem[] = [];
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    FakeTray.last = this;
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  setToolTip(text: string): void {
    this.tooltip = text;
  }
  setContextMenu(menu: { items: FakeMenuItem[] }): void {
    this.menu = menu.items;
  }
  destroy(): void {
    this.destroyed = true;
  }
  item(pred: (i: FakeMenuItem) => boolean): FakeMenuItem | undefined {
    return this.menu.find(pred);
  }
}

export class FakeNotification {
  static shown: { title: string; body: string }[] = [];
  static isSupported(): boolean {
    return true;
  }
  constructor(private readonly options: { title: string; body: string }) {}
  show(): void {
    FakeNotification.shown.push({ title: this.options.title, body: this.options.body });
  }
}

export function createFakeElectron() {
  const handlers = new Map<string, (event: unknown, ...args: unknown[]) => unknown>();
  const app = Object.assign(new EventEmitter(), {
    exited: null as number | null,
    quitCalled: false,
    lock: true,
    requestSingleInstanceLock(): boolean {
      return this.lock;
    },
    whenReady: async () => {
      electron.protocol.ready = true;
    },
    quit(): void {
      this.quitCalled = true;
    },
    exit(code: number): void {
      this.exited = code;
    },
    getPath: (_name: string) => '/nonexistent',
    openAtLogin: false,
    setLoginItemSettings(settings: { openAtLogin: boolean }): void {
      this.openAtLogin = settings.openAtLogin;
    },
    getLoginItemSettings(): { openAtLogin: boolean } {
      return { openAtLogin: this.openAtLogin };
    },
    /** What Cmd-Q / the menu does: 'before-quit' (cancellable). */
    userQuits(): void {
      app.emit('before-quit', { preventDefault: () => undefined });
    },
  });
  const electron = {
    app,
    BrowserWindow: FakeBrowserWindow,
    ipcMain: {
      handle(channel: string, handler: (event: unknown, ...args: unknown[]) => unknown): void {
        if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
        handlers.set(channel, handler);
      },
      removeHandler(channel: string): void {
        handlers.delete(channel);
      },
    },
    Tray: FakeTray,
    Menu: { buildFromTemplate: (items: FakeMenuItem[]) => ({ items }) },
    Notification: FakeNotification,
    powerMonitor: new EventEmitter(),
    nativeImage: { createFromBitmap: (buffer: Buffer, size: { width: number; height: number }) => ({ buffer, size }) },
    net: { online: true, isOnline(): boolean { return this.online; } },
    protocol: {
      privileged: [] as { scheme: string; privileges: Record<string, boolean> }[],
      handlers: new Map<string, (request: Request) => Response | Promise<Response>>(),
      ready: false,
      registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
        // Electron throws when this comes after 'ready'.
        if (this.ready) throw new Error('protocol.registerSchemesAsPrivileged should be called before app is ready');
        this.privileged.push(...schemes);
      },
      handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void {
        if (this.handlers.has(scheme)) throw new Error(`The scheme has been handled: ${scheme}`);
        this.handlers.set(scheme, handler);
      },
    },
    session: { defaultSession: { permissionHandler: null as unknown, setPermissionRequestHandler(h: unknown) { this.permissionHandler = h; }, setPermissionCheckHandler: () => undefined } },
  };
  /** Calls an ipcMain.handle handler the way ipcRenderer.invoke from `contents` would. */
  const invoke = async (channel: string, contents: FakeWebContents, frame: unknown, ...args: unknown[]): Promise<unknown> => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`No handler registered for '${channel}'`);
    return handler({ sender: contents, senderFrame: frame }, ...args);
  };
  return { electron: electron as unknown as ElectronApi, fake: electron, invoke };
}
