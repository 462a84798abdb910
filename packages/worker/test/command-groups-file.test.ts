import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { COMMAND_GROUPS_FILE, CommandGroupsFile, readCommandGroups } from '../src/process/command-groups-file.js';
import { tempDir } from './support/helpers.js';

test('the file lists the groups of running commands with their start times, and forgets ended ones', (t) => {
  const dir = tempDir(t);
  const file = new CommandGroupsFile(dir, 'me');
  t.after(() => file.close());
  file.add(101, '8812');
  file.add(202, 'Mon Dec  7 13:33:58 2026');
  file.add(303, null);
  file.remove(101);
  assert.deepEqual([...readCommandGroups(dir).groups], [[202, 'Mon Dec 7 13:33:58 2026'], [303, '?']]);
});

test('the file is cut back to the line naming its worker whenever no command runs', (t) => {
  const dir = tempDir(t);
  const file = new CommandGroupsFile(dir, 'me');
  t.after(() => file.close());
  file.add(101, '1');
  file.add(202, '2');
  file.remove(202);
  file.remove(101);
  assert.equal(readFileSync(path.join(dir, COMMAND_GROUPS_FILE), 'utf8'), `w ${process.pid} me\n`);
  file.add(303, '3');
  assert.equal(readFileSync(path.join(dir, COMMAND_GROUPS_FILE), 'utf8'), `w ${process.pid} me\n+ 303 3\n`);
  assert.deepEqual(readCommandGroups(dir).owner, { pid: process.pid, start: 'me' });
});

test('a long-running worker that never idles keeps the file short', (t) => {
  const dir = tempDir(t);
  const file = new CommandGroupsFile(dir, 'me');
  t.after(() => file.close());
  file.add(1, 'forever');
  for (let i = 0; i < 5000; i++) { file.add(1000 + i, String(i)); file.remove(1000 + i); }
  const text = readFileSync(path.join(dir, COMMAND_GROUPS_FILE), 'utf8');
  assert.ok(text.split('\n').length < 1100, `${text.split('\n').length} lines`);
  assert.deepEqual([...readCommandGroups(dir).groups], [[1, 'forever']]);
  assert.deepEqual(readCommandGroups(dir).owner, { pid: process.pid, start: 'me' });
});

test("a new worker starts a file listing no group; the previous life's is read before that", (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, COMMAND_GROUPS_FILE), '+ 7 70\n+ 8 80\n- 7\n');
  // The last line of a worker killed mid-write is cut short (of "+ 9123 ...") and ignored.
  appendFileSync(path.join(dir, COMMAND_GROUPS_FILE), '+ 9');
  assert.deepEqual([...readCommandGroups(dir).groups], [[8, '80']]);
  const file = new CommandGroupsFile(dir, 'me');
  t.after(() => file.close());
  assert.deepEqual([...readCommandGroups(dir).groups], []);
});

test('a basedir without the file has no leftovers', (t) => {
  assert.deepEqual([...readCommandGroups(tempDir(t)).groups], []);
});
