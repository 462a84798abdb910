/**
 * Message validation against the schemas in schemas/. The validators are ajv standalone code
 * generated at build time (src/generated/, see scripts/generate-validators.ts), so validating costs
 * one plain function call and neither ajv nor a schema compilation is paid at start-up.
 */
import { ErrorCodes, ProtocolError } from './errors.js';
import { canonicalCommandName, type CommandName } from './schemas/commands.js';
import { messageSchemas, type KnownOp } from './schemas/all.js';
import * as generated from './generated/validators.js';

export { messageSchemas, type KnownOp };
export const KNOWN_OPS = Object.keys(messageSchemas) as KnownOp[];

function isKnownOp(op: string): op is KnownOp {
  return Object.hasOwn(messageSchemas, op);
}

/** The part of an ajv error the descriptions below use. */
interface SchemaError { instancePath: string; keyword: string; params: Record<string, unknown>; message?: string }
/** A generated validator: true when valid; otherwise `errors` holds the first error. */
interface Validator { (data: unknown): boolean; errors?: SchemaError[] | null }

const validators = generated as unknown as Record<string, Validator>;
function validator(name: string): Validator {
  const v = validators[name];
  if (!v) throw new Error(`no generated validator ${name}: run scripts/generate-validators.ts`);
  return v;
}
const envelopeValidator = validator('validateEnvelope');
const workerInfoValidator = validator('validateWorkerInfoResult');
const messageValidators = Object.fromEntries(KNOWN_OPS.map((op) => [op, validator(`message_${op}`)])) as Record<KnownOp, Validator>;
const commandValidator = (name: CommandName): Validator => validator(`args_${name}`);

export type ValidationResult<T> = { ok: true; msg: T } | { ok: false; error: ProtocolError };

/** One-line description of the first schema error, naming the offending field. */
function describe(errors: SchemaError[] | null | undefined): string {
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
  const validate = commandValidator(name);
  if (!validate(args)) {
    return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_COMMAND_ARGS, { command, detail: describe(validate.errors) }) };
  }
  return { ok: true, msg: args as Record<string, unknown> };
}

/** Checks a `get_worker_info` result before the master relies on it. */
export function validateWorkerInfo(info: unknown): ValidationResult<Record<string, unknown>> {
  if (!workerInfoValidator(info)) {
    return { ok: false, error: new ProtocolError(ErrorCodes.INVALID_MESSAGE, { op: 'get_worker_info result', detail: describe(workerInfoValidator.errors) }) };
  }
  return { ok: true, msg: info as Record<string, unknown> };
}

export { isKnownOp };
