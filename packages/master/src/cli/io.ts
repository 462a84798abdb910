/** What a CLI command may use: its arguments and output streams (tests pass their own). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
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

/** Parses options (`{ name: { type: 'string' | 'boolean' } }`); a string option's value is `str(values.name)`. */
export function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, maxPositionals: number): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true }) as Parsed;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (parsed.positionals.length > maxPositionals) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`);
  return parsed;
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
