/**
 * The master's own log destination (src/master/log-destination.ts) on a disk that is full: it
 * never throws and never blocks, holds what it can, and once writing works again writes the held
 * lines in order and one line saying how many were dropped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { LogDestination } from '../src/master/log-destination.js';
import { fillDisk, mountTmpfs, removeFiller, tmpfsUnavailable } from '../../../test/support/tmpfs.js';

const line = (i: number) => JSON.stringify({ level: 30, msg: `line ${i}` }) + '\n';

test('on a device that is always full, writes neither throw nor block and the lines beyond the buffer are counted', async () => {
  const fd = openSync('/dev/full', 'w');
  try {
    const d = new LogDestination({ fd, maxBufferedBytes: 1000, retryMs: 20 });
    for (let i = 0; i < 200; i++) assert.equal(d.write(line(i)), true);
    // Several failed retries later: still no exception, and the event loop turns.
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(d.droppedLines > 150, `${d.droppedLines} lines dropped`);
    const started = Date.now();
    d.flushSync();
    assert.ok(Date.now() - started < 1000, 'flushSync at exit gives up on a full disk at once');
  } finally {
    closeSync(fd);
  }
});

test('a process logging as the master does to a full device neither crashes nor hangs when it exits', async () => {
  // pino's own destination, given ENOSPC, threw an uncaught error and then retried at exit forever.
  const script = `
    const { pino } = await import('pino');
    const { defaultMasterLogDestination } = await import(${JSON.stringify(new URL('../src/master/log-destination.ts', import.meta.url).href)});
    const log = pino({}, defaultMasterLogDestination());
    for (let i = 0; i < 1000; i++) log.info({ i }, 'filling');
    setTimeout(() => process.exit(0), 200);
  `;
  const full = openSync('/dev/full', 'w');
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', full, 'pipe'] });
  closeSync(full);
  let stderr = '';
  child.stderr!.on('data', (d) => { stderr += d; });
  // A minute without exiting is the hang (pino's destination loops in flushSync at exit).
  const hang = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const [code, signal] = await once(child, 'exit');
  clearTimeout(hang);
  assert.equal(signal, null, 'the process did not hang at exit');
  assert.equal(code, 0, `the process exited normally: ${stderr}`);
});

const noTmpfs = tmpfsUnavailable();

test('once the disk has room again the held lines come out in order, then one line reports those dropped', { skip: noTmpfs }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-logdest-'));
  const disk = mountTmpfs(dir, 1);
  try {
    const file = join(dir, 'mastro.log');
    const fd = openSync(file, 'a');
    const filler = join(dir, 'filler');
    fillDisk(filler);
    const twenty = Array.from({ length: 20 }, (_, i) => line(i).length).reduce((a, b) => a + b);
    const d = new LogDestination({ fd, maxBufferedBytes: twenty, retryMs: 20 });
    d.write(line(0));
    await new Promise((r) => setTimeout(r, 50)); // its write fails with ENOSPC
    for (let i = 1; i < 50; i++) d.write(line(i));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(readFileSync(file, 'utf8'), '', 'nothing could be written yet');
    removeFiller(filler);
    const written = (text: string) => new Promise<void>((resolve) => { const t = setInterval(() => { if (readFileSync(file, 'utf8').includes(text)) { clearInterval(t); resolve(); } }, 20); });
    await written('dropped');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.deepEqual(lines.slice(0, 20), Array.from({ length: 20 }, (_, i) => line(i).trimEnd()), 'the held lines, in order');
    const report = JSON.parse(lines[20]!);
    assert.equal(report.level, 40);
    assert.match(report.msg, /^30 log line\(s\) \(\d+ bytes\) were dropped here: writing failed with ENOSPC/);
    d.write(line(99));
    await written('line 99');
    assert.equal(readFileSync(file, 'utf8').trimEnd().split('\n').length, 22, 'new lines follow the report');
    closeSync(fd);
  } finally {
    disk.unmount();
    rmdirSync(dir);
  }
});
