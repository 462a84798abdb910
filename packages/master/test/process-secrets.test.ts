/** src/process/secrets.ts: `secrets.directory` reads one file per secret, and only inside its directory. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SecretError, secrets } from '../src/process/secrets.js';

function secretDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mastro-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a secret is the content of its file, one trailing newline removed; a missing one is undefined', async (t) => {
  const dir = secretDir(t);
  writeFileSync(path.join(dir, 'token'), 's3cret\n', { mode: 0o600 });
  const p = secrets.directory(dir);
  assert.equal(await p.get('token'), 's3cret');
  assert.equal(await p.get('absent'), undefined);
});

test('a name that is not a plain file name inside the directory is refused with the reason', async (t) => {
  const dir = secretDir(t);
  const p = secrets.directory(dir);
  for (const name of ['', '.', '..', '../etc/passwd', 'a/b', 'a\\b', 'x\0y']) {
    await assert.rejects(p.get(name), (err: Error) => err instanceof SecretError && /must be a plain file name inside/.test(err.message), JSON.stringify(name));
  }
});

test('a secret file the group or others may read is refused with the chmod to run', async (t) => {
  const dir = secretDir(t);
  const file = path.join(dir, 'open');
  writeFileSync(file, 'x');
  chmodSync(file, 0o644);
  await assert.rejects(secrets.directory(dir).get('open'), /accessible by group or others .*chmod 600/);
});
