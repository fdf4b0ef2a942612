import { readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { globToRegExp } from './glob.js';

/**
 * ssh_config(5) read as OpenSSH's readconf.c reads it, with what the `ssh-config` package lacks
 * and an importer needs: line numbers for every problem, `Include` followed (globs, relative to
 * ~/.ssh, loops caught), and nothing ever executed.
 */

export interface ConfigProblem {
  file: string;
  line: number;
  message: string;
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
  condition: Condition | null;
}

export interface ParsedConfig {
  lines: ConfigLine[];
  conditions: Condition[];
  problems: ConfigProblem[];
}

const MAX_INCLUDE_DEPTH = 16;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

/** Splits arguments on whitespace, honouring double quotes as readconf's argv_split does. */
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

export function parseSshConfigFile(path: string, options: ParseOptions = {}): ParsedConfig {
  const out: ParsedConfig = { lines: [], conditions: [], problems: [] };
  const base = options.includeBase ?? dirname(resolve(path));
  readInto(resolve(path), null, [], base, out);
  return out;
}

function readInto(file: string, inherited: Condition | null, stack: string[], includeBase: string, out: ParsedConfig): void {
  let text: string;
  try {
    const stat = statSync(file);
    // A device or a pipe (/dev/zero, /dev/stdin) would be read forever or block: files only.
    if (!stat.isFile()) {
      out.problems.push({ file, line: 0, message: 'not a regular file' });
      return;
    }
    if (stat.size > MAX_FILE_BYTES) {
      out.problems.push({ file, line: 0, message: 'the file is too large' });
      return;
    }
    text = readFileSync(file, 'utf8');
  } catch (err) {
    out.problems.push({ file, line: 0, message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return;
  }
  let condition = inherited;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const problem = (message: string): void => void out.problems.push({ file, line, message });
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^([^\s=]+)\s*(?:=\s*|\s+|$)(.*)$/.exec(trimmed);
    if (!m) return problem('cannot parse this line');
    const name = m[1]!;
    const rest = m[2]!.trim();
    const keyword = name.toLowerCase();
    const args = splitArgs(rest);
    if (args === null) return problem(`${name}: unterminated quote`);
    if (keyword === 'host') {
      if (args.length === 0) return problem('Host needs at least one pattern');
      condition = { kind: 'host', patterns: args, file, line };
      out.conditions.push(condition);
      return;
    }
    if (keyword === 'match') {
      const criteria: { name: string; negated: boolean; args: string[] }[] = [];
      for (let i = 0; i < args.length; i++) {
        const word = args[i]!;
        const negated = word.startsWith('!');
        const crit = (negated ? word.slice(1) : word).toLowerCase();
        if (crit === 'all' || crit === 'canonical' || crit === 'final') criteria.push({ name: crit, negated, args: [] });
        else if (i + 1 < args.length) criteria.push({ name: crit, negated, args: args[++i]!.split(',') });
        else return problem(`Match ${crit} needs an argument`);
      }
      if (criteria.length === 0) return problem('Match needs a criterion');
      condition = { kind: 'match', criteria, file, line };
      out.conditions.push(condition);
      return;
    }
    if (keyword === 'include') {
      if (args.length === 0) return problem('Include needs a path');
      if (stack.length >= MAX_INCLUDE_DEPTH) return problem(`Include nested more than ${MAX_INCLUDE_DEPTH} deep`);
      for (const arg of args) {
        const expanded = expandTilde(arg);
        const pattern = isAbsolute(expanded) ? expanded : join(includeBase, expanded);
        for (const target of expandGlob(pattern)) {
          const abs = resolve(target);
          if (abs === file || stack.includes(abs)) {
            problem(`Include loop: ${basename(abs)} includes itself`);
            continue;
          }
          // Lines of the included file obey the block around the Include until it opens its own.
          readInto(abs, condition, [...stack, file], includeBase, out);
        }
      }
      return;
    }
    if (args.length === 0) return problem(`${name}: missing argument`);
    out.lines.push({ file, line, keyword, name, args, rest: rest.replace(/^"(.*)"$/, '$1'), condition });
  });
}
