/**
 * What a worker's transfer calls do on the master, whatever protocol carries them: msgpack's
 * `update_upload_*` / `update_read_file*` requests, or PB's calls on the writer and reader objects
 * the master lends. Each names the command it belongs to; a call of the wrong kind for that
 * command is refused, and a refused upload records why on the command (its `localFailure`), so the
 * step fails with the master's reason rather than the worker's echo of it.
 */
import { DirectoryWriter } from './directory-writer.js';
import { FileWriter } from './file-writer.js';
import type { FileReader } from './file-reader.js';
import type { TrackedCommand } from './tracked-command.js';
import { isUploadRefusal } from './upload-errors.js';

/** The command's file writer; `call` names the call in the refusal. */
export function fileWriterOf(tracked: TrackedCommand, call: string): FileWriter {
  const writer = tracked.writer;
  if (!(writer instanceof FileWriter)) throw new Error(`${call} for a command that is not a file upload`);
  return writer;
}

/** Appends one block to the command's file or directory upload. */
export async function writeBlock(tracked: TrackedCommand, kind: 'file' | 'directory', data: unknown, call: string): Promise<null> {
  const writer = tracked.writer;
  if (!(writer instanceof (kind === 'file' ? FileWriter : DirectoryWriter))) throw new Error(`${call} for a command that is not a ${kind} upload`);
  try { await writer!.write(data); } catch (err) {
    tracked.localFailure = { message: `upload to ${writer!.destination} failed: ${(err as Error).message}`, refused: isUploadRefusal(err) };
    throw err;
  }
  return null;
}

/** Unpacks a complete directory upload; what was left out reaches the step's stdio log. */
export async function unpackDirectory(tracked: TrackedCommand, call: string): Promise<null> {
  const writer = tracked.writer;
  if (!(writer instanceof DirectoryWriter)) throw new Error(`${call} for a command that is not a directory upload`);
  let unpacked;
  try { unpacked = await writer.unpack(); } catch (err) {
    tracked.localFailure = { message: `directory upload into ${writer.destination} failed: ${(err as Error).message}`, refused: isUploadRefusal(err) };
    throw err;
  }
  if (unpacked.notice) await tracked.applyUpdate([['header', unpacked.notice]]);
  return null;
}

/** The command's download reader. */
export function readerOf(tracked: TrackedCommand, call: string): FileReader {
  const reader = tracked.reader;
  if (!reader) throw new Error(`${call} for a command that is not a download`);
  return reader;
}
