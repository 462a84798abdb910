/**
 * runGit, the git runner both pollers use: real git, and small shell scripts standing in for git
 * where a misbehaving git is needed (one that never stops printing, prints without end, or
 * leaks a credential on stderr).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitCommandError, runGit } from '../src/changes/git-runner.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-git-runner-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;

/** A stand-in for git: a shell script with this body. */
function fakeGit(body: string): string {
  const bin = join(tmp, `git${++n}`);
  writeFileSync(bin, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return bin;
}

function repo(): string {
  const dir = join(tmp, `repo${++n}`);
  execFileSync('git', ['init', '--quiet', dir]);
  return dir;
}

/** Asserts runGit rejects with a GitCommandError and returns it. */
async function failure(p: Promise<string>): Promise<GitCommandError> {
  const err = await p.then(() => assert.fail('git should have failed'), (e: unknown) => e);
  assert.ok(err instanceof GitCommandError, String(err));
  return err;
}

test('runGit resolves with the stdout of a git command', async () => {
  const dir = repo();
  assert.equal(await runGit(['rev-parse', '--is-bare-repository'], { gitBin: 'git', cwd: dir, timeoutMs: 30_000 }), 'false\n');
});

test('a command still printing when timeoutMs runs out is killed and reported as timed out', async () => {
  const bin = fakeGit('while :; do echo still working; sleep 0.05; done');
  const err = await failure(runGit(['ls-remote', 'origin'], { gitBin: bin, timeoutMs: 300 }));
  assert.equal(err.failure, 'timeout');
  assert.equal(err.message, 'git ls-remote origin: timed out after 300 ms');
});

test('stdout beyond maxOutputBytes kills the command and fails it', async () => {
  const bin = fakeGit('exec yes 0123456789abcdef0123456789abcdef');
  const err = await failure(runGit(['log'], { gitBin: bin, timeoutMs: 60_000, maxOutputBytes: 64 * 1024 }));
  assert.equal(err.failure, 'output');
  assert.match(err.message, /^git log: output exceeded 65536 bytes$/);
});

test('a non-zero exit is a failure with its exit code even when git prints nothing on stderr', async () => {
  const err = await failure(runGit(['config', '--get', 'no.such.key'], { gitBin: 'git', cwd: repo(), timeoutMs: 30_000 }));
  assert.equal(err.failure, 'exit');
  assert.equal(err.exitCode, 1);
  assert.equal(err.message, 'git config --get no.such.key: exit code 1');
});

test('passwords in URLs and the secrets given are scrubbed from the message, the detail and stderr', async () => {
  const bin = fakeGit("echo \"fatal: token tok-0123456789 refused for https://bob:pa55word@example.org/x.git\" >&2\nexit 128");
  const err = await failure(runGit(['ls-remote', 'https://bob:pa55word@example.org/x.git'], { gitBin: bin, timeoutMs: 30_000, secrets: ['tok-0123456789'] }));
  assert.equal(err.exitCode, 128);
  for (const text of [err.message, err.detail, err.stderr]) {
    assert.ok(!text.includes('pa55word') && !text.includes('tok-0123456789'), text);
  }
  assert.equal(err.message, 'git ls-remote https://bob:***@example.org/x.git: exit code 128: fatal: token *** refused for https://bob:***@example.org/x.git');
});

test('arguments that would make git run a command are refused before git starts', async () => {
  const marker = join(tmp, 'pwned');
  const err = await failure(runGit(['ls-remote', `--upload-pack=touch ${marker}`, repo()], { gitBin: 'git', timeoutMs: 30_000 }));
  assert.equal(err.failure, 'refused');
  assert.match(err.message, /refused as unsafe: Use of --upload-pack or --receive-pack is not permitted/);
  assert.equal(existsSync(marker), false);
});

test('a git binary or a working directory that does not exist is reported as such', async () => {
  const noBin = await failure(runGit(['--version'], { gitBin: join(tmp, 'no-such-git'), timeoutMs: 30_000 }));
  assert.equal(noBin.failure, 'spawn');
  assert.match(noBin.message, /cannot run .*no-such-git: .*ENOENT \(check gitBin\)/);
  const noDir = await failure(runGit(['status'], { gitBin: 'git', cwd: join(tmp, 'gone'), timeoutMs: 30_000 }));
  assert.match(noDir.message, /cannot run git: .*gone is not an existing directory/);
});

test('git runs without prompts, editors or pagers, in the C locale, with the extra variables given', async () => {
  const bin = fakeGit('env');
  const saved = { EDITOR: process.env.EDITOR, GIT_PAGER: process.env.GIT_PAGER };
  process.env.EDITOR = 'vi'; process.env.GIT_PAGER = 'less';
  try {
    const env = await runGit(['x'], { gitBin: bin, timeoutMs: 30_000, env: { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: 'X-A: b' } });
    const vars = new Map(env.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    assert.equal(vars.get('GIT_TERMINAL_PROMPT'), '0');
    assert.equal(vars.get('LC_ALL'), 'C');
    assert.equal(vars.get('GIT_CONFIG_KEY_0'), 'http.extraHeader');
    assert.equal(vars.has('EDITOR'), false);
    assert.equal(vars.has('GIT_PAGER'), false);
    assert.equal(vars.get('PATH'), process.env.PATH);
  } finally {
    for (const [k, v] of Object.entries(saved)) { if (v === undefined) delete process.env[k]; else process.env[k] = v; }
  }
});
