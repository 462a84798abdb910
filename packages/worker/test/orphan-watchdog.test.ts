import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { OrphanWatchdog } from '../src/process/orphan-watchdog.js';
import { silentLogger } from 'mastro-protocol';
import { lineLogger } from '../src/logger.js';
import { processRunning } from '../../../test/support/process-tree.js';
import { until } from './support/helpers.js';

/** A process group of its own (as a command runs in), SIGKILLed after the test whatever happened. */
function group(t: { after(fn: () => void): void }, script: string): number {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  child.unref();
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  return child.pid!;
}

const groupRunning = (pgid: number) => { try { process.kill(-pgid, 0); return processRunning(pgid); } catch { return false; } };

test('when the pipe from the worker closes, the watchdog ends every listed process group', async (t) => {
  const logs: string[] = [];
  const watchdog = new OrphanWatchdog(1000, lineLogger((line) => logs.push(line)));
  const a = group(t, 'sleep 100');
  const b = group(t, 'sleep 100');
  watchdog.add(a);
  watchdog.add(b);
  const watchdogPid = watchdog.pid!;
  watchdog.close(); // the same end-of-file a dead worker's pipe gives
  await until(() => !groupRunning(a) && !groupRunning(b), 'both groups to end', 10_000);
  await until(() => !processRunning(watchdogPid), 'the watchdog to exit', 10_000);
  assert.deepEqual(logs, []);
});

test('a command that ignores SIGTERM gets SIGKILL from the watchdog after the grace period', async (t) => {
  const watchdog = new OrphanWatchdog(1000, silentLogger);
  const stubborn = group(t, "trap '' TERM; while :; do sleep 0.1; done");
  watchdog.add(stubborn);
  watchdog.close();
  await until(() => !groupRunning(stubborn), 'the stubborn group to be killed', 10_000);
});

test('a group removed when its command ended is left alone when the worker goes', async (t) => {
  const watchdog = new OrphanWatchdog(1000, silentLogger);
  const kept = group(t, 'sleep 100');
  const ended = group(t, 'sleep 100');
  watchdog.add(kept);
  watchdog.add(ended);
  watchdog.remove(ended);
  const watchdogPid = watchdog.pid!;
  watchdog.close();
  await until(() => !groupRunning(kept), 'the listed group to end', 10_000);
  await until(() => !processRunning(watchdogPid), 'the watchdog to exit', 10_000);
  assert.ok(groupRunning(ended), 'the removed group was not signalled');
});

test('a watchdog killed while the worker runs is replaced and still knows the running groups', async (t) => {
  const logs: string[] = [];
  const watchdog = new OrphanWatchdog(1000, lineLogger((line) => logs.push(line)));
  const g = group(t, 'sleep 100');
  watchdog.add(g);
  const first = watchdog.pid!;
  process.kill(first, 'SIGKILL');
  await until(() => watchdog.pid !== undefined && watchdog.pid !== first, 'a new watchdog', 10_000);
  assert.match(logs.join('\n'), /the command watchdog died \(SIGKILL\); starting a new one/);
  watchdog.close();
  await until(() => !groupRunning(g), 'the group to end through the new watchdog', 10_000);
});

test('the watchdog leads its own process group and ignores the SIGINT and SIGHUP a terminal sends', async (t) => {
  const watchdog = new OrphanWatchdog(1000, silentLogger);
  const g = group(t, 'sleep 100');
  watchdog.add(g);
  const pid = watchdog.pid!;
  const stat = () => readFileSync(`/proc/${pid}/stat`, 'utf8');
  // pgrp is the 5th field (the 3rd after the parenthesised command name).
  assert.equal(Number(stat().slice(stat().lastIndexOf(')') + 2).split(' ')[2]), pid, 'a Ctrl-C to the worker\'s group misses it');
  // SigIgn is a hex mask; bit 0 is SIGHUP, bit 1 SIGINT. Wait until its script set the traps.
  const ignored = () => BigInt(`0x${/SigIgn:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]}`);
  await until(() => (ignored() & 3n) === 3n, 'the watchdog to ignore SIGHUP and SIGINT');
  process.kill(pid, 'SIGINT');
  process.kill(pid, 'SIGHUP');
  watchdog.close();
  // Had a signal ended it, nothing would end the group.
  await until(() => !groupRunning(g), 'the group to end', 10_000);
});
