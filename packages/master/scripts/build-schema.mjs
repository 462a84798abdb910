#!/usr/bin/env node
// Writes schema/master-config.schema.json, the published JSON Schema of the YAML config, from the
// option declarations in src/options/ (compiled to dist/ by tsc first; `npm run build` runs
// this after tsc). The file is committed; test/config-schema.test.ts fails when it differs from
// what this script writes, so run `npm run build` after changing a declaration.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const { publishedSchemaText } = await import('../dist/options/published-schema.js');
const out = fileURLToPath(new URL('../schema/master-config.schema.json', import.meta.url));
writeFileSync(out, publishedSchemaText());
console.log(`wrote ${out}`);
