import type { MenuItemConstructorOptions, Tray } from 'electron';
import type { TunnelState } from '../../shared/tunnel.js';
import type { ApiService } from '../api/service.js';
import type { ElectronApi } from './electron-api.js';
import { trayIcon, type Health } from './tray-icons.js';

const STATE_WORDS: Record<TunnelState, string> = {
  stopped: 'off',
  connecting: 'connecting…',
  up: 'up',
  degraded: 'degraded',
  reconnecting: 'reconnecting…',
  failed: 'failed',
};

export interface TrayActions {
  openDashboard(): void;
  quit(): void;
}

/** Overall health: all up / something degraded or reconnecting / something failed / nothing running. */
export function overallHealth(states: TunnelState[]): Health {
  const running = states.filter((s) => s !== 'stopped');
  if (running.length === 0) return 'idle';
  if (running.includes('failed')) return 'failed';
  if (running.some((s) => s !== 'up')) return 'trouble';
  return 'up';
}

/**
 * The tray: its icon shows overall health, its menu holds a checkbox per saved profile (with
 * the state in words) to start or stop it, start all / stop all, the dashboard and quit.
 * Rebuilt from engine state on every change.
 */
export class TrayController {
  private readonly tray: Tray;
  private health: Health = 'idle';
  private refreshing: Promise<void> | null = null;
  private again = false;

  constructor(private readonly electron: ElectronApi, private readonly service: ApiService, private readonly actions: TrayActions) {
    this.tray = new electron.Tray(trayIcon(electron, 'idle'));
    this.tray.setToolTip('Tunnelvision');
    this.tray.on('click', () => actions.openDashboard());
    service.on('tunnel.state', () => void this.refresh());
    service.on('profiles.changed', () => void this.refresh());
  }

  /** Rebuilds the menu; calls that arrive during a rebuild coalesce into one more. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = this.build().finally(() => {
      this.refreshing = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.refreshing;
  }

  private async build(): Promise<void> {
    const [profiles, tunnels] = await Promise.all([this.service.call('profiles.list', {}), this.service.call('tunnels.list', {})]);
    const list = profiles.ok ? profiles.value.profiles : [];
    const states = new Map(tunnels.ok ? tunnels.value.map((t) => [t.id, t.state] as const) : []);
    const health = overallHealth([...states.values()]);
    if (health !== this.health) {
      this.health = health;
      this.tray.setImage(trayIcon(this.electron, health));
    }
    const running = [...states.values()].filter((s) => s !== 'stopped').length;
    this.tray.setToolTip(`Tunnelvision — ${running} of ${list.length} tunnel(s) running`);
    const items: MenuItemConstructorOptions[] = list.map((p) => {
      const state = states.get(p.id) ?? 'stopped';
      return {
        id: `profile:${p.id}`,
        label: `${p.name} — ${STATE_WORDS[state]}`,
        type: 'checkbox',
        checked: state !== 'stopped',
        click: () => void this.service.call(state === 'stopped' || state === 'failed' ? 'tunnels.start' : 'tunnels.stop', { id: p.id }),
      };
    });
    if (profiles.ok && profiles.value.error) items.unshift({ label: `Profiles unreadable: ${profiles.value.error.code}`, enabled: false });
    if (items.length === 0) items.push({ label: 'No saved tunnels yet', enabled: false });
    const template: MenuItemConstructorOptions[] = [
      ...items,
      { type: 'separator' },
      { id: 'start-all', label: 'Start all', click: () => void Promise.all(list.map((p) => this.service.call('tunnels.start', { id: p.id }))) },
      { id: 'stop-all', label: 'Stop all', click: () => void this.service.manager.stopAll() },
      { type: 'separator' },
      { id: 'open', label: 'Open dashboard', click: () => this.actions.openDashboard() },
      {
        id: 'login',
        label: 'Start at login',
        type: 'checkbox',
        checked: this.electron.app.getLoginItemSettings().openAtLogin,
        click: () => {
          const openAtLogin = !this.electron.app.getLoginItemSettings().openAtLogin;
          this.electron.app.setLoginItemSettings({ openAtLogin });
          void this.refresh();
        },
      },
      { id: 'quit', label: 'Quit Tunnelvision', click: () => this.actions.quit() },
    ];
    this.tray.setContextMenu(this.electron.Menu.buildFromTemplate(template));
  }

  destroy(): void {
    this.tray.destroy();
  }
}
