/**
 * Every schema the validators are generated from, in one place: messages by op (both directions plus
 * `response`), command args by canonical name, the envelope every frame must have, and the
 * `get_worker_info` result. scripts/generate-validators.ts compiles these into src/generated/.
 */
import { seqNumberSchema, type Schema } from './common.js';
import { commandArgsSchemas } from './commands.js';
import { masterToWorkerSchemas, workerInfoResultSchema } from './master-to-worker.js';
import { responseSchema } from './response.js';
import { updateArgsSchema, updatePairSchema } from './updates.js';
import { workerToMasterSchemas } from './worker-to-master.js';

/** Every message schema by op, both directions plus `response`. */
export const messageSchemas = {
  ...masterToWorkerSchemas,
  ...workerToMasterSchemas,
  response: responseSchema,
} as const;
export type KnownOp = keyof typeof messageSchemas;

/** What the connection needs before anything else: an `op` string and a usable `seq_number`. */
export const envelopeSchema: Schema = {
  $id: 'mastro:envelope',
  type: 'object',
  properties: { op: { type: 'string', minLength: 1 }, seq_number: seqNumberSchema },
  required: ['op', 'seq_number'],
};

/** Schemas other schemas reference by `$id` (compiled alongside, never exported on their own). */
export const sharedSchemas: readonly Schema[] = [updatePairSchema, updateArgsSchema];

export { commandArgsSchemas, workerInfoResultSchema };
