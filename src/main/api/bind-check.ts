import type { Profile } from '../../shared/profile.js';
import { bindListeners, closeListeners } from '../engine/forwards/listeners.js';
import type { Tunnel } from '../engine/tunnel.js';

export interface BusyAddress {
  index: number;
  address: string;
  message: string;
}

/**
 * Which local (-L) and dynamic (-D) entrances of `profile` cannot be bound right now, found by
 * binding them for a moment exactly as the tunnel would. Ports the running tunnel `own` holds
 * itself are not conflicts: saving an edit of a running tunnel must not flag its own port.
 */
export async function busyListenAddresses(profile: Profile, own: Tunnel | undefined): Promise<BusyAddress[]> {
  const ownPorts = new Set((own?.forwardStatuses() ?? []).flatMap((f) => f.listening.map((a) => a.slice(a.lastIndexOf(':') + 1))));
  const busy: BusyAddress[] = [];
  for (const [index, forward] of profile.forwards.entries()) {
    if (forward.kind === 'remote' || 'socket' in forward.bind || forward.bind.port === 0) continue;
    if (ownPorts.has(String(forward.bind.port))) continue;
    try {
      const bound = await bindListeners(forward.bind, profile.gatewayPorts, (s) => s.destroy());
      await closeListeners(bound.servers);
    } catch (err) {
      busy.push({ index, address: `${forward.bind.host ?? 'localhost'}:${forward.bind.port}`, message: (err as Error).message });
    }
  }
  return busy;
}
