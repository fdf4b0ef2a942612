import type { TunnelState } from '../../shared/tunnel.js';

const WORDS: Record<TunnelState, string> = {
  stopped: 'Stopped',
  connecting: 'Connecting…',
  up: 'Up',
  degraded: 'Degraded',
  reconnecting: 'Reconnecting…',
  failed: 'Failed',
};
const SYMBOL: Record<TunnelState, string> = { stopped: '○', connecting: '◔', up: '●', degraded: '◐', reconnecting: '◔', failed: '✕' };

/** State in words and a symbol as well as colour, never colour alone. */
export function StateBadge({ state }: { state: TunnelState }) {
  return (
    <span className={`state state-${state}`} data-state={state}>
      <span aria-hidden="true">{SYMBOL[state]}</span> {WORDS[state]}
    </span>
  );
}
