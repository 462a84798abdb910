/** Assertions shared by the PB tests. */
import assert from 'node:assert/strict';
import { PbProtocolError } from '../../src/pb/errors.js';

/** `fn` throws a PbProtocolError with `code` (and a message matching `pattern`). */
export function refused(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PbProtocolError, String(err));
    assert.equal(err.code, code);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}
