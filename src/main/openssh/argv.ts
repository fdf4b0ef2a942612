import { resolve as resolvePath } from 'node:path';
import { TunnelError } from '../../shared/errors.js';
import { defaultProfile, type Profile } from '../../shared/profile.js';
import { parseForwardSpec } from './forward-spec.js';
import { parseDestination, parseTypedJumpSpec, type Destination } from './destination.js';
import { finishHost, type SshConfigView } from './config-view.js';
import { assertNoJumpLoop, resolveJumpChain } from './jump-chain.js';
import { addForward, addIdentityFile, applyOption, newOptionState, setProxyJump, splitOption } from './options.js';
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

function checkMonitorPort(value: string | undefined, warnings: string[]): void {
  if (value === undefined) throw new TunnelError('BAD_ARGUMENT', 'autossh -M needs a port (use -M 0)');
  if (!/^\d+(:\d+)?$/.test(value)) throw new TunnelError('BAD_PORT', `autossh -M '${printable(value)}' is not a port`);
  if (Number(value.split(':')[0]) !== 0) {
    warnings.push(`autossh monitoring port -M ${value} is not used: tunnelvision detects dead links with keepalives`);
  }
}

/**
 * autossh [-V] [-M port[:echo_port]] [-f] [ssh options] destination: autossh reads its own -M
 * and -f with getopt, which on glibc permutes, so they are taken wherever they stand before a
 * `--` — among the options, after the destination, even among the remote command's words
 * (checked with AUTOSSH_PATH=/bin/echo) — and everything else goes on to ssh in order.
 * A cluster holding M (`-NM0`) is split here; autossh itself would pass the word on to ssh,
 * which would read that M as its own -M and fail.
 */
function stripAutosshOptions(args: string[], warnings: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') break;
    if (!arg.startsWith('-') || arg === '-') {
      out.push(arg);
      continue;
    }
    let kept = '-';
    for (let j = 1; j < arg.length; j++) {
      const letter = arg[j]!;
      if (letter === 'V') throw new TunnelError('UNSUPPORTED_OPTION', 'autossh -V (print version) is not supported');
      if (letter === 'f') continue;
      if (letter === 'M') {
        checkMonitorPort(j + 1 < arg.length ? arg.slice(j + 1) : args[++i], warnings);
        break;
      }
      kept += letter;
      if (SSH_OPTIONS.get(letter) === true) {
        if (j + 1 < arg.length) kept += arg.slice(j + 1);
        else if (i + 1 < args.length) {
          out.push(kept);
          kept = '-';
          out.push(args[++i]!);
        }
        break;
      }
    }
    if (kept !== '-') out.push(kept);
  }
  return [...out, ...args.slice(i)];
}

/**
 * Parses an `ssh` or `autossh` command line into a profile, with OpenSSH's rules (ssh.c):
 * getopt clusters (-fNT, -L8080:h:80), options before and after the destination, and each
 * option's own precedence — -p, -l, user@, -J and every -o keep the first value obtained;
 * -g, -C, -4/-6, -b, -c, -m and -F set their value whenever they appear (the last one wins,
 * over -o too); forwards and identities accumulate. Then ssh_config fills what is left, and
 * jump hops are resolved through it as destinations of their own.
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
  const state = newOptionState(profile, warnings);
  const set = state.set;
  /** A flag that sets its option whatever came before (ssh.c assigns it unconditionally). */
  const override = (key: string, apply: () => void): void => {
    apply();
    set.add(key);
  };
  let destination: Destination | null = null;
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
        destination = parseDestination(arg);
        // The destination's user and port count where they stand: first value wins.
        if (destination.user !== null && !set.has('user')) override('user', () => (profile.user = destination!.user));
        if (destination.port !== null && !set.has('port')) override('port', () => (profile.port = destination!.port!));
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
      let value = '';
      if (takesArg) {
        if (j + 1 < arg.length) value = arg.slice(j + 1);
        else {
          i++;
          const next = args[i];
          if (next === undefined) throw new TunnelError('BAD_ARGUMENT', `option -${letter} needs an argument`);
          value = next;
        }
        j = arg.length;
      } else j++;

      switch (letter) {
        case 'v':
          verbosity++;
          break;
        case 'L':
          addForward(profile, parseForwardSpec('local', value));
          break;
        case 'R':
          addForward(profile, parseForwardSpec('remote', value));
          break;
        case 'D':
          addForward(profile, parseForwardSpec('dynamic', value));
          break;
        case 'i':
          addIdentityFile(state, value, 'flag');
          break;
        case 'l':
          if (!set.has('user')) override('user', () => (profile.user = value));
          break;
        case 'p':
          // ssh.c checks the port only when it takes it.
          if (!set.has('port')) override('port', () => (profile.port = parseConnectPort(value, '-p')));
          break;
        case 'J': {
          if (set.has('proxyjump')) throw new TunnelError('BAD_ARGUMENT', 'only one -J option is permitted (use a,b,c for a chain)');
          if (set.has('proxycommand')) throw new TunnelError('BAD_ARGUMENT', 'cannot use -J together with a ProxyCommand');
          setProxyJump(state, parseTypedJumpSpec(value));
          break;
        }
        case 'o': {
          const { key, value: v } = splitOption(value);
          applyOption(state, key, v);
          break;
        }
        case 'b':
          set.delete('bindaddress');
          applyOption(state, 'BindAddress', value);
          break;
        case 'c':
          set.delete('ciphers');
          applyOption(state, 'Ciphers', value);
          break;
        case 'm':
          set.delete('macs');
          applyOption(state, 'MACs', value);
          break;
        case 'g':
          override('gatewayports', () => (profile.gatewayPorts = true));
          break;
        case 'F':
          configFile = value;
          break;
        case 'A':
          override('forwardagent', () => (profile.forwardAgent = true));
          break;
        case 'C':
          override('compression', () => (profile.compression = true));
          break;
        case '4':
          override('addressfamily', () => (profile.addressFamily = 'inet'));
          break;
        case '6':
          override('addressfamily', () => (profile.addressFamily = 'inet6'));
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
  if (commandWords.length > 0) {
    warnings.push(`the remote command '${printable(commandWords.join(' '))}' is not run: tunnelvision only forwards`);
  }

  const useConfig = options.sshConfig !== undefined && configFile?.toLowerCase() !== 'none';
  // What the user wrote, before ssh_config: saved profiles resolve it again at connect time.
  if (useConfig) {
    profile.typed = {
      host: destination.host,
      hostName: set.has('hostname') ? profile.host : null,
      user: set.has('user') ? profile.user : null,
      port: set.has('port') ? profile.port : null,
      jumps: state.typedJumps,
      // Absolute, so a saved profile finds the same file whatever directory it is started from.
      configFile: configFile === null ? null : resolvePath(configFile),
    };
  }
  const view = useConfig ? options.sshConfig!(configFile) : null;
  // ssh(1) reads the config after the command line, for what the command line left unset.
  view?.applyTo(destination.host, state);
  finishHost(state, destination.host);
  if (state.typedJumps !== null && state.typedJumps.length > 0) {
    assertNoJumpLoop(state.typedJumps.at(-1)!, profile);
    profile.jumps = resolveJumpChain(state.typedJumps, view, warnings);
  }
  if (profile.jumps.length > 0) profile.proxyCommand = null;
  return { profile, warnings, verbosity };
}
