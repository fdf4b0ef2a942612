import type { ErrorInfo } from '../../shared/errors.js';
import { formatHostPort as hostPort, isUdpForward, type Forward, type Profile } from '../../shared/profile.js';
import type { ForwardStatus, TunnelState } from '../../shared/tunnel.js';
import { entranceOf } from '../lib/entrances.js';
import { hopOf } from '../lib/explain-error.js';

/**
 * A forward as the path its traffic takes, the way the SSH-tunnel guides draw it: who
 * connects where, which stretch is the encrypted tunnel, where the traffic leaves it, and
 * one plain sentence saying all that. Pure: the diagram and the tests both read it.
 */
export type NodeKind = 'apps' | 'computer' | 'jump' | 'server' | 'destination';

/** ok; down (not reachable now); refused (answered, but refused the login); untrusted (answered with a host key we do not trust). */
export type NodeCondition = 'ok' | 'down' | 'unreached' | 'refused' | 'untrusted';

export interface FlowNode {
  id: string;
  kind: NodeKind;
  /** First line: the name as typed (alias) or the role. */
  label: string;
  /** Second line: the address (host:port, listening addresses); never shortened. */
  address: string | null;
  /** What this box does here: "jump host", "SSH server", "listens". */
  role: string;
  condition: NodeCondition;
  /** Kept for callers that only ask "is it down?". */
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
  /** A warning when the entrance is reachable from other machines; one per forward. */
  exposure: string | null;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1']);

function listOf(names: string[]): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

function node(id: string, kind: NodeKind, label: string, address: string | null, role: string, condition: NodeCondition = 'ok'): FlowNode {
  return { id, kind, label, address, role, condition, down: condition === 'down' };
}

/**
 * `error` is the tunnel's current error: an authentication failure marks the hop that refused
 * the login as "refused login" — it answered, so it is not "down".
 */
export function buildFlow(profile: Profile, forward: Forward, status?: ForwardStatus, state: TunnelState = 'up', error: ErrorInfo | null = null): FlowModel {
  const server = profile.host;
  const sshDown = state === 'reconnecting' || state === 'failed';
  // It answered, so it is not "down": it refused the login, or its host key is not trusted.
  const answered: NodeCondition | null = error?.code === 'AUTH_FAILED' ? 'refused' : error?.code.startsWith('HOST_KEY_') ? 'untrusted' : null;
  const refusedHop = answered ? (hopOf(profile, error!.message) ?? profile.jumps.length) : null;
  // Hops before the one that failed did answer; without knowing which, every hop is suspect.
  const failedHop = sshDown && error ? (hopOf(profile, error.message) ?? 0) : null;
  const hopCondition = (i: number): NodeCondition => {
    if (!sshDown) return 'ok';
    if (refusedHop !== null) return i === refusedHop ? answered! : i < refusedHop ? 'ok' : 'unreached';
    if (failedHop !== null) return i >= failedHop ? 'down' : 'ok';
    return 'down';
  };
  const hops = profile.jumps.map((j, i) => node(`jump${i}`, 'jump', j.host, `${j.user ? `${j.user}@` : ''}${hostPort(j.host, j.port)}`, 'jump host', hopCondition(i)));
  const via = listOf([...profile.jumps.map((j) => j.host), server]);
  const serverNode = node('server', 'server', server, `${profile.user ? `${profile.user}@` : ''}${hostPort(server, profile.port)}`, 'SSH server', hopCondition(profile.jumps.length));
  const destinationDown = status?.probe === 'down' || (status?.state === 'failed' && status.error?.code !== 'FORWARD_BIND_FAILED');
  const sshChain = (first: string): FlowSegment[] => {
    const ids = [first, ...hops.map((h) => h.id), 'server'];
    return ids.slice(1).map((to, i) => ({ from: ids[i]!, to, encrypted: true }));
  };
  const entrance = entranceOf(profile, forward, 0, status);
  const listening = entrance.listening.join(' and ');
  // SSH carries no datagrams: a UDP forward's far end is a small relay the tunnel runs on the
  // server over an exec channel, and the diagram says so.
  const udp = isUdpForward(forward);

  if (forward.kind === 'remote') {
    const target = forward.target;
    const targetText = target === undefined ? 'any host' : 'socket' in target ? target.socket : hostPort(target.host, target.port);
    const targetHost = target === undefined ? 'any host' : 'socket' in target ? 'the socket' : target.host;
    const bind = forward.bind;
    const port = 'socket' in bind ? bind.socket : String(status?.allocatedPort ?? bind.port);
    const bindHost = 'socket' in bind ? null : bind.host;
    const where = 'socket' in bind ? bind.socket : `${bindHost === null ? 'localhost' : bindHost === '' ? '*' : bindHost}:${port}`;
    const nodes: FlowNode[] = [
      node('apps', 'apps', `programs on ${server}`, `${udp ? 'send UDP' : 'connect'} to ${where}`, 'clients'),
      { ...serverNode, role: udp ? `SSH server; its UDP relay listens on ${where}` : `SSH server, listens on ${where}` },
      ...[...hops].reverse(),
      node('computer', 'computer', 'this computer', null, target === undefined ? 'answers SOCKS' : 'dials the destination'),
      node('destination', 'destination', targetText, target === undefined ? 'via SOCKS' : null, 'destination', destinationDown ? 'down' : 'ok'),
    ];
    const segments: FlowSegment[] = [
      { from: 'apps', to: 'server', encrypted: false },
      ...sshChain('computer').map((s) => ({ from: s.to, to: s.from, encrypted: true })).reverse(),
      { from: 'computer', to: 'destination', encrypted: false },
    ];
    const sentence = udp
      ? `UDP datagrams sent to ${where} on ${server} are picked up by a relay there (started over SSH) and reach ${targetText} through this computer; replies go back to each sender.`
      : target === undefined
        ? `Programs on ${server} using the SOCKS proxy at ${where} reach any host through this computer; those hosts see them coming from this computer.`
        : `Connections to ${where} on ${server} reach ${targetText} through this computer; ${targetHost === 'localhost' || targetHost === '127.0.0.1' ? 'to it they come from this computer itself' : `${targetHost} sees them coming from this computer`}.`;
    const exposure =
      bindHost !== null && !LOOPBACK.has(bindHost)
        ? `Anyone who can reach ${server} may connect to ${where} if the server allows it (sshd's GatewayPorts).`
        : null;
    return { nodes, segments, sentence, exposure };
  }

  const bindFailed = status?.state === 'failed' && status.error?.code === 'FORWARD_BIND_FAILED';
  const nodes: FlowNode[] = [
    node('apps', 'apps', 'your programs', forward.kind === 'dynamic' ? 'SOCKS clients' : null, 'connect'),
    node('computer', 'computer', 'this computer', listening, forward.kind === 'dynamic' ? 'SOCKS proxy' : udp ? 'listens (UDP)' : 'listens', bindFailed ? 'down' : 'ok'),
    ...hops,
    udp ? { ...serverNode, role: 'SSH server, runs the UDP relay' } : serverNode,
  ];
  let targetText = 'any host';
  let seen = `those hosts see them coming from ${server}`;
  let destAddress: string | null = 'the program names it';
  if (forward.kind === 'local') {
    const t = forward.target;
    if ('socket' in t) {
      targetText = `${t.socket} on ${server}`;
      destAddress = t.socket;
      seen = `the socket is reached by ${server}`;
    } else if (LOOPBACK.has(t.host)) {
      targetText = `port ${t.port} on ${server} itself`;
      destAddress = hostPort(t.host, t.port);
      seen = `to ${server} they are local connections`;
    } else {
      targetText = hostPort(t.host, t.port);
      destAddress = null;
      seen = `${t.host} sees them coming from ${server}`;
    }
  }
  const destLabel = forward.kind === 'dynamic' ? 'any host' : forward.kind === 'local' && !('socket' in forward.target) && !LOOPBACK.has(forward.target.host) ? targetText : `${server} itself`;
  nodes.push(node('destination', 'destination', destLabel, destAddress, 'destination', destinationDown ? 'down' : 'ok'));
  const segments: FlowSegment[] = [
    { from: 'apps', to: 'computer', encrypted: false },
    ...sshChain('computer'),
    { from: 'server', to: 'destination', encrypted: false },
  ];
  const exposure = entrance.exposed ? `Other machines can connect to ${entrance.address} on this computer and use this tunnel.` : null;
  const sentence =
    forward.kind === 'dynamic'
      ? `Programs using the SOCKS proxy at ${entrance.address} on this computer reach any host through ${via}; ${seen}.`
      : udp
        ? `UDP datagrams sent to ${entrance.address} on this computer reach ${targetText} through ${via}, where a relay (started over SSH) sends them on; ${seen}, and replies come back to each sender.`
        : `Connections to ${entrance.address} on this computer reach ${targetText} through ${via}; ${seen}.`;
  return { nodes, segments, sentence, exposure };
}
