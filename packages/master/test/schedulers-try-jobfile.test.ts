/**
 * Try job files: the parser reads what Debian's Buildbot 3.7 try client writes (versions 5 and 6,
 * produced here by its own `createJobfile`), the older versions 1-4 (hand-built per the format
 * Buildbot's Try_Jobdir documents; 3.7's client no longer writes them), and refuses broken files
 * with a message; Buildbot's own parser reads what `formatJobFile` writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseJobFile, formatJobFile, TryJobFileError } from '../src/schedulers/try-jobfile.js';

const PY = '/usr/bin/python3';
const hasBuildbot = existsSync('/usr/lib/python3/dist-packages/buildbot/clients/tryclient.py');

/** Runs Buildbot's createJobfile with the patch given as hex; returns the job file bytes. */
function buildbotJobfile(patchHex: string, extra = ''): Buffer {
  const script = `
import sys
from buildbot.clients import tryclient
job = tryclient.createJobfile('job-1', 'main', 'abc123', 1, bytes.fromhex('${patchHex}'), 'file:///repo.git', 'proj',
                              'alice', 'my comment', ['test', 'lint'], {'answer': 42${extra}})
sys.stdout.buffer.write(job.encode('utf-8'))
`;
  return execFileSync(PY, ['-c', script]);
}

const ns = (s: string | Buffer) => { const b = Buffer.from(s); return Buffer.concat([Buffer.from(`${b.length}:`), b, Buffer.from(',')]); };

test('a version 6 job file from Buildbot 3.7 try client (binary patch) parses with the exact patch bytes', { skip: !hasBuildbot && 'Debian buildbot not installed' }, () => {
  const patch = Buffer.from('diff --git a/x b/x\n\u0000\xff binary\n', 'latin1');
  const job = parseJobFile(buildbotJobfile(patch.toString('hex')));
  assert.equal(job.version, 6);
  assert.deepEqual(job.patchBody, patch);
  assert.deepEqual(
    [job.jobid, job.branch, job.baserev, job.patchLevel, job.repository, job.project, job.who, job.comment, job.builderNames, job.properties],
    ['job-1', 'main', 'abc123', 1, 'file:///repo.git', 'proj', 'alice', 'my comment', ['test', 'lint'], { answer: 42 }],
  );
});

test('a version 5 job file from Buildbot 3.7 try client (text patch) parses, non-ASCII text included', { skip: !hasBuildbot && 'Debian buildbot not installed' }, () => {
  const patch = Buffer.from('--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n+nouvel été\n', 'utf8');
  const job = parseJobFile(buildbotJobfile(patch.toString('hex'), ", 'name': 'Zoë'"));
  assert.equal(job.version, 5);
  assert.equal(job.patchBody.toString('utf8'), patch.toString('utf8'));
  assert.deepEqual(job.properties, { answer: 42, name: 'Zoë' });
});

test('versions 1 to 4 read their fields in order and the builder names that follow', () => {
  const patch = '--- a/f\n+++ b/f\n';
  const v1 = Buffer.concat(['1', 'j1', '', '', '0', patch, 'b1', 'b2'].map(ns));
  assert.deepEqual(parseJobFile(v1), {
    version: 1, jobid: 'j1', branch: null, baserev: null, patchLevel: 0, patchBody: Buffer.from(patch),
    repository: '', project: '', who: '', comment: '', builderNames: ['b1', 'b2'], properties: {},
  });
  const v2 = parseJobFile(Buffer.concat(['2', 'j2', 'dev', 'r1', '1', patch, 'repo', 'proj', 'b1'].map(ns)));
  assert.deepEqual([v2.branch, v2.baserev, v2.repository, v2.project, v2.who, v2.builderNames], ['dev', 'r1', 'repo', 'proj', '', ['b1']]);
  const v3 = parseJobFile(Buffer.concat(['3', 'j3', '', 'r1', '1', patch, 'repo', 'proj', 'bob'].map(ns)));
  assert.deepEqual([v3.who, v3.builderNames], ['bob', []]);
  const v4 = parseJobFile(Buffer.concat(['4', 'j4', '', 'r1', '2', patch, 'repo', 'proj', 'bob', 'why', 'b9'].map(ns)));
  assert.deepEqual([v4.patchLevel, v4.who, v4.comment, v4.builderNames], [2, 'bob', 'why', ['b9']]);
});

test('broken job files are refused with a message that says what is wrong', () => {
  const bad = (data: Buffer | string, re: RegExp) => assert.throws(() => parseJobFile(Buffer.from(data)), (e: unknown) => e instanceof TryJobFileError && re.test(e.message));
  bad('', /holds no netstring/);
  bad('hello world', /not a netstring at byte 0/);
  bad('1:6,500:{"jobid"', /announces 500 bytes but is truncated/);
  bad(Buffer.concat([ns('7'), ns('{}')]), /unknown job file version '7'; this master reads versions 1, 2, 3, 4, 5, 6/);
  bad(Buffer.concat([ns('06'), ns('{}')]), /unknown job file version '06'/);
  bad(Buffer.concat([ns('6'), ns('{not json')]), /not valid JSON/);
  bad(Buffer.concat([ns('6'), ns('[1]')]), /must be an object/);
  bad(Buffer.concat([ns('6'), ns('{"patch_level":"x","patch_body_base64":""}')]), /patch_level must be a non-negative integer, got "x"/);
  bad(Buffer.concat([ns('6'), ns('{"patch_level":1,"patch_body_base64":"%%"}')]), /not base64/);
  bad(Buffer.concat([ns('6'), ns('{"patch_level":1,"patch_body_base64":"","builderNames":"test"}')]), /builderNames must be a list of strings/);
  bad(Buffer.concat(['3', 'j', '', '', '1'].map(ns)), /version 3 job file has 8 fields .* this one has 4/);
});

test("Buildbot 3.7's own Try_Jobdir parser reads what formatJobFile writes", { skip: !hasBuildbot && 'Debian buildbot not installed' }, () => {
  const patch = Buffer.from('diff\n\u0000\xfe\n', 'latin1');
  const file = formatJobFile({
    jobid: 'j-7', branch: null, baserev: 'deadbeef', patchLevel: 1, patchBody: patch, repository: 'r', project: 'p',
    who: 'carol', comment: 'c', builderNames: ['test'], properties: { n: 1 },
  });
  assert.deepEqual({ ...parseJobFile(file), version: 0 }, {
    version: 0, jobid: 'j-7', branch: null, baserev: 'deadbeef', patchLevel: 1, patchBody: patch, repository: 'r', project: 'p',
    who: 'carol', comment: 'c', builderNames: ['test'], properties: { n: 1 },
  });
  const script = `
import io, sys, json
from buildbot.schedulers.trysched import Try_Jobdir
job = Try_Jobdir.parseJob(None, io.BytesIO(sys.stdin.buffer.read()))
job['patch_body'] = job['patch_body'].hex()
print(json.dumps(job, sort_keys=True))
`;
  const out = JSON.parse(execFileSync(PY, ['-c', script], { input: file }).toString());
  assert.deepEqual(out, {
    jobid: 'j-7', branch: null, baserev: 'deadbeef', patch_level: 1, patch_body: patch.toString('hex'), repository: 'r', project: 'p',
    who: 'carol', comment: 'c', builderNames: ['test'], properties: { n: 1 },
  });
});
