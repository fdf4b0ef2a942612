/**
 * Stable error codes. Scripts, the UI and tests match on these, never on message text,
 * so a code once published keeps its meaning.
 */
export const ERROR_CODES = [
  // input
  'BAD_ARGUMENT',
  'BAD_FORWARD_SPEC',
  'BAD_PORT',
  'BAD_HOST',
  'BAD_OPTION',
  'UNSUPPORTED_OPTION',
  'NOT_SSH_COMMAND',
  // connection
  'DNS_FAILED',
  'CONNECT_FAILED',
  'TIMEOUT',
  'KEEPALIVE_TIMEOUT',
  'CONNECTION_LOST',
  'PROXY_COMMAND_FAILED',
  'JUMP_FAILED',
  'PROTOCOL_ERROR',
  /** The server and the chosen Ciphers/MACs/KexAlgorithms (or host key types) have nothing in common. */
  'ALGORITHM_MISMATCH',
  // host keys
  'HOST_KEY_UNKNOWN',
  'HOST_KEY_MISMATCH',
  'HOST_KEY_REVOKED',
  'HOST_CERT_UNSUPPORTED',
  'HOST_KEY_REJECTED',
  // authentication
  'AUTH_FAILED',
  'KEY_UNREADABLE',
  // forwards
  'FORWARD_BIND_FAILED',
  'REMOTE_FORWARD_REFUSED',
  'CHANNEL_OPEN_FAILED',
  /** The server cannot run the UDP relay: no command execution (ForceCommand, a command= key, a non-shell account) or no perl/python3. */
  'UDP_RELAY_UNAVAILABLE',
  // saved profiles and secrets
  'PROFILES_CORRUPT',
  'PROFILES_INVALID',
  'PROFILES_TOO_NEW',
  'PROFILE_NOT_FOUND',
  'PROFILE_EXISTS',
  'STORE_BUSY',
  'STORE_CONFLICT',
  'STORE_WRITE_FAILED',
  'STORE_UNSAFE',
  'KEYCHAIN_UNAVAILABLE',
  'SSH_CONFIG_UNREADABLE',
  'SSH_CONFIG_TOO_LARGE',
  // misc
  'CANCELLED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** The serialisable shape that crosses process and IPC boundaries. */
export interface ErrorInfo {
  code: ErrorCode;
  message: string;
}

/** Failures that retrying cannot fix: the supervisor waits for the user instead of looping. */
export const PERMANENT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'BAD_ARGUMENT',
  'BAD_FORWARD_SPEC',
  'BAD_PORT',
  'BAD_HOST',
  'BAD_OPTION',
  'UNSUPPORTED_OPTION',
  'NOT_SSH_COMMAND',
  'ALGORITHM_MISMATCH',
  'HOST_KEY_UNKNOWN',
  'HOST_KEY_MISMATCH',
  'HOST_KEY_REVOKED',
  'HOST_CERT_UNSUPPORTED',
  'HOST_KEY_REJECTED',
  'AUTH_FAILED',
  'KEY_UNREADABLE',
  'FORWARD_BIND_FAILED',
  'CANCELLED',
]);

export class TunnelError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'TunnelError';
    this.code = code;
  }

  toInfo(): ErrorInfo {
    return { code: this.code, message: this.message };
  }
}

export function isTunnelError(value: unknown): value is TunnelError {
  return value instanceof TunnelError;
}

/** Anything thrown, as an ErrorInfo that is safe to print: unknown errors become INTERNAL. */
export function toErrorInfo(err: unknown): ErrorInfo {
  if (isTunnelError(err)) return err.toInfo();
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'INTERNAL', message };
}
