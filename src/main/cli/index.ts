#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { TunnelError, toErrorInfo } from '../../shared/errors.js';
import { configureFlowFromEnv } from '../engine/flow/index.js';
import { parseSshCommand } from '../openssh/argv.js';
import { loadSshConfig } from '../openssh/config-view.js';
import { resolveDestination } from '../openssh/resolve-destination.js';
import type { UdpForward } from '../../shared/profile.js';
import { addUdpForwards, UDP_FLAGS, UdpFlags } from '../openssh/udp-flags.js';
import { defaultConfigDir } from '../store/config-dir.js';
import { ProfileStore } from '../store/profile-store.js';
import { openKeychain } from '../store/secret-store.js';
import { fatalExit } from './fatal-exit.js';
import { importCommand } from './import-command.js';
import { profilesCommand } from './profiles-command.js';
import { runnable } from '../../shared/saved-profile.js';
import { secretCommand } from './secret-command.js';
import { webCommand } from './web-command.js';
import { runUp } from './up.js';
import { USAGE, commandUsage } from './usage.js';
import { jsonLine, print, say, watchOutputs } from './terminal-text.js';

/** Bad input exits 2 with one line on stderr; never a stack trace. */
export const EXIT_USAGE = 2;
export const EXIT_FAILED = 1;

interface SubcommandArgs {
  json: boolean;
  /** --verbose: debug lines too, like ssh -v (which `up` also honours in the command line). */
  verbose: boolean;
  /** --lazy, --idle-timeout S, --probe S: tunnel settings ssh has no words for. */
  lazy: boolean;
  idleTimeout: number | null;
  probeInterval: number | null;
  gateTime: number | null;
  /** --udp-local / --udp-remote, in order; --udp-idle-timeout and --udp-max-flows apply to all. */
  udp: UdpForward[];
  rest: string[];
}


function secondsFlag(flag: string, value: string | undefined): number {
  if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) < 1) {
    throw new TunnelError('BAD_ARGUMENT', `${flag} needs a number of seconds (1–86400)`);
  }
  return Math.min(Number(value), 86400);
}

function splitArgs(args: string[], flags: readonly string[]): SubcommandArgs {
  const out: SubcommandArgs = { json: false, verbose: false, lazy: false, idleTimeout: null, probeInterval: null, gateTime: null, udp: [], rest: [] };
  const udp = new UdpFlags();
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('--')) break;
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (!flags.includes(name)) throw new TunnelError('BAD_ARGUMENT', `unknown flag ${name}`);
    const value = (): string | undefined => inline ?? args[++i];
    if (name === '--json') out.json = true;
    else if (name === '--verbose') out.verbose = true;
    else if (name === '--lazy') out.lazy = true;
    else if (name === '--idle-timeout') out.idleTimeout = secondsFlag(name, value());
    else if (name === '--probe') out.probeInterval = secondsFlag(name, value());
    else if (name === '--gate-time') out.gateTime = secondsFlag(name, value());
    else if ((UDP_FLAGS as readonly string[]).includes(name)) udp.take(name, value());
  }
  out.udp = udp.finish();
  out.rest = args.slice(i);
  return out;
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

/** TUNNELVISION_UDP_RELAY=perl|python3 pins the UDP relay's interpreter (diagnosis, benchmarks). */
function udpRelayFromEnv(): { udpRelayInterpreters?: ('perl' | 'python3')[] } {
  const value = process.env.TUNNELVISION_UDP_RELAY;
  if (value === undefined || value === '') return {};
  if (value !== 'perl' && value !== 'python3') throw new TunnelError('BAD_ARGUMENT', 'TUNNELVISION_UDP_RELAY must be perl or python3');
  return { udpRelayInterpreters: [value] };
}

/** A lone word after `up` that is not an ssh command line names a saved profile. */
function isProfileName(rest: string[]): boolean {
  return rest.length === 1 && !rest[0]!.startsWith('-') && !/(^|[\\/])(auto)?ssh(\.exe)?$/.test(rest[0]!);
}

export async function main(argv: string[]): Promise<number> {
  let configDir: string | null = null;
  while (argv[0] === '--config-dir') {
    if (!argv[1]) throw new TunnelError('BAD_ARGUMENT', '--config-dir needs a directory');
    configDir = argv[1];
    argv = argv.slice(2);
  }
  const store = (): ProfileStore => new ProfileStore(configDir ?? defaultConfigDir());
  // Receive-window settings (see README, "Flow control"): a bad value stops here, with its name.
  configureFlowFromEnv(process.env);
  const [command, ...args] = argv;
  // `tunnelvision web --help`: the options come before any `--`, so a -h inside an ssh command
  // line after `--` is never taken for ours.
  const own = args.includes('--') ? args.slice(0, args.indexOf('--')) : args;
  if (command !== undefined && (own.includes('--help') || own.includes('-h'))) {
    const text = commandUsage(command);
    if (text === null) throw new TunnelError('BAD_ARGUMENT', `unknown command '${command}' (try: tunnelvision help)`);
    print(`${text}\n`);
    return 0;
  }
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(`${USAGE}\n`);
      return command === undefined ? EXIT_USAGE : 0;
    case '--version':
    case '-V':
      print(`tunnelvision ${version()}\n`);
      return 0;
    case 'parse': {
      const { json, rest, udp } = splitArgs(args, ['--json', ...UDP_FLAGS]);
      const { profile, warnings } = parseSshCommand(rest, { sshConfig: loadSshConfig });
      addUdpForwards(profile, udp);
      if (json) process.stdout.write(jsonLine({ ...profile, warnings }));
      else {
        print(`${JSON.stringify(profile, null, 2)}\n`);
        for (const w of warnings) say(`tunnelvision: warning: ${w}\n`);
      }
      return 0;
    }
    case 'profiles':
      return profilesCommand(store(), args);
    case 'import':
      return importCommand(store(), args);
    case 'secret':
      return secretCommand(store(), args);
    case 'web':
      return webCommand(store(), args);
    case 'up': {
      const flags = splitArgs(args, ['--json', '--verbose', '--lazy', '--idle-timeout', '--probe', '--gate-time', ...UDP_FLAGS]);
      const gate = { ...(flags.gateTime !== null ? { gateTimeMs: flags.gateTime * 1000 } : {}), ...udpRelayFromEnv() };
      if (isProfileName(flags.rest)) {
        const saved = await store().get(flags.rest[0]!);
        const profile = runnable(saved);
        if (flags.lazy) profile.lazy = true;
        if (flags.idleTimeout !== null) profile.idleTimeout = flags.idleTimeout;
        if (flags.probeInterval !== null) profile.probeInterval = flags.probeInterval;
        addUdpForwards(profile, flags.udp);
        const keychain = await openKeychain();
        if (keychain.unavailable && !flags.json) say(`tunnelvision: ${keychain.unavailable}; secrets will be asked for\n`);
        return runUp(profile, [], {
          json: flags.json,
          verbose: flags.verbose,
          ...gate,
          resolveProfile: (p) => resolveDestination(p),
          ...(keychain.store ? { secrets: { store: keychain.store, profileId: saved.id } } : {}),
        });
      }
      const { profile, warnings, verbosity } = parseSshCommand(flags.rest, { sshConfig: loadSshConfig });
      profile.lazy = flags.lazy;
      if (flags.idleTimeout !== null) profile.idleTimeout = flags.idleTimeout;
      profile.probeInterval = flags.probeInterval;
      addUdpForwards(profile, flags.udp);
      // Like autossh, which runs ssh again for every connection: ssh_config is read again each time.
      return runUp(profile, warnings, { json: flags.json, verbose: flags.verbose || verbosity > 0, ...gate, resolveProfile: (p) => resolveDestination(p) });
    }
    default:
      throw new TunnelError('BAD_ARGUMENT', `unknown command '${command}' (try: tunnelvision help)`);
  }
}

// A bug that escapes (an exception in an event handler) gets one line with a stable code and the
// code locations, not Node's default dump, which also prints every property of the thrown object.
function onInternalError(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  const frames = err instanceof Error && err.stack ? err.stack.split('\n').filter((l) => /^\s+at /.test(l)) : [];
  say(`tunnelvision: internal error [INTERNAL]: ${message}\n${frames.join('\n')}\n`);
  void fatalExit(EXIT_FAILED);
}
process.on('uncaughtException', onInternalError);
watchOutputs(() => void fatalExit(EXIT_FAILED));
process.on('unhandledRejection', onInternalError);

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const info = toErrorInfo(err);
    say(`tunnelvision: error [${info.code}]: ${info.message}\n`);
    process.exitCode = err instanceof TunnelError ? EXIT_USAGE : EXIT_FAILED;
  },
);
