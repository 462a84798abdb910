import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { openDatabase } from '../src/db/index.js';
import { DataConnector } from '../src/data/index.js';
import type { ChangeResource } from '../src/data/types.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { createChangeSource, type GitPoller } from '../src/changes/create.js';
import { changes } from '../src/changes/specs.js';
import { normaliseChangeSource } from '../src/changes/validate.js';
import { IssueCollector } from '../src/model/config-errors.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-gitpoller-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd, encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Ada Author', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Cy Committer', GIT_COMMITTER_EMAIL: 'cy@example.com', GIT_AUTHOR_DATE: '1700000000 +0000', GIT_COMMITTER_DATE: '1700000100 +0000' },
  }).trim();
}

function makeRepo(): { dir: string; url: string; commit(file: string, msg: string, branch?: string): string } {
  const dir = join(tmp, `repo${++counter}`);
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  const commit = (file: string, msg: string, branch = 'main') => {
    if (git(dir, 'symbolic-ref', '--short', 'HEAD') !== branch) {
      const exists = git(dir, 'branch', '--list', branch) !== '';
      git(dir, 'checkout', '-q', ...(exists ? [branch] : ['-b', branch]));
    }
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), `${msg}\n`);
    git(dir, 'add', file);
    git(dir, 'commit', '-q', '-m', msg);
    return git(dir, 'rev-parse', 'HEAD');
  };
  return { dir, url: pathToFileURL(dir).href, commit };
}

async function setup() {
  const db = await openDatabase('sqlite::memory:');
  const mq = new InProcessMessageQueue();
  const data = new DataConnector(db, mq);
  const seen: ChangeResource[] = [];
  mq.subscribe<ChangeResource>(['changes', null, 'new'], (_k, c) => seen.push(c));
  const masterDir = join(tmp, `master${++counter}`);
  mkdirSync(masterDir);
  return { db, data, seen, masterDir };
}

function poller(spec: Parameters<typeof changes.gitPoller>[0], s: Awaited<ReturnType<typeof setup>>): GitPoller {
  const normalised = normaliseChangeSource(changes.gitPoller(spec), new IssueCollector());
  assert.ok(normalised);
  return createChangeSource(normalised, { updates: s.data.updates, masterDir: s.masterDir });
}

test('the first poll records the heads without turning history into changes', async () => {
  const repo = makeRepo();
  repo.commit('a.txt', 'one'); repo.commit('b.txt', 'two');
  const s = await setup();
  const p = poller({ repourl: repo.url, branches: ['main'] }, s);
  assert.equal(await p.poll(), 0);
  assert.deepEqual(s.seen, []);
  assert.ok(existsSync(join(p.workdir, 'HEAD')), 'the bare clone lives under the master directory');
  assert.ok(p.workdir.startsWith(s.masterDir));
});

test('firstPollChanges turns the newest commits of each branch into changes on the first poll, once each', async () => {
  const repo = makeRepo();
  const c1 = repo.commit('a.txt', 'one');
  const c2 = repo.commit('b.txt', 'two');
  const c3 = repo.commit('c.txt', 'three');
  const f1 = repo.commit('f.txt', 'feature one', 'feature');
  const s = await setup();
  const p = poller({ repourl: repo.url, branches: ['main', 'feature'], firstPollChanges: 2 }, s);
  assert.equal(await p.poll(), 3);
  // Branches are taken in name order: feature's two newest (c3, f1), then main's two newest minus c3.
  assert.deepEqual(s.seen.map((c) => [c.branch, c.revision]), [['feature', c3], ['feature', f1], ['main', c2]],
    'each branch oldest first, and a commit on two branches becomes one change');
  assert.ok(!s.seen.some((c) => c.revision === c1));
  assert.equal(await p.poll(), 0, 'later polls only report new commits');
  const bad = new IssueCollector();
  normaliseChangeSource(changes.gitPoller({ repourl: repo.url, firstPollChanges: -1 }), bad);
  assert.match(bad.issues.map((i) => `${i.path}: ${i.message}`).join('\n'), /firstPollChanges: must be at least 0/);
});

test('new commits become one change each, oldest first, with author, committer, files, comments and time', async () => {
  const repo = makeRepo();
  repo.commit('a.txt', 'one');
  const s = await setup();
  const p = poller({ repourl: repo.url, branches: ['main'], project: 'demo', category: 'ci', codebase: 'app' }, s);
  await p.poll();
  const r2 = repo.commit('src/x.c', 'second commit\n\nwith a body');
  const r3 = repo.commit('y.txt', 'third');
  assert.equal(await p.poll(), 2);
  assert.deepEqual(s.seen.map((c) => c.revision), [r2, r3]);
  const c = s.seen[0]!;
  assert.equal(c.author, 'Ada Author <ada@example.com>');
  assert.equal(c.committer, 'Cy Committer <cy@example.com>');
  assert.deepEqual(c.files, ['src/x.c']);
  assert.equal(c.comments, 'second commit\n\nwith a body');
  assert.equal(c.when_timestamp, 1700000100);
  assert.equal(c.branch, 'main');
  assert.equal(c.repository, repo.url);
  assert.equal(c.project, 'demo');
  assert.equal(c.category, 'ci');
  assert.equal(c.codebase, 'app');
  assert.equal(await p.poll(), 0, 'nothing moved: nothing new');
});

test('a restarted poller continues from the persisted heads', async () => {
  const repo = makeRepo();
  repo.commit('a.txt', 'one');
  const s = await setup();
  await poller({ repourl: repo.url, branches: ['main'] }, s).poll();
  const r2 = repo.commit('b.txt', 'while the master was down');
  const again = poller({ repourl: repo.url, branches: ['main'] }, s);
  assert.equal(await again.poll(), 1);
  assert.deepEqual(s.seen.map((c) => c.revision), [r2]);
});

test('branches: true follows every branch, and commits already seen on another branch are not repeated', async () => {
  const repo = makeRepo();
  repo.commit('a.txt', 'one');
  const s = await setup();
  const p = poller({ repourl: repo.url, branches: true }, s);
  await p.poll();
  const f1 = repo.commit('f.txt', 'feature work', 'feature');
  assert.equal(await p.poll(), 1);
  assert.deepEqual(s.seen.map((c) => [c.branch, c.revision]), [['feature', f1]]);
  git(repo.dir, 'checkout', '-q', 'main');
  git(repo.dir, 'merge', '-q', '--ff-only', 'feature');
  assert.equal(await p.poll(), 0, 'fast-forwarding main to a known commit adds nothing');
});

test('a branch predicate selects refs by full name', async () => {
  const repo = makeRepo();
  repo.commit('a.txt', 'one');
  repo.commit('r.txt', 'rel', 'release/1');
  const s = await setup();
  const p = poller({ repourl: repo.url, branches: (ref) => ref.startsWith('refs/heads/release/') }, s);
  await p.poll();
  repo.commit('m.txt', 'main moves', 'main');
  const r = repo.commit('r2.txt', 'release moves', 'release/1');
  assert.equal(await p.poll(), 1);
  assert.deepEqual(s.seen.map((c) => [c.branch, c.revision]), [['release/1', r]]);
});

test('started with pollAtLaunch it polls on its own, and stop waits for the poll', async () => {
  const repo = makeRepo();
  repo.commit('a.txt', 'one');
  const s = await setup();
  const p = poller({ repourl: repo.url, branches: ['main'], pollAtLaunch: true, pollInterval: 0.05 }, s);
  repo.commit('b.txt', 'two'); // recorded by the first poll, not a change
  const seenChange = new Promise<ChangeResource>((resolve) => s.data.mq.subscribe<ChangeResource>(['changes', null, 'new'], (_k, c) => resolve(c)));
  p.start();
  // Wait for the initial recording, then commit: a later timed poll finds it.
  while (!(await s.data.updates.getState(p.name, 'GitPoller', 'lastRev', null))) await new Promise((r) => setTimeout(r, 20));
  const r3 = repo.commit('c.txt', 'three');
  assert.equal((await seenChange).revision, r3);
  await p.stop();
});

test('credentials in the repository URL never appear in errors, names or stored changes', async () => {
  const s = await setup();
  const url = 'http://bob:s3cr3t-token@127.0.0.1:1/nothing.git';
  const p = poller({ repourl: url, branches: ['main'], gitTimeout: 20 }, s);
  assert.equal(p.name, 'http://bob:***@127.0.0.1:1/nothing.git');
  await assert.rejects(p.poll(), (err: Error) => {
    assert.match(err.message, /git ls-remote failed for http:\/\/bob:\*\*\*@127\.0\.0\.1:1\/nothing\.git/);
    assert.ok(!err.message.includes('s3cr3t-token'), err.message);
    return true;
  });
});

/** A git that answers `ls-remote` with `script` and runs the real git for everything else. */
function gitWithLsRemote(script: string): string {
  const bin = join(tmp, `fake-git${++counter}`);
  writeFileSync(bin, `#!/bin/sh\nif [ "$1" = ls-remote ]; then\n${script}\nfi\nexec git "$@"\n`, { mode: 0o755 });
  return bin;
}

/** The poll's outcome, or a failure once it has not ended after `ms` (a guard, not a timing check). */
function pollWithin(p: GitPoller, ms: number): Promise<number> {
  let guard: NodeJS.Timeout;
  return Promise.race([
    p.poll(),
    new Promise<never>((_r, reject) => { guard = setTimeout(() => reject(new Error(`the poll had not ended after ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(guard));
}

test('a git command still printing at gitTimeout is killed and the poll fails saying so', async () => {
  const s = await setup();
  const gitBin = gitWithLsRemote('while :; do echo "remote: counting objects..." >&2; sleep 0.05; done');
  const p = poller({ repourl: makeRepo().url, branches: ['main'], gitTimeout: 1, gitBin }, s);
  await assert.rejects(pollWithin(p, 60_000), /git ls-remote failed for file:\/\/.*: timed out after 1000 ms/);
});

test('a git command printing more than gitMaxOutputBytes is killed and the poll fails saying so', async () => {
  const s = await setup();
  const gitBin = gitWithLsRemote('exec yes "0000000000000000000000000000000000000000	refs/heads/main"');
  const p = poller({ repourl: makeRepo().url, branches: ['main'], gitMaxOutputBytes: 64 * 1024, gitBin }, s);
  await assert.rejects(pollWithin(p, 60_000), /git ls-remote failed for file:\/\/.*: output exceeded 65536 bytes/);
});
