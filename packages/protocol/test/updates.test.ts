import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineChunk, updatePairsToRecord } from '../src/updates.js';
import { validateMessage } from '../src/validation.js';

test('lineChunk lists the offset of every newline and one time per line', () => {
  assert.deepEqual(lineChunk('ab\nc\n', 5), ['ab\nc\n', [2, 4], [5, 5]]);
  const msg = { op: 'update', seq_number: 0, command_id: '1', args: [['stdout', lineChunk('x\n')]] };
  assert.ok(validateMessage(msg).ok);
});

test('updatePairsToRecord concatenates text and keeps the last value of other keys', () => {
  const rec = updatePairsToRecord([['header', lineChunk('a\n')], ['stderr', 'oops'], ['rc', 1], ['header', lineChunk('b\n')], ['rc', 0]]);
  assert.deepEqual(rec, { header: 'a\nb\n', stderr: 'oops', rc: 0 });
});
