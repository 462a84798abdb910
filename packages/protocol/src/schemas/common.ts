/**
 * Building blocks shared by the message schemas. Schemas are plain JSON Schema (draft-07, as ajv
 * compiles by default) plus one keyword of ours, `x-binary`: the value is bytes (a Buffer after
 * decoding; msgpack `bin` on the wire, `{"$binary": "<base64>"}` in JSON).
 *
 * Objects allow extra properties everywhere: Buildbot adds fields over time and ignores unknown ones.
 */

/** Names a message or command schema so ajv can reference and report it. */
export type Schema = Readonly<Record<string, unknown>>;

export const seqNumberSchema = { type: 'integer', minimum: 0 } as const;

/** Buildbot's master uses decimal strings ("17"); integers are accepted for other implementations. */
export const commandIdSchema = { type: ['string', 'integer'] } as const;
export type CommandId = string | number;

export const binarySchema = { 'x-binary': true } as const;

export const nullableString = { type: ['string', 'null'] } as const;
export const nullableNumber = { type: ['number', 'null'] } as const;
export const nullableInteger = { type: ['integer', 'null'] } as const;
/** Buildbot's master sends `want_stdout: 1`, its worker protocol converts to booleans; accept both. */
export const flagSchema = { type: ['boolean', 'integer'] } as const;

/** The envelope every message shares: an `op` and a `seq_number`. */
export function messageSchema(op: string, properties: Record<string, unknown>, required: readonly string[]): Schema {
  return {
    $id: `mastro:message:${op}`,
    type: 'object',
    properties: { op: { const: op }, seq_number: seqNumberSchema, ...properties },
    required: ['op', 'seq_number', ...required],
  };
}

/** The common fields of every message as TypeScript sees them. */
export interface Envelope<Op extends string> {
  op: Op;
  seq_number: number;
}
