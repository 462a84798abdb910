/**
 * latent.command's provider (workers/latent/command.ts) running real shell commands: what each
 * command is given, the instance id taken from the start command's last line, the list command's
 * lines, and the messages of a command that fails or runs past its timeout. End to end with a
 * master: test/latent-command-e2e.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandProvider, commandKind, type CommandProviderSpec } from '../src/workers/latent/command.js';
import { LatentStartError } from '../src/workers/latent/provider.js';

const warnings: string[] = [];
const log = { info() {}, warn(_o: unknown, msg?: string) { warnings.push(msg ?? ''); }, error() {} };
const spec = (o: Partial<CommandProviderSpec>): CommandProviderSpec => ({ kind: 'command', start: 'true', stop: 'true', list: null, env: {}, timeout: 60, os: null, arch: null, ...o });
const request = (workerName: string) => ({ workerName, password: 's3cret', master: { host: 'ci.example.org', port: 9999 }, build: null, signal: new AbortController().signal });

function dir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'mastro-latent-command-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('start gets the latent-worker variables and the master name; its last line names the instance, which stop gets', async (t) => {
  const d = dir(t);
  const p = new CommandProvider(spec({
    start: `env | grep -E '^(BUILDMASTER|BUILDMASTER_PORT|WORKERNAME|WORKERPASS|MASTRO_MASTER|REGION)=' | sort > ${d}/start.env; echo "creating vm"; echo vm-42`,
    stop: ['sh', '-c', `echo "$MASTRO_INSTANCE_ID $MASTRO_STOP_FAST $WORKERNAME" > ${d}/stop.out`],
    env: { REGION: 'eu-1' },
  }), { masterName: 'ci-1', masterDir: d, owner: 'vm', log });
  const instance = await p.startInstance(request('vm'));
  assert.equal(instance.id, 'vm-42');
  assert.equal(readFileSync(join(d, 'start.env'), 'utf8'), 'BUILDMASTER=ci.example.org\nBUILDMASTER_PORT=9999\nMASTRO_MASTER=ci-1\nREGION=eu-1\nWORKERNAME=vm\nWORKERPASS=s3cret\n');
  // Without a list command the master notes what it started (not the password), so a restart finds it.
  assert.deepEqual(await p.listInstances(), [{ id: 'vm-42', workerName: 'vm' }]);
  assert.doesNotMatch(readFileSync(join(d, 'latent-instances', 'command', 'vm.json'), 'utf8'), /s3cret/);
  await p.stopInstance(instance, { fast: true });
  assert.equal(readFileSync(join(d, 'stop.out'), 'utf8'), 'vm-42 1 vm\n');
  assert.deepEqual(await p.listInstances(), [], 'a stopped instance leaves no note');
});

test('a list command names this master\'s instances; a line not of the form is ignored and logged', async (t) => {
  const d = dir(t);
  const p = new CommandProvider(spec({ list: `echo "i-1 mac/1"; echo "garbage"; echo "i-2   mac/2"; test "$MASTRO_MASTER" = ci-1` }), { masterName: 'ci-1', masterDir: d, owner: 'mac', log });
  assert.deepEqual(await p.listInstances(), [{ id: 'i-1', workerName: 'mac/1' }, { id: 'i-2', workerName: 'mac/2' }]);
  assert.ok(warnings.some((w) => /is not '<instance-id> <worker-name>'; ignoring it/.test(w)));
  const failing = new CommandProvider(spec({ list: 'echo "API down" >&2; exit 2' }), { masterName: 'ci-1', masterDir: d, owner: 'mac', log });
  await assert.rejects(failing.listInstances(), /^Error: the list command exited with status 2: API down$/);
});

test('a failing or hanging start says what happened, with what the command printed', async (t) => {
  const d = dir(t);
  const ctx = { masterName: 'm', masterDir: d, owner: 'w', log };
  await assert.rejects(new CommandProvider(spec({ start: 'echo "zone full" >&2; exit 7' }), ctx).startInstance(request('w')),
    (e: Error) => e instanceof LatentStartError && e.reason === 'the start command exited with status 7: zone full');
  await assert.rejects(new CommandProvider(spec({ start: 'echo booting; sleep 30', timeout: 1 }), ctx).startInstance(request('w')),
    (e: Error) => e instanceof LatentStartError && e.reason === 'the start command did not finish within 1 s (timeout) and was killed: booting');
  await assert.rejects(new CommandProvider(spec({ start: ['/nonexistent/vmctl', 'start'] }), ctx).startInstance(request('w')), /the start command could not be run: spawn \/nonexistent\/vmctl ENOENT/);
  // A start that leaves a background process holding its output still returns once it exited.
  const bg = new CommandProvider(spec({ start: 'sleep 3 & echo vm-bg' }), ctx);
  assert.equal((await bg.startInstance(request('w'))).id, 'vm-bg');
});

test('the command kind declares its options: start and stop required, the rest with defaults', () => {
  assert.deepEqual(Object.entries(commandKind.options).filter(([, d]) => d.required).map(([k]) => k), ['start', 'stop']);
  assert.equal(commandKind.options.timeout!.default, 600);
});
