/**
 * Args of the file-system commands. Paths are absolute on the worker: the Buildbot master joins the
 * step's relative paths with the builder directory before sending (and renames `dir`/`file` to `path(s)`).
 * Each command answers with updates (`rc`, and `stat`/`files` where noted) then `complete`.
 */
import { nullableNumber, type Schema } from './common.js';

const stringList = { type: 'array', items: { type: 'string' }, minItems: 1 } as const;
const cleanupOptions = { logEnviron: { type: 'boolean' }, timeout: nullableNumber, maxTime: nullableNumber } as const;

/** Updates: `['stat', [mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime]]`, `['rc', 0]`; on error a `header` and `['rc', errno]`. */
export interface StatArgs { path: string; workdir?: string }
export const statArgsSchema: Schema = { $id: 'mastro:args:stat', type: 'object', properties: { path: { type: 'string' }, workdir: { type: 'string' } }, required: ['path'] };

/** `path` is a glob pattern (`**` recursive). Updates: `['files', [...]]`, `['rc', 0]`. */
export interface GlobArgs { path: string }
export const globArgsSchema: Schema = { $id: 'mastro:args:glob', type: 'object', properties: { path: { type: 'string' } }, required: ['path'] };

/** Updates: `['files', [names...]]`, `['rc', 0]`. */
export interface ListdirArgs { path: string }
export const listdirArgsSchema: Schema = { $id: 'mastro:args:listdir', type: 'object', properties: { path: { type: 'string' } }, required: ['path'] };

/** Creates each directory with its parents; existing ones are fine. */
export interface MkdirArgs { paths: string[]; logEnviron?: boolean }
export const mkdirArgsSchema: Schema = { $id: 'mastro:args:mkdir', type: 'object', properties: { paths: stringList, logEnviron: { type: 'boolean' } }, required: ['paths'] };

/** Removes each path recursively; `rc` is non-zero if any removal failed. */
export interface RmdirArgs { paths: string[]; logEnviron?: boolean; timeout?: number | null; maxTime?: number | null }
export const rmdirArgsSchema: Schema = { $id: 'mastro:args:rmdir', type: 'object', properties: { paths: stringList, ...cleanupOptions }, required: ['paths'] };

/** Removes one file. */
export interface RmfileArgs { path: string }
export const rmfileArgsSchema: Schema = { $id: 'mastro:args:rmfile', type: 'object', properties: { path: { type: 'string' } }, required: ['path'] };

/** Copies a directory tree (`cp -R -P -p`). */
export interface CpdirArgs { from_path: string; to_path: string; logEnviron?: boolean; timeout?: number | null; maxTime?: number | null }
export const cpdirArgsSchema: Schema = {
  $id: 'mastro:args:cpdir',
  type: 'object',
  properties: { from_path: { type: 'string' }, to_path: { type: 'string' }, ...cleanupOptions },
  required: ['from_path', 'to_path'],
};
