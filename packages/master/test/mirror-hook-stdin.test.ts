/**
 * The mirror poller's hook gets, byte for byte, what git gives a real post-receive hook installed on
 * the upstream bare repository for the same pushes: creations, deletions, force-pushes, lightweight
 * and annotated tags, and several refs in one push.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MirrorPoller } from '../src/changes/mirror/index.js';
import { commitFile, git, memoryUpdates, tempDir, upstreamWithClone } from './support/mirror-git.js';

/** A hook that appends its stdin and an end marker to a file, so each invocation is visible. */
function recordingHook(path: string, out: string): void {
  writeFileSync(path, `#!/bin/sh\ncat >> '${out}'\nprintf '%s\\n' '--- end of invocation' >> '${out}'\n`);
  chmodSync(path, 0o755);
}

test('the hook stdin equals what a real post-receive hook received, push by push', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-stdin-');
  t.after(cleanup);
  const { bare, work } = upstreamWithClone(dir, 'up');
  const upstreamLog = join(dir, 'upstream-post-receive.log');
  const mirrorLog = join(dir, 'mirror-hook.log');
  recordingHook(join(bare, 'hooks', 'post-receive'), upstreamLog);
  const mirrorHook = join(dir, 'mirror-hook.sh');
  recordingHook(mirrorHook, mirrorLog);

  const mem = memoryUpdates();
  const poller = new MirrorPoller({ repositories: [bare], pollAtLaunch: false, hook: { command: [mirrorHook] } }, { updates: mem.updates, masterDir: join(dir, 'master') });
  await poller.poll();

  const pushes: Array<() => void> = [
    // Several branches created in one push (listed in name order: see refs.ts on ordering).
    () => git(work, 'push', '--quiet', 'origin', 'main:refs/heads/alpha', 'main:refs/heads/beta', 'main:refs/heads/gamma'),
    // A plain fast-forward.
    () => { commitFile(work, 'a.txt', 'a\n', 'a'); git(work, 'push', '--quiet', 'origin', 'main'); },
    // Update, deletion and creation in one push.
    () => {
      commitFile(work, 'b.txt', 'b\n', 'b');
      git(work, 'push', '--quiet', 'origin', 'main', 'main:refs/heads/gamma', ':refs/heads/alpha', 'main:refs/heads/delta', 'main:refs/heads/epsilon');
    },
    // A force-push that rewrites history.
    () => {
      git(work, 'checkout', '--quiet', '-b', 'rewrite', 'main~1');
      commitFile(work, 'c.txt', 'c\n', 'c rewritten');
      git(work, 'push', '--quiet', '--force', 'origin', 'rewrite:refs/heads/beta');
      git(work, 'checkout', '--quiet', 'main');
    },
    // Tags: lightweight and annotated, pushed together.
    () => { git(work, 'tag', 'v1.0'); git(work, 'tag', '-a', '-m', 'release 1.1', 'v1.1'); git(work, 'push', '--quiet', 'origin', '--tags'); },
    // A tag moved by force and a branch deleted.
    () => { git(work, 'tag', '-f', 'v1.0', 'main~1'); git(work, 'push', '--quiet', '--force', 'origin', 'refs/tags/v1.0', ':refs/heads/delta'); },
    // Tag deletion.
    () => git(work, 'push', '--quiet', 'origin', ':refs/tags/v1.1'),
  ];
  for (const [i, push] of pushes.entries()) {
    push();
    const cycle = await poller.poll();
    assert.equal(cycle.errors, 0, `push ${i}: ${JSON.stringify(poller.status().repositories[0]?.lastError)}`);
    assert.equal(readFileSync(mirrorLog, 'utf8'), readFileSync(upstreamLog, 'utf8'), `hook stdin after push ${i}`);
  }
  const invocations = readFileSync(upstreamLog, 'utf8').split('--- end of invocation\n').filter(Boolean);
  assert.equal(invocations.length, pushes.length);
  assert.match(invocations[2]!, /^[0-9a-f]{40} 0{40} refs\/heads\/alpha\n/m, 'a deletion carries the zero id as new value');
  assert.match(invocations[0]!, /^0{40} [0-9a-f]{40} refs\/heads\/alpha\n/m, 'a creation carries the zero id as old value');
});

test('the hook runs in the bare mirror with GIT_DIR so git commands of post-receive scripts work', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-env-');
  t.after(cleanup);
  const { bare, work } = upstreamWithClone(dir, 'up');
  const out = join(dir, 'env.txt');
  const hook = join(dir, 'hook.sh');
  // Like git_buildbot.py: read the lines, then ask git about the new revision.
  writeFileSync(hook, `#!/bin/sh\nwhile read old new ref; do git log -1 --format=%s "$new" >> '${out}'; echo "$MASTRO_MIRROR_NAME $GIT_DIR" >> '${out}'; done\n`);
  chmodSync(hook, 0o755);
  const poller = new MirrorPoller({ repositories: [bare], pollAtLaunch: false, hook: { command: [hook] } }, { updates: memoryUpdates().updates, masterDir: join(dir, 'master') });
  await poller.poll();
  commitFile(work, 'n', 'n\n', 'the subject line');
  git(work, 'push', '--quiet', 'origin', 'main');
  assert.equal((await poller.poll()).hookRuns, 1);
  assert.equal(readFileSync(out, 'utf8'), 'the subject line\nup .\n');
});

test('refs pushed in non-name order: updates and deletions match git byte for byte, explicit creations come in name order', async (t) => {
  const { dir, cleanup } = tempDir('mastro-mirror-order-');
  t.after(cleanup);
  const { bare, work } = upstreamWithClone(dir, 'up');
  const upstreamLog = join(dir, 'upstream-post-receive.log');
  const mirrorLog = join(dir, 'mirror-hook.log');
  recordingHook(join(bare, 'hooks', 'post-receive'), upstreamLog);
  const mirrorHook = join(dir, 'mirror-hook.sh');
  recordingHook(mirrorHook, mirrorLog);
  const poller = new MirrorPoller({ repositories: [bare], pollAtLaunch: false, hook: { command: [mirrorHook] } }, { updates: memoryUpdates().updates, masterDir: join(dir, 'master') });
  await poller.poll();
  git(work, 'push', '--quiet', 'origin', 'main:refs/heads/alpha', 'main:refs/heads/mid', 'main:refs/heads/zeta');
  await poller.poll();

  const lastInvocation = (file: string) => readFileSync(file, 'utf8').split('--- end of invocation\n').filter(Boolean).at(-1)!;
  const refsOf = (stdin: string) => stdin.trim().split('\n').map((l) => l.split(' ')[2]);
  const pushAndPoll = async (...refspecs: string[]) => {
    git(work, 'push', '--quiet', '--force', 'origin', ...refspecs);
    assert.equal((await poller.poll()).errors, 0);
    return { git: lastInvocation(upstreamLog), mirror: lastInvocation(mirrorLog) };
  };

  // Refs the server already has (updates, deletions, in any mix) reach post-receive in refname
  // order whatever the command line said, because send-pack walks the server's advertised refs.
  commitFile(work, 'x.txt', 'x\n', 'x');
  let r = await pushAndPoll('main:refs/heads/zeta', ':refs/heads/mid', 'main:refs/heads/alpha');
  assert.deepEqual(refsOf(r.git), ['refs/heads/alpha', 'refs/heads/mid', 'refs/heads/zeta']);
  assert.equal(r.mirror, r.git);

  // Creations named explicitly come after those, in command-line order; a mirror only sees the
  // resulting refs and lists them by name, so the same lines arrive in another order.
  commitFile(work, 'y.txt', 'y\n', 'y');
  r = await pushAndPoll('main:refs/heads/new-z', 'main:refs/heads/zeta', 'main:refs/heads/new-a', 'main:refs/tags/t-b', 'main:refs/tags/t-a');
  assert.deepEqual(refsOf(r.git), ['refs/heads/zeta', 'refs/heads/new-z', 'refs/heads/new-a', 'refs/tags/t-b', 'refs/tags/t-a']);
  assert.deepEqual(refsOf(r.mirror), ['refs/heads/zeta', 'refs/heads/new-a', 'refs/heads/new-z', 'refs/tags/t-a', 'refs/tags/t-b']);
  assert.deepEqual(r.mirror.split('\n').sort(), r.git.split('\n').sort(), 'the same lines, byte for byte');

  // Creations matched by a wildcard refspec (and by --all, --tags, --mirror) are sent sorted: exact again.
  for (const b of ['w-3', 'w-1', 'w-2']) git(work, 'branch', b);
  r = await pushAndPoll('refs/heads/w-*:refs/heads/w-*');
  assert.deepEqual(refsOf(r.git), ['refs/heads/w-1', 'refs/heads/w-2', 'refs/heads/w-3']);
  assert.equal(r.mirror, r.git);
});
