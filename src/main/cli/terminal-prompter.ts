import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { visible } from './terminal-text.js';
import type { HostKeyAnswer, HostKeyQuestion, Prompter, SecretQuestion } from '../engine/prompts.js';

/** Asks on the terminal, like ssh(1): yes/no/fingerprint for host keys, hidden input for secrets. */
export class TerminalPrompter implements Prompter {
  private queue: Promise<unknown> = Promise.resolve();

  private ask(question: string, hidden: boolean, signal: AbortSignal | undefined): Promise<string | null> {
    const run = async (): Promise<string | null> => {
      if (signal?.aborted) return null;
      let muted = false;
      const output = new Writable({
        write: (chunk: Buffer, _enc, cb) => {
          if (!muted) process.stderr.write(chunk);
          cb();
        },
      });
      const rl = createInterface({ input: process.stdin, output, terminal: true });
      return new Promise<string | null>((resolve) => {
        let open = true;
        const withdraw = (): void => {
          if (!open) return;
          muted = false;
          process.stderr.write('\n(the connection attempt ended; question withdrawn)\n');
          rl.close();
        };
        // The prompt text may come from the server (keyboard-interactive): never raw escapes.
        rl.question(visible(question), (answer) => {
          open = false;
          rl.close();
          if (hidden) process.stderr.write('\n');
          resolve(answer);
        });
        muted = hidden;
        rl.once('close', () => {
          open = false;
          signal?.removeEventListener('abort', withdraw);
          resolve(null);
        });
        signal?.addEventListener('abort', withdraw, { once: true });
      });
    };
    // One question at a time, even when two hops ask at once.
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async hostKey(q: HostKeyQuestion, signal?: AbortSignal): Promise<HostKeyAnswer> {
    const name = q.port === 22 ? q.host : `[${q.host}]:${q.port}`;
    const extra = q.otherTypes.length > 0 ? `\nThis host is known with other key types: ${q.otherTypes.join(', ')}.` : '';
    for (;;) {
      const answer = await this.ask(
        `The authenticity of host '${name}' can't be established.\n${q.keyType} key fingerprint is ${q.fingerprint}.${extra}\n` +
          `Are you sure you want to continue connecting (yes/no/[fingerprint])? `,
        false,
        signal,
      );
      if (answer === null) return 'reject';
      const a = answer.trim();
      if (a === 'yes' || a === q.fingerprint) return 'accept-always';
      if (a === 'no') return 'reject';
      process.stderr.write(`Please type 'yes', 'no' or the fingerprint: `);
    }
  }

  secret(q: SecretQuestion, signal?: AbortSignal): Promise<string | null> {
    return this.ask(`${q.prompt} `, !q.echo, signal);
  }
}
