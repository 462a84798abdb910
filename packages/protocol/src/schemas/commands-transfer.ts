/**
 * Args of the transfer commands. Over this protocol the master's writer/reader objects stay on the
 * master: the worker addresses them through the command's `command_id` in `update_upload_*` and
 * `update_read_file*` requests. `path` is absolute on the worker; `workdir` and `workersrc`/`workerdest`
 * are the step's originals, sent along for information.
 */
import { nullableInteger, type Schema } from './common.js';

const transferBase = {
  path: { type: 'string' },
  workdir: { type: 'string' },
  /** Bytes; null means unlimited. */
  maxsize: nullableInteger,
  /** Bytes per write/read request. */
  blocksize: { type: 'integer', minimum: 1 },
} as const;

/**
 * Worker -> master: `update_upload_file_write` (blocks), `update_upload_file_close`, then
 * `update_upload_file_utime` if `keepstamp`; final updates `['rc', n]` (+ `['stderr', text]` on failure).
 */
export interface UploadFileArgs {
  path: string;
  workdir?: string;
  workersrc?: string;
  maxsize: number | null;
  blocksize: number;
  keepstamp?: boolean;
}
export const uploadFileArgsSchema: Schema = {
  $id: 'mastro:args:upload_file',
  type: 'object',
  properties: { ...transferBase, workersrc: { type: 'string' }, keepstamp: { type: 'boolean' } },
  required: ['path', 'maxsize', 'blocksize'],
};

/** Worker -> master: tar archive blocks via `update_upload_directory_write`, then `update_upload_directory_unpack`. */
export interface UploadDirectoryArgs {
  path: string;
  workdir?: string;
  workersrc?: string;
  maxsize: number | null;
  blocksize: number;
  /** Archive compression. */
  compress: 'gz' | 'bz2' | null;
}
export const uploadDirectoryArgsSchema: Schema = {
  $id: 'mastro:args:upload_directory',
  type: 'object',
  properties: { ...transferBase, workersrc: { type: 'string' }, compress: { enum: ['gz', 'bz2', null] } },
  required: ['path', 'maxsize', 'blocksize', 'compress'],
};

/** Worker -> master: `update_read_file` (answered with bytes; empty = end) until done, then `update_read_file_close`. */
export interface DownloadFileArgs {
  path: string;
  workdir?: string;
  workerdest?: string;
  maxsize: number | null;
  blocksize: number;
  /** Permission bits for the new file (e.g. 0o755), or null for the umask default. */
  mode: number | null;
}
export const downloadFileArgsSchema: Schema = {
  $id: 'mastro:args:download_file',
  type: 'object',
  properties: { ...transferBase, workerdest: { type: 'string' }, mode: nullableInteger },
  required: ['path', 'maxsize', 'blocksize', 'mode'],
};
