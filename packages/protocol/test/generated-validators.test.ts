/**
 * The committed validators (src/generated/) are what the schemas compile to today, and they run
 * without ajv: the package's runtime dependencies do not include it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { generatedPath, validatorsSource } from '../scripts/validators-build.js';

test('the committed generated validators match the schemas (regenerate with scripts/generate-validators.ts)', () => {
  const committed = readFileSync(generatedPath, 'utf8');
  assert.ok(committed === validatorsSource(), 'src/generated/validators.ts is stale: run node --import tsx packages/protocol/scripts/generate-validators.ts');
});

test('the generated validators import nothing, and ajv is not a runtime dependency of mastro-protocol', () => {
  const committed = readFileSync(generatedPath, 'utf8');
  assert.doesNotMatch(committed, /^\s*import\s|\brequire\(/m);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as Record<string, Record<string, string> | undefined>;
  assert.equal(pkg.dependencies?.ajv, undefined);
  assert.ok(pkg.devDependencies?.ajv, 'ajv stays a devDependency: the generator needs it');
});

test('a binary field accepts bytes and refuses text through the generated x-binary check', async () => {
  const { validateMessage } = await import('../src/validation.js');
  const ok = validateMessage({ op: 'update_upload_file_write', seq_number: 1, command_id: '7', args: Buffer.from('abc') });
  assert.equal(ok.ok, true);
  const bad = validateMessage({ op: 'update_upload_file_write', seq_number: 1, command_id: '7', args: 'abc' });
  assert.equal(bad.ok, false);
  assert.match(bad.ok ? '' : bad.error.message, /args must be binary/);
});
