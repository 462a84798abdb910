/**
 * `mastro user add` typed at a terminal: the compiled CLI runs on a real pseudo-terminal (driven by
 * python3's pty module) and the password typed at its prompts must never appear in what the
 * terminal shows. Non-interactive use (`--password-stdin`, a pipe) is covered by www-auth.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MASTRO_CLI } from './support/mastro-cli.js';
import { UsersStore } from '../src/www/auth/users-store.js';

/**
 * Runs argv on a pseudo-terminal; each time the next expected prompt shows up, types its keys.
 * Returns everything the terminal displayed (echoed input included) and the exit code.
 */
const PTY_DRIVER = `
import json, os, pty, select, sys
argv, script = json.loads(sys.argv[1]), json.loads(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
shown, seen = b'', 0
while True:
    ready, _, _ = select.select([fd], [], [], 120)
    if not ready:
        os.kill(pid, 9)
        break
    try:
        data = os.read(fd, 4096)
    except OSError:
        break
    if not data:
        break
    shown += data
    while script and script[0][0].encode() in shown[seen:]:
        seen = shown.index(script[0][0].encode(), seen) + len(script[0][0])
        os.write(fd, script.pop(0)[1].encode())
_, status = os.waitpid(pid, 0)
print(json.dumps({'shown': shown.decode('utf-8', 'replace'), 'code': os.waitstatus_to_exitcode(status)}))
`;

function onTerminal(args: string[], script: Array<[prompt: string, keys: string]>): Promise<{ shown: string; code: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', ['-c', PTY_DRIVER, JSON.stringify([process.execPath, MASTRO_CLI, ...args]), JSON.stringify(script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', () => { try { resolve(JSON.parse(out)); } catch { reject(new Error(`pty driver printed ${JSON.stringify(out)}`)); } });
  });
}

function masterDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-cli-user-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('mastro user add at a terminal reads the password without echoing it, twice, and saves it', async (t) => {
  const dir = masterDir(t);
  const r = await onTerminal(['user', 'add', dir, 'alice', '--roles', 'admin'], [['password: ', 'Sw0rdfish-42\r'], ['again: ', 'Sw0rdfish-42\r']]);
  assert.equal(r.code, 0, r.shown);
  assert.doesNotMatch(r.shown, /Sw0rdfish/, 'the typed password must not be shown');
  assert.match(r.shown, /user alice saved/);
  assert.deepEqual(await new UsersStore(dir).checkPassword('alice', 'Sw0rdfish-42'), { username: 'alice', roles: ['admin'] });
});

test('backspace and Ctrl-U edit the hidden password as they would a visible one', async (t) => {
  const dir = masterDir(t);
  const r = await onTerminal(['user', 'add', dir, 'bob'], [['password: ', 'junk\u0015correct-horsX\u007f\r'], ['again: ', 'correct-hors\r']]);
  assert.equal(r.code, 0, r.shown);
  assert.doesNotMatch(r.shown, /correct|junk/);
  assert.ok(await new UsersStore(dir).checkPassword('bob', 'correct-hors'));
});

test('two different passwords at the prompts save nothing and say to run the command again', async (t) => {
  const dir = masterDir(t);
  const r = await onTerminal(['user', 'add', dir, 'carol'], [['password: ', 'first-password\r'], ['again: ', 'other-password\r']]);
  assert.equal(r.code, 2, r.shown);
  assert.match(r.shown, /the two passwords differ; nothing was saved\. Run the command again/);
  assert.doesNotMatch(r.shown, /first-password|other-password/);
  assert.equal(await new UsersStore(dir).has('carol'), false);
});

test('Ctrl-C at the password prompt cancels without saving', async (t) => {
  const dir = masterDir(t);
  const r = await onTerminal(['user', 'add', dir, 'dave'], [['password: ', 'half-typed\u0003']]);
  assert.equal(r.code, 130, r.shown);
  assert.match(r.shown, /cancelled; nothing was saved/);
  assert.doesNotMatch(r.shown, /half-typed/);
  assert.equal(await new UsersStore(dir).has('dave'), false);
});
