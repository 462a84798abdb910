// A node:test reporter that writes the closing summary of a test run: how many tests passed,
// failed, were skipped or are todo, how many SUITES were skipped (node's own summary counts only
// tests, so a skipped `describe` of five PostgreSQL tests reads as nothing), every skip with its
// reason, and which database engines and third-party peers went untested.
// scripts/run-tests.mjs prints it after the spec reporter's output, so it is the end of a CI log.
//
// With MASTRO_TEST_SUMMARY_FILE set (run-tests.mjs sets it), each result is appended to that file
// as it arrives, synchronously, and the runner summarizes the file after the run: with
// --test-force-exit the test process exits as soon as the tests are done, before a reporter's
// final output would be written. Without it, the summary is this reporter's output.
import { appendFileSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

/** Skip reasons that mean a whole engine or peer was not tested: [name, pattern of the reason]. */
const PEERS = [
  ['PostgreSQL', /MASTRO_TEST_PG_URL|postgres/i],
  ["Debian's buildbot-worker 3.7", /buildbot-worker/i],
  ["Debian's buildbot 3.7 master", /\bbuildbot\b(?!-worker)/i],
  ['Chromium (web UI in a browser)', /chromium/i],
  ['python3-msgpack', /python3-msgpack/i],
  ['Docker', /docker/i],
];

function reasonText(skip) {
  return typeof skip === 'string' && skip ? skip : 'no reason given';
}

/** The summary text for the collected results (exported for its test). */
/** `interrupted`: the signal that stopped the run early, if any (the counts are then partial). */
export function summarize({ passed, failed, todo, skips }, cwd = process.cwd(), interrupted = null) {
  const skippedTests = skips.filter((s) => s.kind === 'test').length;
  const skippedSuites = skips.filter((s) => s.kind === 'suite').length;
  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const lines = ['', '── summary ' + '─'.repeat(60)];
  if (interrupted) lines.push(`the run was interrupted (${interrupted}): only the tests that finished are counted`);
  lines.push(`tests: ${passed} passed, ${failed} failed, ${skippedTests} skipped, ${todo} todo; suites: ${skippedSuites} skipped`);
  if (!skips.length && interrupted) return `${lines.join('\n')}\n`;
  if (!skips.length) {
    lines.push('nothing was skipped: every engine and peer was tested');
    return `${lines.join('\n')}\n`;
  }
  const untested = [];
  for (const [peer, pattern] of PEERS) {
    const hits = skips.filter((s) => pattern.test(s.reason));
    if (!hits.length) continue;
    const reasons = [...new Set(hits.map((s) => s.reason))];
    const suites = hits.filter((s) => s.kind === 'suite').length;
    const what = [suites && plural(suites, 'suite'), hits.length - suites && plural(hits.length - suites, 'test')].filter(Boolean).join(' and ');
    untested.push(`  ${peer}: not tested (${reasons.join('; ')}): ${what} skipped`);
  }
  if (untested.length) lines.push('not tested:', ...untested);
  lines.push(`skipped (${plural(skippedSuites, 'suite')}, ${plural(skippedTests, 'test')}):`);
  for (const s of skips) lines.push(`  ${s.file ? `${relative(cwd, s.file)}: ` : ''}${s.kind === 'suite' ? 'suite ' : ''}"${s.name}": ${s.reason}`);
  return `${lines.join('\n')}\n`;
}

/** One finished test or suite as the summary needs it, or null for events it does not count. */
function record(event) {
  if (event.type !== 'test:pass' && event.type !== 'test:fail') return null;
  const d = event.data;
  const suite = d.details?.type === 'suite';
  if (d.skip !== undefined) return { outcome: 'skip', kind: suite ? 'suite' : 'test', name: d.name, file: d.file, reason: reasonText(d.skip) };
  if (suite) return null; // its tests are counted one by one
  return { outcome: d.todo !== undefined ? 'todo' : event.type === 'test:pass' ? 'pass' : 'fail' };
}

/** The results of a list of records. */
export function tally(records) {
  const results = { passed: 0, failed: 0, todo: 0, skips: [] };
  for (const r of records) {
    if (r.outcome === 'skip') results.skips.push(r);
    else if (r.outcome === 'todo') results.todo++;
    else if (r.outcome === 'pass') results.passed++;
    else results.failed++;
  }
  return results;
}

/** The records appended to a MASTRO_TEST_SUMMARY_FILE. */
export function readRecords(file) {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

export default async function* summaryReporter(source) {
  const file = process.env.MASTRO_TEST_SUMMARY_FILE;
  const records = [];
  for await (const event of source) {
    const r = record(event);
    if (!r) continue;
    if (file) appendFileSync(file, `${JSON.stringify(r)}\n`);
    else records.push(r);
  }
  if (!file) yield summarize(tally(records));
}
