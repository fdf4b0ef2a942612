import type { IpcMainInvokeEvent, WebContents } from 'electron';
import { EVENTS, type EventName, type Result } from '../../shared/contract.js';
import type { ApiService } from '../api/service.js';
import type { ElectronApi } from './electron-api.js';
import { RENDERER_ORIGIN } from './renderer-protocol.js';

export const INVOKE_CHANNEL = 'tunnelvision:invoke';
export const EVENT_CHANNEL = 'tunnelvision:event';

/**
 * The contract over Electron IPC. Every call is checked to come from our own window's main
 * frame (a message from any other frame is dropped), then validated by the service like any
 * other untrusted input. Events go to the window while it exists.
 */
export function registerIpc(electron: ElectronApi, service: ApiService, trusted: () => WebContents | null): () => void {
  electron.ipcMain.handle(INVOKE_CHANNEL, async (event: IpcMainInvokeEvent, command: unknown, input: unknown): Promise<Result<unknown>> => {
    const contents = trusted();
    const frame = event.senderFrame;
    if (!contents || event.sender !== contents || frame !== contents.mainFrame || !frame.url.startsWith(`${RENDERER_ORIGIN}/`)) {
      return { ok: false, error: { code: 'BAD_ARGUMENT', message: 'message from an unknown frame dropped' } };
    }
    return service.dispatch(command, input);
  });
  const unsubscribe = (Object.keys(EVENTS) as EventName[]).map((name) => {
    const listener = (payload: unknown): void => {
      const contents = trusted();
      if (contents && !contents.isDestroyed()) contents.send(EVENT_CHANNEL, name, payload);
    };
    service.on(name, listener as never);
    return () => service.off(name, listener as never);
  });
  return () => {
    electron.ipcMain.removeHandler(INVOKE_CHANNEL);
    unsubscribe.forEach((u) => u());
  };
}
