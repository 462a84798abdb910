/**
 * Writes vectors/*.json from vector-cases.ts. Run from the repository root:
 *   node --import tsx packages/protocol/scripts/generate-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { buildVector, schemaBundle, vectorFiles } from './vectors-build.js';

const outDir = new URL('../vectors/', import.meta.url);
for (const [file, cases] of Object.entries(vectorFiles)) {
  writeFileSync(new URL(file, outDir), JSON.stringify(cases.map(buildVector), null, 2) + '\n');
  console.log(`wrote vectors/${file} (${cases.length} vectors)`);
}
writeFileSync(new URL('schemas.json', outDir), JSON.stringify(schemaBundle(), null, 2) + '\n');
console.log('wrote vectors/schemas.json');
