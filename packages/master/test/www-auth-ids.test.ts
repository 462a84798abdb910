/**
 * The opaque values the web layer hands out keep the formats their base64url/hex predecessors had
 * (cookies, stored token digests and `mastro user list` look the same) and do not repeat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiToken, apiTokenId, csrfToken, oauthState, sessionToken } from '../src/www/auth/ids.js';

const URL_SAFE = /^[A-Za-z0-9_-]+$/;

function distinct(make: () => string, count = 2000): string[] {
  const made = Array.from({ length: count }, make);
  assert.equal(new Set(made).size, count, 'no value repeats');
  return made;
}

test('session, CSRF and OAuth state tokens are URL-safe, of their old lengths, and never repeat', () => {
  for (const [make, length] of [[sessionToken, 43], [csrfToken, 32], [oauthState, 32]] as const) {
    for (const v of distinct(make)) { assert.equal(v.length, length); assert.match(v, URL_SAFE); }
  }
});

test('API tokens are mastro_ and 43 URL-safe characters; their ids are 12 hex digits', () => {
  for (const t of distinct(apiToken)) assert.match(t, /^mastro_[A-Za-z0-9_-]{43}$/);
  for (const id of distinct(apiTokenId)) assert.match(id, /^[0-9a-f]{12}$/);
});
