import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../src/process/redactor.js';
import { SecretManager, directoryProvider, staticProvider } from '../src/process/secrets.js';

test('redact replaces every occurrence of every secret with its name', () => {
  const r = new Redactor();
  r.addSecret('pw', 'hunter2');
  r.addSecret('tok', 'abcdef123');
  assert.equal(r.redact('login hunter2 then abcdef123 and hunter2'), 'login <pw> then <tok> and <pw>');
});

test('a secret split across chunks is still redacted, at every split point', () => {
  const r = new Redactor();
  r.addSecret('pw', 'hunter2-secret');
  const text = 'before hunter2-secret middle hunter2-secret end';
  for (let split = 0; split <= text.length; split++) {
    for (let split2 = split; split2 <= text.length; split2 += 3) {
      const s = r.stream();
      const out = s.push(text.slice(0, split)) + s.push(text.slice(split, split2)) + s.push(text.slice(split2)) + s.flush();
      assert.equal(out, 'before <pw> middle <pw> end', `splits ${split}/${split2}`);
    }
  }
});

test('one-character chunks are redacted and nothing is lost', () => {
  const r = new Redactor();
  r.addSecret('a', 'XYZW');
  const s = r.stream();
  let out = '';
  for (const ch of 'aXYZWbXYZXYZWc') out += s.push(ch);
  out += s.flush();
  assert.equal(out, 'a<a>bXYZ<a>c');
});

test('streams pass text through untouched when there are no secrets', () => {
  const s = new Redactor().stream();
  assert.equal(s.push('hello'), 'hello');
  assert.equal(s.flush(), '');
});

test('the directory provider reads secrets, strips the newline, and refuses readable-by-others files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-secrets-'));
  try {
    writeFileSync(join(dir, 'token'), 'tok-value\n', { mode: 0o600 });
    writeFileSync(join(dir, 'open'), 'x', { mode: 0o644 });
    chmodSync(join(dir, 'open'), 0o644);
    const p = directoryProvider(dir);
    assert.equal(await p.get('token'), 'tok-value');
    assert.equal(await p.get('missing'), undefined);
    await assert.rejects(p.get('open'), /accessible by group or others.*chmod 600/);
    await assert.rejects(p.get('../etc/passwd'), /plain file name/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the secret manager asks providers in order and registers values for redaction', async () => {
  const m = new SecretManager([staticProvider({ a: 'first-a' }), staticProvider({ a: 'second-a', b: 'value-b' })]);
  assert.equal(await m.get('a'), 'first-a');
  assert.equal(await m.get('b'), 'value-b');
  assert.equal(await m.get('c'), undefined);
  assert.equal(m.redactor.redact('first-a value-b second-a'), '<a> <b> second-a');
});
