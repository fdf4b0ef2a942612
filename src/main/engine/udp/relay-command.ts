import { shellQuote } from '../../openssh/export.js';
import { PERL_RELAY, PYTHON_RELAY } from './relay-programs.js';

export type RelayInterpreter = 'perl' | 'python3';
export const RELAY_INTERPRETERS: readonly RelayInterpreter[] = ['perl', 'python3'];

/** Exit status of the wrapper when no interpreter fits; the message on stderr says which were tried. */
export const NO_INTERPRETER_EXIT = 127;

export interface RelayArgs {
  mode: 'L' | 'R';
  /** L: the target host as given (resolved on the server). R: the bind host ("localhost", "*", an address). */
  host: string;
  port: number;
  idleSeconds: number;
  maxFlows: number;
  outQueueBytes: number;
}

function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/**
 * The exec command that starts the relay. The program travels hex-encoded inside the command
 * line, so it needs no file on the server and contains nothing any login shell (sh, bash, zsh,
 * fish, csh) would interpret — no quotes, no newlines, no `$`. The POSIX part (interpreter choice,
 * raising the descriptor limit for many flows) runs in an explicit /bin/sh, whatever the
 * account's shell is. Each interpreter is checked for the modules the program needs before it is
 * chosen, so a minimal perl falls through to python3.
 */
export function relayCommand(args: RelayArgs, interpreters: readonly RelayInterpreter[] = RELAY_INTERPRETERS): string {
  const argv = [args.mode, args.host, String(args.port), String(args.idleSeconds), String(args.maxFlows), String(args.outQueueBytes)]
    .map(shellQuote)
    .join(' ');
  const tries = interpreters.map((name) =>
    name === 'perl'
      ? `if perl -MIO::Poll -MTime::HiRes -MSocket -e 1 >/dev/null 2>&1; then exec perl -e 'eval pack("H*","${hex(PERL_RELAY)}");die $@ if $@' -- ${argv}; fi`
      : `if python3 -c 'import selectors' >/dev/null 2>&1; then exec python3 -c 'exec(bytes.fromhex("${hex(PYTHON_RELAY)}"))' ${argv}; fi`,
  );
  const script = [
    'ulimit -n "$(ulimit -Hn)" 2>/dev/null',
    ...tries,
    `echo "tvudp: no usable ${interpreters.join(' or ')} on the server" >&2`,
    `exit ${NO_INTERPRETER_EXIT}`,
  ].join('; ');
  return `exec /bin/sh -c ${shellQuote(script)}`;
}
