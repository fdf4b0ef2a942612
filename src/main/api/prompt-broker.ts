import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { TunnelError } from '../../shared/errors.js';
import type { Prompt } from '../../shared/contract.js';
import type { HostKeyAnswer, Prompter } from '../engine/prompts.js';

type Answer = HostKeyAnswer | { secret: string | null };

interface Pending {
  prompt: Prompt;
  resolve: (answer: Answer) => void;
}

/**
 * Turns the engine's questions into `prompt` events for whoever shows them (dialog, web page)
 * and their answers back into the engine. Unanswered questions wait; stopping the tunnel
 * withdraws them.
 */
export class PromptBroker extends EventEmitter<{ prompt: [Prompt]; closed: [string] }> {
  private readonly pending = new Map<string, Pending>();

  /** A question lives as long as the connection attempt that asked it (`signal`). */
  private ask(prompt: Prompt, signal: AbortSignal | undefined): Promise<Answer> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve(declined(prompt));
      this.pending.set(prompt.id, { prompt, resolve });
      this.emit('prompt', prompt);
      signal?.addEventListener('abort', () => this.close(prompt.id, declined(prompt)), { once: true });
    });
  }

  prompterFor(tunnel: string): Prompter {
    return {
      hostKey: async (q, signal) => {
        const answer = await this.ask({ id: randomUUID(), tunnel, kind: 'host-key', ...q }, signal);
        return typeof answer === 'string' ? answer : 'reject';
      },
      secret: async (q, signal) => {
        const answer = await this.ask({ id: randomUUID(), tunnel, ...q }, signal);
        return typeof answer === 'object' ? answer.secret : null;
      },
    };
  }

  private close(id: string, answer: Answer): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.emit('closed', id);
    p.resolve(answer);
  }

  answer(id: string, answer: Answer): void {
    const p = this.pending.get(id);
    if (!p) throw new TunnelError('BAD_ARGUMENT', 'that question is no longer open');
    const isHostKey = p.prompt.kind === 'host-key';
    if (isHostKey !== (typeof answer === 'string')) {
      throw new TunnelError('BAD_ARGUMENT', isHostKey ? 'a host-key question takes accept-once, accept-always or reject' : 'this question takes a secret');
    }
    this.close(id, answer);
  }

  open(): Prompt[] {
    return [...this.pending.values()].map((p) => p.prompt);
  }

  /** Withdraws a tunnel's questions (it was stopped): host keys rejected, secrets declined. */
  withdraw(tunnel: string): void {
    for (const [id, p] of this.pending) {
      if (p.prompt.tunnel === tunnel) this.close(id, declined(p.prompt));
    }
  }
}

function declined(prompt: Prompt): Answer {
  return prompt.kind === 'host-key' ? 'reject' : { secret: null };
}
