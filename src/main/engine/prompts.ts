/**
 * Questions the engine asks a person. The CLI answers on the terminal, the app in a dialog,
 * tests with canned answers. An absent method means "nobody to ask" (BatchMode).
 */
export interface HostKeyQuestion {
  host: string;
  port: number;
  /** 0 for the first jump host; the destination is the last hop. */
  hop: number;
  keyType: string;
  fingerprint: string;
  /** Other key types already known for this host (a new key type, not a changed key). */
  otherTypes: string[];
}

export type HostKeyAnswer = 'accept-once' | 'accept-always' | 'reject';

export interface SecretQuestion {
  kind: 'password' | 'passphrase' | 'keyboard-interactive';
  host: string;
  port: number;
  user: string;
  prompt: string;
  echo: boolean;
  keyFile?: string;
}

/**
 * `signal` aborts when the connection attempt that asked has ended (the server gave up waiting,
 * the tunnel stopped): the question is withdrawn, and a late answer must have no effect.
 */
export interface Prompter {
  hostKey?(question: HostKeyQuestion, signal?: AbortSignal): Promise<HostKeyAnswer>;
  /** null: the person declined to answer. */
  secret?(question: SecretQuestion, signal?: AbortSignal): Promise<string | null>;
}

/** Resolves with `value` once `signal` aborts (at once if it has). */
function whenAborted<T>(signal: AbortSignal, value: T): Promise<T> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(value);
    else signal.addEventListener('abort', () => resolve(value), { once: true });
  });
}

/**
 * The questions of one connection attempt. Each carries the attempt's signal; when the attempt
 * ends, an open question counts as declined (a host key as rejected) whether or not the inner
 * prompter heard the signal, so nothing answered afterwards can trust a key or send a secret.
 */
export function promptsForAttempt(inner: Prompter, signal: AbortSignal): Prompter {
  const scoped: Prompter = {};
  if (inner.hostKey) {
    const hostKey = inner.hostKey.bind(inner);
    scoped.hostKey = async (q) => {
      const answer = await Promise.race([hostKey(q, signal), whenAborted(signal, 'reject' as const)]);
      return signal.aborted ? 'reject' : answer;
    };
  }
  if (inner.secret) {
    const secret = inner.secret.bind(inner);
    scoped.secret = async (q) => {
      const answer = await Promise.race([secret(q, signal), whenAborted(signal, null)]);
      return signal.aborted ? null : answer;
    };
  }
  return scoped;
}
