import { TunnelError } from '../../shared/errors.js';
import { PROFILES_FILE_VERSION } from '../../shared/saved-profile.js';

type Json = Record<string, unknown>;

/**
 * Each step takes the file at version N to N+1. Steps only add or rename; the zod schema then
 * validates the result, so a step need not repeat validation.
 */
const STEPS: Record<number, (file: Json) => Json> = {
  // v1 → v2: lazy tunnels and health probes arrived (lazy, idleTimeout, probeInterval).
  1: (file) => ({
    ...file,
    version: 2,
    profiles: (Array.isArray(file.profiles) ? file.profiles : []).map((p: unknown) =>
      typeof p === 'object' && p !== null ? { lazy: false, idleTimeout: 300, probeInterval: null, ...(p as Json) } : p,
    ),
  }),
  // v2 → v3: the destination as typed (re-resolved through ssh_config at connect time),
  // GlobalKnownHostsFile and HashKnownHosts. Older profiles hold resolved values only: they keep
  // connecting exactly as before (typed: null).
  2: (file) => ({
    ...file,
    version: 3,
    profiles: (Array.isArray(file.profiles) ? file.profiles : []).map((p: unknown) =>
      typeof p === 'object' && p !== null ? { globalKnownHostsFiles: [], hashKnownHosts: false, typed: null, ...(p as Json) } : p,
    ),
  }),
  // v3 → v4: forwards got a protocol (UDP forwards arrived). Every -L/-R written before was TCP;
  // saying so keeps the file unambiguous, and an older Tunnelvision refuses a v4 file cleanly
  // (PROFILES_TOO_NEW) instead of failing on a UDP forward it cannot read.
  3: (file) => ({
    ...file,
    version: 4,
    profiles: (Array.isArray(file.profiles) ? file.profiles : []).map((p: unknown) => {
      if (typeof p !== 'object' || p === null || !Array.isArray((p as Json).forwards)) return p;
      const forwards = ((p as Json).forwards as unknown[]).map((f) => {
        if (typeof f !== 'object' || f === null) return f;
        const kind = (f as Json).kind;
        return (kind === 'local' || kind === 'remote') && !('protocol' in f) ? { ...(f as Json), protocol: 'tcp' } : f;
      });
      return { ...(p as Json), forwards };
    }),
  }),
};

export function migrate(file: Json, path: string): { file: Json; migratedFrom: number | null } {
  const version = file.version;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new TunnelError('PROFILES_INVALID', `${path}: "version" is missing or not a version number`);
  }
  if (version > PROFILES_FILE_VERSION) {
    throw new TunnelError(
      'PROFILES_TOO_NEW',
      `${path} was written by a newer Tunnelvision (file version ${version}, this one reads up to ${PROFILES_FILE_VERSION}); it was left untouched`,
    );
  }
  let current = file;
  for (let v = version; v < PROFILES_FILE_VERSION; v++) current = STEPS[v]!(current);
  return { file: current, migratedFrom: version === PROFILES_FILE_VERSION ? null : version };
}
