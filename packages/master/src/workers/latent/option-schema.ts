/** The JSON Schema of one declared provider option (registry.ts), as the published config schema holds it (a test keeps them equal). */
import type { OptionDecl } from './registry.js';

export function latentOptionSchema(d: OptionDecl): Record<string, unknown> {
  const base = ((): Record<string, unknown> => {
    switch (d.type) {
      case 'string': return { type: 'string', minLength: 1 };
      case 'number': return d.min === undefined ? { type: 'number' } : { type: 'number', minimum: d.min };
      case 'strings': return { type: 'array', items: { type: 'string' } };
      case 'env': return { type: 'object', additionalProperties: { type: 'string' } };
      case 'object': return { type: 'object' };
      case 'command': return { anyOf: [{ type: 'string', minLength: 1 }, { type: 'array', items: { type: 'string' }, minItems: 1 }] };
    }
  })();
  const schema = d.nullable ? { anyOf: [base, { type: 'null' }] } : base;
  return { ...schema, description: d.doc };
}
