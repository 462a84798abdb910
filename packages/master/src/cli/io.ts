/** What a CLI command may use: its arguments and output streams (tests pass their own). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closest } from '../model/config-checks.js';
import { ErrorCodes } from '../errors/catalog.js';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

/** A mistake in how the command was called: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  readonly code = ErrorCodes.USAGE;
  constructor(message: string) { super(message); this.name = 'UsageError'; }
}

/** A failure to report to the user (no stack trace), exit code 1. */
export class CliError extends Error {
  readonly code = ErrorCodes.CLI_FAILED;
  constructor(message: string, readonly exitCode = 1) { super(message); this.name = 'CliError'; }
}

export interface Parsed { positionals: string[]; values: Record<string, string | boolean | undefined> }

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses options (`{ name: { type: 'string' | 'boolean' } }`); a string option's value is `str(values.name)`. */
export function parse(argv: string[], options: Options, maxPositionals: number): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError(parseErrorText(err as Error & { code?: string }, options));
  }
  if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  return parsed;
}

/** node:util's parse errors in the CLI's words, with "did you mean" for a mistyped option. */
function parseErrorText(err: Error & { code?: string }, options: Options): string {
  const named = /'(-[^' ]+)/.exec(err.message)?.[1];
  const known = Object.entries(options).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])]);
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      if (!named) break;
      const close = closest(named, known.filter((k) => k.startsWith('--')));
      const hint = close ? `did you mean ${close}?` : known.length ? `options are: ${known.join(', ')}` : 'this command takes no options';
      return `unknown option ${named}; ${hint} (an argument that starts with '-' goes after '--')`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (named && /argument missing/.test(err.message)) return `${named} needs a value`;
      if (named && /does not take an argument/.test(err.message)) return `${named} takes no value`;
      break;
  }
  return err.message;
}

/**
 * The master directory a command names (absolute). Missing: wrong usage (exit 2); not there: exit 1
 * with the same words for every command.
 */
export function masterDirArg(arg: string | undefined, command: string): string {
  if (!arg) throw new UsageError(`${command} needs a master directory`);
  const dir = resolve(arg);
  if (!existsSync(dir)) throw new CliError(`${dir} does not exist, so it is not a master directory; create one with 'mastro create-master ${arg}'`);
  return dir;
}

/** Seconds from an option value. */
export function seconds(value: string | boolean | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const n = typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} takes a number of seconds, got ${JSON.stringify(value)}`);
  return n;
}

export function println(stream: NodeJS.WritableStream, text = ''): void {
  stream.write(`${text}\n`);
}
