import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { processStartTime } from 'mastro-protocol/process-identity';
import { COMMAND_GROUPS_FILE } from '../src/process/command-groups-file.js';
import { endPreviousLife, leftoverGroups } from '../src/process/previous-life.js';
import { silentLogger } from 'mastro-protocol';
import { lineLogger } from '../src/logger.js';
import { processRunning } from '../../../test/support/process-tree.js';
import { tempDir } from './support/helpers.js';

/** A detached process group, as a command of a killed worker is left; SIGKILLed after the test. */
function orphan(t: { after(fn: () => void): void }, script: string) {
  const child = spawn('sh', ['-c', script], { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } });
  return child;
}

const record = (dir: string, lines: string[]) => writeFileSync(path.join(dir, COMMAND_GROUPS_FILE), lines.map((l) => `${l}\n`).join(''));

test("the previous worker's running commands are ended before the new one goes on", async (t) => {
  const dir = tempDir(t);
  const polite = orphan(t, 'sleep 100').pid!;
  const stubborn = orphan(t, "trap '' TERM; while :; do sleep 0.1; done").pid!;
  record(dir, [`+ ${polite} ${processStartTime(polite)}`, `+ ${stubborn} ${processStartTime(stubborn)}`]);
  const logs: string[] = [];
  const survivors = await endPreviousLife(dir, 500, lineLogger((line) => logs.push(line)));
  assert.deepEqual(survivors, []);
  assert.ok(!processRunning(polite) && !processRunning(stubborn));
  assert.match(logs[0]!, new RegExp(`commands of the previous worker in .* still run \\(process groups ${polite}, ${stubborn}\\)`));
  assert.match(logs[1]!, new RegExp(`process groups ${stubborn} did not end within 500 ms of SIGTERM; sending SIGKILL`));
});

test('a recorded pid that now belongs to another program is left alone', async (t) => {
  const dir = tempDir(t);
  const stranger = orphan(t, 'sleep 100').pid!;
  record(dir, [`+ ${stranger} 12345`]); // the start time of the process that had the pid before
  assert.deepEqual(await endPreviousLife(dir, 500, silentLogger), []);
  assert.ok(processRunning(stranger));
});

test('a leader with an unknown start time is not signalled while its pid runs', (t) => {
  const running = orphan(t, 'sleep 100').pid!;
  assert.deepEqual(leftoverGroups(new Map([[running, '?']])), []);
});

test('what a command left in its group after its shell exited is ended too', async (t) => {
  const dir = tempDir(t);
  const leader = orphan(t, 'sleep 100 & echo $!');
  const [line] = await once(leader.stdout!, 'data') as [Buffer];
  const left = Number(line.toString().trim());
  await once(leader, 'exit');
  assert.ok(processRunning(left));
  record(dir, [`+ ${leader.pid} ${'a start time nobody can check now'}`]);
  assert.deepEqual(leftoverGroups(new Map([[leader.pid!, 'x']])), [leader.pid]);
  await endPreviousLife(dir, 500, silentLogger);
  assert.ok(!processRunning(left));
});

test('nothing recorded, nothing signalled, nothing logged', async (t) => {
  const logs: string[] = [];
  assert.deepEqual(await endPreviousLife(tempDir(t), 500, lineLogger((line) => logs.push(line))), []);
  assert.deepEqual(logs, []);
});

test('a basedir another live worker still uses keeps its commands', async (t) => {
  const dir = tempDir(t);
  const otherWorker = orphan(t, 'sleep 100').pid!;
  const itsCommand = orphan(t, 'sleep 100').pid!;
  record(dir, [`w ${otherWorker} ${processStartTime(otherWorker)}`, `+ ${itsCommand} ${processStartTime(itsCommand)}`]);
  const logs: string[] = [];
  assert.deepEqual(await endPreviousLife(dir, 500, lineLogger((line) => logs.push(line))), []);
  assert.ok(processRunning(itsCommand));
  assert.match(logs.join('\n'), new RegExp(`another worker \\(pid ${otherWorker}\\) still runs in .*; leaving its commands alone`));
});

test('the commands of a worker that died are ended though its file names it', async (t) => {
  const dir = tempDir(t);
  const command = orphan(t, 'sleep 100').pid!;
  record(dir, [`w ${process.pid} not-this-process-start`, `+ ${command} ${processStartTime(command)}`]);
  await endPreviousLife(dir, 500, silentLogger);
  assert.ok(!processRunning(command));
});
