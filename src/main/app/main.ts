import * as electron from 'electron';
import { fileURLToPath } from 'node:url';
import { ProfileStore } from '../store/profile-store.js';
import { startApp } from './app-controller.js';
import type { ElectronApi } from './electron-api.js';

// The real Electron module behind the same interface the tests fake.
const api = electron as unknown as ElectronApi;
void startApp(api, {
  store: new ProfileStore(process.env.TUNNELVISION_CONFIG_DIR || electron.app.getPath('userData')),
  rendererDir: fileURLToPath(new URL('../../renderer/', import.meta.url)),
  preloadFile: fileURLToPath(new URL('./preload.cjs', import.meta.url)),
});
