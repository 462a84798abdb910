/** Requests a worker sends to the master while a command runs. Every result is null except `update_read_file`. */
import { binarySchema, commandIdSchema, messageSchema, nullableString, type CommandId, type Envelope } from './common.js';
import type { UpdatePair } from './updates.js';

/** Progress of a command: a batch of [key, value] pairs (see updates.ts). */
export interface UpdateMessage extends Envelope<'update'> { command_id: CommandId; args: UpdatePair[] }
export const updateSchema = messageSchema('update', {
  command_id: commandIdSchema,
  args: { $ref: 'mastro:update-args' },
}, ['command_id', 'args']);

/** The command finished. `args` is null on success, else the failure text. */
export interface CompleteMessage extends Envelope<'complete'> { command_id: CommandId; args: string | null }
export const completeSchema = messageSchema('complete', {
  command_id: commandIdSchema,
  args: nullableString,
}, ['command_id', 'args']);

/** One block of an `upload_file` command's file, in order. */
export interface UploadFileWriteMessage extends Envelope<'update_upload_file_write'> { command_id: CommandId; args: Buffer }
export const uploadFileWriteSchema = messageSchema('update_upload_file_write', {
  command_id: commandIdSchema,
  args: binarySchema,
}, ['command_id', 'args']);

/** Sets the uploaded file's times (`keepstamp`), sent after `update_upload_file_close`. Unix seconds. */
export interface UploadFileUtimeMessage extends Envelope<'update_upload_file_utime'> {
  command_id: CommandId;
  access_time: number;
  modified_time: number;
}
export const uploadFileUtimeSchema = messageSchema('update_upload_file_utime', {
  command_id: commandIdSchema,
  access_time: { type: 'number' },
  modified_time: { type: 'number' },
}, ['command_id', 'access_time', 'modified_time']);

/** No more blocks for this `upload_file`: the master closes the destination file. */
export interface UploadFileCloseMessage extends Envelope<'update_upload_file_close'> { command_id: CommandId }
export const uploadFileCloseSchema = messageSchema('update_upload_file_close', { command_id: commandIdSchema }, ['command_id']);

/** One block of the tar archive of an `upload_directory` command, in order. */
export interface UploadDirectoryWriteMessage extends Envelope<'update_upload_directory_write'> { command_id: CommandId; args: Buffer }
export const uploadDirectoryWriteSchema = messageSchema('update_upload_directory_write', {
  command_id: commandIdSchema,
  args: binarySchema,
}, ['command_id', 'args']);

/** The archive is complete: the master unpacks it into the destination directory. */
export interface UploadDirectoryUnpackMessage extends Envelope<'update_upload_directory_unpack'> { command_id: CommandId }
export const uploadDirectoryUnpackSchema = messageSchema('update_upload_directory_unpack', { command_id: commandIdSchema }, ['command_id']);

/**
 * Reads up to `length` bytes of a `download_file` source. Result: the bytes (empty at end of file).
 * (Buildbot 3.7's master answers null here, a bug of that version.)
 */
export interface ReadFileMessage extends Envelope<'update_read_file'> { command_id: CommandId; length: number }
export const readFileSchema = messageSchema('update_read_file', {
  command_id: commandIdSchema,
  length: { type: 'integer', minimum: 0 },
}, ['command_id', 'length']);

/** The download is over: the master closes its source. */
export interface ReadFileCloseMessage extends Envelope<'update_read_file_close'> { command_id: CommandId }
export const readFileCloseSchema = messageSchema('update_read_file_close', { command_id: commandIdSchema }, ['command_id']);

export type WorkerToMasterMessage =
  | UpdateMessage | CompleteMessage | UploadFileWriteMessage | UploadFileUtimeMessage | UploadFileCloseMessage
  | UploadDirectoryWriteMessage | UploadDirectoryUnpackMessage | ReadFileMessage | ReadFileCloseMessage;

export const workerToMasterSchemas = {
  update: updateSchema,
  complete: completeSchema,
  update_upload_file_write: uploadFileWriteSchema,
  update_upload_file_utime: uploadFileUtimeSchema,
  update_upload_file_close: uploadFileCloseSchema,
  update_upload_directory_write: uploadDirectoryWriteSchema,
  update_upload_directory_unpack: uploadDirectoryUnpackSchema,
  update_read_file: readFileSchema,
  update_read_file_close: readFileCloseSchema,
} as const;
