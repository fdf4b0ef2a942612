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

  private ask(prompt: Prompt): Promise<Answer> {
    return new Promise((resolve) => {
      this.pending.set(prompt.id, { prompt, resolve });
      this.emit('prompt', prompt);
    });
  }

  prompterFor(tunnel: string): Prompter {
    return {
      hostKey: async (q) => {
        const answer = await this.ask({ id: randomUUID(), tunnel, kind: 'host-key', ...q });
        return typeof answer === 'string' ? answer : 'reject';
      },
      secret: async (q) => {
        const answer = await this.ask({ id: randomUUID(), tunnel, ...q });
        return typeof answer === 'object' ? answer.secret : null;
      },
    };
  }

  answer(id: string, answer: Answer): void {
    const p = this.pending.get(id);
    if (!p) throw new TunnelError('BAD_ARGUMENT', 'that question is no longer open');
    const isHostKey = p.prompt.kind === 'host-key';
    if (isHostKey !== (typeof answer === 'string')) {
      throw new TunnelError('BAD_ARGUMENT', isHostKey ? 'a host-key question takes accept-once, accept-always or reject' : 'this question takes a secret');
    }
    this.pending.delete(id);
    this.emit('closed', id);
    p.resolve(answer);
  }

  open(): Prompt[] {
    return [...this.pending.values()].map((p) => p.prompt);
  }

  /** Withdraws a tunnel's questions (it was stopped): host keys rejected, secrets declined. */
  withdraw(tunnel: string): void {
    for (const [id, p] of this.pending) {
      if (p.prompt.tunnel !== tunnel) continue;
      this.pending.delete(id);
      this.emit('closed', id);
      p.resolve(p.prompt.kind === 'host-key' ? 'reject' : { secret: null });
    }
  }
}
