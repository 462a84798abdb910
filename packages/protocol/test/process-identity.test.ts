import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { processStartTime } from '../src/process-identity.js';

test('a running process has one start time, read the same every time', () => {
  const first = processStartTime(process.pid);
  assert.equal(typeof first, 'string');
  assert.equal(processStartTime(process.pid), first);
});

test('a process that ended has no start time', async () => {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  assert.equal(processStartTime(child.pid!), undefined);
});

test('a later process has another start time than an earlier one', async () => {
  const a = spawn('sleep', ['5']);
  const b = spawn('sleep', ['5']);
  try {
    // Linux counts clock ticks (1/100 s); wait for b to be at least one tick younger than a.
    const ta = processStartTime(a.pid!);
    let tb = processStartTime(b.pid!);
    while (tb === ta) {
      b.kill();
      await once(b, 'exit');
      const c = spawn('sleep', ['5']);
      Object.assign(b, c);
      tb = processStartTime(c.pid!);
    }
    assert.notEqual(tb, ta);
  } finally { a.kill(); b.kill(); }
});
