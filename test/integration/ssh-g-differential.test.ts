import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSshCommand } from '../../src/main/openssh/argv.js';
import { parseSshConfigFile } from '../../src/main/openssh/ssh-config.js';
import { loadSshConfig } from '../../src/main/openssh/config-view.js';
import { toErrorInfo } from '../../src/shared/errors.js';
import type { Profile } from '../../src/shared/profile.js';
import { runCli } from '../helpers/cli.js';
import { generateCase } from '../helpers/ssh-config-generator.js';
import { fieldsOfProfile, fieldsOfSshG, oracleHops, sshDefaults, sshG, type SshDefaults, type SshG } from '../helpers/ssh-g.js';

/**
 * Differential suite: `tunnelvision parse` against OpenSSH's own `ssh -G` on seeded random
 * configs and command lines (issue #17). TV_SSHG_CASES sets how many (300 by default),
 * TV_SSHG_SEED the first seed; a failure prints the seed, the command line and the files.
 *
 * Where Tunnelvision differs on purpose, it is named here and nowhere hidden:
 * - KEEPALIVE_ON_BY_DEFAULT: with no ServerAliveInterval anywhere we use 15 s, ssh 0 (300 with
 *   BatchMode). The oracle's copy of the config ends with `Match all / ServerAliveInterval 15`
 *   (`Match final` when the files hold a `Match final`, so it still comes after ssh's second
 *   pass), which ssh applies exactly when nothing before set the option. Whether ssh made that
 *   second pass is read from `ssh -v -G` and must agree with ours.
 * - HOSTKEYALGORITHMS_REFUSED: never generated; ssh-g-issue-examples.test.ts shows ssh accepting it and us refusing.
 * - SSH_URI_IPV6_ACCEPTED: ssh 9.2 refuses `ssh://[::1]:2201` (a usage error), we read it; never generated.
 * - IDENTITY_FILE_KEPT: `-i` naming a file that does not exist: ssh warns and drops it, we keep it;
 *   -i is generated with existing files only.
 * - HOP_PROXYCOMMAND_REFUSED: a jump host whose own config has a ProxyCommand is refused
 *   (UNSUPPORTED_OPTION); ssh would run it. ProxyCommand is generated only where no hop matches.
 */
const keepaliveBlock = (finalPass: boolean): string =>
  `\n# KEEPALIVE_ON_BY_DEFAULT (intentional difference)\nMatch ${finalPass ? 'final' : 'all'}\n  ServerAliveInterval 15\n`;

/** Whether ssh will read the files twice (a `Match final` anywhere it reads). */
function wantsFinalPass(config: string): boolean {
  try {
    return parseSshConfigFile(config).conditions.some((c) => c.kind === 'match' && c.criteria.some((k) => k.name === 'final'));
  } catch {
    return false;
  }
}

const CASES = Number(process.env.TV_SSHG_CASES ?? 300);
const FIRST_SEED = Number(process.env.TV_SSHG_SEED ?? 1);
const CONCURRENCY = 4;

const root = mkdtempSync(join(tmpdir(), 'tv-sshg-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Outcome {
  seed: number;
  agree: boolean;
  refusedByBoth: boolean;
  hops: number;
  includes: number;
  detail?: string;
}

let defaults: SshDefaults;

function ours(argv: string[]): { ok: true; fields: Record<string, unknown> } | { ok: false; error: string } {
  try {
    const { profile } = parseSshCommand(['ssh', ...argv], { sshConfig: (path) => loadSshConfig(path, { system: null }) });
    return { ok: true, fields: fieldsOfProfile(profile, defaults) };
  } catch (err) {
    return { ok: false, error: `${toErrorInfo(err).code}: ${toErrorInfo(err).message}` };
  }
}

async function oracle(argv: string[], configArgs: string[]): Promise<{ ok: true; fields: Record<string, unknown> } | { ok: false; error: string }> {
  const g: SshG = await sshG(['-v', ...argv]);
  if (!g.ok) return g;
  const hops = await oracleHops(g.options.get('proxyjump')?.[0], configArgs);
  if (hops === null) return { ok: false, error: 'ssh -G refuses one of the jump hosts' };
  return { ok: true, fields: { ...fieldsOfSshG(g, hops), finalPass: /re-parsing configuration/.test(g.stderr) } };
}

/** The same through the built `tunnelvision parse --json`, which is what users run. */
async function oursViaCli(argv: string[]): Promise<{ ok: true; fields: Record<string, unknown> } | { ok: false; error: string }> {
  const r = await runCli(['parse', '--json', '--', 'ssh', ...argv]);
  if (r.code !== 0) return { ok: false, error: r.stderr.trim() };
  return { ok: true, fields: fieldsOfProfile(JSON.parse(r.stdout) as Profile, defaults) };
}

async function runCase(seed: number, viaCli = false): Promise<Outcome> {
  const dir = join(root, `case-${seed}`);
  mkdirSync(join(dir, 'inc'), { recursive: true });
  const c = generateCase(seed, dir);
  for (const [name, text] of c.files) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const config = join(dir, 'config');
  const finalPass = wantsFinalPass(config);
  writeFileSync(`${config}.ssh-g`, readFileSync(config, 'utf8') + keepaliveBlock(finalPass));
  const oracleArgv = c.argv.map((a) => (a === config ? `${config}.ssh-g` : a));
  // The file the last -F names is the one both read (-F: the last one wins).
  const lastF = c.argv.lastIndexOf('-F');
  const configArgs = ['-F', oracleArgv[lastF + 1]!];
  const [theirs, mine] = [await oracle(oracleArgv, configArgs), viaCli ? await oursViaCli(c.argv) : ours(c.argv)];
  if (mine.ok) mine.fields.finalPass = finalPass;
  const hops = theirs.ok ? (theirs.fields.hops as unknown[]).length : 0;
  const includes = [...c.files.values()].join('\n').match(/^\s*include/gim)?.length ?? 0;
  const base = { seed, hops, includes };
  const show = (): string =>
    [`seed ${seed}: ssh ${c.argv.map((a) => (/[\s*[\]]/.test(a) ? `'${a}'` : a)).join(' ')}`, ...[...c.files].map(([n, t]) => `--- ${n}\n${t}`)].join('\n');
  if (!theirs.ok || !mine.ok) {
    const agree = !theirs.ok && !mine.ok;
    return {
      ...base,
      agree,
      refusedByBoth: agree,
      ...(agree ? {} : { detail: `${show()}\nssh -G: ${theirs.ok ? 'accepts' : `refuses (${theirs.error})`}; tunnelvision: ${mine.ok ? 'accepts' : `refuses (${mine.error})`}` }),
    };
  }
  const diffs = Object.keys(theirs.fields)
    .filter((k) => JSON.stringify(theirs.fields[k]) !== JSON.stringify(mine.fields[k]))
    .map((k) => `  ${k}: ssh -G ${JSON.stringify(theirs.fields[k])} ≠ tunnelvision ${JSON.stringify(mine.fields[k])}`);
  return { ...base, agree: diffs.length === 0, refusedByBoth: false, ...(diffs.length ? { detail: `${show()}\n${diffs.join('\n')}` } : {}) };
}

describe('tunnelvision parse agrees with ssh -G (differential, seeded)', () => {
  it(`${CASES} generated configs and command lines from seed ${FIRST_SEED}`, { timeout: Math.max(120_000, CASES * 400) }, async () => {
    defaults = await sshDefaults();
    const seeds = Array.from({ length: CASES }, (_, i) => FIRST_SEED + i);
    const outcomes: Outcome[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < seeds.length) outcomes.push(await runCase(seeds[next++]!));
      }),
    );
    const disagreements = outcomes.filter((o) => !o.agree).sort((a, b) => a.seed - b.seed);
    const agreed = outcomes.length - disagreements.length;
    const covered = {
      refusedByBoth: outcomes.filter((o) => o.refusedByBoth).length,
      twoHopsOrMore: outcomes.filter((o) => o.hops >= 2).length,
      withInclude: outcomes.filter((o) => o.includes > 0).length,
    };
    console.log(`ssh -G differential: ${agreed}/${outcomes.length} agree (${((100 * agreed) / outcomes.length).toFixed(1)} %); ${JSON.stringify(covered)}`);
    expect(disagreements.slice(0, 5).map((d) => d.detail).join('\n\n')).toBe('');
    // The run is only worth something if it covered the hard parts.
    expect(covered.refusedByBoth).toBeGreaterThan(0);
    expect(covered.twoHopsOrMore).toBeGreaterThan(CASES / 40);
    expect(covered.withInclude).toBeGreaterThan(CASES / 10);
  });

  it('the built CLI (tunnelvision parse --json) gives the same answers, on 25 of the cases', { timeout: 120_000 }, async () => {
    defaults ??= await sshDefaults();
    const outcomes: Outcome[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + 25; seed++) outcomes.push(await runCase(seed, true));
    expect(outcomes.filter((o) => !o.agree).map((d) => d.detail).join('\n\n')).toBe('');
  });
});
