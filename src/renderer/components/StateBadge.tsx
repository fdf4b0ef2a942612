import type { TunnelState } from '../../shared/tunnel.js';

const WORDS: Record<TunnelState, string> = {
  stopped: 'Stopped',
  connecting: 'Connecting…',
  up: 'Up',
  degraded: 'Degraded',
  reconnecting: 'Reconnecting',
  failed: 'Failed',
};
const SYMBOL: Record<TunnelState, string> = { stopped: '○', connecting: '◔', up: '●', degraded: '◐', reconnecting: '◔', failed: '✕' };

/**
 * State in words and a symbol as well as colour, never colour alone. `unknown` is for when the
 * page cannot hear the engine: then no tunnel is claimed to be anything.
 */
export function StateBadge({ state, unknown = false, label }: { state: TunnelState; unknown?: boolean; label?: string }) {
  if (unknown) {
    return (
      <span className="state state-unknown" data-state="unknown">
        <span aria-hidden="true">?</span> Unknown
      </span>
    );
  }
  return (
    <span className={`state state-${state}`} data-state={state}>
      <span aria-hidden="true">{SYMBOL[state]}</span> {label ?? WORDS[state]}
    </span>
  );
}
