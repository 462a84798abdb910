/**
 * The published JSON Schema of the YAML form (packages/master/schema/master-config.schema.json),
 * compiled once with ajv. Its errors are mapped to the same paths normalisation reports.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { ConfigIssue } from './errors.js';

/** Absolute path of the schema file (the same from src/config and dist/config). */
export const SCHEMA_PATH = fileURLToPath(new URL('../../schema/master-config.schema.json', import.meta.url));

let compiled: ValidateFunction | undefined;

export function loadSchema(): Record<string, unknown> {
  return JSON.parse(readFileSync(SCHEMA_PATH, 'utf8'));
}

function validator(): ValidateFunction {
  if (!compiled) compiled = new Ajv({ allErrors: true, strict: false }).compile(loadSchema());
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

function message(e: ErrorObject): { path: string; message: string } {
  const path = pointerToPath(e.instancePath);
  const p = e.params as Record<string, any>;
  switch (e.keyword) {
    case 'additionalProperties': return { path: path ? `${path}.${p.additionalProperty}` : p.additionalProperty, message: 'unknown option' };
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
  // `oneOf`/`anyOf` umbrella errors repeat what their branches said; keep the specific ones.
  for (const e of validate.errors ?? []) {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') continue;
    if (e.keyword === 'propertyNames' && (validate.errors ?? []).some((x) => x.instancePath.startsWith(e.instancePath + '/') || (x.keyword === 'enum' && x.instancePath === e.instancePath))) continue;
    const m = message(e);
    const key = `${m.path}\n${m.message}`;
    if (!seen.has(key)) { seen.add(key); issues.push(m); }
  }
  return issues;
}
