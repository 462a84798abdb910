/**
 * src/util/url-credentials.ts: the one place that hides credentials in URLs, for database URLs in
 * errors and for repository URLs in change sources' logs, errors and status.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactText, redactUrl, urlSecrets } from '../src/util/url-credentials.js';
import { DatabaseUrlError } from '../src/db/index.js';

test('redactUrl hides the password of a database or repository URL and keeps the rest', () => {
  assert.equal(redactUrl('postgresql://mastro:s3cret@db.example/mastro'), 'postgresql://mastro:***@db.example/mastro');
  assert.equal(redactUrl('postgresql://us%40er:p%2Fw@db:5432/m?sslmode=require'), 'postgresql://us%40er:***@db:5432/m?sslmode=require');
  assert.equal(redactUrl('https://ci:tok@git.example/repo.git'), 'https://ci:***@git.example/repo.git');
});

test('redactUrl leaves URLs without a password as they are', () => {
  for (const u of ['sqlite:state.sqlite', 'postgresql://mastro@db/m', 'file:///srv/repo.git', 'https://git.example/a@b', 'ssh://git@host/repo']) assert.equal(redactUrl(u), u);
});

test('redactUrl hides a password given without a user name', () => {
  assert.equal(redactUrl('postgresql://:s3cret@db.example/mastro'), 'postgresql://:***@db.example/mastro');
  assert.deepEqual(urlSecrets('https://:tok3n@git.example/r.git'), ['tok3n']);
});

test('redactText scrubs every URL in a message and the literal secrets given', () => {
  const text = "fatal: unable to access 'https://u:pw1@a.example/r/': and ssh://x:pw2@b.example/ failed, token ghp_abc";
  assert.equal(redactText(text, ['ghp_abc']), "fatal: unable to access 'https://u:***@a.example/r/': and ssh://x:***@b.example/ failed, token ***");
});

test('urlSecrets names the password, or a long token given as the user name', () => {
  assert.deepEqual(urlSecrets('https://u:pw@h/r'), ['pw']);
  assert.deepEqual(urlSecrets('https://ghp_0123456789abcdefghij@github.com/o/r'), ['ghp_0123456789abcdefghij']);
  assert.deepEqual(urlSecrets('https://git@h/r'), []);
});

test('a bad database URL is refused with the password hidden', () => {
  const err = new DatabaseUrlError('postgresql://mastro:s3cret@db/m', 'for the test');
  assert.doesNotMatch(err.message, /s3cret/);
  assert.match(err.message, /postgresql:\/\/mastro:\*\*\*@db\/m/);
});
