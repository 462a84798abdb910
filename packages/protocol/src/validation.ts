/**
 * Message validation against the schemas in schemas/. Every schema is compiled once, at module load
 * (a few milliseconds), so validating a message costs one compiled-function call.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { ErrorCodes, ProtocolError } from './errors.js';
import { canonicalCommandName, commandArgsSchemas, type CommandName } from './schemas/commands.js';
import { masterToWorkerSchemas, workerInfoResultSchema } from './schemas/master-to-worker.js';
import { responseSchema } from './schemas/response.js';
import { updateArgsSchema, updatePairSchema } from './schemas/updates.js';
import { workerToMasterSchemas } from './schemas/worker-to-master.js';
import { seqNumberSchema } from './schemas/common.js';

/** Every message schema by op, both directions plus `response`. */
export const messageSchemas = {
  ...masterToWorkerSchemas,
  ...workerToMasterSchemas,
  response: responseSchema,
} as const;
export type KnownOp = keyof typeof messageSchemas;
export const KNOWN_OPS = Object.keys(messageSchemas) as KnownOp[];

function isKnownOp(op: string): op is KnownOp {
  return Object.hasOwn(messageSchemas, op);
}

const ajv = new Ajv({
  allErrors: false,
  // Buildbot's tuples ([text, indexes, times]) are described draft-07 style with `items: [...]`.
  strictTuples: false,
  allowUnionTypes: true,
});
ajv.addKeyword({
  keyword: 'x-binary',
  schemaType: 'boolean',
  errors: false,
  validate: (expected: boolean, data: unknown) => !expected || data instanceof Uint8Array,
});
ajv.addSchema(updatePairSchema);
ajv.addSchema(updateArgsSchema);

function compileAll<K extends string>(schemas: Readonly<Record<K, object>>): Record<K, ValidateFunction> {
  const out = {} as Record<K, ValidateFunction>;
  for (const key of Object.keys(schemas) as K[]) out[key] = ajv.compile(schemas[key]);
  return out;
}

const messageValidators = compileAll(messageSchemas);
const commandValidators = compileAll(commandArgsSchemas);
const envelopeValidator = ajv.compile({
  type: 'object',
  properties: { op: { type: 'string', minLength: 1 }, seq_number: seqNumberSchema },
  required: ['op', 'seq_number'],
});

export type ValidationResult<T> = { ok: true; msg: T } | { ok: false; error: ProtocolError };

/** One-line description of the first schema error, naming the offending field. */
function describe(errors: ErrorObject[] | null | undefined): string {
  const first = errors?.[0];
  if (!first) return 'does not match the schema';
  const where = first.instancePath ? first.instancePath.slice(1).replace(/\//g, '.') : '';
  if (first.keyword === 'required') return `missing field ${where ? `${where}.` : ''}${String(first.params.missingProperty)}`;
  if (first.keyword === 'x-binary') return `${where || 'value'} must be binary (msgpack bin, or {"$binary": base64} in JSON)`;
  return `${where || 'message'} ${first.message ?? 'is invalid'}`;
}

/**
 * Checks a decoded message: the envelope (`op` string, `seq_number` non-negative integer) always, and
 * the op's schema when the op is known. Unknown ops pass (the connection answers them UNKNOWN_OP);
 * `start_command` args are checked against the command's schema when the command is known.
 */
export function validateMessage(msg: unknown): ValidationResult<Record<string, unknown> & { op: string; seq_number: number }> {
  if (!envelopeValidator(msg)) {
    const op = typeof (msg as { op?: unknown } | null)?.op === 'string' ? (msg as { op: string }).op : 'unknown';
    return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_MESSAGE, { op, detail: describe(envelopeValidator.errors) }) };
  }
  const message = msg as Record<string, unknown> & { op: string; seq_number: number };
  const { op } = message;
  if (isKnownOp(op)) {
    const validate = messageValidators[op];
    if (!validate(message)) {
      return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_MESSAGE, { op, detail: describe(validate.errors) }) };
    }
    if (op === 'start_command') {
      const command = canonicalCommandName(message.command_name as string);
      if (command) {
        const checked = validateCommandArgs(command, message.args);
        if (!checked.ok) return checked;
      }
    }
  }
  return { ok: true, msg: message };
}

/** Checks the args of a command (canonical name or alias). An unknown command is UNKNOWN_COMMAND. */
export function validateCommandArgs(command: string, args: unknown): ValidationResult<Record<string, unknown>> {
  const name: CommandName | undefined = canonicalCommandName(command);
  if (!name) return { ok: false, error: new ProtocolError(ErrorCodes.UNKNOWN_COMMAND, { command }) };
  const validate = commandValidators[name];
  if (!validate(args)) {
    return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_COMMAND_ARGS, { command, detail: describe(validate.errors) }) };
  }
  return { ok: true, msg: args as Record<string, unknown> };
}

const workerInfoValidator = ajv.compile(workerInfoResultSchema);

/** Checks a `get_worker_info` result before the master relies on it. */
export function validateWorkerInfo(info: unknown): ValidationResult<Record<string, unknown>> {
  if (!workerInfoValidator(info)) {
    return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_MESSAGE, { op: 'get_worker_info result', detail: describe(workerInfoValidator.errors) }) };
  }
  return { ok: true, msg: info as Record<string, unknown> };
}

export { isKnownOp };
