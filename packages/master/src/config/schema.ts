/**
 * The published JSON Schema of the YAML form (packages/master/schema/master-config.schema.json),
 * compiled once with ajv. Its errors are mapped to the same paths normalisation reports.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigIssue } from '../model/config-errors.js';
import { closest, describe } from '../model/config-checks.js';

/** Absolute path of the schema file (the same from src/config and dist/config). */
export const SCHEMA_PATH = fileURLToPath(new URL('../../schema/master-config.schema.json', import.meta.url));

let compiled: ValidateFunction | undefined;

export function loadSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
}

function validator(): ValidateFunction {
  // verbose: errors carry the offending value and their schema (for "got ..." and "did you mean").
  if (!compiled) compiled = new Ajv({ allErrors: true, strict: false, verbose: true }).compile(loadSchema());
  return compiled;
}

/** `/builders/0/workerNames/1` -> `builders[0].workerNames[1]` */
export function pointerToPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out ? `.${part}` : part;
  }
  return out;
}

/** JSON Schema type names in the words normalisation uses for the TypeScript form. */
const TYPE_WORDS: Record<string, string> = {
  integer: 'a whole number', number: 'a number', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a mapping', null: 'null',
};

function typeMessage(e: ErrorObject): string {
  const types = String((e.params as { type?: string | string[] }).type ?? '').split(',').filter(Boolean);
  const words = types.map((t) => TYPE_WORDS[t] ?? t).join(' or ');
  if (e.instancePath === '' && (e.data === null || e.data === undefined)) {
    return `the config must be ${words} of options (e.g. \`workers: [...]\`); the file is empty`;
  }
  return `must be ${words}, got ${describe(e.data)}`;
}

function unknownOptionMessage(e: ErrorObject, key: string): string {
  const known = Object.keys((e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {});
  const close = closest(key, known);
  return close ? `unknown option; did you mean '${close}'?` : known.length ? `unknown option; known options are: ${known.join(', ')}` : 'unknown option';
}

function message(e: ErrorObject): { path: string; message: string } {
  const path = pointerToPath(e.instancePath);
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'additionalProperties': return { path: path ? `${path}.${p.additionalProperty}` : p.additionalProperty, message: unknownOptionMessage(e, p.additionalProperty) };
    case 'type': return { path, message: typeMessage(e) };
    case 'required': return { path: path ? `${path}.${p.missingProperty}` : p.missingProperty, message: 'is required' };
    case 'enum': return { path, message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'propertyNames': return { path, message: `has an unknown key ${JSON.stringify(p.propertyName)}` };
    default: return { path, message: e.message ?? e.keyword };
  }
}

/** Validates a parsed YAML document; returns one issue per distinct (path, message). */
export function validateAgainstSchema(doc: unknown): ConfigIssue[] {
  const validate = validator();
  if (validate(doc)) return [];
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  // A value of the right type whose branch found a mistake inside it (www: {port: 99999} against
  // "object or null") gets that mistake, not also "www: must be null".
  const specificAt = (path: string) => errors.some((x) => x.keyword !== 'type' && (x.instancePath === path || x.instancePath.startsWith(path + '/')));
  // Type errors of one value from several branches (integer | null) become one message.
  const typeErrors = new Map<string, ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== 'type') continue;
    const first = typeErrors.get(e.instancePath);
    if (!first) { typeErrors.set(e.instancePath, { ...e, params: { type: String((e.params as { type: unknown }).type) } }); continue; }
    (first.params as { type: string }).type += `,${String((e.params as { type: unknown }).type)}`;
  }
  for (const e of errors) {
    if (e.keyword === 'type' && (specificAt(e.instancePath) || typeErrors.get(e.instancePath) === undefined)) continue;
    if (e.keyword === 'propertyNames' && errors.some((x) => x.instancePath.startsWith(e.instancePath + '/') || (x.keyword === 'enum' && x.instancePath === e.instancePath))) continue;
    const m = message(e.keyword === 'type' ? typeErrors.get(e.instancePath)! : e);
    if (e.keyword === 'type') typeErrors.delete(e.instancePath);
    const key = `${m.path}\n${m.message}`;
    if (!seen.has(key)) { seen.add(key); issues.push(m); }
  }
  return issues;
}
