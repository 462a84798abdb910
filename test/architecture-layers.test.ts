/**
 * The master's layer rule (packages/master/ARCHITECTURE.md), checked over the real import graph by
 * scripts/check-layers.mjs: this file runs it in the suite so CI fails when the rule breaks, checks
 * that the document lists the layers the checker enforces, and tests the checker on small trees.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkLayers, MASTER_LAYERS } from '../scripts/check-layers.mjs';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

test('every import in packages/master/src points to its own folder or a lower layer', () => {
  assert.deepEqual(checkLayers(), []);
});

test("ARCHITECTURE.md's layer table lists the layers of MASTER_LAYERS, in the same order", async () => {
  const doc = await readFile(join(repoRoot, 'packages/master/ARCHITECTURE.md'), 'utf8');
  const section = doc.split(/^## /m).find((s) => s.startsWith('Layers'));
  assert.ok(section, 'ARCHITECTURE.md has a "## Layers" section');
  // Rows look like `| 2 | `db`, `mq` | ... |`: the second cell names the layer's folders.
  const rows = section.split('\n').filter((l) => /^\|\s*\d+\s*\|/.test(l));
  const documented = rows.map((l) => [...l.split('|')[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]));
  assert.deepEqual(documented, MASTER_LAYERS);
});

/** Writes `files` (path -> source) under a fresh directory and returns it. */
async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'mastro-layers-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const LAYERS = [['low'], ['mid', 'side'], ['high'], ['main.ts']];

test('the checker accepts imports within a folder and down the layers, static, dynamic and type-only', async () => {
  const root = await tree({
    'low/a.ts': "export const a = 1;\nimport { b } from './b.js';\n",
    'low/b.ts': 'export const b = 2;\n',
    'mid/m.ts': "import { a } from '../low/a.js';\nexport type { A } from '../low/a.js';\n",
    'high/h.ts': "import type { M } from '../mid/m.js';\nconst s = await import('../side/s.js');\n",
    'side/s.ts': "import '../low/b.js';\n",
    'main.ts': "import { h } from './high/h.js';\nimport { x } from 'node:fs';\n",
  });
  try {
    assert.deepEqual(checkLayers({ root, layers: LAYERS }), []);
  } finally { await rm(root, { recursive: true, force: true }); }
});

test('the checker reports a lower folder importing a higher one, naming the file and both folders', async () => {
  const root = await tree({
    'low/a.ts': "import { h } from '../high/h.js';\n",
    'high/h.ts': 'export const h = 1;\n',
    'mid/m.ts': "const main = await import('../main.js');\n",
    'main.ts': 'export {};\n',
  });
  try {
    const v = checkLayers({ root, layers: LAYERS });
    assert.equal(v.length, 2, v.join('\n'));
    assert.match(v[0]!, /low\/a\.ts imports \.\.\/high\/h\.js: high is on a higher layer than low/);
    assert.match(v[1]!, /mid\/m\.ts imports \.\.\/main\.js: main\.ts is on a higher layer than mid/);
  } finally { await rm(root, { recursive: true, force: true }); }
});

test('the checker reports folders on the same layer importing each other, so no cycle can form', async () => {
  const root = await tree({
    'mid/m.ts': "import { s } from '../side/s.js';\nexport const m = 1;\n",
    'side/s.ts': "import { m } from '../mid/m.js';\nexport const s = 1;\n",
  });
  try {
    const v = checkLayers({ root, layers: LAYERS }).sort();
    assert.equal(v.length, 2, v.join('\n'));
    assert.match(v[0]!, /mid\/m\.ts imports \.\.\/side\/s\.js: side is on the same layer as mid/);
    assert.match(v[1]!, /side\/s\.ts imports \.\.\/mid\/m\.js: mid is on the same layer as side/);
  } finally { await rm(root, { recursive: true, force: true }); }
});

test('the checker reports a folder that has no layer, saying where to give it one', async () => {
  const root = await tree({
    'low/a.ts': 'export const a = 1;\n',
    'extra/e.ts': "import { a } from '../low/a.js';\n",
  });
  try {
    const v = checkLayers({ root, layers: LAYERS });
    assert.equal(v.length, 1, v.join('\n'));
    assert.match(v[0]!, /extra has no layer: add it to MASTER_LAYERS in scripts\/check-layers\.mjs and to ARCHITECTURE\.md/);
  } finally { await rm(root, { recursive: true, force: true }); }
});
