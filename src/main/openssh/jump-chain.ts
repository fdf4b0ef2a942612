import { TunnelError } from '../../shared/errors.js';
import { defaultProfile, type JumpHost } from '../../shared/profile.js';
import { localUserName } from '../engine/paths.js';
import { finishHost, type SshConfigView } from './config-view.js';
import type { TypedJumpHost } from './destination.js';
import { printable } from './hostnames.js';
import { markProxySet, newOptionState } from './options.js';

/**
 * ssh.c refuses a chain whose last hop, as written, is the destination itself (same name after
 * HostName, same port, same user): "jumphost loop via …".
 */
export function assertNoJumpLoop(last: TypedJumpHost, target: { host: string; user: string | null; port: number }): void {
  const me = localUserName();
  if (last.host === target.host && (last.port ?? 22) === target.port && (last.user ?? target.user ?? me) === (target.user ?? me)) {
    throw new TunnelError('BAD_HOST', `jump host loop: ${printable(last.host)} is the destination itself`);
  }
}

/** The most hops a chain may have once every hop's own ProxyJump is followed. */
const MAX_HOPS = 16;

/**
 * Jump hops as ssh(1) reaches them: each hop is a destination of its own (`ssh -l user -p port
 * [-J earlier,hops] hop -W …`), so `Host *`, patterns, `Match`, `%h` in HostName, User and
 * Port apply to it. Only the first hop's own ProxyJump counts (the later ones are reached
 * with -J, which overrides it), and it extends the chain in front.
 */
export function resolveJumpChain(hops: TypedJumpHost[], view: SshConfigView | null, warnings: string[], depth = 0): JumpHost[] {
  if (depth > MAX_HOPS) throw new TunnelError('BAD_HOST', 'ProxyJump: the jump hosts lead back to each other (a ProxyJump loop)');
  const chain = hops.flatMap((hop, i) => {
    const state = newOptionState(defaultProfile(hop.host));
    if (hop.user !== null) {
      state.profile.user = hop.user;
      state.set.add('user');
    }
    if (hop.port !== null) {
      state.profile.port = hop.port;
      state.set.add('port');
    }
    if (i > 0) markProxySet(state);
    view?.applyTo(hop.host, state);
    for (const w of state.warnings) if (!warnings.includes(w)) warnings.push(w);
    finishHost(state, hop.host);
    const p = state.profile;
    if (p.proxyCommand !== null) {
      throw new TunnelError('UNSUPPORTED_OPTION', `jump host ${printable(hop.host)} is reached through a ProxyCommand, which is not supported for jump hosts`);
    }
    const earlier = i > 0 ? hops[i - 1]! : state.typedJumps?.at(-1);
    if (earlier !== undefined) assertNoJumpLoop(earlier, p);
    const before = i === 0 && state.typedJumps !== null ? resolveJumpChain(state.typedJumps, view, warnings, depth + 1) : [];
    return [...before, { host: p.host, user: p.user, port: p.port }];
  });
  if (chain.length > MAX_HOPS) throw new TunnelError('BAD_HOST', `ProxyJump: more than ${MAX_HOPS} jump hosts`);
  return chain;
}

