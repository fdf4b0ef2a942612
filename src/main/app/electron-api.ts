import type * as Electron from 'electron';

/**
 * The slice of Electron the app uses, passed in rather than imported, so the whole Electron
 * layer runs against a faithful fake in tests (no Electron binary is needed to test it).
 */
export interface ElectronApi {
  app: Pick<Electron.App, 'requestSingleInstanceLock' | 'whenReady' | 'on' | 'quit' | 'exit' | 'getPath' | 'setLoginItemSettings' | 'getLoginItemSettings'>;
  BrowserWindow: new (options: Electron.BrowserWindowConstructorOptions) => Electron.BrowserWindow;
  ipcMain: Pick<Electron.IpcMain, 'handle' | 'removeHandler'>;
  Tray: new (image: Electron.NativeImage) => Electron.Tray;
  Menu: Pick<typeof Electron.Menu, 'buildFromTemplate'>;
  Notification: (new (options: Electron.NotificationConstructorOptions) => Electron.Notification) & { isSupported(): boolean };
  powerMonitor: Pick<Electron.PowerMonitor, 'on'>;
  nativeImage: Pick<typeof Electron.nativeImage, 'createFromBitmap'>;
  session: { defaultSession: Pick<Electron.Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'> };
  net: Pick<typeof Electron.net, 'isOnline'>;
  protocol: Pick<Electron.Protocol, 'registerSchemesAsPrivileged' | 'handle'>;
  /** For the dashboard's "Open" on a web-looking tunnel: loopback http(s) only, in the user's browser. */
  shell?: Pick<Electron.Shell, 'openExternal'>;
}
