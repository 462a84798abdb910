#!/usr/bin/env node
// Runs every test file of the monorepo with node's built-in test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [file-or-directory-filter ...]
// Node 20's `--test` does not expand globs, so the files are collected here.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';

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

const filters = process.argv.slice(2);
let files = roots.flatMap((r) => collect(join(root, r), [])).sort();
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (!files.length) { console.error('no test files matched'); process.exit(1); }

const concurrency = process.env.MASTRO_TEST_CONCURRENCY ?? '2';
const child = spawn(process.execPath, [
  '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`,
  '--test-reporter=spec', '--test-timeout=600000',
  // A file whose tests are done but which still holds a handle (a leaked timer or socket) must not
  // stall the whole run; leaks are still visible in each file's own runs.
  '--test-force-exit', ...files,
], { stdio: 'inherit', cwd: root });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
