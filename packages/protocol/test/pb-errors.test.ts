import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PbErrorCatalog, PbErrorCodes, PbProtocolError, PbRemoteError } from '../src/pb/errors.js';
import { FailureTypes, PbFailure } from '../src/pb/failure.js';

const doc = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');
const errorsSection = doc.slice(doc.indexOf('### 8.7 Errors'), doc.indexOf('### 8.8'));

test('every PB error code is in PROTOCOL.md §8.7, marked as ending the connection exactly when it does', () => {
  for (const code of Object.values(PbErrorCodes)) {
    assert.match(code, /^MASTRO_PB_[A-Z_]+$/);
    const row = errorsSection.split('\n').find((line) => line.includes(`\`${code}\``));
    assert.ok(row, `${code} is documented`);
    const ends = row.split('|')[2]!.trim();
    if (PbErrorCatalog[code].closes) assert.equal(ends, 'yes', `${code} ends the connection`);
    else assert.notEqual(ends, 'yes', `${code} does not end the connection by itself`);
  }
});

test('a PB error fills its template, cutting what the peer sent, and keeps its context', () => {
  const err = new PbProtocolError(PbErrorCodes.INSECURE_JELLY, { type: 'x'.repeat(300), allowed: 'a.B' });
  assert.match(err.message, /^the peer sent a value of type x{200}\.\.\. \(300 characters\), which this side does not accept/);
  assert.equal(err.closes, false);
  assert.ok(Object.isFrozen(err.context));
  assert.equal(new PbProtocolError(PbErrorCodes.PREFIX_TOO_LONG, { limit: 64 }).closes, true);
});

test('a remote error names the method, the Python class and the text, and checks base classes', () => {
  const err = new PbRemoteError('startCommand', PbFailure.of(FailureTypes.NO_SUCH_METHOD, 'No such method: remote_x'));
  assert.equal(err.message, 'the peer answered startCommand with twisted.spread.flavors.NoSuchMethod: No such method: remote_x');
  assert.ok(err.check('builtins.AttributeError'));
  assert.ok(!err.check('twisted.cred.error.UnauthorizedLogin'));
});
