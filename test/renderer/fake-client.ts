import { splitShellWords } from '../../src/main/api/shell-words.js';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { profileToCommand } from '../../src/main/openssh/export.js';
import type { ContractClient, Result } from '../../src/shared/contract.js';
import { toErrorInfo } from '../../src/shared/errors.js';

/** A contract client for component tests: the real parsers behind it, every call recorded. */
export function fakeClient(): ContractClient & { calls: { command: string; input: any }[] } {
  const calls: { command: string; input: any }[] = [];
  const handlers: Record<string, (input: any) => unknown> = {
    'ssh.parse': ({ command }) => parseSshCommand(splitShellWords(command)),
    'ssh.export': ({ profile }) => ({ command: profileToCommand(profile), config: '' }),
    'profiles.save': ({ profile }) => ({ ...profile, id: profile.id ?? 'new-id' }),
    'secrets.set': () => ({ stored: true, unavailable: null }),
    'prompts.answer': () => ({}),
  };
  return {
    calls,
    async invoke(command, input) {
      calls.push({ command, input });
      try {
        return { ok: true, value: handlers[command]!(input) } as Result<any>;
      } catch (err) {
        return { ok: false, error: toErrorInfo(err) } as Result<any>;
      }
    },
    on: () => () => undefined,
  };
}
