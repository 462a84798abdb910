/**
 * Compiles every schema in src/schemas/all.ts into standalone validator code (ajv `standaloneCode`,
 * ESM), so the published package validates without loading or running ajv: no schema compilation
 * at start-up, no ajv in the runtime dependencies. The generated module must not import anything
 * (checked here): the ajv options below keep every keyword we use free of ajv's runtime helpers.
 */
import { Ajv, _, type KeywordCxt } from 'ajv';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { commandArgsSchemas, envelopeSchema, messageSchemas, sharedSchemas, workerInfoResultSchema } from '../src/schemas/all.js';

/** Export name in the generated module for each kind of schema. */
export const exportNames = {
  envelope: 'validateEnvelope',
  workerInfo: 'validateWorkerInfoResult',
  message: (op: string) => `message_${op}`,
  command: (name: string) => `args_${name}`,
};

export function validatorsSource(): string {
  const ajv = new Ajv({
    allErrors: false,
    // Buildbot's tuples ([text, indexes, times]) are described draft-07 style with `items: [...]`.
    strictTuples: false,
    allowUnionTypes: true,
    // minLength by UTF-16 length: the exact count (ucs2length) would import ajv's runtime.
    unicode: false,
    // Referenced schemas stay functions of their own instead of being copied into each user.
    inlineRefs: false,
    code: { source: true, esm: true, lines: false },
    // `unicode: false` is deprecated in ajv 8 but is what keeps ucs2length out; its notice is expected.
    logger: { log: console.log, warn: (...a: unknown[]) => { if (!/option unicode/.test(String(a[0]))) console.warn(...a); }, error: console.error },
  });
  ajv.addKeyword({
    keyword: 'x-binary',
    schemaType: 'boolean',
    // Generated code, not a validate function: standalone output can only carry code.
    code(cxt: KeywordCxt) {
      if (cxt.schema === true) cxt.fail(_`!(${cxt.data} instanceof Uint8Array)`);
    },
  });
  for (const schema of sharedSchemas) ajv.addSchema(schema);
  const mapping: Record<string, string> = {};
  const add = (name: string, schema: Readonly<Record<string, unknown>>) => {
    const id = schema.$id;
    if (typeof id !== 'string') throw new Error(`schema for ${name} has no $id`);
    if (!ajv.getSchema(id)) ajv.addSchema(schema);
    mapping[name] = id;
  };
  add(exportNames.envelope, envelopeSchema);
  add(exportNames.workerInfo, workerInfoResultSchema);
  for (const [op, schema] of Object.entries(messageSchemas)) add(exportNames.message(op), schema);
  for (const [name, schema] of Object.entries(commandArgsSchemas)) add(exportNames.command(name), schema);

  const code = (standaloneCode as unknown as typeof standaloneCode.default)(ajv, mapping);
  if (/\bimport\b|\brequire\(/.test(code)) {
    throw new Error('generated validators need ajv at run time (a schema uses a keyword with a runtime helper); change the schema or the options');
  }
  return [
    '// @ts-nocheck',
    '/* eslint-disable */',
    '// Generated from src/schemas by scripts/generate-validators.ts (ajv standalone code); do not edit.',
    '// Regenerate: node --import tsx packages/protocol/scripts/generate-validators.ts',
    code.replace(/^"use strict";\n?/, ''),
    '',
  ].join('\n');
}

export const generatedPath = new URL('../src/generated/validators.ts', import.meta.url);
