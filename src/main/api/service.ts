import { EventEmitter } from 'node:events';
import { TunnelError, toErrorInfo, type ErrorInfo } from '../../shared/errors.js';
import { COMMANDS, isCommandName, type ResolvedDestination, type CommandInput, type CommandName, type CommandOutput, type EventName, type EventPayload, type Result, type TunnelStatus } from '../../shared/contract.js';
import type { SavedProfile } from '../../shared/saved-profile.js';
import { TunnelManager } from '../engine/manager.js';
import type { Tunnel } from '../engine/tunnel.js';
import { parseSshCommand } from '../openssh/argv.js';
import { profileToCommand, profileToEditableCommand, profileToSshConfig } from '../openssh/export.js';
import { addUdpForwards, UdpFlags } from '../openssh/udp-flags.js';
import { loadSshConfig, type SshConfigView } from '../openssh/config-view.js';
import { importSshConfig } from '../openssh/import.js';
import { resolveDestination } from '../openssh/resolve-destination.js';
import type { Profile } from '../../shared/profile.js';
import { ProfileStore, newProfileId } from '../store/profile-store.js';
import { migrateLegacyPassword, openKeychain, secretAccount, type KeychainResult } from '../store/secret-store.js';
import { hopLabels, passwordHop } from '../engine/keychain-prompter.js';
import { runnable } from '../../shared/saved-profile.js';
import { importablePath } from './import-path.js';
import { PromptBroker } from './prompt-broker.js';
import { splitShellWords } from './shell-words.js';
import { busyListenAddresses } from './bind-check.js';

type Handlers = { [C in CommandName]: (input: CommandOutputInput<C>) => Promise<CommandOutput<C>> };
type CommandOutputInput<C extends CommandName> = import('zod').infer<(typeof COMMANDS)[C]['input']>;

export interface ServiceOptions {
  store: ProfileStore;
  /** Injected for tests; defaults to the OS keychain. */
  keychain?: () => Promise<KeychainResult>;
  tickMs?: number;
}

/** Every saved profile with a typed destination, resolved through ssh_config now (each file parsed once). */
function resolveAll(profiles: SavedProfile[]): Record<string, ResolvedDestination> {
  const views = new Map<string | null, SshConfigView | ErrorInfo>();
  const load = (path: string | null): SshConfigView => {
    let view = views.get(path);
    if (view === undefined) {
      try {
        view = loadSshConfig(path);
      } catch (err) {
        view = toErrorInfo(err);
      }
      views.set(path, view);
    }
    if ('code' in view) throw new TunnelError(view.code, view.message);
    return view;
  };
  const out: Record<string, ResolvedDestination> = {};
  for (const saved of profiles) {
    if (saved.typed === null) continue;
    try {
      const { profile } = resolveDestination(runnable(saved), load);
      out[saved.id] = { host: profile.host, user: profile.user, port: profile.port, jumps: profile.jumps, error: null };
    } catch (err) {
      out[saved.id] = { host: saved.host, user: saved.user, port: saved.port, jumps: saved.jumps, error: toErrorInfo(err) };
    }
  }
  return out;
}

type ServiceEvents = { [E in EventName]: [EventPayload<E>] };

const MAX_ERROR_MESSAGE = 500;

/**
 * The contract's implementation, transport-agnostic: Electron IPC and the web WebSocket both
 * call `dispatch` with untrusted input and relay `event`s. Nothing it returns or emits holds a
 * secret.
 */
export class ApiService extends EventEmitter<ServiceEvents> {
  readonly manager: TunnelManager;
  readonly prompts = new PromptBroker();
  private keychain: Promise<KeychainResult> | null = null;

  constructor(private readonly options: ServiceOptions) {
    super();
    this.setMaxListeners(0);
    this.manager = new TunnelManager({ tickMs: options.tickMs ?? 1000 });
    this.manager.on('state', (s) => this.emit('tunnel.state', s));
    this.manager.on('stats', (batch) => this.emit('traffic', batch));
    this.manager.on('log', (l) => {
      if (l.level !== 'debug') this.emit('log', l);
    });
    this.prompts.on('prompt', (p) => this.emit('prompt', p));
    this.prompts.on('closed', (id) => this.emit('prompt.closed', { id }));
  }

  private secretsStore(): Promise<KeychainResult> {
    this.keychain ??= (this.options.keychain ?? openKeychain)();
    return this.keychain;
  }

  /** Validates and runs one command. Never throws; bad input is a BAD_ARGUMENT result. */
  async dispatch(command: unknown, input: unknown): Promise<Result<unknown>> {
    if (!isCommandName(command)) {
      return { ok: false, error: { code: 'BAD_ARGUMENT', message: `unknown command ${JSON.stringify(String(command).slice(0, 64))}` } };
    }
    const parsed = COMMANDS[command].input.safeParse(input ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const where = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
      return { ok: false, error: { code: 'BAD_ARGUMENT', message: `${command}: ${where}${issue.message}`.slice(0, MAX_ERROR_MESSAGE) } };
    }
    try {
      const handler = this.handlers[command] as (i: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      const info = toErrorInfo(err);
      return { ok: false, error: { code: info.code, message: info.message.slice(0, MAX_ERROR_MESSAGE) } };
    }
  }

  /** The same, typed, for code inside main (tray, tests). */
  async call<C extends CommandName>(command: C, input: CommandInput<C>): Promise<Result<CommandOutput<C>>> {
    return (await this.dispatch(command, input)) as Result<CommandOutput<C>>;
  }

  private status(id: string, tunnel: Tunnel | undefined): TunnelStatus {
    if (!tunnel) return { id, state: 'stopped', reason: 'not running', error: null, forwards: [], stats: null, since: Date.now(), upSince: null, retryAt: null, reconnects: 0, running: null };
    const { tunnel: _id, ...change } = tunnel.stateChange();
    const stopped = tunnel.getState() === 'stopped';
    return { id, ...change, stats: stopped ? null : tunnel.stats(), running: stopped ? null : tunnel.profile };
  }

  private tunnel(id: string): Tunnel {
    const t = this.manager.get(id);
    if (!t) throw new TunnelError('BAD_ARGUMENT', `tunnel ${id} is not running`);
    return t;
  }

  async startTunnel(saved: SavedProfile): Promise<TunnelStatus> {
    const keychain = await this.secretsStore();
    const options = {
      prompter: this.prompts.prompterFor(saved.id),
      // The typed destination goes through ssh_config again at every connect.
      resolveProfile: (p: Profile) => resolveDestination(p),
      ...(keychain.store ? { secrets: { store: keychain.store, profileId: saved.id } } : {}),
    };
    const started = this.manager.start(saved.id, runnable(saved), options);
    // Report at once; the state events tell the rest.
    await Promise.race([started, new Promise((r) => setTimeout(r, 50))]);
    return this.status(saved.id, this.manager.get(saved.id));
  }

  private readonly handlers: Handlers = {
    'profiles.list': async () => {
      try {
        const file = await this.options.store.read();
        return { revision: file.revision, profiles: file.profiles, error: null, resolved: resolveAll(file.profiles) };
      } catch (err) {
        // A broken file must not stop the app: show it, with the reason, and keep running.
        return { revision: -1, profiles: [], error: toErrorInfo(err), resolved: {} };
      }
    },
    'profiles.get': async ({ id }) => this.options.store.get(id),
    'profiles.save': async ({ profile, expectedRevision }) => {
      const saved: SavedProfile = { ...profile, id: profile.id ?? newProfileId() };
      if (profile.id === undefined) await this.options.store.add(saved);
      else await this.options.store.put(saved, expectedRevision);
      this.emit('profiles.changed', { revision: (await this.options.store.read()).revision });
      return saved;
    },
    'profiles.delete': async ({ id }) => {
      await this.manager.get(id)?.stop();
      this.prompts.withdraw(id);
      await this.options.store.remove(id);
      this.emit('profiles.changed', { revision: (await this.options.store.read()).revision });
      return {};
    },
    'tunnels.list': async () => {
      const { profiles } = await this.options.store.read().catch(() => ({ profiles: [] as SavedProfile[] }));
      const ids = new Set([...profiles.map((p) => p.id), ...this.manager.list().map((t) => t.id)]);
      return [...ids].map((id) => this.status(id, this.manager.get(id)));
    },
    'tunnels.start': async ({ id }) => this.startTunnel(await this.options.store.get(id)),
    'tunnels.stop': async ({ id }) => {
      this.prompts.withdraw(id);
      await this.manager.get(id)?.stop();
      return this.status(id, this.manager.get(id));
    },
    'tunnels.restart': async ({ id }) => {
      this.prompts.withdraw(id);
      return this.startTunnel(await this.options.store.get(id));
    },
    'tunnels.retry': async ({ id }) => {
      const t = this.manager.get(id);
      if (t && t.getState() === 'reconnecting') {
        t.nudge();
        return this.status(id, t);
      }
      if (t && t.getState() !== 'failed' && t.getState() !== 'stopped') return this.status(id, t);
      return this.startTunnel(await this.options.store.get(id));
    },
    'tunnels.history': async ({ id }) => ({ intervalMs: this.manager.tickMs, points: this.manager.history(id) }),
    'tunnels.checkBinds': async ({ profile, id }) => ({ busy: await busyListenAddresses(profile, id ? this.manager.get(id) : undefined) }),
    'ssh.parse': async ({ command }) => {
      const words = splitShellWords(command);
      const udp = UdpFlags.extract(words);
      const parsed = parseSshCommand(words, { sshConfig: loadSshConfig });
      addUdpForwards(parsed.profile, udp);
      return parsed;
    },
    'ssh.export': async ({ profile, name }) => ({
      command: profileToCommand(profile),
      editable: profileToEditableCommand(profile),
      config: profileToSshConfig(name.replace(/\s+/g, '-'), profile),
    }),
    'sshConfig.import': async ({ path }) => (path ? importSshConfig(await importablePath(path)) : importSshConfig()),
    'prompts.answer': async ({ id, answer }) => {
      this.prompts.answer(id, answer);
      return {};
    },
    'secrets.set': async ({ profileId, kind, keyFile, hop, hopIndex, secret }) => {
      const saved = await this.options.store.get(profileId);
      const keychain = await this.secretsStore();
      if (!keychain.store) return { stored: false, unavailable: keychain.unavailable };
      if (kind === 'passphrase' && !keyFile) throw new TunnelError('BAD_ARGUMENT', 'a passphrase needs the key file it unlocks');
      const profile = resolveDestination(runnable(saved)).profile;
      await migrateLegacyPassword(keychain.store, profileId, passwordHop(profile, undefined));
      if (hop !== undefined && hopIndex !== undefined) throw new TunnelError('BAD_ARGUMENT', 'name the hop by hop or by hopIndex, not both');
      const hops = hopLabels(profile);
      if (hopIndex !== undefined && hopIndex >= hops.length) throw new TunnelError('BAD_ARGUMENT', `this profile has ${hops.length} hop(s); there is no hop ${hopIndex}`);
      const named = hopIndex !== undefined ? hops[hopIndex] : hop;
      const account = secretAccount(profileId, kind === 'password' ? { kind, hop: passwordHop(profile, named) } : { kind, keyFile: keyFile! });
      await keychain.store.set(account, secret);
      return { stored: true, unavailable: null };
    },
    'connections.list': async ({ tunnel }) => this.tunnel(tunnel).connections(),
    'connections.close': async ({ tunnel, id }) => ({ closed: this.tunnel(tunnel).closeConnection(id) }),
    'logs.read': async ({ tunnel }) => this.tunnel(tunnel).logs().filter((l) => l.level !== 'debug'),
  };

  /** Starts every profile marked start-at-launch. */
  async startAtLaunch(): Promise<void> {
    const { profiles } = await this.options.store.read().catch(() => ({ profiles: [] as SavedProfile[] }));
    for (const p of profiles) if (p.startAtLaunch) await this.startTunnel(p);
  }

  async dispose(): Promise<void> {
    for (const t of this.manager.list()) this.prompts.withdraw(t.id);
    await this.manager.dispose();
  }
}
