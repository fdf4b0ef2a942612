import { formatHostPort as hostPort, type Forward, type JumpHost, type Profile } from '../../shared/profile.js';
import type { ForwardStatus, TunnelState } from '../../shared/tunnel.js';

/**
 * A forward as the path its traffic takes, the way the SSH-tunnel guides draw it: who
 * connects where, which stretch is the encrypted tunnel, where the traffic leaves it, and
 * one plain sentence saying all that. Pure: the diagram and the tests both read it.
 */
export type NodeKind = 'apps' | 'computer' | 'jump' | 'server' | 'destination';

export interface FlowNode {
  id: string;
  kind: NodeKind;
  label: string;
  detail: string;
  /** Marked as not reachable right now. */
  down: boolean;
}

export interface FlowSegment {
  from: string;
  to: string;
  /** Inside the SSH tunnel (drawn as the tunnel) or plain TCP. */
  encrypted: boolean;
}

export interface FlowModel {
  nodes: FlowNode[];
  segments: FlowSegment[];
  sentence: string;
  /** A warning when the entrance is reachable from other machines. */
  exposure: string | null;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

function serverName(profile: Profile): string {
  return profile.host;
}

function hopName(hop: JumpHost): string {
  return hop.port === 22 ? hop.host : hostPort(hop.host, hop.port);
}

function listOf(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function bindText(forward: Forward, status: ForwardStatus | undefined, fallbackHost: string): string {
  const bind = forward.bind;
  if ('socket' in bind) return bind.socket;
  const port = status?.allocatedPort ?? bind.port;
  const host = bind.host === null ? fallbackHost : bind.host === '*' || bind.host === '' ? '*' : bind.host;
  return hostPort(host, port);
}

function isAllInterfaces(host: string | null): boolean {
  return host === '*' || host === '' || host === '0.0.0.0' || host === '::';
}

export function buildFlow(profile: Profile, forward: Forward, status?: ForwardStatus, state: TunnelState = 'up'): FlowModel {
  const server = serverName(profile);
  const sshDown = state === 'reconnecting' || state === 'failed';
  const destinationDown = status?.probe === 'down' || status?.state === 'failed';
  const hops = profile.jumps.map((j, i) => ({ id: `jump${i}`, kind: 'jump' as const, label: j.host, detail: `jump host ${hopName(j)}`, down: sshDown }));
  const via = listOf([...profile.jumps.map((j) => j.host), server]);
  const serverNode: FlowNode = { id: 'server', kind: 'server', label: server, detail: `SSH server, port ${profile.port}`, down: sshDown };
  const sshChain = (first: string): FlowSegment[] => {
    const ids = [first, ...hops.map((h) => h.id), 'server'];
    return ids.slice(1).map((to, i) => ({ from: ids[i]!, to, encrypted: true }));
  };

  if (forward.kind === 'remote') {
    const entrance = bindText(forward, status, 'localhost');
    const target = forward.target;
    const targetText = target === undefined ? '*:*' : 'socket' in target ? target.socket : hostPort(target.host, target.port);
    const targetHost = target === undefined ? 'any host' : 'socket' in target ? 'the socket' : target.host;
    const nodes: FlowNode[] = [
      { id: 'apps', kind: 'apps', label: 'clients', detail: `connect to ${entrance} on ${server}`, down: false },
      { ...serverNode, detail: `listens on ${entrance}` },
      ...[...hops].reverse(),
      { id: 'computer', kind: 'computer', label: 'this computer', detail: target === undefined ? 'answers SOCKS' : 'dials the destination', down: false },
      { id: 'destination', kind: 'destination', label: targetText, detail: target === undefined ? 'any host, via SOCKS' : 'destination', down: destinationDown },
    ];
    const segments: FlowSegment[] = [
      { from: 'apps', to: 'server', encrypted: false },
      ...sshChain('computer').map((s) => ({ from: s.to, to: s.from, encrypted: true })).reverse(),
      { from: 'computer', to: 'destination', encrypted: false },
    ];
    const bindHost = 'socket' in forward.bind ? 'localhost' : forward.bind.host;
    const sentence =
      target === undefined
        ? `Programs on ${server} using the SOCKS proxy at ${entrance} reach any host through this computer; those hosts see them coming from this computer.`
        : `Connections to ${entrance} on ${server} reach ${targetText} through this computer; ${targetHost === 'localhost' ? 'this computer' : targetHost} sees them coming from this computer.`;
    const exposure =
      bindHost !== null && !LOOPBACK.has(bindHost)
        ? `Anyone who can reach ${server} may connect to ${entrance} if the server allows it (sshd's GatewayPorts).`
        : null;
    return { nodes, segments, sentence, exposure };
  }

  const entrance = bindText(forward, status, 'localhost');
  const nodes: FlowNode[] = [
    { id: 'apps', kind: 'apps', label: 'your programs', detail: forward.kind === 'dynamic' ? `use SOCKS at ${entrance}` : `connect to ${entrance}`, down: false },
    { id: 'computer', kind: 'computer', label: 'this computer', detail: `${forward.kind === 'dynamic' ? 'SOCKS on' : 'listens on'} ${entrance}`, down: status?.state === 'failed' && status.error?.code === 'FORWARD_BIND_FAILED' },
    ...hops,
    serverNode,
  ];
  let targetText = '*:*';
  let seenAs = 'those hosts';
  if (forward.kind === 'local') {
    const t = forward.target;
    if ('socket' in t) {
      targetText = `${t.socket} on ${server}`;
      seenAs = 'the socket';
    } else if (LOOPBACK.has(t.host)) {
      targetText = `port ${t.port} on ${server} itself`;
      seenAs = server;
    } else {
      targetText = hostPort(t.host, t.port);
      seenAs = t.host;
    }
  }
  nodes.push({ id: 'destination', kind: 'destination', label: forward.kind === 'dynamic' ? '*:*' : targetText, detail: forward.kind === 'dynamic' ? 'any host the program asks for' : 'destination', down: destinationDown });
  const segments: FlowSegment[] = [
    { from: 'apps', to: 'computer', encrypted: false },
    ...sshChain('computer'),
    { from: 'server', to: 'destination', encrypted: false },
  ];
  const bind = forward.bind;
  const bindHost = 'socket' in bind ? 'localhost' : bind.host;
  const open = isAllInterfaces(bindHost) || (bindHost === null && profile.gatewayPorts) || (bindHost !== null && !LOOPBACK.has(bindHost));
  const exposure = open ? `Other machines can connect to ${entrance} on this computer and use this tunnel.` : null;
  const sentence =
    forward.kind === 'dynamic'
      ? `Programs using the SOCKS proxy at ${entrance} on this computer reach any host through ${via}; those hosts see them coming from ${server}.`
      : `Connections to ${entrance} on this computer reach ${targetText} through ${via}; ${seenAs} sees them coming from ${server}.`;
  return { nodes, segments, sentence, exposure };
}
