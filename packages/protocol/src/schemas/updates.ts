/**
 * The payload of `update`: a list of `[key, value]` pairs (Buildbot 3.7; the published spec's dict
 * form is not what it sends). Known keys have typed values; unknown keys pass with any value so newer
 * peers can add some.
 */
import { binarySchema, type Schema } from './common.js';

/**
 * Output text with line bookkeeping: `text` holds whole lines, `newlineIndexes[i]` is the offset of
 * the i-th `\n` in `text`, `times[i]` the Unix time (seconds, float) that line started arriving.
 */
export type LineChunk = [text: string, newlineIndexes: number[], times: number[]];

/**
 * Output as a text key carries it: a LineChunk (Buildbot), a bare string (Buildbot's transfer
 * commands), or UTF-8 bytes of whole lines (a mastro worker told `mastro_output_bytes`).
 */
export type OutputValue = LineChunk | string | Uint8Array;

export type UpdatePair =
  | ['stdout' | 'stderr' | 'header', OutputValue]
  | ['log', [logName: string, chunk: OutputValue]]
  | ['rc', number]
  | ['elapsed', number]
  /** `os.stat()` as a 10-tuple: mode, ino, dev, nlink, uid, gid, size, atime, mtime, ctime. */
  | ['stat', number[]]
  | ['files', string[]]
  | [key: string, value: unknown];

/**
 * Accepted for text keys: Buildbot's transfer commands send a bare string for `stderr` in their final
 * update (they bypass the line splitter), so a plain string is valid too; and bytes, which a mastro
 * worker sends once the master set `mastro_output_bytes`.
 */
const lineChunkSchema = {
  anyOf: [
    {
      type: 'array',
      items: [
        { type: 'string' },
        { type: 'array', items: { type: 'integer', minimum: 0 } },
        { type: 'array', items: { type: 'number' } },
      ],
      minItems: 3,
    },
    { type: 'string' },
    binarySchema,
  ],
} as const;

function pair(key: string, value: Record<string, unknown>): Schema {
  return { type: 'array', items: [{ const: key }, value], minItems: 2, maxItems: 2 };
}

export const updatePairSchema: Schema = {
  $id: 'mastro:update-pair',
  type: 'array',
  minItems: 2,
  maxItems: 2,
  items: [{ type: 'string' }, {}],
  allOf: [
    // Each `if` picks the key; the `then` types its value.
    ...(['stdout', 'stderr', 'header'] as const).map((key) => ({
      if: { items: [{ const: key }] }, then: pair(key, lineChunkSchema),
    })),
    {
      if: { items: [{ const: 'log' }] },
      then: pair('log', { type: 'array', items: [{ type: 'string' }, lineChunkSchema], minItems: 2 }),
    },
    { if: { items: [{ const: 'rc' }] }, then: pair('rc', { type: ['integer', 'null'] }) },
    { if: { items: [{ const: 'elapsed' }] }, then: pair('elapsed', { type: 'number' }) },
    { if: { items: [{ const: 'stat' }] }, then: pair('stat', { type: 'array', items: { type: 'number' } }) },
    { if: { items: [{ const: 'files' }] }, then: pair('files', { type: 'array', items: { type: 'string' } }) },
  ],
};

export const updateArgsSchema: Schema = {
  $id: 'mastro:update-args',
  type: 'array',
  items: { $ref: 'mastro:update-pair' },
};
