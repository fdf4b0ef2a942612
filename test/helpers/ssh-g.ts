import { execFile } from 'node:child_process';
import { userInfo } from 'node:os';
import type { Forward, Profile } from '../../src/shared/profile.js';

/**
 * `ssh -G` as an oracle: OpenSSH prints the configuration it would use for a command line and
 * connects nowhere. Only ever called with `-F <generated file>`, so neither ~/.ssh/config nor
 * /etc/ssh/ssh_config is involved (and never with `Match exec`, which -G would run).
 */

export type SshG = { ok: true; options: Map<string, string[]>; stderr: string } | { ok: false; error: string };

export function sshG(args: string[]): Promise<SshG> {
  return new Promise((resolve) => {
    const child = execFile('ssh', ['-G', ...args], { timeout: 20_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (err, stdout, stderr) => {
      if (err) return resolve({ ok: false, error: (stderr || err.message).trim() });
      const options = new Map<string, string[]>();
      for (const line of stdout.split('\n')) {
        const space = line.indexOf(' ');
        if (space <= 0) continue;
        const key = line.slice(0, space);
        options.set(key, [...(options.get(key) ?? []), line.slice(space + 1)]);
      }
      resolve({ ok: true, options, stderr });
    });
    child.stdin?.end();
  });
}

export function one(g: { options: Map<string, string[]> }, key: string): string | undefined {
  return g.options.get(key)?.[0];
}

/** A printed ProxyJump (`u@h:p,[v6]:p,h`) split into hops; ssh has already turned ssh:// into this form. */
export function splitProxyJump(text: string): { host: string; user: string | null; port: number | null }[] {
  return text.split(',').map((hop) => {
    const at = hop.lastIndexOf('@');
    const user = at >= 0 ? hop.slice(0, at) : null;
    let rest = at >= 0 ? hop.slice(at + 1) : hop;
    let port: number | null = null;
    if (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (rest[close + 1] === ':') port = Number(rest.slice(close + 2));
      rest = rest.slice(1, close);
    } else if (rest.includes(':')) {
      port = Number(rest.slice(rest.indexOf(':') + 1));
      rest = rest.slice(0, rest.indexOf(':'));
    }
    return { host: rest, user, port };
  });
}

export interface Hop {
  host: string;
  user: string;
  port: number;
}

/**
 * Every hop as ssh reaches it: ssh runs the last hop as `ssh -l u -p p -J earlier,hops -F file
 * hop -W …`, so each hop is resolved by `ssh -G` as a destination of its own; only the first
 * hop's own ProxyJump counts (it extends the chain in front). null: ssh refuses a hop.
 */
export async function oracleHops(proxyJump: string | undefined, configArgs: string[], depth = 0): Promise<Hop[] | null> {
  if (proxyJump === undefined || proxyJump === 'none') return [];
  if (depth > 8) return null;
  const hops = splitProxyJump(proxyJump);
  const out: Hop[] = [];
  for (let i = 0; i < hops.length; i++) {
    const hop = hops[i]!;
    const args = [...configArgs];
    if (hop.user !== null) args.push('-l', hop.user);
    if (hop.port !== null) args.push('-p', String(hop.port));
    if (i > 0) args.push('-J', proxyJump.split(',').slice(0, i).join(','));
    const g = await sshG([...args, hop.host]);
    if (!g.ok) return null;
    if (i === 0) {
      const before = await oracleHops(one(g, 'proxyjump'), configArgs, depth + 1);
      if (before === null) return null;
      out.push(...before);
    }
    out.push({ host: one(g, 'hostname')!, user: one(g, 'user')!, port: Number(one(g, 'port')) });
  }
  return out;
}

/** A forward as `ssh -G` prints it: `localforward [127.0.0.1]:9001 [db]:1`, `remoteforward 7002 [socks]:0`. */
export function printForward(f: Forward): string {
  const bind = 'socket' in f.bind ? f.bind.socket : f.bind.host === null ? String(f.bind.port) : `[${f.bind.host}]:${f.bind.port}`;
  if (f.kind === 'dynamic') return `dynamicforward ${bind}`;
  const target = f.target === undefined ? '[socks]:0' : 'socket' in f.target ? f.target.socket : `[${f.target.host}]:${f.target.port}`;
  return `${f.kind}forward ${bind} ${target}`;
}

/** ssh prints an empty bind address as `[]`; it means all interfaces, as `*` does, and we store both as `*`. */
function normalizeSshForward(line: string): string {
  return line.replace(/^(\w+forward) \[\]:/, '$1 [*]:');
}

const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
const STRICT: Record<Profile['strictHostKeyChecking'], string> = { yes: 'true', no: 'false', ask: 'ask', 'accept-new': 'accept-new' };

/** The fields the differential suite compares, from both sides, in ssh -G's words. */
export function fieldsOfSshG(g: { options: Map<string, string[]> }, hops: Hop[]): Record<string, unknown> {
  const forwards = ['localforward', 'remoteforward', 'dynamicforward'].flatMap((k) => (g.options.get(k) ?? []).map((v) => normalizeSshForward(`${k} ${v}`)));
  return {
    hostname: one(g, 'hostname'),
    user: one(g, 'user'),
    port: one(g, 'port'),
    forwards,
    hops,
    serveraliveinterval: one(g, 'serveraliveinterval'),
    serveralivecountmax: one(g, 'serveralivecountmax'),
    gatewayports: one(g, 'gatewayports'),
    exitonforwardfailure: one(g, 'exitonforwardfailure'),
    stricthostkeychecking: one(g, 'stricthostkeychecking'),
    connecttimeout: one(g, 'connecttimeout'),
    compression: one(g, 'compression'),
    addressfamily: one(g, 'addressfamily'),
    identitiesonly: one(g, 'identitiesonly'),
    batchmode: one(g, 'batchmode'),
    globalknownhostsfile: one(g, 'globalknownhostsfile'),
    hashknownhosts: one(g, 'hashknownhosts'),
    bindaddress: one(g, 'bindaddress') ?? null,
    hostkeyalias: one(g, 'hostkeyalias') ?? null,
    forwardagent: one(g, 'forwardagent'),
    proxycommand: hops.length > 0 || one(g, 'proxycommand') === 'none' ? null : (one(g, 'proxycommand') ?? null),
    userknownhostsfile: one(g, 'userknownhostsfile'),
    ciphers: one(g, 'ciphers'),
    macs: one(g, 'macs'),
    kexalgorithms: one(g, 'kexalgorithms'),
    identityfiles: g.options.get('identityfile') ?? [],
  };
}

/** What ssh -G prints where a profile keeps null ("OpenSSH's default"): read once from ssh itself. */
export interface SshDefaults {
  ciphers: string;
  macs: string;
  kexalgorithms: string;
  /** ~/.ssh/id_rsa … as ssh lists them when no IdentityFile is given. */
  identityfiles: string[];
}

export async function sshDefaults(): Promise<SshDefaults> {
  const g = await sshG(['-F', '/dev/null', 'defaults.invalid']);
  if (!g.ok) throw new Error(g.error);
  return { ciphers: one(g, 'ciphers')!, macs: one(g, 'macs')!, kexalgorithms: one(g, 'kexalgorithms')!, identityfiles: g.options.get('identityfile') ?? [] };
}

export function fieldsOfProfile(p: Profile, defaults: SshDefaults): Record<string, unknown> {
  const me = userInfo().username;
  const home = userInfo().homedir;
  const knownHosts = p.knownHostsFiles.length === 0 ? [`${home}/.ssh/known_hosts`, `${home}/.ssh/known_hosts2`] : p.knownHostsFiles;
  const kinds = ['local', 'remote', 'dynamic'] as const;
  return {
    hostname: p.host,
    user: p.user ?? me,
    port: String(p.port),
    forwards: kinds.flatMap((k) => p.forwards.filter((f) => f.kind === k).map(printForward)),
    hops: p.jumps.map((j) => ({ host: j.host, user: j.user ?? me, port: j.port })),
    serveraliveinterval: String(p.keepalive.interval),
    serveralivecountmax: String(p.keepalive.countMax),
    gatewayports: yesNo(p.gatewayPorts),
    exitonforwardfailure: yesNo(p.exitOnForwardFailure),
    stricthostkeychecking: STRICT[p.strictHostKeyChecking],
    connecttimeout: p.connectTimeout === null ? 'none' : String(p.connectTimeout),
    compression: yesNo(p.compression),
    addressfamily: p.addressFamily,
    identitiesonly: yesNo(p.identitiesOnly),
    batchmode: yesNo(p.batchMode),
    globalknownhostsfile:
      p.globalKnownHostsFiles.length === 0
        ? '/etc/ssh/ssh_known_hosts /etc/ssh/ssh_known_hosts2'
        : p.globalKnownHostsFiles.join(' ') === '/dev/null'
          ? 'none'
          : p.globalKnownHostsFiles.join(' '),
    hashknownhosts: yesNo(p.hashKnownHosts),
    bindaddress: p.bindAddress,
    hostkeyalias: p.hostKeyAlias,
    forwardagent: yesNo(p.forwardAgent),
    proxycommand: p.proxyCommand,
    userknownhostsfile: knownHosts.join(' ') === '/dev/null' ? 'none' : knownHosts.map((f) => f.replace(/^~(?=\/)/, home)).join(' '),
    ciphers: p.ciphers ?? defaults.ciphers,
    macs: p.macs ?? defaults.macs,
    kexalgorithms: p.kexAlgorithms ?? defaults.kexalgorithms,
    identityfiles: p.identityFiles.length === 0 ? defaults.identityfiles : p.identityFiles,
  };
}
