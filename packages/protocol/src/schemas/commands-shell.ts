/** Args of the `shell` command, as the Buildbot 3.7 master sends them (after its path rewriting). */
import { flagSchema, nullableNumber, nullableString, type Schema } from './common.js';

/** An argv word whose real value must not be logged: `['obfuscated', real, fake]`. */
export type ObfuscatedWord = ['obfuscated', string, string];

export interface LogfileSpec { filename: string; follow?: boolean }

export interface ShellArgs {
  /** argv list (run directly) or a string (run through `/bin/sh -c` / `cmd /c`). */
  command: string | Array<string | ObfuscatedWord>;
  /** Absolute directory to run in (the master joins it with the builder directory). */
  workdir: string;
  /** Variables to set; a list value is joined with the path separator, null removes the variable, `${VAR}` expands from the worker's environment. */
  env?: Record<string, string | string[] | null> | null;
  want_stdout?: boolean | number;
  want_stderr?: boolean | number;
  /** Log name -> file (relative to workdir) to follow while the command runs. */
  logfiles?: Record<string, string | LogfileSpec> | null;
  /** Seconds without output before the command is killed. */
  timeout?: number | null;
  /** Seconds of total run time before the command is killed. */
  maxTime?: number | null;
  /** Seconds between the interrupt signal and SIGKILL. */
  sigtermTime?: number | null;
  usePTY?: boolean | string | null;
  logEnviron?: boolean;
  initial_stdin?: string | null;
  /** Signal name without the SIG prefix, e.g. 'TERM' (default 'KILL'). */
  interruptSignal?: string | null;
}

const argvWord = {
  anyOf: [
    { type: 'string' },
    { type: 'array', items: [{ const: 'obfuscated' }, { type: 'string' }, { type: 'string' }], minItems: 3 },
  ],
} as const;

export const shellArgsSchema: Schema = {
  $id: 'mastro:args:shell',
  type: 'object',
  properties: {
    command: { anyOf: [{ type: 'string' }, { type: 'array', items: argvWord, minItems: 1 }] },
    workdir: { type: 'string' },
    env: {
      type: ['object', 'null'],
      additionalProperties: { anyOf: [{ type: 'string' }, { type: 'null' }, { type: 'array', items: { type: 'string' } }] },
    },
    want_stdout: flagSchema,
    want_stderr: flagSchema,
    logfiles: {
      type: ['object', 'null'],
      additionalProperties: {
        anyOf: [
          { type: 'string' },
          { type: 'object', properties: { filename: { type: 'string' }, follow: { type: 'boolean' } }, required: ['filename'] },
        ],
      },
    },
    timeout: nullableNumber,
    maxTime: nullableNumber,
    sigtermTime: nullableNumber,
    usePTY: { type: ['boolean', 'string', 'null'] },
    logEnviron: { type: 'boolean' },
    initial_stdin: nullableString,
    interruptSignal: nullableString,
  },
  required: ['command', 'workdir'],
};
