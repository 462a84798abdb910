/** Command name -> args schema, including the camelCase aliases `buildbot-worker` also accepts. */
import type { Schema } from './common.js';
import { cpdirArgsSchema, globArgsSchema, listdirArgsSchema, mkdirArgsSchema, rmdirArgsSchema, rmfileArgsSchema, statArgsSchema } from './commands-fs.js';
import type { CpdirArgs, GlobArgs, ListdirArgs, MkdirArgs, RmdirArgs, RmfileArgs, StatArgs } from './commands-fs.js';
import { shellArgsSchema, type ShellArgs } from './commands-shell.js';
import { downloadFileArgsSchema, uploadDirectoryArgsSchema, uploadFileArgsSchema } from './commands-transfer.js';
import type { DownloadFileArgs, UploadDirectoryArgs, UploadFileArgs } from './commands-transfer.js';

export interface CommandArgsMap {
  shell: ShellArgs;
  stat: StatArgs;
  glob: GlobArgs;
  listdir: ListdirArgs;
  mkdir: MkdirArgs;
  rmdir: RmdirArgs;
  rmfile: RmfileArgs;
  cpdir: CpdirArgs;
  upload_file: UploadFileArgs;
  upload_directory: UploadDirectoryArgs;
  download_file: DownloadFileArgs;
}
export type CommandName = keyof CommandArgsMap;

export const commandArgsSchemas = {
  shell: shellArgsSchema,
  stat: statArgsSchema,
  glob: globArgsSchema,
  listdir: listdirArgsSchema,
  mkdir: mkdirArgsSchema,
  rmdir: rmdirArgsSchema,
  rmfile: rmfileArgsSchema,
  cpdir: cpdirArgsSchema,
  upload_file: uploadFileArgsSchema,
  upload_directory: uploadDirectoryArgsSchema,
  download_file: downloadFileArgsSchema,
} as const satisfies Record<CommandName, Schema>;

export const COMMAND_NAMES = Object.keys(commandArgsSchemas) as CommandName[];

/** Older spellings `buildbot-worker` registers for the same commands. */
export const COMMAND_ALIASES: Readonly<Record<string, CommandName>> = {
  uploadFile: 'upload_file',
  uploadDirectory: 'upload_directory',
  downloadFile: 'download_file',
};

/** The canonical name for `name`, or undefined when no such command exists. */
export function canonicalCommandName(name: string): CommandName | undefined {
  if (Object.hasOwn(commandArgsSchemas, name)) return name as CommandName;
  return COMMAND_ALIASES[name];
}
