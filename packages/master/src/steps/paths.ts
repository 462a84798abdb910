/**
 * Master-side paths used by transfer steps (fileUpload's masterdest, fileDownload's mastersrc...).
 * A config may name them relative to the master directory; whatever the form, the resolved path must
 * stay inside an allowed root (default: the master directory). Both the written path (`..`) and the
 * real path on disk (symlinks anywhere along it) are checked, so a symlink planted in an upload
 * directory cannot redirect a write elsewhere.
 */
import { realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isInside } from 'mastro-protocol';
import { StepRefusedError } from './errors.js';

export interface MasterPathPolicy {
  /** Absolute master directory; relative paths are resolved against it. */
  masterDir: string;
  /** Directory nothing may escape (relative to masterDir when relative). Default: masterDir. */
  allowedRoot?: string;
}

/** The real path of `p`, or of its deepest existing ancestor joined with the rest (for files not yet written). */
async function realpathOfExistingPart(p: string): Promise<string> {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = await realpath(head);
      return tail.length ? resolve(real, ...tail.reverse()) : real;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
      const parent = dirname(head);
      if (parent === head) return p;
      tail.push(head.slice(parent.length).replace(/^[\\/]+/, ''));
      head = parent;
    }
  }
}

/**
 * Resolves `userPath` for the master side of a transfer and refuses it (StepRefusedError, code
 * `path_escapes_root`) if it leaves the allowed root lexically or through a symlink.
 * `what` names the option in the error ("masterdest").
 */
export async function resolveMasterPath(userPath: string, policy: MasterPathPolicy, what: string): Promise<string> {
  if (typeof userPath !== 'string' || userPath === '') {
    throw new StepRefusedError(`${what} is empty: give a path relative to the master directory`, 'path_empty');
  }
  if (userPath.includes('\0')) throw new StepRefusedError(`${what} contains a NUL byte`, 'path_invalid');
  const root = resolve(policy.masterDir, policy.allowedRoot ?? '.');
  const target = resolve(policy.masterDir, userPath);
  const explain = () =>
    `${what} "${userPath}" resolves outside the allowed directory ${root}; ` +
    `use a path inside it (or set the step's allowedRoot option to a directory that contains it)`;
  if (!isInside(root, target)) throw new StepRefusedError(explain(), 'path_escapes_root');
  const realRoot = await realpathOfExistingPart(root);
  const realTarget = await realpathOfExistingPart(target);
  if (!isInside(realRoot, realTarget)) {
    throw new StepRefusedError(`${explain()} (through a symbolic link: it really is ${realTarget})`, 'path_escapes_root');
  }
  return target;
}
