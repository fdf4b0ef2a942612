import { app, BrowserWindow, session } from 'electron';
import { fileURLToPath } from 'node:url';

/**
 * The Electron host. Deliberately thin: it builds a locked-down window; tunnels, the tray and
 * the IPC contract are added on top of the engine, never inside it.
 */
const RENDERER = fileURLToPath(new URL('../../../src/renderer/index.html', import.meta.url));

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1100,
    height: 720,
    title: 'Tunnelvision',
    webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true },
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  void window.loadFile(RENDERER);
  return window;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
    let window = createWindow();
    app.on('second-instance', () => {
      if (window.isDestroyed()) window = createWindow();
      window.show();
      window.focus();
    });
  });
}
