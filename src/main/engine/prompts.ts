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

export interface Prompter {
  hostKey?(question: HostKeyQuestion): Promise<HostKeyAnswer>;
  /** null: the person declined to answer. */
  secret?(question: SecretQuestion): Promise<string | null>;
}
