#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { TunnelError, toErrorInfo } from '../../shared/errors.js';
import { parseSshCommand } from '../openssh/argv.js';
import { runUp } from './up.js';
import { USAGE } from './usage.js';

/** Bad input exits 2 with one line on stderr; never a stack trace. */
export const EXIT_USAGE = 2;
export const EXIT_FAILED = 1;

interface SubcommandArgs {
  json: boolean;
  rest: string[];
}

function splitArgs(args: string[], flags: readonly string[]): SubcommandArgs {
  let json = false;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '--json' && flags.includes('--json')) json = true;
    else if (a.startsWith('--')) throw new TunnelError('BAD_ARGUMENT', `unknown flag ${a}`);
    else break;
  }
  return { json, rest: args.slice(i) };
}

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? EXIT_USAGE : 0;
    case '--version':
    case '-V':
      process.stdout.write(`tunnelvision ${version()}\n`);
      return 0;
    case 'parse': {
      const { json, rest } = splitArgs(args, ['--json']);
      const { profile, warnings } = parseSshCommand(rest);
      if (json) process.stdout.write(`${JSON.stringify({ ...profile, warnings })}\n`);
      else {
        process.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
        for (const w of warnings) process.stderr.write(`tunnelvision: warning: ${w}\n`);
      }
      return 0;
    }
    case 'up': {
      const { json, rest } = splitArgs(args, ['--json']);
      const { profile, warnings } = parseSshCommand(rest);
      return runUp(profile, warnings, { json });
    }
    default:
      throw new TunnelError('BAD_ARGUMENT', `unknown command '${command}' (try: tunnelvision help)`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const info = toErrorInfo(err);
    process.stderr.write(`tunnelvision: error [${info.code}]: ${info.message}\n`);
    process.exitCode = err instanceof TunnelError ? EXIT_USAGE : EXIT_FAILED;
  },
);
