/**
 * The closing summary of a test run (scripts/summary-reporter.mjs, printed by scripts/run-tests.mjs):
 * skipped suites are counted as well as skipped tests, every skip is listed with its reason, and the
 * engines and peers that went untested are named. Runs the real runner on a fixture test file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { summarize } from '../scripts/summary-reporter.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURE = 'test/fixtures/summary-reporter/skips.ts';

function runTests(...args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['scripts/run-tests.mjs', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

test('the summary ends the run: it counts the skipped suite, lists every skip with its reason and says PostgreSQL went untested', async () => {
  const r = await runTests(FIXTURE);
  assert.equal(r.code, 0, r.out);
  const at = r.out.indexOf('── summary');
  assert.ok(at > r.out.indexOf('ℹ duration_ms'), `the summary comes after the spec reporter's own:\n${r.out}`);
  const summary = r.out.slice(at);
  assert.match(summary, /^tests: 2 passed, 0 failed, 2 skipped, 1 todo; suites: 1 skipped$/m);
  assert.match(summary, /^not tested:\n {2}PostgreSQL: not tested \(MASTRO_TEST_PG_URL is not set\): 1 suite skipped$/m);
  assert.match(summary, /^ {2}Debian's buildbot-worker 3\.7: not tested \(Debian buildbot-worker is not installed .*\): 1 test skipped$/m);
  const listed = summary.slice(summary.indexOf('skipped (1 suite, 2 tests):')).trimEnd().split('\n').slice(1);
  assert.deepEqual(listed, [
    `  ${FIXTURE}: suite "the same tests on postgresql": MASTRO_TEST_PG_URL is not set`,
    `  ${FIXTURE}: "a build on a real buildbot-worker": Debian buildbot-worker is not installed (apt-get install buildbot-worker)`,
    `  ${FIXTURE}: "a skip decided while running": the moon is full`,
  ], 'every skip, with its reason, and nothing after them');
});

test('a run without skips says every engine and peer was tested', () => {
  const text = summarize({ passed: 3, failed: 1, todo: 0, skips: [] });
  assert.match(text, /tests: 3 passed, 1 failed, 0 skipped, 0 todo; suites: 0 skipped\nnothing was skipped/);
});
