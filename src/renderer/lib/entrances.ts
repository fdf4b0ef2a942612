import { formatHostPort, isUdpForward, type Forward, type Profile } from '../../shared/profile.js';
import type { ForwardStatus } from '../../shared/tunnel.js';

/** Where a program connects to use one forward: what the user types into a browser or a proxy setting. */
export interface Entrance {
  forward: number;
  kind: Forward['kind'];
  /** The address to use, never shortened: "127.0.0.1:8081", "*:1081", "relay:9000". */
  address: string;
  /** How the list and header show it: "127.0.0.1:8081", "SOCKS 127.0.0.1:1080", "relay:9000 (remote)". */
  label: string;
  /** Every address actually listening (both loopback families, all interfaces). */
  listening: string[];
  /** UDP (a datagram forward through the relay), not TCP. */
  udp: boolean;
  /** An http(s) URL on loopback for web-looking local forwards; null otherwise. */
  openUrl: string | null;
  /** Reachable from other machines. */
  exposed: boolean;
}

/** Names that say "this is a web page", for destinations on ports no list would guess. */
const WEB_WORDS = /\b(web|www|https?|site|ui|dashboard|admin|grafana|kibana|jenkins|prometheus)\b/i;
const WEB_PORTS = new Set([80, 443, 3000, 4200, 5000, 5173, 8000, 8008, 8080, 8081, 8088, 8443, 8888, 9000, 9090]);
const TLS_PORTS = new Set([443, 8443]);
const ALL_INTERFACES = new Set(['*', '', '0.0.0.0', '::']);

/** "[::]:1081" and "0.0.0.0:1081" are "*:1081" to a person. */
export function displayListen(address: string): string {
  const m = /^(\[::\]|0\.0\.0\.0):(\d+)$/.exec(address);
  return m ? `*:${m[2]}` : address;
}

function localAddress(forward: Forward, status: ForwardStatus | undefined, gatewayPorts: boolean): { address: string; exposed: boolean } {
  const bind = forward.bind;
  if ('socket' in bind) return { address: bind.socket, exposed: false };
  const port = status?.allocatedPort ?? bind.port;
  const portText = port === 0 ? '(port chosen at start)' : String(port);
  if (bind.host === null) return gatewayPorts ? { address: `*:${portText}`, exposed: true } : { address: `127.0.0.1:${portText}`, exposed: false };
  if (ALL_INTERFACES.has(bind.host)) return { address: `*:${portText}`, exposed: true };
  if (bind.host === 'localhost') return { address: `127.0.0.1:${portText}`, exposed: false };
  const loopback = bind.host === '::1' || bind.host.startsWith('127.');
  return { address: port === 0 ? `${bind.host}:${portText}` : formatHostPort(bind.host, port), exposed: !loopback };
}

export function entranceOf(profile: Profile, forward: Forward, index: number, status?: ForwardStatus, name = ''): Entrance {
  const listening = (status?.listening ?? []).map(displayListen);
  const udp = isUdpForward(forward);
  if (forward.kind === 'remote') {
    const bind = forward.bind;
    const port = 'socket' in bind ? null : (status?.allocatedPort ?? bind.port);
    const address = 'socket' in bind ? `${profile.host}:${bind.socket}` : `${profile.host}:${port === 0 ? '(port chosen by the server)' : port}`;
    const bindHost = 'socket' in bind ? 'localhost' : bind.host;
    return {
      forward: index,
      kind: 'remote',
      address,
      label: forward.target ? `${udp ? 'UDP ' : ''}${address} on the server` : `SOCKS ${address} on the server`,
      listening,
      udp,
      openUrl: null,
      exposed: bindHost !== null && bindHost !== 'localhost' && bindHost !== '127.0.0.1' && bindHost !== '::1',
    };
  }
  const local = localAddress(forward, status, profile.gatewayPorts);
  // What runs wins over what the profile says: the first real listening address.
  const address = listening.find((a) => !a.startsWith('[::1]')) ?? listening[0] ?? local.address;
  let openUrl: string | null = null;
  if (forward.kind === 'local' && !udp && !('socket' in forward.target) && !('socket' in forward.bind)) {
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    const webby = WEB_PORTS.has(forward.target.port) || WEB_PORTS.has(port) || WEB_WORDS.test(name) || WEB_WORDS.test(forward.target.host);
    if (Number.isInteger(port) && port > 0 && webby) {
      openUrl = `${TLS_PORTS.has(forward.target.port) ? 'https' : 'http'}://127.0.0.1:${port}/`;
    }
  }
  return {
    forward: index,
    kind: forward.kind,
    address,
    label: forward.kind === 'dynamic' ? `SOCKS ${address}` : udp ? `UDP ${address}` : address,
    listening: listening.length > 0 ? listening : [local.address],
    udp,
    openUrl,
    exposed: local.exposed,
  };
}

export function entrancesOf(profile: Profile, statuses: ForwardStatus[] | undefined, name = ''): Entrance[] {
  return profile.forwards.map((f, i) => entranceOf(profile, f, i, statuses?.[i], name));
}

/** What to paste into a program for a -D forward: the URL, curl, and the environment lines. */
export function proxySettings(address: string): string {
  const hostPort = address.startsWith('*:') ? `127.0.0.1:${address.slice(2)}` : address;
  const url = `socks5h://${hostPort}`;
  return [
    url,
    `curl --proxy ${url} https://example.com/`,
    `export ALL_PROXY=${url} all_proxy=${url}`,
    `export HTTPS_PROXY=${url} HTTP_PROXY=${url}`,
  ].join('\n');
}
