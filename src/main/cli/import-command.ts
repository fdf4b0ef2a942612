import { TunnelError } from '../../shared/errors.js';
import { describeForward } from '../../shared/profile.js';
import { importSshConfig } from '../openssh/import.js';
import type { ProfileStore } from '../store/profile-store.js';
import { findProfile } from '../store/profile-store.js';
import { newSavedProfile } from '../../shared/saved-profile.js';
import { jsonLine, print, say } from './terminal-text.js';

/**
 * `tunnelvision import [--json] [--save] [path]`: profiles from ~/.ssh/config. Nothing in the
 * file is executed. Problems and skipped directives go to stderr with their line numbers.
 */
export async function importCommand(store: ProfileStore, args: string[]): Promise<number> {
  const json = args.includes('--json');
  const save = args.includes('--save');
  const rest = args.filter((a) => a !== '--json' && a !== '--save');
  const unknown = rest.find((a) => a.startsWith('--'));
  if (unknown) throw new TunnelError('BAD_ARGUMENT', `unknown flag ${unknown}`);
  if (rest.length > 1) throw new TunnelError('BAD_ARGUMENT', 'import takes at most one path');
  const result = rest[0] ? importSshConfig(rest[0]) : importSshConfig();
  if (result.problems.some((p) => p.line === 0 && /cannot read/.test(p.message)) && result.profiles.length === 0) {
    throw new TunnelError('SSH_CONFIG_UNREADABLE', `${result.problems[0]!.file}: ${result.problems[0]!.message}`);
  }
  for (const p of result.problems) say(`tunnelvision: warning: ${p.file}:${p.line}: ${p.message}\n`);
  for (const s of result.skipped) say(`tunnelvision: skipped: ${s}\n`);
  if (json) process.stdout.write(jsonLine(result.profiles));
  else {
    for (const p of result.profiles) {
      const forwards = p.forwards.map(describeForward).join('; ') || 'no forwards';
      print(`${p.name}: ${p.user ? `${p.user}@` : ''}${p.host}:${p.port} — ${forwards}\n`);
      for (const w of p.warnings) print(`  warning: ${w}\n`);
    }
    if (!save && result.profiles.length > 0) print(`(run with --save to keep these as profiles)\n`);
  }
  if (save) {
    let added = 0;
    await store.update((profiles) => {
      for (const imported of result.profiles) {
        if (findProfile(profiles, imported.name)) continue;
        const { name, warnings: _w, ...profile } = imported;
        profiles.push({ id: crypto.randomUUID(), ...newSavedProfile(name, profile) });
        added++;
      }
      return profiles;
    });
    say(`tunnelvision: saved ${added} new profile(s) to ${store.path}\n`);
  }
  return 0;
}
