import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, NextAuthHandler } from 'ssh2';
import { TunnelError } from '../../shared/errors.js';
import { DEFAULT_IDENTITIES, expandHome } from './paths.js';
import type { Prompter } from './prompts.js';

const { utils } = ssh2;

export interface AuthOptions {
  host: string;
  port: number;
  user: string;
  identityFiles: string[];
  identitiesOnly: boolean;
  batchMode: boolean;
  agentSocket: string | undefined;
  prompter: Prompter | undefined;
  /** Stops the handshake clock while a person types. */
  pauseTimer: <T>(work: Promise<T>) => Promise<T>;
  log: (message: string) => void;
  /** Filled with what was offered, in order ("keys from ssh-agent", "the key ~/.ssh/id_ed25519"), for the failure message. */
  tried?: string[];
}

/** NumberOfPasswordPrompts' default. */
const PROMPT_TRIES = 3;
const MAX_KEY_FILE_BYTES = 1024 * 1024;

type Attempt = () => Promise<AnyAuthMethod | null>;

/**
 * ssh2's authHandler, trying methods in ssh(1)'s order: agent keys, identity files (asking
 * for a passphrase when a key is encrypted), keyboard-interactive, password. Every attempt is
 * made once; when all fail ssh2 reports "All configured authentication methods failed", which
 * the session turns into AUTH_FAILED. Secrets go to ssh2 and nowhere else.
 */
export function makeAuthHandler(options: AuthOptions): (methodsLeft: AuthenticationType[] | null, partial: boolean | null, next: NextAuthHandler) => void {
  const { user, prompter, batchMode } = options;
  const canPrompt = !batchMode && prompter?.secret !== undefined;
  const ask = async (kind: 'password' | 'passphrase' | 'keyboard-interactive', prompt: string, echo: boolean, keyFile?: string): Promise<string | null> => {
    if (!canPrompt) {
      options.log(`${kind} needed but nobody can be asked (no prompt${batchMode ? ', BatchMode' : ''})`);
      return null;
    }
    const question = { kind, host: options.host, port: options.port, user, prompt, echo, ...(keyFile ? { keyFile } : {}) };
    options.log(`asking for the ${kind}${keyFile ? ` of ${keyFile}` : ''}`);
    const answer = await options.pauseTimer(prompter!.secret!(question));
    if (answer === null) options.log(`no ${kind} given`);
    return answer;
  };

  const attempts: { method: AuthenticationType; label: string; run: Attempt }[] = [];
  if (options.agentSocket && !options.identitiesOnly) {
    attempts.push({ method: 'publickey', label: 'keys from ssh-agent', run: async () => ({ type: 'agent', username: user, agent: options.agentSocket! }) });
  }
  const explicit = options.identityFiles.map(expandHome);
  const files = explicit.length > 0 ? explicit : DEFAULT_IDENTITIES.map(expandHome).filter((f) => existsSync(f));
  for (const file of files) {
    attempts.push({ method: 'publickey', label: `the key ${file}`, run: () => loadIdentity(file, explicit.includes(file)) });
  }
  attempts.push({
    method: 'keyboard-interactive',
    label: 'keyboard-interactive',
    run: async () => {
      if (!canPrompt) return null;
      return {
        type: 'keyboard-interactive',
        username: user,
        prompt: (_name: string, instructions: string, _lang: string, prompts: { prompt: string; echo?: boolean }[], finish: (answers: string[]) => void) => {
          void (async () => {
            const answers: string[] = [];
            for (const p of prompts) {
              const text = [instructions, p.prompt].filter(Boolean).join('\n');
              answers.push((await ask('keyboard-interactive', text, p.echo === true)) ?? '');
            }
            finish(answers);
          })();
        },
      };
    },
  });
  for (let i = 0; i < PROMPT_TRIES; i++) {
    attempts.push({
      method: 'password',
      label: 'a password',
      run: async () => {
        const password = await ask('password', `${user}@${options.host}'s password:`, false);
        return password === null ? null : { type: 'password', username: user, password };
      },
    });
  }

  async function loadIdentity(file: string, named: boolean): Promise<AnyAuthMethod | null> {
    let data: Buffer;
    try {
      data = await readFile(file);
      if (data.length > MAX_KEY_FILE_BYTES) throw new Error('too large');
    } catch (err) {
      if (named) options.log(`identity file ${file} could not be read: ${(err as Error).message}`);
      return null;
    }
    const plain = utils.parseKey(data);
    if (!(plain instanceof Error)) return { type: 'publickey', username: user, key: data };
    if (!/encrypted|passphrase/i.test(plain.message)) {
      options.log(`identity file ${file} is not a usable private key: ${plain.message}`);
      return null;
    }
    for (let i = 0; i < PROMPT_TRIES; i++) {
      const passphrase = await ask('passphrase', `Enter passphrase for key '${file}':`, false, file);
      if (passphrase === null) return null;
      const parsed = utils.parseKey(data, passphrase);
      if (!(parsed instanceof Error)) return { type: 'publickey', username: user, key: data, passphrase };
      options.log(`wrong passphrase for ${file}`);
    }
    return null;
  }

  let index = 0;
  return (methodsLeft, _partial, next) => {
    void (async () => {
      try {
        while (index < attempts.length) {
          const attempt = attempts[index++]!;
          if (methodsLeft && !methodsLeft.includes(attempt.method)) continue;
          const auth = await attempt.run();
          if (auth) {
            options.log(`trying ${attempt.label}`); // what ssh -v says it offers; never the secret
            if (options.tried && !options.tried.includes(attempt.label)) options.tried.push(attempt.label);
            return next(auth);
          }
        }
        next(false as unknown as AnyAuthMethod);
      } catch (err) {
        options.log(`authentication step failed: ${(err as Error).message}`);
        next(false as unknown as AnyAuthMethod);
      }
    })();
  };
}

export function authFailedError(user: string, host: string, port: number, tried: string[] = []): TunnelError {
  const what = tried.length > 0 ? `tried ${tried.join(', ')}` : 'no credential could be offered (no agent, no readable key, nobody to ask for a password)';
  return new TunnelError('AUTH_FAILED', `Permission denied for ${user}@${host}:${port}: the server accepted none of the offered credentials (${what})`);
}
