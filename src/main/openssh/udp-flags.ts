import { TunnelError } from '../../shared/errors.js';
import type { Profile, UdpForward } from '../../shared/profile.js';
import { parseUdpForwardSpec } from './forward-spec.js';

/** Flags of our own for UDP forwards, which an ssh command line cannot express. */
export const UDP_FLAGS = ['--udp-local', '--udp-remote', '--udp-idle-timeout', '--udp-max-flows'] as const;

function countFlag(flag: string, value: string | undefined, min: number, max: number): number {
  if (value === undefined || !/^\d{1,6}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new TunnelError('BAD_ARGUMENT', `${flag} needs a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

/** Collects --udp-* flags in order; --udp-idle-timeout and --udp-max-flows apply to every UDP forward. */
export class UdpFlags {
  private readonly forwards: UdpForward[] = [];
  private idle: number | null = null;
  private maxFlows: number | null = null;

  take(name: string, value: string | undefined): void {
    if (name === '--udp-local' || name === '--udp-remote') {
      if (value === undefined || value === '--') throw new TunnelError('BAD_ARGUMENT', `${name} needs [bind_address:]port:host:hostport`);
      this.forwards.push(parseUdpForwardSpec(name === '--udp-local' ? 'local' : 'remote', value));
    } else if (name === '--udp-idle-timeout') this.idle = countFlag(name, value, 0, 86400);
    else if (name === '--udp-max-flows') this.maxFlows = countFlag(name, value, 1, 65536);
    else throw new TunnelError('BAD_ARGUMENT', `unknown flag ${name}`);
  }

  finish(): UdpForward[] {
    if ((this.idle !== null || this.maxFlows !== null) && this.forwards.length === 0) {
      throw new TunnelError('BAD_ARGUMENT', '--udp-idle-timeout and --udp-max-flows need a --udp-local or --udp-remote forward');
    }
    for (const f of this.forwards) {
      if (this.idle !== null) f.flowIdleTimeout = this.idle;
      if (this.maxFlows !== null) f.maxFlows = this.maxFlows;
    }
    return this.forwards;
  }

  /** Takes every --udp-* flag (and its value) out of `args`. */
  static extract(args: string[]): UdpForward[] {
    const flags = new UdpFlags();
    for (let i = 0; i < args.length; ) {
      if ((UDP_FLAGS as readonly string[]).includes(args[i]!)) {
        flags.take(args[i]!, args[i + 1]);
        args.splice(i, 2);
      } else i++;
    }
    return flags.finish();
  }
}

/** UDP forwards go after the command line's own -L/-R/-D, in the order given. */
export function addUdpForwards(profile: Profile, udp: UdpForward[]): void {
  profile.forwards = [...profile.forwards, ...udp];
}
