/** Builds the published vector form of a case, with every frame encoded by the reference codec. */
import { encodeMessage } from '../src/codec.js';
import { messageSchemas } from '../src/schemas/all.js';
import { commandArgsSchemas } from '../src/schemas/commands.js';
import { updateArgsSchema, updatePairSchema } from '../src/schemas/updates.js';
import { workerInfoResultSchema } from '../src/schemas/master-to-worker.js';
import { errors, masterToWorker, workerToMaster, type VectorCase } from './vector-cases.js';

export interface Frame { json?: unknown; json_text?: string; msgpack_hex?: string }
export interface Vector {
  name: string;
  description: string;
  direction: VectorCase['direction'];
  request: Frame;
  expect: VectorCase['expect'];
  expected_response: Frame | null;
  expected_close_code?: number;
  /** Send `request` this many times (default once); only the last may cause the expected outcome. */
  repeat?: number;
}

function frame(msg: Record<string, unknown>): Frame {
  return {
    json: JSON.parse(encodeMessage(msg, 'json') as string),
    msgpack_hex: (encodeMessage(msg, 'msgpack') as Buffer).toString('hex'),
  };
}

export function buildVector(c: VectorCase): Vector {
  const request = c.raw ? { ...c.raw } : frame(c.request!);
  let expected_response: Frame | null = null;
  const seq = c.request?.seq_number;
  if (c.expect === 'response') expected_response = frame({ op: 'response', seq_number: seq, result: c.result ?? null });
  if (c.expect === 'exception' && c.exception !== undefined) {
    expected_response = frame({ op: 'response', seq_number: seq, result: c.exception, is_exception: true });
  }
  return {
    name: c.name,
    description: c.description,
    direction: c.direction,
    request,
    expect: c.expect,
    expected_response,
    ...(c.closeCode !== undefined ? { expected_close_code: c.closeCode } : {}),
    ...(c.repeat !== undefined ? { repeat: c.repeat } : {}),
  };
}

/** Vector file name -> its cases. */
export const vectorFiles: Record<string, VectorCase[]> = {
  'master-to-worker.json': masterToWorker,
  'worker-to-master.json': workerToMaster,
  'errors.json': errors,
};


/**
 * Every schema in one JSON document for implementations in other languages. `x-binary: true` marks
 * a bytes value (msgpack bin; `{"$binary": base64}` in JSON); `mastro:update-*` ids are referenced by `$ref`.
 */
export function schemaBundle(): Record<string, unknown> {
  return {
    $comment: 'Generated from packages/protocol/src/schemas by scripts/generate-vectors.ts; do not edit.',
    messages: messageSchemas,
    commands: commandArgsSchemas,
    definitions: { 'update-pair': updatePairSchema, 'update-args': updateArgsSchema, 'get_worker_info-result': workerInfoResultSchema },
  };
}
