import { TunnelError } from '../../shared/errors.js';
import { newSavedProfile, runnable, type SavedProfile } from '../../shared/saved-profile.js';
import { profileToCommand, profileToSshConfig } from '../openssh/export.js';
import { parseSshCommand } from '../openssh/argv.js';
import { loadSshConfig } from '../openssh/config-view.js';
import { addUdpForwards, UdpFlags } from '../openssh/udp-flags.js';
import { describeForward } from '../../shared/profile.js';
import type { ProfileStore } from '../store/profile-store.js';
import { jsonLine, print, say } from './terminal-text.js';

function takeFlag(args: string[], flag: string): string | null {
  const i = args.indexOf(flag);
  if (i < 0) return null;
  const value = args[i + 1];
  if (value === undefined || value === '--') throw new TunnelError('BAD_ARGUMENT', `${flag} needs a value`);
  args.splice(i, 2);
  return value;
}

function summary(p: SavedProfile): string {
  const where = `${p.user ? `${p.user}@` : ''}${p.host}${p.port !== 22 ? `:${p.port}` : ''}`;
  const forwards = p.forwards.map(describeForward).join('; ') || 'no forwards';
  return `${p.name}${p.group ? ` [${p.group}]` : ''} — ${where} — ${forwards}`;
}

/** `tunnelvision profiles list|show|add|remove|export`. */
export async function profilesCommand(store: ProfileStore, args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const json = rest.includes('--json');
  const positional = rest.filter((a) => a !== '--json');
  const out = (value: unknown): void => void process.stdout.write(jsonLine(value));
  switch (sub) {
    case 'list': {
      const profiles = await store.list();
      if (json) out(profiles);
      else if (profiles.length === 0) print(`no saved profiles in ${store.path}\n`);
      else for (const p of profiles) print(`${summary(p)}\n`);
      return 0;
    }
    case 'show': {
      const p = await store.get(needName(positional));
      if (json) out(p);
      else print(`${summary(p)}\n${profileToCommand(runnable(p))}\n`);
      return 0;
    }
    case 'add': {
      const dash = rest.indexOf('--');
      if (dash < 0) throw new TunnelError('BAD_ARGUMENT', 'usage: tunnelvision profiles add --name NAME [--group G] [--udp-local SPEC] [--udp-remote SPEC] -- <ssh command line>');
      const flags = rest.slice(0, dash);
      const name = takeFlag(flags, '--name');
      const group = takeFlag(flags, '--group');
      const udp = UdpFlags.extract(flags);
      const unknown = flags.filter((f) => f !== '--json');
      if (unknown.length > 0) throw new TunnelError('BAD_ARGUMENT', `unknown flag ${unknown[0]}`);
      if (!name) throw new TunnelError('BAD_ARGUMENT', 'profiles add needs --name NAME');
      const { profile, warnings } = parseSshCommand(rest.slice(dash + 1), { sshConfig: loadSshConfig });
      addUdpForwards(profile, udp);
      for (const w of warnings) say(`tunnelvision: warning: ${w}\n`);
      const saved = await store.add(newSavedProfile(name, profile, { group }));
      if (json) out(saved);
      else print(`saved ${summary(saved)}\n`);
      return 0;
    }
    case 'remove': {
      const removed = await store.remove(needName(positional));
      if (json) out({ removed: removed.id });
      else print(`removed ${removed.name}\n`);
      return 0;
    }
    case 'export': {
      const format = takeFlag(positional, '--format') ?? 'ssh';
      const p = await store.get(needName(positional));
      if (format === 'ssh') print(`${profileToCommand(runnable(p))}\n`);
      else if (format === 'config') print(profileToSshConfig(p.name.replace(/\s+/g, '-'), runnable(p)));
      else throw new TunnelError('BAD_ARGUMENT', `--format must be ssh or config, not '${format}'`);
      return 0;
    }
    default:
      throw new TunnelError('BAD_ARGUMENT', `usage: tunnelvision profiles list|show|add|remove|export`);
  }
}

function needName(positional: string[]): string {
  const name = positional[0];
  if (!name) throw new TunnelError('BAD_ARGUMENT', 'which profile? give its name');
  return name;
}
