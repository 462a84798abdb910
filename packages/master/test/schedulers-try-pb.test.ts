/**
 * How a `buildbot try --connect=pb` call becomes a try job (schedulers/try-pb.ts), read as
 * Buildbot's perspective_try reads it: positional or keyword arguments, bytes as UTF-8, None base
 * revision and empty diffs, and a refusal that names the problem for anything else. The whole
 * client against a real master is test/try-pb-e2e.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pb } from 'mastro-protocol';
import { tryJobFromPb } from '../src/schedulers/try-pb.js';

const call = (args: unknown[], kwargs: Record<string, unknown> = {}): pb.IncomingCall => ({ method: 'try', args, kwargs });

test('the try arguments Buildbot\'s client sends become one job with one patched sourcestamp', () => {
  const diff = Buffer.from('diff --git a/x b/x\n');
  const job = tryJobFromPb(call([Buffer.from('main'), 'abcdef12', [1, diff], 'file:///r.git', 'proj', ['test'], 'Ada', 'wip', { color: 'blue' }]));
  assert.deepEqual(job, {
    who: 'Ada', comment: 'wip', builderNames: ['test'], properties: { color: 'blue' },
    sourcestamps: [{ branch: 'main', revision: 'abcdef12', repository: 'file:///r.git', project: 'proj', codebase: '', patch: { level: 1, body: diff, subdir: '' } }],
  });
});

test('who, comment and properties may come as keywords; None revision, builders and who take Buildbot\'s defaults; an empty diff builds unpatched', () => {
  const job = tryJobFromPb(call([null, null, [0, null], null, '', null], { comment: 'c', properties: { a: '1' } }));
  assert.deepEqual([job.who, job.comment, job.builderNames, job.properties], ['', 'c', [], { a: '1' }]);
  assert.deepEqual(job.sourcestamps[0], { branch: null, revision: null, repository: '', project: '', codebase: '', patch: null });
  assert.equal(tryJobFromPb(call([null, null, [1, Buffer.alloc(0)], null, '', null])).sourcestamps[0]!.patch, null);
});

test('a try call Buildbot would not make is refused with what is wrong', () => {
  const refusal = (c: pb.IncomingCall) => { try { tryJobFromPb(c); } catch (err) { assert.ok(err instanceof pb.PbError); return err.message; } return assert.fail('accepted'); };
  assert.match(refusal(call([null, null, 'not a tuple', null, ''])), /try: patch must be \(patch level, diff\)/);
  assert.match(refusal(call([null, null, [-1, 'x'], null, ''])), /the patch level must be a non-negative integer, got -1/);
  assert.match(refusal(call([null, '--upload-pack=x', [1, 'x'], null, ''])), /the base revision must be a commit id, got "--upload-pack=x"/);
  assert.match(refusal(call([null, null, [1, 'x'], null, '', 'test'])), /builderNames must be a list/);
  assert.match(refusal(call([null, null, [1, 'x'], null, '', [], '', '', ['p']])), /properties must be a dictionary/);
  assert.match(refusal(call([null, null, [1, 'x']], { colour: 'red' })), /unknown argument colour; the arguments are branch, revision, patch/);
  assert.match(refusal(call(new Array(10).fill(null))), /takes at most 9 arguments/);
});
