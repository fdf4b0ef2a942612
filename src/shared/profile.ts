import { z } from 'zod';
import { isSafeHostKeyAlias, isSafeHostName, isSafeName } from './names.js';

/**
 * The tunnel profile as `tunnelvision parse --json` prints it and as the engine runs it.
 * Field names follow the CLI contract in the README; option names follow ssh_config(5).
 */

export const PortSchema = z.number().int().min(0).max(65535);
/** A port something connects to: 0 is never valid there. */
export const TargetPortSchema = z.number().int().min(1).max(65535);
/** Host and user names follow the command line's rules (names.ts), wherever they come from. */
const HostSchema = z.string().min(1).max(255).refine(isSafeHostName, 'not a valid host name (no spaces, control characters, shell metacharacters, @ , ! or leading -)');
const UserSchema = z.string().min(1).max(255).refine(isSafeName, 'not a valid user name (no spaces, control characters, shell metacharacters or leading -)');

/** A TCP listening address. `host: null` means "as OpenSSH defaults": loopback. */
export const BindSchema = z.strictObject({
  host: z.string().max(255).nullable(),
  port: PortSchema,
});
export const TargetSchema = z.strictObject({ host: HostSchema, port: TargetPortSchema });
/** A Unix-domain socket path, for the socket forms of -L and -R. */
export const SocketSchema = z.strictObject({ socket: z.string().min(1).max(4096) });

/** Absent means TCP: profiles written before UDP forwards existed keep meaning what they meant. */
const TcpProtocol = z.literal('tcp').optional();

/**
 * UDP forwards run through a relay on the server (see engine/udp). A flow is one client address;
 * it ends after `flowIdleTimeout` seconds without a datagram (0: never, for WireGuard-like
 * peers), and past `maxFlows` the least recently used one is evicted.
 */
export const UDP_DEFAULT_FLOW_IDLE_TIMEOUT = 60;
export const UDP_DEFAULT_MAX_FLOWS = 4096;
const UdpSettings = {
  flowIdleTimeout: z.number().int().min(0).max(86400).optional(),
  maxFlows: z.number().int().min(1).max(65536).optional(),
};

export const LocalTcpForwardSchema = z.strictObject({
  kind: z.literal('local'),
  protocol: TcpProtocol,
  bind: z.union([BindSchema, SocketSchema]),
  target: z.union([TargetSchema, SocketSchema]),
});
/** Datagrams sent to bind here are sent to target from the server; replies come back to their sender. */
export const LocalUdpForwardSchema = z.strictObject({
  kind: z.literal('local'),
  protocol: z.literal('udp'),
  bind: BindSchema,
  target: TargetSchema,
  ...UdpSettings,
});
export const LocalForwardSchema = z.discriminatedUnion('protocol', [LocalTcpForwardSchema, LocalUdpForwardSchema]);
/** `target` absent means a reverse dynamic forward (ssh -R [bind:]port): SOCKS served by this side. */
export const RemoteTcpForwardSchema = z.strictObject({
  kind: z.literal('remote'),
  protocol: TcpProtocol,
  bind: z.union([BindSchema, SocketSchema]),
  target: z.union([TargetSchema, SocketSchema]).optional(),
});
/** The relay binds bind on the server (loopback when no address); datagrams go to target from here. */
export const RemoteUdpForwardSchema = z.strictObject({
  kind: z.literal('remote'),
  protocol: z.literal('udp'),
  bind: BindSchema,
  target: TargetSchema,
  ...UdpSettings,
});
export const RemoteForwardSchema = z.discriminatedUnion('protocol', [RemoteTcpForwardSchema, RemoteUdpForwardSchema]);
export const DynamicForwardSchema = z.strictObject({
  kind: z.literal('dynamic'),
  bind: BindSchema,
});
export const ForwardSchema = z.discriminatedUnion('kind', [
  LocalForwardSchema,
  RemoteForwardSchema,
  DynamicForwardSchema,
]);

export const JumpHostSchema = z.strictObject({
  host: HostSchema,
  user: UserSchema.nullable(),
  port: TargetPortSchema,
});

export const KeepaliveSchema = z.strictObject({
  /** ServerAliveInterval in seconds; 0 turns keepalive off. */
  interval: z.number().int().min(0).max(86400),
  countMax: z.number().int().min(1).max(1000),
});

/** The shape of an OpenSSH algorithm list; which names the engine supports is checked where it runs. */
export const AlgorithmListSchema = z.string().max(1024).regex(/^[+\-^]?[A-Za-z0-9@._*?-]+(,[A-Za-z0-9@._*?-]+)*$/);

/** A jump hop as the user wrote it: no port means "whatever ssh_config says, else 22". */
export const TypedJumpHostSchema = z.strictObject({
  host: HostSchema,
  user: UserSchema.nullable(),
  port: TargetPortSchema.nullable(),
});

/**
 * What the user wrote before ssh_config was applied. When present, the destination and its jump
 * hops are resolved through ssh_config again at every connect, as `ssh` does, so an edit of
 * ~/.ssh/config reaches a saved tunnel; `host`, `user`, `port` and `jumps` of the profile hold
 * the values resolved when it was parsed.
 */
export const TypedDestinationSchema = z.strictObject({
  /** The destination as typed: a Host alias or a name. */
  host: HostSchema,
  /** HostName given on the command line (`-o HostName=…`), `%h` unexpanded. */
  hostName: HostSchema.nullable(),
  /** User given on the command line (`user@`, `-l`, `-o User`); null: from ssh_config. */
  user: UserSchema.nullable(),
  /** Port given on the command line (`-p`, `ssh://…:port`, `-o Port`); null: from ssh_config. */
  port: TargetPortSchema.nullable(),
  /** `-J` / `-o ProxyJump` as typed; null: from ssh_config. */
  jumps: z.array(TypedJumpHostSchema).max(16).nullable(),
  /** `-F`: null for ~/.ssh/config and the system file. */
  configFile: z.string().min(1).max(4096).nullable(),
});

export const StrictHostKeyCheckingSchema = z.enum(['yes', 'accept-new', 'no', 'ask']);

export const ProfileSchema = z.strictObject({
  host: HostSchema,
  user: UserSchema.nullable(),
  port: TargetPortSchema,
  jumps: z.array(JumpHostSchema).max(16),
  forwards: z.array(ForwardSchema).max(256),
  keepalive: KeepaliveSchema,
  proxyCommand: z.string().min(1).max(8192).nullable(),
  identityFiles: z.array(z.string().min(1).max(4096)).max(32),
  identitiesOnly: z.boolean(),
  /** UserKnownHostsFile; empty means OpenSSH's defaults (~/.ssh/known_hosts, ~/.ssh/known_hosts2). */
  knownHostsFiles: z.array(z.string().min(1).max(4096)).max(16),
  strictHostKeyChecking: StrictHostKeyCheckingSchema,
  batchMode: z.boolean(),
  exitOnForwardFailure: z.boolean(),
  /** GatewayPorts for local forwards: bind all interfaces when the spec gives no address. */
  gatewayPorts: z.boolean(),
  /** ConnectTimeout in seconds; null means our default. */
  connectTimeout: z.number().int().min(1).max(3600).nullable(),
  forwardAgent: z.boolean(),
  compression: z.boolean(),
  addressFamily: z.enum(['any', 'inet', 'inet6']),
  hostKeyAlias: z.string().min(1).max(255).refine(isSafeHostKeyAlias, 'not a valid host key alias (a host name: no spaces, control characters, shell metacharacters or known_hosts pattern characters)').nullable(),
  /** Lazy tunnel: listeners bound at start, SSH connected on first use, dropped after idleTimeout. */
  lazy: z.boolean(),
  /** Seconds without connections before a lazy tunnel disconnects. */
  idleTimeout: z.number().int().min(1).max(86400),
  /** Seconds between health probes of each forward's destination; null turns probes off. */
  probeInterval: z.number().int().min(1).max(86400).nullable(),
  /** Ciphers, MACs, KexAlgorithms in OpenSSH's syntax (`a,b`, `+a`, `-a*`, `^a`); null: the defaults. */
  ciphers: AlgorithmListSchema.nullable().default(null),
  macs: AlgorithmListSchema.nullable().default(null),
  kexAlgorithms: AlgorithmListSchema.nullable().default(null),
  /**
   * GlobalKnownHostsFile: the system's trusted keys, read for match, mismatch and revocation and
   * never written. Empty means OpenSSH's defaults (/etc/ssh/ssh_known_hosts, ssh_known_hosts2).
   */
  globalKnownHostsFiles: z.array(z.string().min(1).max(4096)).max(16).default([]),
  /** HashKnownHosts: a host name written to known_hosts is hashed (`|1|salt|hmac`). */
  hashKnownHosts: z.boolean().default(false),
  /** BindAddress (-b): the local source address of the connection to the first hop. */
  bindAddress: z.string().min(2).max(45).regex(/^[0-9A-Fa-f:.]+$/).nullable().default(null),
  /** The destination as typed, re-resolved through ssh_config at connect time; null: use host/user/port/jumps as they are. */
  typed: TypedDestinationSchema.nullable().default(null),
});

export type Bind = z.infer<typeof BindSchema>;
export type Target = z.infer<typeof TargetSchema>;
export type SocketPath = z.infer<typeof SocketSchema>;
export type LocalForward = z.infer<typeof LocalForwardSchema>;
export type RemoteForward = z.infer<typeof RemoteForwardSchema>;
export type LocalUdpForward = z.infer<typeof LocalUdpForwardSchema>;
export type RemoteUdpForward = z.infer<typeof RemoteUdpForwardSchema>;
export type UdpForward = LocalUdpForward | RemoteUdpForward;
export type DynamicForward = z.infer<typeof DynamicForwardSchema>;
export type Forward = z.infer<typeof ForwardSchema>;
export type JumpHost = z.infer<typeof JumpHostSchema>;
export type Keepalive = z.infer<typeof KeepaliveSchema>;
export type StrictHostKeyChecking = z.infer<typeof StrictHostKeyCheckingSchema>;
export type Profile = z.infer<typeof ProfileSchema>;
export type TypedJumpHost = z.infer<typeof TypedJumpHostSchema>;
export type TypedDestination = z.infer<typeof TypedDestinationSchema>;

/** ServerAliveInterval 15 / CountMax 3: on by default, unlike ssh2 and OpenSSH. */
export const DEFAULT_KEEPALIVE: Keepalive = { interval: 15, countMax: 3 };

export function defaultProfile(host: string): Profile {
  return {
    host,
    user: null,
    port: 22,
    jumps: [],
    forwards: [],
    keepalive: { ...DEFAULT_KEEPALIVE },
    proxyCommand: null,
    identityFiles: [],
    identitiesOnly: false,
    knownHostsFiles: [],
    strictHostKeyChecking: 'ask',
    batchMode: false,
    exitOnForwardFailure: false,
    gatewayPorts: false,
    connectTimeout: null,
    forwardAgent: false,
    compression: false,
    addressFamily: 'any',
    hostKeyAlias: null,
    lazy: false,
    idleTimeout: 300,
    probeInterval: null,
    ciphers: null,
    macs: null,
    kexAlgorithms: null,
    globalKnownHostsFiles: [],
    hashKnownHosts: false,
    bindAddress: null,
    typed: null,
  };
}

export function isSocket(endpoint: Bind | Target | SocketPath): endpoint is SocketPath {
  return 'socket' in endpoint;
}

/** `host:port`, with IPv6 addresses in brackets: `[::1]:8080`. */
export function formatHostPort(host: string, port: number | string): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function formatEndpoint(endpoint: Bind | Target | SocketPath, defaultHost: string): string {
  if (isSocket(endpoint)) return endpoint.socket;
  return formatHostPort(endpoint.host ?? defaultHost, endpoint.port);
}

export function isUdpForward(forward: Forward): forward is UdpForward {
  return forward.kind !== 'dynamic' && forward.protocol === 'udp';
}

/** A readable one-liner for logs and the UI: "(local) 127.0.0.1:8080 → example.org:80". */
export function describeForward(forward: Forward): string {
  if (isUdpForward(forward)) {
    return `(${forward.kind} udp) ${formatEndpoint(forward.bind, 'localhost')} → ${formatEndpoint(forward.target, '?')}`;
  }
  switch (forward.kind) {
    case 'local':
      return `(local) ${formatEndpoint(forward.bind, 'localhost')} → ${formatEndpoint(forward.target, '?')}`;
    case 'remote':
      return forward.target
        ? `(remote) ${formatEndpoint(forward.bind, 'localhost')} → ${formatEndpoint(forward.target, '?')}`
        : `(remote dynamic) ${formatEndpoint(forward.bind, 'localhost')} → SOCKS`;
    case 'dynamic':
      return `(dynamic) ${formatEndpoint(forward.bind, 'localhost')} → SOCKS`;
  }
}
