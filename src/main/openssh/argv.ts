import { TunnelError } from '../../shared/errors.js';
import { defaultProfile, type Forward, type JumpHost, type Profile } from '../../shared/profile.js';
import { parseForwardSpec } from './forward-spec.js';
import { parseDestination, parseJumpSpec } from './destination.js';
import type { SshConfigView } from './import.js';
import { applyOption, splitOption, type OptionState } from './options.js';
import { parseConnectPort } from './ports.js';
import { printable } from './hostnames.js';

export interface ParsedCommand {
  profile: Profile;
  /** Things accepted but without effect, worth telling the user about. */
  warnings: string[];
  /** How many -v flags: `tunnelvision up` prints debug lines, as ssh -v does. */
  verbosity: number;
}

export interface ParseOptions {
  /**
   * Consult an ssh_config the way ssh(1) does: `path` is -F's argument, null for the default
   * (~/.ssh/config). Not called for `-F none`. Without it, only the command line counts.
   */
  sshConfig?: (path: string | null) => SshConfigView;
}

/** ssh(1)'s getopt string (OpenSSH 9.x): letters followed by ':' take an argument. */
const SSH_OPTSTRING = '1246ab:c:e:fgi:kl:m:no:p:qstvxAB:CD:E:F:GI:J:KL:MNO:P:Q:R:S:TVw:W:XYy';

function optionTable(optstring: string): Map<string, boolean> {
  const table = new Map<string, boolean>();
  for (let i = 0; i < optstring.length; i++) {
    const takesArg = optstring[i + 1] === ':';
    table.set(optstring[i]!, takesArg);
    if (takesArg) i++;
  }
  return table;
}
const SSH_OPTIONS = optionTable(SSH_OPTSTRING);

/** Flags with no effect on a tunnel: -f (we manage the process), -n/-N/-T (we never run commands). */
const HARMLESS_FLAGS = new Set(['f', 'n', 'N', 'T', 'q', 'k', 'x', 'a', 't', 'y', '1', '2', 'K']);

const UNSUPPORTED_FLAGS: Readonly<Record<string, string>> = {
  X: 'X11 forwarding is not supported',
  Y: 'X11 forwarding is not supported',
  W: 'stdio forwarding (-W) is not supported; use -L',
  w: 'tun/tap forwarding (-w) is not supported',
  s: 'subsystems are not supported',
  S: 'connection sharing (-S) is not supported',
  O: 'multiplexing control (-O) is not supported',
  M: 'connection sharing (-M) is not supported',
  I: 'PKCS#11 tokens are not supported',
  Q: 'queries (-Q) are not supported',
  G: 'printing the configuration (-G) is not supported',
  V: 'printing the version (-V) is not supported',
  B: 'choosing the local interface (-B) is not supported yet',
  P: 'tags (-P) are not supported',
};

const MAX_ARGS = 1024;
const MAX_ARG_LENGTH = 8192;

function isSshProgram(arg: string): 'ssh' | 'autossh' | null {
  const base = arg.split(/[\\/]/).pop() ?? '';
  if (base === 'ssh' || base === 'ssh.exe') return 'ssh';
  if (base === 'autossh' || base === 'autossh.exe') return 'autossh';
  return null;
}

/** autossh [-V] [-M port[:echo_port]] [-f] [ssh options]: strips autossh's own options. */
function stripAutosshOptions(args: string[], warnings: string[]): string[] {
  const rest = [...args];
  while (rest.length > 0) {
    const arg = rest[0]!;
    if (arg === '-f') {
      rest.shift();
    } else if (arg === '-V') {
      throw new TunnelError('UNSUPPORTED_OPTION', 'autossh -V (print version) is not supported');
    } else if (arg.startsWith('-M')) {
      rest.shift();
      const value = arg.length > 2 ? arg.slice(2) : rest.shift();
      if (value === undefined) throw new TunnelError('BAD_ARGUMENT', 'autossh -M needs a port (use -M 0)');
      if (!/^\d+(:\d+)?$/.test(value)) throw new TunnelError('BAD_PORT', `autossh -M '${printable(value)}' is not a port`);
      if (Number(value.split(':')[0]) !== 0) {
        warnings.push(`autossh monitoring port -M ${value} is not used: tunnelvision detects dead links with keepalives`);
      }
    } else break;
  }
  return rest;
}

/**
 * Parses an `ssh` or `autossh` command line into a profile, with OpenSSH's rules: getopt
 * clusters (-fNT, -L8080:h:80), options before and after the destination, first value wins
 * for single-valued options, forwards and identities accumulate.
 */
export function parseSshCommand(argv: readonly string[], options: ParseOptions = {}): ParsedCommand {
  if (argv.length === 0) throw new TunnelError('NOT_SSH_COMMAND', 'no command given: expected an ssh command line');
  if (argv.length > MAX_ARGS) throw new TunnelError('BAD_ARGUMENT', 'the command line has too many arguments');
  for (const a of argv) {
    if (a.length > MAX_ARG_LENGTH) throw new TunnelError('BAD_ARGUMENT', 'an argument is too long');
  }
  const warnings: string[] = [];
  let verbosity = 0;
  let args: string[];
  const program = isSshProgram(argv[0]!);
  if (program === 'autossh') args = stripAutosshOptions(argv.slice(1), warnings);
  else if (program === 'ssh') args = argv.slice(1);
  else if (argv[0]!.startsWith('-')) args = [...argv];
  else {
    throw new TunnelError('NOT_SSH_COMMAND', `'${printable(argv[0]!)}' is not ssh: expected a command starting with ssh or autossh`);
  }

  const profile = defaultProfile('placeholder');
  const state: OptionState = { profile, set: new Set(), warnings };
  const forwards: Forward[] = [];
  let jumps: JumpHost[] | null = null;
  let destination: string | null = null;
  let userFlag: string | null = null;
  let portFlag: number | null = null;
  const commandWords: string[] = [];
  let configFile: string | null = null;

  let i = 0;
  let optionsEnded = false;
  while (i < args.length) {
    const arg = args[i]!;
    if (!optionsEnded && arg === '--') {
      optionsEnded = true;
      i++;
      continue;
    }
    if (optionsEnded || !arg.startsWith('-') || arg === '-') {
      if (destination === null) {
        destination = arg;
        i++;
        // ssh(1) restarts option parsing after the destination unless "--" came first.
        continue;
      }
      commandWords.push(...args.slice(i));
      break;
    }
    // A getopt cluster: -fNTL8080:host:80
    let j = 1;
    while (j < arg.length) {
      const letter = arg[j]!;
      const takesArg = SSH_OPTIONS.get(letter);
      if (takesArg === undefined) {
        throw new TunnelError('BAD_OPTION', `unknown option -${printable(letter)}`);
      }
      let value: string | undefined;
      if (takesArg) {
        if (j + 1 < arg.length) value = arg.slice(j + 1);
        else {
          i++;
          value = args[i];
          if (value === undefined) throw new TunnelError('BAD_ARGUMENT', `option -${letter} needs an argument`);
        }
        j = arg.length;
      } else j++;

      switch (letter) {
        case 'v':
          verbosity++;
          break;
        case 'L':
          forwards.push(parseForwardSpec('local', value!));
          break;
        case 'R':
          forwards.push(parseForwardSpec('remote', value!));
          break;
        case 'D':
          forwards.push(parseForwardSpec('dynamic', value!));
          break;
        case 'i':
          profile.identityFiles.push(value!);
          break;
        case 'l':
          userFlag ??= value!;
          break;
        case 'p':
          portFlag ??= parseConnectPort(value!, '-p');
          break;
        case 'J':
          if (jumps !== null) throw new TunnelError('BAD_ARGUMENT', 'only one -J option is permitted (use a,b,c for a chain)');
          jumps = parseJumpSpec(value!);
          break;
        case 'o': {
          const { key, value: v } = splitOption(value!);
          applyOption(state, key, v);
          break;
        }
        case 'b':
          applyOption(state, 'BindAddress', value!);
          break;
        case 'c':
          applyOption(state, 'Ciphers', value!);
          break;
        case 'm':
          applyOption(state, 'MACs', value!);
          break;
        case 'g':
          // As in ssh(1), -g sets GatewayPorts whatever -o says, before or after it.
          profile.gatewayPorts = true;
          state.set.add('gatewayports');
          break;
        case 'F':
          configFile ??= value!;
          break;
        case 'A':
          profile.forwardAgent = true;
          state.set.add('forwardagent');
          break;
        case 'C':
          profile.compression = true;
          state.set.add('compression');
          break;
        case '4':
          profile.addressFamily = 'inet';
          state.set.add('addressfamily');
          break;
        case '6':
          profile.addressFamily = 'inet6';
          state.set.add('addressfamily');
          break;
        case 'E':
        case 'e':
          warnings.push(`option -${letter} has no effect in tunnelvision and was ignored`);
          break;
        default: {
          if (HARMLESS_FLAGS.has(letter)) break;
          const why = UNSUPPORTED_FLAGS[letter];
          throw new TunnelError('UNSUPPORTED_OPTION', `option -${letter} is not supported: ${why ?? 'not implemented'}`);
        }
      }
    }
    i++;
  }

  if (destination === null) throw new TunnelError('BAD_ARGUMENT', 'no destination host given');
  const dest = parseDestination(destination);
  if (commandWords.length > 0) {
    warnings.push(`the remote command '${printable(commandWords.join(' '))}' is not run: tunnelvision only forwards`);
  }

  if (options.sshConfig && configFile?.toLowerCase() !== 'none') {
    // ssh(1) reads the config after the command line, for what the command line left unset;
    // -J or a ProxyCommand on the command line rules out the other from the file.
    if (jumps !== null || state.set.has('proxyjump') || state.set.has('proxycommand')) {
      state.set.add('proxyjump');
      state.set.add('proxycommand');
    }
    const config = options.sshConfig(configFile);
    config.applyTo(dest.host, state, userFlag ?? dest.user);
    profile.jumps = config.resolveJumps(profile.jumps);
    if (jumps !== null) jumps = config.resolveJumps(jumps);
  }

  // OpenSSH keeps whichever of -l, user@host and -o User it met first; we rank them flag,
  // destination, -o, which agrees with it for every ordering people actually write.
  profile.user = userFlag ?? dest.user ?? (state.set.has('user') ? profile.user : null);
  profile.port = portFlag ?? dest.port ?? profile.port;
  if (!state.set.has('hostname')) profile.host = dest.host;
  if (jumps !== null) profile.jumps = jumps;
  profile.forwards = [...forwards, ...profile.forwards];
  if (profile.jumps.length > 0 && profile.proxyCommand !== null) {
    throw new TunnelError('BAD_ARGUMENT', 'ProxyJump (-J) and ProxyCommand cannot both be used');
  }
  return { profile, warnings, verbosity };
}
