import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorPoller } from '../src/changes/mirror/index.js';
import { commitFile, git, memoryUpdates, tempDir, upstreamWithClone } from './support/mirror-git.js';

test('a 60-repository mirror reports only the repository whose head moved', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror60-');
  t.after(cleanup);
  const { bare: seed } = upstreamWithClone(dir, 'seed');
  for (let i = 0; i < 60; i++) cpSync(seed, join(dir, 'upstream', `repo${String(i).padStart(2, '0')}.git`), { recursive: true });
  const mem = memoryUpdates();
  const poller = new MirrorPoller({ name: 'sixty', glob: join(dir, 'upstream', '*.git'), pollAtLaunch: false }, { updates: mem.updates, masterDir: join(dir, 'master') });

  const first = await poller.poll();
  assert.equal(first.repositories, 60);
  assert.equal(first.moved, 60, 'every repository is mirrored on the first cycle');
  assert.equal(first.errors, 0);
  assert.equal(mem.changes.length, 0, 'the first cycle records heads without flooding history');

  const quiet = await poller.poll();
  assert.deepEqual([quiet.moved, quiet.changes, quiet.errors], [0, 0, 0]);

  const work = join(dir, 'work17');
  git(dir, 'clone', '--quiet', join(dir, 'upstream', 'repo17.git'), work);
  const c1 = commitFile(work, 'src/a.c', 'int a;\n', 'add a.c\n\nwith a body line');
  const c2 = commitFile(work, 'docs/b.md', '# b\n', 'add docs');
  git(work, 'push', '--quiet', 'origin', 'main');

  const moved = await poller.poll();
  assert.deepEqual([moved.moved, moved.changes, moved.errors], [1, 2, 0]);
  assert.deepEqual(mem.changes.map((c) => c.revision), [c1, c2], 'one Change per new commit, oldest first');
  const [first1] = mem.changes;
  assert.equal(first1!.author, 'Ada Author <ada@example.org>');
  assert.equal(first1!.committer, 'Cy Committer <cy@example.org>');
  assert.equal(first1!.comments, 'add a.c\nwith a body line');
  assert.deepEqual(first1!.files, ['src/a.c']);
  assert.equal(first1!.branch, 'main');
  assert.equal(first1!.project, 'repo17');
  assert.equal(first1!.repository, join(dir, 'upstream', 'repo17.git'));
  assert.equal(first1!.src, 'git');
  assert.equal(first1!.when_timestamp, Number(git(work, 'log', '-1', '--format=%ct', c1)));

  const status = poller.status();
  assert.equal(status.repositories.length, 60);
  assert.equal(status.lastCycle!.changes, 2);
  assert.ok(status.repositories.find((r) => r.name === 'repo17')!.lastMovedAt! >= status.repositories.find((r) => r.name === 'repo03')!.lastMovedAt!);
  assert.equal((await poller.poll()).moved, 0, 'nothing moves afterwards');
});

test('a new branch yields only its own commits and a force-push only the rewritten ones', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-branch-');
  t.after(cleanup);
  const { bare, work } = upstreamWithClone(dir, 'proj');
  const mem = memoryUpdates();
  const poller = new MirrorPoller({ repositories: [bare], pollAtLaunch: false }, { updates: mem.updates, masterDir: join(dir, 'master') });
  await poller.poll();

  git(work, 'checkout', '--quiet', '-b', 'feature');
  const f1 = commitFile(work, 'f.txt', '1\n', 'feature 1');
  git(work, 'push', '--quiet', 'origin', 'feature');
  await poller.poll();
  assert.deepEqual(mem.changes.map((c) => [c.revision, c.branch]), [[f1, 'feature']]);

  git(work, 'reset', '--quiet', '--hard', 'HEAD~1');
  const f2 = commitFile(work, 'g.txt', '2\n', 'feature rewritten');
  git(work, 'push', '--quiet', '--force', 'origin', 'feature');
  await poller.poll();
  assert.deepEqual(mem.changes.slice(1).map((c) => [c.revision, c.branch]), [[f2, 'feature']]);

  git(work, 'push', '--quiet', 'origin', ':feature');
  const deleted = await poller.poll();
  assert.equal(deleted.moved, 1);
  assert.equal(mem.changes.length, 2, 'deleting a branch makes no Change');
});

test('a failing repository is recorded in the status and the others are still polled', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-fail-');
  t.after(cleanup);
  const good = upstreamWithClone(dir, 'good');
  const mem = memoryUpdates();
  const poller = new MirrorPoller({ repositories: [join(dir, 'missing.git'), good.bare], pollAtLaunch: false, gitTimeout: 30 }, { updates: mem.updates, masterDir: join(dir, 'master') });
  await poller.poll();
  const rev = commitFile(good.work, 'x', 'x\n', 'x');
  git(good.work, 'push', '--quiet', 'origin', 'main');
  const cycle = await poller.poll();
  assert.equal(cycle.errors, 1);
  assert.deepEqual(mem.changes.map((c) => c.revision), [rev]);
  const missing = poller.status().repositories.find((r) => r.name === 'missing')!;
  assert.equal(missing.consecutiveFailures, 2);
  assert.match(missing.lastError!, /missing\.git/);
  assert.equal(poller.status().repositories.find((r) => r.name === 'good')!.lastError, null);
});

test('the heads are remembered through the state API across poller restarts', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-state-');
  t.after(cleanup);
  const { bare, work } = upstreamWithClone(dir, 'proj');
  const mem = memoryUpdates();
  const opts = { repositories: [bare], pollAtLaunch: false };
  await new MirrorPoller(opts, { updates: mem.updates, masterDir: join(dir, 'master') }).poll();
  const rev = commitFile(work, 'y', 'y\n', 'while the master was down');
  git(work, 'push', '--quiet', 'origin', 'main');
  const again = new MirrorPoller(opts, { updates: mem.updates, masterDir: join(dir, 'master') });
  await again.poll();
  assert.deepEqual(mem.changes.map((c) => c.revision), [rev]);
});

test('a failing hook is reported but the refs are remembered so it never sees an update twice', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-hookfail-');
  t.after(cleanup);
  const { bare, work } = upstreamWithClone(dir, 'proj');
  const script = join(dir, 'hook.sh');
  writeFileSync(script, `#!/bin/sh\ncat >> "${dir}/seen"\necho broken >&2\nexit 3\n`);
  chmodSync(script, 0o755);
  const mem = memoryUpdates();
  const poller = new MirrorPoller({ repositories: [bare], pollAtLaunch: false, hook: { command: [script] } }, { updates: mem.updates, masterDir: join(dir, 'master') });
  await poller.poll();
  assert.equal(existsSync(join(dir, 'seen')), false, 'the first cycle runs no hook');
  commitFile(work, 'z', 'z\n', 'z');
  git(work, 'push', '--quiet', 'origin', 'main');
  const c = await poller.poll();
  assert.equal(c.errors, 1);
  assert.match(poller.status().repositories[0]!.lastError!, /exited with code 3: broken/);
  assert.equal((await poller.poll()).errors, 0);
  assert.equal(readFileSync(join(dir, 'seen'), 'utf8').split('\n').filter(Boolean).length, 1);
});
