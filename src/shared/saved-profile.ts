import { z } from 'zod';
import { ProfileSchema, type Profile } from './profile.js';

/**
 * A tunnel the user keeps: the runnable profile (the shape `parse` prints) plus what only a
 * person needs — a name, grouping, notes, start-at-launch. Secrets are never part of it: they
 * live in the OS keychain, keyed by the profile id.
 */
export const SavedProfileSchema = ProfileSchema.extend({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  name: z.string().trim().min(1).max(100),
  group: z.string().max(100).nullable(),
  tags: z.array(z.string().min(1).max(50)).max(20),
  notes: z.string().max(10_000),
  startAtLaunch: z.boolean(),
  /** Which credential the keychain may hold for this profile. */
  authMethod: z.enum(['auto', 'agent', 'key', 'password', 'keyboard-interactive']),
});
export type SavedProfile = z.infer<typeof SavedProfileSchema>;

export const PROFILES_FILE_VERSION = 4;

export const ProfilesFileSchema = z.strictObject({
  version: z.literal(PROFILES_FILE_VERSION),
  /** Bumped on every write; a writer holding an older revision must re-read (no lost edits). */
  revision: z.number().int().min(0),
  profiles: z.array(SavedProfileSchema).max(10_000),
});
export type ProfilesFile = z.infer<typeof ProfilesFileSchema>;

const SAVED_ONLY = ['id', 'name', 'group', 'tags', 'notes', 'startAtLaunch', 'authMethod'] as const;

/** The runnable part of a saved profile (what `parse` prints). */
export function runnable(saved: SavedProfile): Profile {
  const copy: Record<string, unknown> = { ...saved };
  for (const key of SAVED_ONLY) delete copy[key];
  return copy as unknown as Profile;
}

/** A new saved profile around a runnable one, with neutral defaults for the rest. */
export function newSavedProfile(name: string, profile: Profile, extra: { group?: string | null } = {}): Omit<SavedProfile, 'id'> {
  return { ...profile, name, group: extra.group ?? null, tags: [], notes: '', startAtLaunch: false, authMethod: 'auto' };
}

