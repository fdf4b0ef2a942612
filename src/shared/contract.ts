import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { ProfileSchema } from './profile.js';
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

const ForwardStatusSchema = z.object({
  index: z.number(),
  description: z.string(),
  state: z.enum(['pending', 'active', 'failed', 'stopped']),
  error: ErrorInfoSchema.nullable(),
  listening: z.array(z.string()),
  allocatedPort: z.number().nullable(),
  note: z.string().nullable(),
  probe: z.enum(['ok', 'down']).nullable(),
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

export const TunnelStatsSchema = z.object({
  tunnel: z.string(),
  state: z.enum(TUNNEL_STATES),
  sessionOpen: z.boolean(),
  latencyMs: z.number().nullable(),
  uptimeMs: z.number().nullable(),
  ...Figures,
  forwards: z.array(z.object({ index: z.number(), ...Figures, window: z.number(), windowLimited: z.boolean() })),
});

export const TunnelStateChangeSchema = z.object({
  tunnel: z.string(),
  state: z.enum(TUNNEL_STATES),
  reason: z.string(),
  error: ErrorInfoSchema.nullable(),
  forwards: z.array(ForwardStatusSchema),
});

export const TunnelStatusSchema = z.object({
  id: z.string(),
  state: z.enum(TUNNEL_STATES),
  reason: z.string(),
  error: ErrorInfoSchema.nullable(),
  forwards: z.array(ForwardStatusSchema),
  stats: TunnelStatsSchema.nullable(),
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
  'profiles.list': { input: Empty, output: z.object({ revision: z.number(), profiles: z.array(SavedProfileSchema), error: ErrorInfoSchema.nullable() }) },
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
  'ssh.parse': {
    input: z.strictObject({ command: z.string().min(1).max(16_384) }),
    output: z.object({ profile: ProfileSchema, warnings: z.array(z.string()) }),
  },
  'ssh.export': { input: z.strictObject({ profile: ProfileSchema, name: z.string().min(1).max(100) }), output: z.object({ command: z.string(), config: z.string() }) },
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
    input: z.strictObject({ profileId: Id, kind: z.enum(['password', 'passphrase']), keyFile: z.string().min(1).max(4096).optional(), secret: z.string().min(1).max(4096) }),
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
