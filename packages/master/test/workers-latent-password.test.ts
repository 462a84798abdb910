import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LATENT_KEY_FILE, LatentPasswords } from '../src/workers/latent/password.js';

test('latent passwords come from a key the master directory keeps (mode 0600), so they are the same after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-latent-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await LatentPasswords.open(dir);
  assert.equal(statSync(join(dir, LATENT_KEY_FILE)).mode & 0o777, 0o600);
  const again = await LatentPasswords.open(dir);
  assert.equal(first.passwordFor('dock/3'), again.passwordFor('dock/3'));
  assert.match(first.passwordFor('dock/3'), /^[A-Za-z0-9_-]{32}$/);
  assert.notEqual(first.passwordFor('dock/3'), first.passwordFor('dock/4'));
  const other = mkdtempSync(join(tmpdir(), 'mastro-latent-key-'));
  t.after(() => rmSync(other, { recursive: true, force: true }));
  assert.notEqual((await LatentPasswords.open(other)).passwordFor('dock/3'), first.passwordFor('dock/3'), 'another master, other passwords');
});

test('a damaged key file is refused with what to do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-latent-key-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, LATENT_KEY_FILE), 'not a key\n');
  await assert.rejects(LatentPasswords.open(dir), /latent\.key does not hold a latent worker key \(64 hex digits\); delete it and the master makes a new one/);
});
