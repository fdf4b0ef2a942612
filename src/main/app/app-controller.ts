import type { BrowserWindow, Event as ElectronEvent, WebContents } from 'electron';
import { ApiService } from '../api/service.js';
import type { ProfileStore } from '../store/profile-store.js';
import type { ElectronApi } from './electron-api.js';
import { registerIpc } from './ipc.js';
import { registerRendererScheme, RENDERER_URL, serveRenderer } from './renderer-protocol.js';
import { Notifier } from './notifier.js';
import { TrayController } from './tray.js';

const NETWORK_POLL_MS = 3000;

export function isLoopbackWebUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return (url.protocol === 'http:' || url.protocol === 'https:') && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

export interface AppOptions {
  store: ProfileStore;
  /** The built renderer's folder, served as app://tunnelvision/. */
  rendererDir: string;
  /** The compiled preload script (CommonJS: sandboxed preloads cannot be ES modules). */
  preloadFile: string;
}

export interface RunningApp {
  service: ApiService;
  tray: TrayController;
  window(): BrowserWindow | null;
  openDashboard(): void;
  quit(): Promise<void>;
}

/**
 * The Electron host, built on the engine: a locked-down window, the tray, notifications and
 * the IPC contract. Closing the window hides it (tunnels keep running in the tray); quitting
 * stops every tunnel cleanly first.
 */
export async function startApp(electron: ElectronApi, options: AppOptions): Promise<RunningApp | null> {
  const { app } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  registerRendererScheme(electron);
  await app.whenReady();
  serveRenderer(electron, options.rendererDir);
  electron.session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  electron.session.defaultSession.setPermissionCheckHandler(() => false);

  const service = new ApiService({ store: options.store });
  let window: BrowserWindow | null = null;
  let quitting = false;

  const createWindow = (): BrowserWindow => {
    const w = new electron.BrowserWindow({
      width: 1200,
      height: 780,
      title: 'Tunnelvision',
      show: false,
      webPreferences: {
        preload: options.preloadFile,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        webSecurity: true,
        webviewTag: false,
        spellcheck: false,
      },
    });
    w.webContents.on('will-navigate', (event) => event.preventDefault());
    w.webContents.on('will-redirect', (event) => event.preventDefault());
    // The window itself never opens anything; "Open" on a web tunnel goes to the user's browser,
    // and only for http(s) on loopback — the entrances the dashboard shows.
    w.webContents.setWindowOpenHandler(({ url }) => {
      if (isLoopbackWebUrl(url)) void electron.shell?.openExternal(url);
      return { action: 'deny' };
    });
    w.on('close', (event: ElectronEvent) => {
      if (quitting) return;
      event.preventDefault();
      w.hide();
    });
    w.once('ready-to-show', () => w.show());
    void w.loadURL(RENDERER_URL);
    return w;
  };

  const openDashboard = (): void => {
    if (!window || window.isDestroyed()) window = createWindow();
    window.show();
    window.focus();
  };

  const quit = async (): Promise<void> => {
    if (quitting) return;
    quitting = true;
    clearInterval(networkWatch);
    await service.dispose(); // listeners closed, remote forwards cancelled
    tray.destroy();
    app.exit(0);
  };

  registerIpc(electron, service, (): WebContents | null => (window && !window.isDestroyed() ? window.webContents : null));
  const names = new Map<string, string>();
  const notifier = new Notifier(electron, (id) => names.get(id) ?? 'A tunnel');
  service.on('tunnel.state', (change) => notifier.onState(change));
  const tray = new TrayController(electron, service, { openDashboard, quit: () => void quit() });
  const remember = async (): Promise<void> => {
    const r = await service.call('profiles.list', {});
    if (r.ok) for (const p of r.value.profiles) names.set(p.id, p.name);
  };
  service.on('profiles.changed', () => void remember());
  await remember();

  app.on('second-instance', () => openDashboard());
  app.on('window-all-closed', () => undefined); // stay in the tray
  app.on('before-quit', (event) => {
    if (quitting) return;
    event.preventDefault();
    void quit();
  });
  // After sleep or a network change, retry at once instead of waiting out the backoff.
  electron.powerMonitor.on('resume', () => service.manager.nudgeAll());
  electron.powerMonitor.on('unlock-screen', () => service.manager.nudgeAll());
  // Electron has no network-change event in main: watch the online flag for offline → online.
  let online = electron.net.isOnline();
  const networkWatch = setInterval(() => {
    const now = electron.net.isOnline();
    if (now && !online) service.manager.nudgeAll();
    online = now;
  }, NETWORK_POLL_MS);
  networkWatch.unref();

  openDashboard();
  await tray.refresh();
  await service.startAtLaunch();
  return { service, tray, window: () => window, openDashboard, quit };
}
