import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { TunnelError } from '../../shared/errors.js';
import { globToRegExp } from './glob.js';
import { printable } from './hostnames.js';

/**
 * ssh_config(5) read as OpenSSH's readconf.c reads it, with what the `ssh-config` package lacks
 * and an importer needs: line numbers for every problem, `Include` followed (globs, relative to
 * ~/.ssh, loops caught), and nothing ever executed.
 */

export interface ConfigProblem {
  file: string;
  line: number;
  message: string;
  /** ssh refuses the whole configuration over it (an Include loop). */
  fatal?: boolean;
}

/** A block header: the conditions under which the following lines apply. */
export type Condition =
  | { kind: 'host'; patterns: string[]; file: string; line: number }
  | { kind: 'match'; criteria: { name: string; negated: boolean; args: string[] }[]; file: string; line: number };

export interface ConfigLine {
  file: string;
  line: number;
  /** Lower-cased keyword. */
  keyword: string;
  /** The keyword as written, for messages. */
  name: string;
  args: string[];
  /** Everything after the keyword and separator, unsplit (ProxyCommand keeps it verbatim). */
  rest: string;
  /** The same with any quotes kept: ssh 9.x reads ProxyJump from the raw line ("XXX use argv?"). */
  raw: string;
  /**
   * Every block header the line depends on, outermost first: the block around an `Include`
   * and then the block inside the included file. The line applies only when all of them hold
   * (ssh_config(5): "Include may appear inside a Match or Host block to perform conditional
   * inclusion"). Empty: the line applies to every host.
   */
  conditions: Condition[];
}

export interface ParsedConfig {
  lines: ConfigLine[];
  conditions: Condition[];
  problems: ConfigProblem[];
}

const MAX_INCLUDE_DEPTH = 16;
const MAX_FILE_BYTES = 4 * 1024 * 1024;
/**
 * Per parse, counting every inclusion of a file again: `Include X X` in X1, X2, … doubles the
 * work at each level, so a few small files could otherwise cost billions of lines (#16).
 */
export const MAX_CONFIG_FILES = 1000;
export const MAX_CONFIG_LINES = 200_000;

/** Match attributes of OpenSSH 9.2 that take an argument. */
const MATCH_WITH_ARGUMENT = new Set(['exec', 'host', 'originalhost', 'user', 'localuser']);

/**
 * Problems name the line, never echo it: a file that is not an ssh_config (a key, a password
 * file) must not come back line by line through the problems list. Only known words are shown.
 */
const MATCH_CRITERIA = new Set(['all', 'canonical', 'final', 'exec', 'host', 'originalhost', 'user', 'localuser', 'localnetwork', 'tagged']);

/**
 * Splits arguments on whitespace, honouring double quotes as readconf's argv_split does; an
 * unquoted word starting with `#` ends the line (a trailing comment).
 */
function splitArgs(text: string): string[] | null {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    let arg = '';
    if (text[i] === '"') {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return null;
      arg = text.slice(i + 1, close);
      i = close + 1;
    } else {
      if (text[i] === '#') break;
      while (i < text.length && !/\s/.test(text[i]!)) arg += text[i++];
    }
    args.push(arg);
  }
  return args;
}

/** Expands `*` and `?` in each path component; sorted, as glob(3) returns them. */
function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  let bases = [parts[0] === '' ? '/' : parts[0]!];
  for (const part of parts.slice(1)) {
    if (part === '') continue;
    const next: string[] = [];
    for (const base of bases) {
      if (!/[*?]/.test(part)) {
        next.push(join(base, part));
        continue;
      }
      let entries: string[] = [];
      try {
        entries = readdirSync(base);
      } catch {
        continue;
      }
      const re = globToRegExp(part);
      for (const e of entries.sort()) if (re.test(e) && !(e.startsWith('.') && !part.startsWith('.'))) next.push(join(base, e));
    }
    bases = next;
  }
  return bases;
}

function expandTilde(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? join(homedir(), path.slice(2)) : path;
}

export interface ParseOptions {
  /** Relative Include paths resolve against this (~/.ssh for a user's config). */
  includeBase?: string;
}

/** One parse: each file read once, and a budget on how much inclusion may multiply it. */
interface ParseRun {
  out: ParsedConfig;
  includeBase: string;
  texts: Map<string, string | ConfigProblem>;
  files: number;
  lines: number;
}

export function parseSshConfigFile(path: string, options: ParseOptions = {}): ParsedConfig {
  const out: ParsedConfig = { lines: [], conditions: [], problems: [] };
  const run: ParseRun = { out, includeBase: options.includeBase ?? dirname(resolve(path)), texts: new Map(), files: 0, lines: 0 };
  readInto(run, resolve(path), [], []);
  return out;
}

function tooLarge(what: string): never {
  throw new TunnelError(
    'SSH_CONFIG_TOO_LARGE',
    `ssh_config: Include expands to more than ${what}; check for files included many times over`,
  );
}

function readText(run: ParseRun, file: string): string | ConfigProblem {
  const cached = run.texts.get(file);
  if (cached !== undefined) return cached;
  let result: string | ConfigProblem;
  try {
    const stat = statSync(file);
    // A device or a pipe (/dev/zero, /dev/stdin) would be read forever or block: files only.
    if (!stat.isFile()) result = { file, line: 0, message: 'not a regular file' };
    else if (stat.size > MAX_FILE_BYTES) result = { file, line: 0, message: 'the file is too large' };
    else result = readFileSync(file, 'utf8');
  } catch (err) {
    result = { file, line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  run.texts.set(file, result);
  return result;
}

function readInto(run: ParseRun, file: string, enclosing: Condition[], stack: string[]): void {
  const { out } = run;
  if (++run.files > MAX_CONFIG_FILES) tooLarge(`${MAX_CONFIG_FILES} files`);
  const text = readText(run, file);
  if (typeof text !== 'string') {
    out.problems.push(text);
    return;
  }
  // Lines before the file's first Host or Match obey the block around the Include.
  let conditions = enclosing;
  const rawLines = text.split(/\r?\n/);
  run.lines += rawLines.length;
  if (run.lines > MAX_CONFIG_LINES) tooLarge(`${MAX_CONFIG_LINES} lines`);
  rawLines.forEach((raw, index) => {
    const line = index + 1;
    const problem = (message: string, fatal = false): void => void out.problems.push({ file, line, message, ...(fatal ? { fatal } : {}) });
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^([^\s=]+)\s*(?:=\s*|\s+|$)(.*)$/.exec(trimmed);
    if (!m) return problem('cannot parse this line');
    const name = m[1]!;
    const rest = m[2]!.trim();
    const keyword = name.toLowerCase();
    const args = splitArgs(rest);
    if (args === null) return problem('unterminated quote');
    if (keyword === 'host') {
      if (args.length === 0) return problem('Host needs at least one pattern');
      const condition: Condition = { kind: 'host', patterns: args, file, line };
      out.conditions.push(condition);
      conditions = [...enclosing, condition];
      return;
    }
    if (keyword === 'match') {
      const criteria: { name: string; negated: boolean; args: string[] }[] = [];
      // A Match line ssh cannot read stops ssh; for an importer, its block matches nothing.
      const bad = (message: string): void => {
        problem(`Match: ${message}`, true);
        const condition: Condition = { kind: 'match', criteria: [{ name: 'unreadable', negated: false, args: [] }], file, line };
        out.conditions.push(condition);
        conditions = [...enclosing, condition];
      };
      for (let i = 0; i < args.length; i++) {
        const word = args[i]!;
        const negated = word.startsWith('!');
        const crit = (negated ? word.slice(1) : word).toLowerCase();
        if (crit === 'all') {
          // readconf.c: `all` only last, after at most one other attribute (`Match final all`).
          if (criteria.length > 1 || i + 1 < args.length) return bad("'all' cannot be combined with other Match attributes");
          criteria.push({ name: crit, negated, args: [] });
        } else if (crit === 'canonical' || crit === 'final') criteria.push({ name: crit, negated, args: [] });
        else if (!MATCH_WITH_ARGUMENT.has(crit)) return bad(`an unsupported attribute (ssh_config(5) knows ${[...MATCH_CRITERIA].join(', ')})`);
        else if (i + 1 < args.length) criteria.push({ name: crit, negated, args: args[++i]!.split(',') });
        else return bad(`${crit} needs an argument`);
      }
      if (criteria.length === 0) return bad('a criterion is needed');
      const condition: Condition = { kind: 'match', criteria, file, line };
      out.conditions.push(condition);
      conditions = [...enclosing, condition];
      return;
    }
    if (keyword === 'include') {
      if (args.length === 0) return problem('Include needs a path');
      if (stack.length >= MAX_INCLUDE_DEPTH) return problem(`Include nested more than ${MAX_INCLUDE_DEPTH} deep`, true);
      for (const arg of args) {
        const expanded = expandTilde(arg);
        const pattern = isAbsolute(expanded) ? expanded : join(run.includeBase, expanded);
        for (const target of expandGlob(pattern)) {
          const abs = resolve(target);
          if (abs === file || stack.includes(abs)) {
            problem(`Include loop: ${basename(abs)} includes itself`, true);
            continue;
          }
          // As readconf.c does: the included file sees the enclosing block's state, its own Host
          // and Match lines hold only inside that block, and the including file's block resumes.
          readInto(run, abs, conditions, [...stack, file]);
        }
      }
      return;
    }
    if (args.length === 0) return problem('a keyword without a value');
    out.lines.push({ file, line, keyword, name, args, rest: rest.replace(/^"(.*)"$/, '$1'), raw: rest, conditions });
  });
}
