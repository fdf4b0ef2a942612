/**
 * The WAN section alone (`npx tsx bench/wan-only.ts`, after `npm run build`), and the window-size
 * experiment: BENCH_WAN_WINDOWS=8M,15M,16M,32M runs one Tunnelvision per maximum window instead of
 * OpenSSH vs Tunnelvision (OpenSSH is kept as the first column for the ratios).
 */
import { makeClientKeys, Sshd } from '../test/helpers/sshd.js';
import { formatWan, runWan, wanSettingsFromEnv, type WanFigure } from './wan.js';

const { rtts, bytes, rounds } = wanSettingsFromEnv();
const windows = process.env.BENCH_WAN_WINDOWS?.split(',');
const figures = process.env.BENCH_WAN_FIGURES?.split(',').map((f) => f.replace('_', ' ')) as WanFigure[] | undefined;

const keys = await makeClientKeys();
const sshd = await Sshd.start({ authorizedKeys: keys.authorizedKeys, config: ['LogLevel ERROR'] });
const clients = windows
  ? [{ name: 'openssh', openssh: true }, ...windows.map((w) => ({ name: `tv max ${w}`, env: { TUNNELVISION_MAX_WINDOW: w } }))]
  : undefined;
const results = await runWan({ sshd, keys, rtts, bytes, rounds, ...(clients ? { clients } : {}), ...(figures ? { figures } : {}) });
console.log(formatWan(results, bytes, rounds));
await sshd.dispose();
process.exit(0);
