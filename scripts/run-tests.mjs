#!/usr/bin/env node
// Runs every test file of the monorepo with node's built-in test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [file-or-directory-filter | path/to/file ...]
// Node 20's `--test` does not expand globs, so the files are collected here. An argument naming an
// existing file runs that file (also outside the test directories).
// The output is the spec reporter's, then a closing summary (scripts/summary-reporter.mjs) that
// counts skipped suites as well as tests, lists every skip with its reason and names the engines
// and peers that went untested; it is printed after the run, so it is the last thing in the log.
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
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  `--test-reporter=${new URL('./summary-reporter.mjs', import.meta.url).href}`, '--test-reporter-destination=stdout',
  '--test-timeout=600000',
  // A file whose tests are done but which still holds a handle (a leaked timer or socket) must not
  // stall the whole run; leaks are still visible in each file's own runs.
  '--test-force-exit', ...files,
], { stdio: 'inherit', cwd: root, env: { ...ownEnv, MASTRO_TEST_SUMMARY_FILE: summaryFile } });
// Interrupted (Ctrl-C, a CI time limit): the tests stop, and the summary of what ran is still printed.
let interrupted = null;
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => { interrupted = signal; child.kill(signal); });
child.on('exit', (code, signal) => {
  if (existsSync(summaryFile)) process.stdout.write(summarize(tally(readRecords(summaryFile)), root, interrupted));
  rmSync(summaryDir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
