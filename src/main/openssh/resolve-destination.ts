import { defaultProfile, type Profile } from '../../shared/profile.js';
import { finishHost, loadSshConfig, type SshConfigView } from './config-view.js';
import { assertNoJumpLoop, resolveJumpChain } from './jump-chain.js';
import { markProxySet, newOptionState, setProxyJump } from './options.js';

export interface ResolvedDestination {
  profile: Profile;
  warnings: string[];
}

/**
 * A profile's destination resolved through ssh_config now, as `ssh` does at every run: the
 * destination and jump hosts as the user typed them (`profile.typed`), the command line's own
 * values first, then ~/.ssh/config and the system file (or the -F file). So an edit of
 * ~/.ssh/config (a new HostName, Port, User or ProxyJump for the alias or for a jump host)
 * reaches a saved tunnel at its next connect. Only where the destination is and how it is
 * reached is refreshed; every other option keeps the value saved with the profile.
 * A profile without `typed` (or one parsed with `-F none`) is returned unchanged.
 */
export function resolveDestination(profile: Profile, load: (path: string | null) => SshConfigView = loadSshConfig): ResolvedDestination {
  const typed = profile.typed;
  if (typed === null || typed.configFile?.toLowerCase() === 'none') return { profile, warnings: [] };
  const state = newOptionState(defaultProfile(typed.host));
  const p = state.profile;
  if (typed.hostName !== null) {
    p.host = typed.hostName;
    state.set.add('hostname');
  }
  if (typed.user !== null) {
    p.user = typed.user;
    state.set.add('user');
  }
  if (typed.port !== null) {
    p.port = typed.port;
    state.set.add('port');
  }
  if (typed.jumps !== null) setProxyJump(state, typed.jumps);
  // A saved ProxyCommand is kept as it is: the file's ProxyJump or ProxyCommand cannot replace it.
  if (profile.proxyCommand !== null) markProxySet(state);
  const view = load(typed.configFile);
  view.applyTo(typed.host, state);
  finishHost(state, typed.host);
  let jumps = profile.proxyCommand !== null ? [] : p.jumps;
  if (profile.proxyCommand === null && state.typedJumps !== null && state.typedJumps.length > 0) {
    assertNoJumpLoop(state.typedJumps.at(-1)!, p);
    jumps = resolveJumpChain(state.typedJumps, view, state.warnings);
  }
  return { profile: { ...profile, host: p.host, user: p.user, port: p.port, jumps }, warnings: state.warnings };
}
