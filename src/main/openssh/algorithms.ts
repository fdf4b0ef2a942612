import { createRequire } from 'node:module';
import { TunnelError } from '../../shared/errors.js';
import { AlgorithmListSchema } from '../../shared/profile.js';
import { globToRegExp } from './glob.js';
import { printable } from './hostnames.js';

/** The ssh_config options that choose algorithms, and ssh2's name for each list. */
export const ALGORITHM_OPTIONS = {
  Ciphers: 'cipher',
  MACs: 'hmac',
  KexAlgorithms: 'kex',
} as const;
export type AlgorithmOption = keyof typeof ALGORITHM_OPTIONS;
type Ssh2List = (typeof ALGORITHM_OPTIONS)[AlgorithmOption];

interface Ssh2Constants {
  SUPPORTED_CIPHER: string[];
  SUPPORTED_MAC: string[];
  SUPPORTED_KEX: string[];
}

/**
 * What the engine can negotiate: ssh2's own lists (they depend on the OpenSSL it runs on), so
 * a name we accept is one ssh2 will not reject at connect time.
 */
function supported(): Record<Ssh2List, readonly string[]> {
  const constants = createRequire(import.meta.url)('ssh2/lib/protocol/constants.js') as Ssh2Constants;
  return { cipher: constants.SUPPORTED_CIPHER, hmac: constants.SUPPORTED_MAC, kex: constants.SUPPORTED_KEX };
}
let cached: Record<Ssh2List, readonly string[]> | null = null;
export function supportedAlgorithms(option: AlgorithmOption): readonly string[] {
  cached ??= supported();
  return cached[ALGORITHM_OPTIONS[option]];
}

/**
 * Checks an OpenSSH algorithm list — `a,b` (exactly these), `+a` (append to the defaults),
 * `-a*` (remove, patterns allowed), `^a` (put first) — against what the engine supports.
 * Returns it trimmed; the profile stores OpenSSH's own syntax so it exports unchanged.
 */
export function parseAlgorithmList(option: AlgorithmOption, value: string): string {
  const spec = value.trim();
  const modifier = /^[+\-^]/.test(spec) ? spec[0]! : '';
  const names = spec.slice(modifier.length).split(',');
  const known = supportedAlgorithms(option);
  if (!AlgorithmListSchema.safeParse(spec).success) {
    throw new TunnelError('BAD_OPTION', `${option}: '${printable(spec)}' is not a comma-separated list of algorithm names`);
  }
  for (const name of names) {
    const ok = modifier === '-' ? known.some((k) => globToRegExp(name).test(k)) || /[*?]/.test(name) : known.includes(name);
    if (!ok) {
      throw new TunnelError('BAD_OPTION', `${option}: '${printable(name)}' is not supported here (supported: ${known.join(', ')})`);
    }
  }
  if (modifier === '-' && known.every((k) => names.some((n) => globToRegExp(n).test(k)))) {
    throw new TunnelError('BAD_OPTION', `${option}: '${printable(spec)}' removes every algorithm`);
  }
  return spec;
}

/** The same list in ssh2's terms: an exact array, or append/prepend/remove on its defaults. */
export function toSsh2AlgorithmList(option: AlgorithmOption, spec: string): string[] | { append: string[] } | { prepend: string[] } | { remove: string[] } {
  const modifier = /^[+\-^]/.test(spec) ? spec[0]! : '';
  const names = spec.slice(modifier.length).split(',');
  if (modifier === '+') return { append: names };
  if (modifier === '^') return { prepend: names };
  if (modifier === '-') {
    const known = supportedAlgorithms(option);
    return { remove: known.filter((k) => names.some((n) => globToRegExp(n).test(k))) };
  }
  return names;
}
