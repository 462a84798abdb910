/**
 * The commands this worker runs, by the names masters use. Buildbot's camelCase aliases
 * (`uploadFile`, ...) map to the same commands. `worker_commands` in the worker info lists them
 * with Buildbot's command version, which masters check before using a command.
 */
import type { CommandDefinition } from './types.js';
import { shell } from './shell.js';
import { stat } from './stat.js';
import { glob } from './glob.js';
import { listdir } from './listdir.js';
import { mkdir } from './mkdir.js';
import { rmdir } from './rmdir.js';
import { rmfile } from './rmfile.js';
import { cpdir } from './cpdir.js';
import { uploadFile } from './upload-file.js';
import { uploadDirectory } from './upload-directory.js';
import { downloadFile } from './download-file.js';

/** Buildbot worker 3.7's `command_version`; masters compare against it. */
export const COMMAND_VERSION = '3.1';

const commands = [shell, stat, glob, listdir, mkdir, rmdir, rmfile, cpdir, uploadFile, uploadDirectory, downloadFile];
const aliases: Record<string, CommandDefinition> = { uploadFile, uploadDirectory, downloadFile };

export const commandRegistry: ReadonlyMap<string, CommandDefinition> = new Map([
  ...commands.map((c) => [c.name, c] as const),
  ...Object.entries(aliases),
]);

export function commandVersions(): Record<string, string> {
  return Object.fromEntries([...commandRegistry.keys()].map((name) => [name, COMMAND_VERSION]));
}
