/**
 * Node 20, 22 and 24 are supported: every workspace package's `engines` admits each of them, and so
 * does every package installed for running (not the development ones) according to the lockfile,
 * so an npm with engine-strict installs mastro on any of the three. CI runs the suite on 20 and 24.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './support/master-harness.js';

// semver is npm's own range reader (installed here with the SQLite driver's build tools).
const semver = createRequire(join(ROOT, 'package.json'))('semver') as { satisfies(v: string, range: string): boolean };
const SUPPORTED = ['20.18.1', '22.12.0', '24.0.0'];

test('every workspace package admits Node 20, 22 and 24 in its engines', () => {
  for (const dir of ['.', 'packages/protocol', 'packages/worker', 'packages/master']) {
    const range = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')).engines?.node as string;
    assert.ok(range, `${dir}/package.json names its engines`);
    for (const v of SUPPORTED) assert.ok(semver.satisfies(v, range), `${dir}: engines.node ${range} refuses Node ${v}`);
  }
});

test('every runtime dependency in the lockfile admits Node 20, 22 and 24', () => {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; engines?: { node?: string } }> };
  const refused: string[] = [];
  let checked = 0;
  for (const [path, info] of Object.entries(lock.packages)) {
    if (!path || info.dev || !info.engines?.node) continue;
    checked++;
    for (const v of SUPPORTED) if (!semver.satisfies(v, info.engines.node)) refused.push(`${path} (engines ${info.engines.node}) refuses Node ${v}`);
  }
  assert.ok(checked > 10, 'the lockfile lists runtime packages with engines');
  assert.deepEqual(refused, []);
});
