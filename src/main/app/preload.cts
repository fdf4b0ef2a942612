// The whole bridge between the sandboxed renderer and main: two named functions, never
// ipcRenderer itself. Everything it carries is validated again in main.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

const INVOKE_CHANNEL = 'tunnelvision:invoke';
const EVENT_CHANNEL = 'tunnelvision:event';

contextBridge.exposeInMainWorld('tunnelvision', {
  invoke: (command: string, input: unknown): Promise<unknown> => ipcRenderer.invoke(INVOKE_CHANNEL, command, input),
  on: (event: string, listener: (payload: unknown) => void): (() => void) => {
    const handler = (_e: IpcRendererEvent, name: string, payload: unknown): void => {
      if (name === event) listener(payload);
    };
    ipcRenderer.on(EVENT_CHANNEL, handler);
    return () => ipcRenderer.removeListener(EVENT_CHANNEL, handler);
  },
});
