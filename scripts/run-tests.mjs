#!/usr/bin/env node
// Runs every test file of the monorepo with node's built-in test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [file-or-directory-filter | path/to/file ...]
// Node 20's `--test` does not expand globs, so the files are collected here. An argument naming an
// existing file runs that file (also outside the test directories).
// The output is the spec reporter's, then a closing summary (scripts/summary-reporter.mjs) that
// counts skipped suites as well as tests, lists every skip with its reason and names the engines
// and peers that went untested; it is printed after the run, so it is the last thing in the log.
// Files named *-long.test.ts run in a second runner beside the rest, with a longer limit (see LONG below).
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { readRecords, summarize, tally } from './summary-reporter.mjs';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages/protocol/test', 'packages/worker/test', 'packages/master/test', 'test'];

function collect(dir, out) {
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) { if (name !== 'fixtures' && name !== 'node_modules') collect(full, out); }
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const args = process.argv.slice(2);
const isFile = (a) => { try { return statSync(resolve(a)).isFile(); } catch { return false; } };
const named = args.filter(isFile).map((a) => relative(root, resolve(a)));
const filters = args.filter((a) => !isFile(a));
let files = roots.flatMap((r) => collect(join(root, r), [])).sort();
if (args.length) files = [...new Set([...files.filter((f) => filters.some((x) => f.includes(x))), ...named])];
if (!files.length) { console.error('no test files matched'); process.exit(1); }

const concurrency = process.env.MASTRO_TEST_CONCURRENCY ?? '2';
// Started from inside a test (a test of this runner), node would report to that test's runner instead.
const { NODE_TEST_CONTEXT: _inTest, ...ownEnv } = process.env;
const summaryDir = mkdtempSync(join(tmpdir(), 'mastro-test-summary-'));
const summaryFile = join(summaryDir, 'results.jsonl');
writeFileSync(summaryFile, '');

// Files named *-long.test.ts hold one scenario that runs longer than the per-file limit (a
// 10-minute database outage). Node 20 applies --test-timeout to each file as a whole, so they run
// in a second runner beside the others, with a limit of their own; mostly they wait, so they cost
// the machine little. Their report is printed when they are done, not mixed into the other one.
const LONG = /-long\.test\.ts$/;
const LONG_TIMEOUT_MS = 40 * 60_000;

function runner(list, opts) {
  return spawn(process.execPath, [
    '--import', 'tsx', '--test', `--test-concurrency=${opts.concurrency}`,
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${new URL('./summary-reporter.mjs', import.meta.url).href}`, '--test-reporter-destination=stdout',
    `--test-timeout=${opts.timeoutMs}`,
    // A file whose tests are done but which still holds a handle (a leaked timer or socket) must not
    // stall the whole run; leaks are still visible in each file's own runs.
    '--test-force-exit', ...list,
  ], { stdio: opts.capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', cwd: root, env: { ...ownEnv, MASTRO_TEST_SUMMARY_FILE: summaryFile } });
}

const exited = (child) => new Promise((done) => child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0))));
const long = files.filter((f) => LONG.test(f));
const rest = files.filter((f) => !LONG.test(f));
const runs = [];
const children = [];
// Interrupted (Ctrl-C, a CI time limit): the tests stop, and the summary of what ran is still printed.
let interrupted = null;
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { interrupted = signal; for (const c of children) c.kill(signal); });
if (long.length) {
  const child = runner(long, { concurrency: 1, timeoutMs: LONG_TIMEOUT_MS, capture: rest.length > 0 });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => { out += d; });
  child.stderr?.on('data', (d) => { out += d; });
  runs.push(exited(child).then((code) => {
    if (out) process.stdout.write(`\n# long-running files (${long.join(', ')}):\n${out}`);
    return code;
  }));
}
if (rest.length) {
  const child = runner(rest, { concurrency, timeoutMs: 600_000, capture: false });
  children.push(child);
  runs.push(exited(child));
}
const codes = await Promise.all(runs);
if (existsSync(summaryFile)) process.stdout.write(summarize(tally(readRecords(summaryFile)), root, interrupted));
rmSync(summaryDir, { recursive: true, force: true });
process.exit(codes.find((c) => c !== 0) ?? 0);
