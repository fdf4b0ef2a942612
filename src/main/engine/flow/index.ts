import { TunnelError } from '../../../shared/errors.js';
import { FlowControl, parseByteSize, type FlowSettings } from './flow-control.js';

export { FlowControl, parseByteSize, DEFAULT_BUDGET, DEFAULT_MAX_WINDOW, type ChannelFlow, type ChannelFlowStats, type FlowSettings } from './flow-control.js';
export type { FlowPath } from './window-tuner.js';

/** The process-wide flow control: one budget for every tunnel in this process. */
export const processFlow = new FlowControl();

const ENV = { maxWindow: 'TUNNELVISION_MAX_WINDOW', budget: 'TUNNELVISION_WINDOW_BUDGET' } as const;

/**
 * Reads TUNNELVISION_MAX_WINDOW and TUNNELVISION_WINDOW_BUDGET ("15M", "512M", bytes) into the
 * process-wide flow control. Throws BAD_ARGUMENT naming the variable for a value that is not a size.
 */
export function configureFlowFromEnv(env: NodeJS.ProcessEnv, flow: FlowControl = processFlow): FlowSettings {
  const settings: Partial<FlowSettings> = {};
  for (const key of ['maxWindow', 'budget'] as const) {
    const raw = env[ENV[key]];
    if (raw === undefined || raw === '') continue;
    const bytes = parseByteSize(raw);
    if (bytes === null || bytes > 0xffff_ffff * 64) {
      throw new TunnelError('BAD_ARGUMENT', `${ENV[key]}=${JSON.stringify(raw.slice(0, 40))} is not a size (examples: 15M, 512M, 1G)`);
    }
    if (key === 'maxWindow' && bytes > 0xffff_ffff) throw new TunnelError('BAD_ARGUMENT', `${ENV[key]}: an SSH window is at most 4 GiB - 1`);
    settings[key] = bytes;
  }
  flow.configure(settings);
  return flow.settings;
}
