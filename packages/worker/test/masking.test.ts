import { test } from 'node:test';
import assert from 'node:assert/strict';
import { needsMasking } from '../src/connection-loop.js';
import { startWorker } from '../src/index.js';
import { startFakeMaster, stdoutOf } from './support/fake-master.js';
import { tempDir } from './support/helpers.js';

test('frames are masked only on plain ws:// to a non-loopback host', () => {
  assert.equal(needsMasking('ws://build-master.example.org:9989/'), true);
  assert.equal(needsMasking('ws://10.0.0.5:9989/'), true);
  assert.equal(needsMasking('wss://build-master.example.org/workers'), false);
  assert.equal(needsMasking('ws://127.0.0.1:9989/'), false);
  assert.equal(needsMasking('ws://127.4.5.6:9989/'), false);
  assert.equal(needsMasking('ws://localhost:9989/'), false);
  assert.equal(needsMasking('ws://[::1]:9989/'), false);
});

for (const maskFrames of [true, false]) {
  test(`a worker with maskFrames ${maskFrames} runs a command whose output reaches the master intact`, async (t) => {
    const dir = tempDir(t);
    const master = await startFakeMaster({ name: 'w1', password: 'pw' });
    const worker = await startWorker({ basedir: dir, master: master.url, name: 'w1', password: 'pw', maskFrames });
    t.after(async () => { await worker.stop({ graceful: false }); await master.close(); });
    const conn = master.connections[0] ?? await master.nextConnection();
    await conn.request('set_worker_settings', { args: { buffer_size: 65536, buffer_timeout: 0.01, newline_re: '(\\r\\n)', max_line_length: 4096 } });
    await conn.request('start_command', { command_id: 'm1', command_name: 'shell', args: { command: ['sh', '-c', 'seq 1 20000'], workdir: dir } });
    assert.equal(await master.completion('m1'), null);
    assert.equal(stdoutOf(master, 'm1'), Array.from({ length: 20000 }, (_, i) => `${i + 1}\n`).join(''));
  });
}
