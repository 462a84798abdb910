/**
 * Writes src/generated/validators.ts from the schemas. Run from the repository root after editing a schema:
 *   node --import tsx packages/protocol/scripts/generate-validators.ts
 */
import { writeFileSync } from 'node:fs';
import { generatedPath, validatorsSource } from './validators-build.js';

writeFileSync(generatedPath, validatorsSource());
console.log(`wrote ${generatedPath.pathname}`);
