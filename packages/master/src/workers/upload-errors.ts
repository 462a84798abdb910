/**
 * Why the master refused what a worker uploaded: over a limit, not a valid archive, or clashing
 * with what is on the master. Archive refusals (malformed, unsafe, over the extraction limits)
 * keep mastro-protocol's TarError and its codes. A refusal fails the step (FAILURE, the reason in its log), as
 * Buildbot's upload steps fail when the worker hits `maxsize`; the master and other builds go on.
 */
import { TarError } from 'mastro-protocol/tar';

export type UploadRefusalCode =
  /** The worker sent more bytes than the step's `maxsize`. */
  | 'upload_over_maxsize'
  /** The worker sent more bytes than the master's `maxUploadSize`. */
  | 'upload_too_large'
  /** A directory upload would put a file where masterdest has a directory. */
  | 'upload_conflict';

export class UploadRefusedError extends Error {
  constructor(readonly code: UploadRefusalCode, message: string) {
    super(message);
    this.name = 'UploadRefusedError';
  }
}

/** True for the errors that mean "the upload was refused" rather than "the master failed". */
export function isUploadRefusal(err: unknown): boolean {
  return err instanceof UploadRefusedError || err instanceof TarError;
}
