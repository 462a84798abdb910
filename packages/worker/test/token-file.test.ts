import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readTokenFile } from '../src/token-file.js';
import { tempDir } from './support/helpers.js';

function tokenFile(dir: string, text: string, mode: number): string {
  const file = path.join(dir, `token-${mode.toString(8)}`);
  writeFileSync(file, text);
  chmodSync(file, mode);
  return file;
}

test('the token is the first line of the file without surrounding whitespace', (t) => {
  const dir = tempDir(t);
  assert.equal(readTokenFile(tokenFile(dir, '  s3cr3t-token \nsecond line\n', 0o600)), 's3cr3t-token');
  assert.equal(readTokenFile(tokenFile(dir, 'crlf\r\n', 0o400)), 'crlf');
  assert.equal(readTokenFile(tokenFile(dir, 'group', 0o640)), 'group', 'a group the worker shares may read it');
});

test('a token file other users may read or write is refused like ssh refuses an open key, saying how to fix it', (t) => {
  const dir = tempDir(t);
  const readable = tokenFile(dir, 'tok\n', 0o644);
  assert.throws(() => readTokenFile(readable), new RegExp(`permissions 0644 for the pool token file ${readable} are too open: other users can read it.*chmod 600 ${readable}`));
  const writable = tokenFile(dir, 'tok\n', 0o602);
  assert.throws(() => readTokenFile(writable), /permissions 0602 .* other users can change it/);
});

test('on Windows the mode bits are not checked (its ACLs decide)', (t) => {
  const dir = tempDir(t);
  assert.equal(readTokenFile(tokenFile(dir, 'tok\n', 0o644), 'win32'), 'tok');
});

test('a missing, empty or non-regular token file is refused with what to do', (t) => {
  const dir = tempDir(t);
  assert.throws(() => readTokenFile(path.join(dir, 'nope')), /cannot read the pool token file .*nope \(ENOENT\); put the pool's token in it/);
  assert.throws(() => readTokenFile(tokenFile(dir, '\n\n', 0o600)), /is empty \(its first line is the token\)/);
  mkdirSync(path.join(dir, 'adir'), { mode: 0o700 });
  assert.throws(() => readTokenFile(path.join(dir, 'adir')), /is not a regular file/);
});
