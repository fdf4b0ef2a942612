import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { JumpHostSchema, ProfileSchema } from './profile.js';
import { SavedProfileSchema } from './saved-profile.js';
import { TUNNEL_STATES } from './tunnel.js';

/**
 * The one contract between the engine (main process) and the dashboard (renderer), whichever
 * carries it: Electron IPC or the `web` mode's WebSocket. Every command has an input and an
 * output schema; every event a payload schema. Main validates every input with these before
 * anything runs; results cross as { ok, value } | { ok: false, error }, never as thrown errors.
 */

const Id = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/);
const Empty = z.strictObject({});
const ErrorInfoSchema = z.strictObject({ code: z.enum(ERROR_CODES), message: z.string() });

/**
 * Where a saved profile's typed destination leads now, through ssh_config, beside what was
 * saved: what its next connect will use. `error` when the file cannot resolve it (the connect
 * would fail the same way).
 */
export const ResolvedDestinationSchema = z.object({
  host: z.string(),
  user: z.string().nullable(),
  port: z.number(),
  jumps: z.array(JumpHostSchema),
  error: ErrorInfoSchema.nullable(),
});
export type ResolvedDestination = z.infer<typeof ResolvedDestinationSchema>;

const ForwardStatusSchema = z.object({
  index: z.number(),
  description: z.string(),
  state: z.enum(['pending', 'active', 'failed', 'stopped']),
  error: ErrorInfoSchema.nullable(),
  listening: z.array(z.string()),
  allocatedPort: z.number().nullable(),
  note: z.string().nullable(),
  probe: z.enum(['ok', 'down']).nullable(),
  protocol: z.enum(['tcp', 'udp']).optional(),
});

const Figures = {
  bytesSent: z.number(),
  bytesReceived: z.number(),
  connections: z.number(),
  totalConnections: z.number(),
  failedConnections: z.number(),
  sendRate: z.number(),
  receiveRate: z.number(),
};

const UdpFiguresSchema = z.object({
  datagramsSent: z.number(),
  datagramsReceived: z.number(),
  flows: z.number(),
  totalFlows: z.number(),
  drops: z.number(),
  evictions: z.number(),
  expiredFlows: z.number(),
  relayStarts: z.number(),
});

export const TunnelStatsSchema = z.object({
  tunnel: z.string(),
  state: z.enum(TUNNEL_STATES),
  sessionOpen: z.boolean(),
  latencyMs: z.number().nullable(),
  uptimeMs: z.number().nullable(),
  ...Figures,
  forwards: z.array(z.object({ index: z.number(), ...Figures, window: z.number(), windowLimited: z.boolean(), udp: UdpFiguresSchema.optional() })),
});

const Timeline = {
  since: z.number(),
  upSince: z.number().nullable(),
  retryAt: z.number().nullable(),
  reconnects: z.number(),
};

export const TunnelStateChangeSchema = z.object({
  tunnel: z.string(),
  state: z.enum(TUNNEL_STATES),
  reason: z.string(),
  error: ErrorInfoSchema.nullable(),
  forwards: z.array(ForwardStatusSchema),
  ...Timeline,
});

export const TunnelStatusSchema = z.object({
  id: z.string(),
  state: z.enum(TUNNEL_STATES),
  reason: z.string(),
  error: ErrorInfoSchema.nullable(),
  forwards: z.array(ForwardStatusSchema),
  stats: TunnelStatsSchema.nullable(),
  ...Timeline,
  /** The profile the tunnel runs now — an edit saved since is not it until a restart. */
  running: ProfileSchema.nullable(),
});

const TrafficPointSchema = z.object({
  t: z.number(),
  sent: z.number(),
  received: z.number(),
  forwards: z.array(z.object({ index: z.number(), sent: z.number(), received: z.number() })),
});

const LogLineSchema = z.object({
  tunnel: z.string(),
  time: z.number(),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
});

const ConnectionSchema = z.object({
  id: z.number(),
  forward: z.number(),
  client: z.string(),
  target: z.string(),
  startedAt: z.number(),
  bytesSent: z.number(),
  bytesReceived: z.number(),
});

export const PromptSchema = z.discriminatedUnion('kind', [
  z.object({
    id: z.string(),
    tunnel: z.string(),
    kind: z.literal('host-key'),
    host: z.string(),
    port: z.number(),
    hop: z.number(),
    keyType: z.string(),
    fingerprint: z.string(),
    otherTypes: z.array(z.string()),
  }),
  z.object({
    id: z.string(),
    tunnel: z.string(),
    kind: z.enum(['password', 'passphrase', 'keyboard-interactive']),
    host: z.string(),
    port: z.number(),
    user: z.string(),
    prompt: z.string(),
    echo: z.boolean(),
    keyFile: z.string().optional(),
  }),
]);
export type Prompt = z.infer<typeof PromptSchema>;

const ImportedProfileSchema = ProfileSchema.extend({ name: z.string(), warnings: z.array(z.string()) });

/** A saved profile as the editor sends it: the id is absent for a new one. */
const ProfileDraftSchema = SavedProfileSchema.extend({ id: Id.optional() });

export const COMMANDS = {
  'profiles.list': {
    input: Empty,
    output: z.object({
      revision: z.number(),
      profiles: z.array(SavedProfileSchema),
      error: ErrorInfoSchema.nullable(),
      /** By profile id, for profiles with a typed destination: where it resolves through ssh_config now. */
      resolved: z.record(z.string(), ResolvedDestinationSchema),
    }),
  },
  'profiles.get': { input: z.strictObject({ id: Id }), output: SavedProfileSchema },
  'profiles.save': {
    input: z.strictObject({ profile: ProfileDraftSchema, expectedRevision: z.number().int().min(0).optional() }),
    output: SavedProfileSchema,
  },
  'profiles.delete': { input: z.strictObject({ id: Id }), output: Empty },
  'tunnels.list': { input: Empty, output: z.array(TunnelStatusSchema) },
  'tunnels.start': { input: z.strictObject({ id: Id }), output: TunnelStatusSchema },
  'tunnels.stop': { input: z.strictObject({ id: Id }), output: TunnelStatusSchema },
  'tunnels.restart': { input: z.strictObject({ id: Id }), output: TunnelStatusSchema },
  /** Retry now instead of waiting out the backoff; a failed tunnel is started again. */
  'tunnels.retry': { input: z.strictObject({ id: Id }), output: TunnelStatusSchema },
  /** The engine's traffic history of a tunnel (1 s points, the last 10 min), so a reload keeps it. */
  'tunnels.history': { input: z.strictObject({ id: Id }), output: z.object({ intervalMs: z.number(), points: z.array(TrafficPointSchema) }) },
  /** Which of a profile's local listen addresses another program holds now (checked before saving). */
  'tunnels.checkBinds': {
    input: z.strictObject({ profile: ProfileSchema, id: Id.optional() }),
    output: z.object({ busy: z.array(z.object({ index: z.number(), address: z.string(), message: z.string() })) }),
  },
  /** An ssh or autossh command line; tunnelvision's --udp-local/--udp-remote flags may stand anywhere in it. */
  'ssh.parse': {
    input: z.strictObject({ command: z.string().min(1).max(16_384) }),
    output: z.object({ profile: ProfileSchema, warnings: z.array(z.string()) }),
  },
  /**
   * `command`: an ssh command line to paste (UDP forwards named in a comment above it); `editable`:
   * the same with tunnelvision's --udp-* flags, which `ssh.parse` reads back whole.
   */
  'ssh.export': {
    input: z.strictObject({ profile: ProfileSchema, name: z.string().min(1).max(100) }),
    output: z.object({ command: z.string(), editable: z.string(), config: z.string() }),
  },
  'sshConfig.import': {
    input: z.strictObject({ path: z.string().min(1).max(4096).optional() }),
    output: z.object({ profiles: z.array(ImportedProfileSchema), problems: z.array(z.object({ file: z.string(), line: z.number(), message: z.string() })), skipped: z.array(z.string()) }),
  },
  'prompts.answer': {
    input: z.strictObject({
      id: z.string().min(1).max(64),
      answer: z.union([z.enum(['accept-once', 'accept-always', 'reject']), z.strictObject({ secret: z.string().max(4096).nullable() })]),
    }),
    output: Empty,
  },
  'secrets.set': {
    input: z.strictObject({
      profileId: Id,
      kind: z.enum(['password', 'passphrase']),
      keyFile: z.string().min(1).max(4096).optional(),
      /** The hop a password is for (`user@host:port`, one of the profile's hops); the destination when absent. */
      hop: z.string().min(1).max(600).optional(),
      /** Or the hop by its place in the chain (0 = the first jump host, the last = the destination). */
      hopIndex: z.number().int().min(0).max(16).optional(),
      secret: z.string().min(1).max(4096),
    }),
    output: z.object({ stored: z.boolean(), unavailable: z.string().nullable() }),
  },
  'connections.list': { input: z.strictObject({ tunnel: Id }), output: z.array(ConnectionSchema) },
  'connections.close': { input: z.strictObject({ tunnel: Id, id: z.number().int().min(1) }), output: z.object({ closed: z.boolean() }) },
  'logs.read': { input: z.strictObject({ tunnel: Id }), output: z.array(LogLineSchema) },
} as const;

export const EVENTS = {
  'tunnel.state': TunnelStateChangeSchema,
  /** One message for all running tunnels per tick. */
  traffic: z.array(TunnelStatsSchema),
  prompt: PromptSchema,
  'prompt.closed': z.object({ id: z.string() }),
  log: LogLineSchema,
  'profiles.changed': z.object({ revision: z.number() }),
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandInput<C extends CommandName> = z.input<(typeof COMMANDS)[C]['input']>;
export type CommandOutput<C extends CommandName> = z.infer<(typeof COMMANDS)[C]['output']>;
export type EventName = keyof typeof EVENTS;
export type EventPayload<E extends EventName> = z.infer<(typeof EVENTS)[E]>;
export type TunnelStatus = z.infer<typeof TunnelStatusSchema>;

export type ErrorResult = { ok: false; error: z.infer<typeof ErrorInfoSchema> };
export type Result<T> = { ok: true; value: T } | ErrorResult;

export function isCommandName(name: unknown): name is CommandName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(COMMANDS, name);
}

/** The typed client the renderer holds, whatever the transport. */
export interface ContractClient {
  invoke<C extends CommandName>(command: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>>;
  on<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** The wire shapes of the web transport. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
export type WireRequest = { id: number; command: string; input: unknown };
export type WireMessage = { id: number; result: Result<unknown> } | { event: EventName; payload: unknown };
