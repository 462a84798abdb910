/**
 * Writes vectors/pb-*.json from pb-vector-cases.ts. Run from the repository root:
 *   node --import tsx packages/protocol/scripts/generate-pb-vectors.ts
 */
import { writeFileSync } from 'node:fs';
import { pbVectorFiles } from './pb-vectors-build.js';

const outDir = new URL('../vectors/', import.meta.url);
for (const [file, build] of Object.entries(pbVectorFiles)) {
  writeFileSync(new URL(file, outDir), JSON.stringify(build(), null, 2) + '\n');
  console.log(`wrote vectors/${file}`);
}
