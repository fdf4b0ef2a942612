import type { Profile } from '../../shared/profile.js';
import type { TunnelStateChange } from '../../shared/tunnel.js';
import { Tunnel, type TunnelOptions } from '../engine/tunnel.js';
import type { RelayInterpreter } from '../engine/udp/relay-command.js';
import type { SecretStore } from '../store/secret-store.js';
import { onFatalExit } from './fatal-exit.js';
import { TerminalPrompter } from './terminal-prompter.js';
import { jsonLine, say } from './terminal-text.js';

export interface UpOptions {
  json: boolean;
  /** Every log line, debug included; without it, text mode shows only state changes. */
  verbose?: boolean;
  /** Saved secrets for a saved profile. */
  secrets?: { store: SecretStore; profileId: string };
  /** autossh's gate time: give up if the first connection fails or dies this soon. */
  gateTimeMs?: number;
  /** How often a stats event is printed. */
  statsIntervalMs?: number;
  /** Before every connect: the destination resolved through ssh_config again. */
  resolveProfile?: TunnelOptions['resolveProfile'];
  /** TUNNELVISION_UDP_RELAY: use only this interpreter for UDP relays (default: perl, then python3). */
  udpRelayInterpreters?: readonly RelayInterpreter[];
}

const TUNNEL_ID = 'cli';

function describe(change: TunnelStateChange): string {
  const listening = change.forwards
    .map((f) => `  ${f.description}${f.state === 'failed' ? ` — FAILED: ${f.error?.message}` : ''}${f.listening.length ? ` [${f.listening.join(', ')}]` : ''}${f.note ? ` (${f.note})` : ''}`)
    .join('\n');
  return `tunnelvision: ${change.state}: ${change.reason}${change.state === 'up' && listening ? `\n${listening}` : ''}\n`;
}

/**
 * `tunnelvision up`: runs one tunnel until SIGINT/SIGTERM, then closes listeners, cancels
 * remote forwards and exits 0; a permanent failure exits 1.
 */
export async function runUp(profile: Profile, warnings: string[], options: UpOptions): Promise<number> {
  const emit = (event: object): void => {
    process.stdout.write(jsonLine(event));
  };
  const interactive = !options.json && process.stdin.isTTY === true;
  // Constructed here so a contradictory profile (lazy with -R) is a usage error, exit 2.
  const tunnel = new Tunnel(TUNNEL_ID, profile, {
    ...(interactive ? { prompter: new TerminalPrompter() } : {}),
    ...(options.secrets ? { secrets: options.secrets } : {}),
    ...(options.gateTimeMs !== undefined ? { gateTimeMs: options.gateTimeMs } : {}),
    ...(options.resolveProfile ? { resolveProfile: options.resolveProfile } : {}),
    ...(options.udpRelayInterpreters ? { udpRelayInterpreters: options.udpRelayInterpreters } : {}),
  });

  for (const w of warnings) {
    if (options.json) emit({ event: 'warning', tunnel: TUNNEL_ID, message: w });
    else say(`tunnelvision: warning: ${w}\n`);
  }
  tunnel.on('state', (change) => {
    if (options.json) emit({ event: 'state', ...change });
    else say(describe(change));
  });
  tunnel.on('log', (line) => {
    if (line.level === 'debug' && !options.verbose) return;
    if (options.json) emit({ event: 'log', ...line });
    // A state change is logged and then printed by the 'state' handler above: once is enough.
    else if (options.verbose && !line.message.startsWith(`${tunnel.getState()}: `)) {
      say(`tunnelvision: ${line.level}: ${line.message}\n`);
    }
  });

  const statsTimer = options.json
    ? setInterval(() => emit({ event: 'stats', ...tunnel.stats() }), options.statsIntervalMs ?? 1000)
    : null;

  return new Promise<number>((resolve) => {
    let stopping = false;
    const forgetFatal = onFatalExit(() => tunnel.stop());
    const finish = async (code: number): Promise<void> => {
      if (stopping) return;
      stopping = true;
      forgetFatal();
      if (statsTimer) clearInterval(statsTimer);
      await tunnel.stop();
      if (options.json) emit({ event: 'stats', ...tunnel.stats() });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(code);
    };
    const onSignal = (): void => void finish(0);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    tunnel.on('state', (change) => {
      if (change.state === 'failed') void finish(1);
    });
    void tunnel.start();
  });
}
