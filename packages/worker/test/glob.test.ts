/**
 * The `glob` command: Python's glob rules (see also fs-commands.test.ts), and a walk that leaves the
 * worker responsive — keepalives are answered and an interrupt is honoured while a big tree is read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { attachedWorker, rcOf } from './support/fake-master.js';
import { runCommand, tempDir } from './support/helpers.js';

/** `top/dNN/eNN/fN.txt`: `outer * inner` directories holding `files` files each. Returns the files' paths. */
function bigTree(root: string, outer: number, inner: number, files: number): string[] {
  const made: string[] = [];
  for (let i = 0; i < outer; i++) {
    for (let j = 0; j < inner; j++) {
      const d = path.join(root, `d${i}`, `e${j}`);
      mkdirSync(d, { recursive: true });
      for (let k = 0; k < files; k++) { const f = path.join(d, `f${k}.txt`); writeFileSync(f, ''); made.push(f); }
    }
  }
  return made;
}

const filesOf = (updates: Array<[string, unknown]> | undefined) => updates?.find(([k]) => k === 'files')?.[1] as string[] | undefined;

test('keepalives are answered while a glob walks a big tree', async (t) => {
  const { master, dir } = await attachedWorker(t);
  const conn = await master.nextConnection();
  const expected = bigTree(path.join(dir, 'big'), 40, 50, 4);
  await conn.request('start_command', { command_id: 'g1', command_name: 'glob', args: { path: path.join(dir, 'big/**/*.txt') } });
  // Each keepalive goes out only after the previous answer: one answered before the result
  // arrived was answered while the worker was still walking.
  let answeredDuringWalk = 0;
  while (!filesOf(master.updates.get('g1'))) {
    await conn.request('keepalive');
    if (!filesOf(master.updates.get('g1'))) answeredDuringWalk++;
  }
  assert.equal(await master.completion('g1'), null);
  assert.ok(answeredDuringWalk > 0, 'no keepalive was answered during the walk: the walk blocks the worker');
  assert.deepEqual([...filesOf(master.updates.get('g1'))!].sort(), expected.sort());
  assert.equal(rcOf(master, 'g1'), 0);
});

test('an interrupted glob stops walking and ends with a header and rc 1', async (t) => {
  const { master, dir } = await attachedWorker(t);
  const conn = await master.nextConnection();
  bigTree(path.join(dir, 'big'), 40, 50, 1);
  await conn.request('start_command', { command_id: 'g2', command_name: 'glob', args: { path: path.join(dir, 'big/**') } });
  await conn.request('interrupt_command', { command_id: 'g2', why: 'build stopped' });
  assert.equal(await master.completion('g2'), null);
  const updates = master.updates.get('g2') ?? [];
  assert.equal(filesOf(updates), undefined, 'an interrupted glob sends no partial file list');
  assert.match(updates.filter(([k]) => k === 'header').map(([, v]) => (v as [string])[0]).join(''), /glob interrupted \(build stopped\)/);
  assert.equal(rcOf(master, 'g2'), 1);
});

test('glob keeps Python glob results: ** at the end, literal parts, symlinks and hidden entries', async (t) => {
  const dir = tempDir(t);
  mkdirSync(path.join(dir, 'src/lib/deep'), { recursive: true });
  mkdirSync(path.join(dir, 'src/.cache'), { recursive: true });
  mkdirSync(path.join(dir, 'other'), { recursive: true });
  for (const f of ['src/a.c', 'src/lib/b.c', 'src/lib/deep/c.c', 'src/.cache/x.c', 'src/.hidden.c', 'other/o.c']) writeFileSync(path.join(dir, f), '');
  symlinkSync(path.join(dir, 'other'), path.join(dir, 'src/linked'));
  const glob = async (pattern: string) => {
    const r = await runCommand('glob', { path: path.join(dir, pattern) }, { basedir: dir });
    assert.equal(r.rc(), 0, pattern);
    return (r.value('files') as string[]).map((f) => path.relative(dir, f));
  };
  // `**` lists the directories (the start included) and their entries, not entering symlinked directories.
  assert.deepEqual((await glob('src/**')).sort(), ['src', 'src/a.c', 'src/lib', 'src/lib/b.c', 'src/lib/deep', 'src/lib/deep/c.c', 'src/linked'].sort());
  assert.deepEqual((await glob('src/**/*.c')).sort(), ['src/a.c', 'src/lib/b.c', 'src/lib/deep/c.c']);
  // A pattern part before the last one follows a symlink to a directory.
  assert.deepEqual(await glob('src/l*/o.c'), ['src/linked/o.c']);
  assert.deepEqual((await glob('src/*/*.c')).sort(), ['src/lib/b.c', 'src/linked/o.c']);
  assert.deepEqual(await glob('src/.*/*.c'), ['src/.cache/x.c']);
  assert.deepEqual(await glob('src/lib/b.c'), ['src/lib/b.c']);
  assert.deepEqual(await glob('src/a.c/nothing'), []);
  assert.deepEqual(await glob('missing/**'), []);
  assert.deepEqual(await glob('src/[!a]*.c'), []);
  assert.deepEqual(await glob('src/?.c'), ['src/a.c']);
});
