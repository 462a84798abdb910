/**
 * Git poller credentials: an HTTP token reaches a real git HTTP server (git http-backend behind a
 * Node server that answers 401 without the token) only through git's environment, and an SSH key
 * reaches ssh (a recording stand-in that runs the remote command locally) through GIT_SSH_COMMAND.
 * Neither the token nor anything derived from it appears in argv, logs, errors or stored changes.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { openDatabase } from '../src/db/index.js';
import { DataConnector } from '../src/data/index.js';
import type { ChangeResource } from '../src/data/types.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { createChangeSource, type GitPoller, type ChangeSourceServices } from '../src/changes/create.js';
import { changes, type GitPollerOptions } from '../src/changes/specs.js';
import { normaliseChangeSource } from '../src/changes/validate.js';
import { gitConfigEnv, headerSecrets, sshCommand } from '../src/changes/git-credentials.js';
import { IssueCollector, formatIssue } from '../src/model/config-errors.js';
import { tryLoadConfig } from '../src/config/load.js';
import { Secret } from '../src/process/renderables.js';
import { isRenderable } from '../src/process/step-types.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-gitcreds-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;

const TOKEN = 'ghp_Secr3tT0kenValue0123456789abcdef';
const BASIC = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
const GIT_ENV = { GIT_AUTHOR_NAME: 'Ada', GIT_AUTHOR_EMAIL: 'ada@example.com', GIT_COMMITTER_NAME: 'Ada', GIT_COMMITTER_EMAIL: 'ada@example.com' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, ...GIT_ENV } }).trim();
}

/** A bare repository under `root` (served as /repo.git) and a work tree that pushes to it. */
function makeServedRepo(root: string): { bare: string; commit(msg: string): string } {
  const bare = join(root, 'repo.git');
  const work = join(tmp, `work${++counter}`);
  git(tmp, 'init', '-q', '--bare', '-b', 'main', bare);
  git(tmp, 'init', '-q', '-b', 'main', work);
  const commit = (msg: string) => {
    writeFileSync(join(work, `${msg}.txt`), `${msg}\n`);
    git(work, 'add', '.');
    git(work, 'commit', '-q', '-m', msg);
    git(work, 'push', '-q', bare, 'main');
    return git(work, 'rev-parse', 'HEAD');
  };
  return { bare, commit };
}

/**
 * A git smart-HTTP server: git http-backend as a CGI program behind a Node server that refuses
 * (401) every request whose Authorization header is not one of `accepted`.
 */
async function startGitHttpServer(projectRoot: string, accepted: readonly string[]) {
  const seenAuth: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const auth = req.headers.authorization ?? '';
    seenAuth.push(auth);
    if (!accepted.includes(auth)) {
      req.resume();
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"', 'content-type': 'text/plain' }).end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('/usr/lib/git-core/git-http-backend', [], {
      env: {
        PATH: process.env.PATH, GIT_PROJECT_ROOT: projectRoot, GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname), REQUEST_METHOD: req.method ?? 'GET', QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers['content-type'] ?? '', REMOTE_ADDR: '127.0.0.1',
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: String(req.headers['content-encoding']) } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
      },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on('data', (chunk: Buffer) => {
      if (headersDone) { res.write(chunk); return; }
      head = Buffer.concat([head, chunk]);
      const text = head.toString('latin1');
      const end = text.search(/\r?\n\r?\n/);
      if (end < 0) return;
      headersDone = true;
      const sep = /\r?\n\r?\n/.exec(text.slice(end))![0].length;
      let status = 200;
      for (const line of text.slice(0, end).split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
        else res.setHeader(name, value);
      }
      res.statusCode = status;
      res.write(head.subarray(end + sep));
    });
    cgi.on('close', () => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}/repo.git`, seenAuth, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}

/** A logger that keeps every line (to prove no secret is ever logged). */
function recordingLogger() {
  const lines: string[] = [];
  const waiters: Array<{ level: string; resolve: (line: string) => void }> = [];
  const at = (level: string) => (obj: unknown, msg?: string) => {
    const line = `${level} ${JSON.stringify(obj)} ${msg ?? ''}`;
    lines.push(line);
    for (const w of waiters.splice(0)) { if (w.level === level) w.resolve(line); else waiters.push(w); }
  };
  return {
    lines,
    logger: { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    next: (level: string) => new Promise<string>((resolve) => waiters.push({ level, resolve })),
  };
}

async function setup(extra: Partial<ChangeSourceServices> = {}) {
  const db = await openDatabase('sqlite::memory:');
  const mq = new InProcessMessageQueue();
  const data = new DataConnector(db, mq);
  const seen: ChangeResource[] = [];
  mq.subscribe<ChangeResource>(['changes', null, 'new'], (_k, c) => seen.push(c));
  const masterDir = join(tmp, `master ${++counter}`);
  mkdirSync(masterDir);
  const log = recordingLogger();
  const services: ChangeSourceServices = { updates: data.updates, masterDir, logger: log.logger, ...extra };
  return { db, seen, masterDir, log, services };
}

function poller(opts: GitPollerOptions, services: ChangeSourceServices): GitPoller {
  const c = new IssueCollector();
  const spec = normaliseChangeSource(changes.gitPoller({ branches: ['main'], pollInterval: 3600, ...opts }), c);
  assert.ok(spec, c.issues.map(formatIssue).join('\n'));
  return createChangeSource(spec, services) as GitPoller;
}

/** A git wrapper that records each command line, to prove the token never travels in argv. */
function recordingGit(): { bin: string; argvLog: string } {
  const dir = join(tmp, `gitwrap${++counter}`);
  mkdirSync(dir);
  const argvLog = join(dir, 'argv.log');
  const bin = join(dir, 'git');
  writeFileSync(bin, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${argvLog}'\nexec git "$@"\n`, { mode: 0o755 });
  return { bin, argvLog };
}

function assertNoSecret(text: string, what: string): void {
  for (const s of [TOKEN, BASIC, BASIC.slice('Basic '.length)]) assert.ok(!text.includes(s), `${what} must not contain the token: ${text}`);
}

test('polling with an HTTP token finds the new commits, and the token is never in argv, logs or stored changes', async () => {
  const root = join(tmp, `srv${++counter}`);
  mkdirSync(root);
  const repo = makeServedRepo(root);
  repo.commit('first');
  const server = await startGitHttpServer(root, [BASIC]);
  const s = await setup();
  const wrapper = recordingGit();
  const p = poller({ repourl: server.url, httpToken: TOKEN, gitBin: wrapper.bin }, s.services);
  try {
    assert.equal(await p.poll(), 0, 'the first poll only records the heads');
    const a = repo.commit('second');
    const b = repo.commit('third');
    assert.equal(await p.poll(), 2);
    assert.deepEqual(s.seen.map((c) => c.revision), [a, b]);
    for (const c of s.seen) assert.equal(c.repository, server.url);
    assert.ok(server.seenAuth.includes(BASIC), 'the server received the token as Basic x-access-token');
    const argv = readFileSync(wrapper.argvLog, 'utf8');
    assert.match(argv, /ls-remote/);
    assert.match(argv, /fetch/);
    assertNoSecret(argv, 'git argv');
    assertNoSecret(s.log.lines.join('\n'), 'the logs');
    assertNoSecret(JSON.stringify(await s.db.kysely.selectFrom('changes').selectAll().execute()), 'the changes table');
  } finally {
    await p.stop();
    await server.close();
  }
});

test('polling without the token fails with an error that says to set httpToken', async () => {
  const root = join(tmp, `srv${++counter}`);
  mkdirSync(root);
  makeServedRepo(root).commit('first');
  const server = await startGitHttpServer(root, [BASIC]);
  const s = await setup();
  const p = poller({ repourl: server.url }, s.services);
  try {
    await assert.rejects(p.poll(), (err: Error) => {
      assert.equal(err.name, 'GitPollerError');
      assert.match(err.message, /git ls-remote failed for http:\/\/127\.0\.0\.1:\d+\/repo\.git/);
      assert.match(err.message, /set httpToken/);
      return true;
    });
  } finally {
    await p.stop();
    await server.close();
  }
});

test('a refused token is named as the problem, and neither the error nor the logged failure contains it', async () => {
  const root = join(tmp, `srv${++counter}`);
  mkdirSync(root);
  makeServedRepo(root).commit('first');
  const server = await startGitHttpServer(root, [BASIC]);
  const s = await setup();
  const wrong = 'ghp_WrongT0kenValue9876543210zyxwvu';
  const p = poller({ repourl: server.url, httpToken: wrong, pollAtLaunch: true }, s.services);
  try {
    const logged = s.log.next('error');
    await p.start();
    const line = await logged;
    assert.match(line, /git poll failed/);
    assert.match(line, /check that httpToken is valid/);
    await assert.rejects(p.poll(), (err: Error) => {
      assert.match(err.message, /the server refused the credentials/);
      for (const secret of [wrong, Buffer.from(`x-access-token:${wrong}`).toString('base64')]) {
        assert.ok(!err.message.includes(secret), `error must not contain the token: ${err.message}`);
        assert.ok(!s.log.lines.join('\n').includes(secret), 'logs must not contain the token');
      }
      return true;
    });
    assert.ok(server.seenAuth.some((h) => h.startsWith('Basic ')), 'the wrong token was sent and refused');
  } finally {
    await p.stop();
    await server.close();
  }
});

test('a bearer token read from an environment variable at poll time is accepted', async () => {
  const root = join(tmp, `srv${++counter}`);
  mkdirSync(root);
  const repo = makeServedRepo(root);
  repo.commit('first');
  const server = await startGitHttpServer(root, [`Bearer ${TOKEN}`]);
  const s = await setup();
  const name = `MASTRO_TEST_GIT_TOKEN_${process.pid}`;
  const p = poller({ repourl: server.url, httpToken: { env: name }, httpAuth: 'bearer' }, s.services);
  try {
    await assert.rejects(p.poll(), /httpToken: the environment variable MASTRO_TEST_GIT_TOKEN_\d+ is not set/);
    process.env[name] = TOKEN;
    assert.equal(await p.poll(), 0);
    const c = repo.commit('second');
    assert.equal(await p.poll(), 1);
    assert.equal(s.seen[0]!.revision, c);
  } finally {
    delete process.env[name];
    await p.stop();
    await server.close();
  }
});

test('a token given as util.secret is looked up through the master secrets, and refused clearly without them', async () => {
  const root = join(tmp, `srv${++counter}`);
  mkdirSync(root);
  makeServedRepo(root).commit('first');
  const server = await startGitHttpServer(root, [BASIC]);
  const withSecrets = await setup({ getSecret: async (n) => (n === 'github-token' ? TOKEN : undefined) });
  const withoutSecrets = await setup();
  const p1 = poller({ repourl: server.url, httpToken: Secret('github-token') }, withSecrets.services);
  const p2 = poller({ repourl: server.url, httpToken: Secret('github-token') }, withoutSecrets.services);
  try {
    assert.equal(await p1.poll(), 0);
    assert.ok(server.seenAuth.includes(BASIC));
    await assert.rejects(p2.poll(), /httpToken is a renderable \(util\.secret\), but this master gives change sources no secret providers/);
  } finally {
    await p1.stop();
    await p2.stop();
    await server.close();
  }
});

test('a token file must be private to its owner', async () => {
  const root = join(tmp, `srv${++counter}`);
  mkdirSync(root);
  makeServedRepo(root).commit('first');
  const server = await startGitHttpServer(root, [BASIC]);
  const s = await setup();
  writeFileSync(join(s.masterDir, 'token'), `${TOKEN}\n`);
  const p = poller({ repourl: server.url, httpToken: { file: 'token' } }, s.services);
  try {
    chmodSync(join(s.masterDir, 'token'), 0o644);
    await assert.rejects(p.poll(), (err: Error) => {
      assert.match(err.message, /httpToken file .*token is accessible by group or others \(mode 644\); run: chmod 600/);
      assertNoSecret(err.message, 'the error');
      return true;
    });
    chmodSync(join(s.masterDir, 'token'), 0o600);
    assert.equal(await p.poll(), 0);
    assert.ok(server.seenAuth.includes(BASIC), 'the trailing newline of the file is not part of the token');
  } finally {
    await p.stop();
    await server.close();
  }
});

/**
 * A stand-in `ssh` first on PATH: records its argv, then runs the remote command (git-upload-pack
 * '<path>') locally, so git really talks to the repository through it.
 */
function fakeSsh(): { dir: string; argvLog: string } {
  const dir = join(tmp, `fakessh${++counter}`);
  mkdirSync(dir);
  const argvLog = join(dir, 'argv.log');
  writeFileSync(join(dir, 'ssh'), `#!/bin/sh
for a in "$@"; do printf '%s\\n' "$a" >> '${argvLog}'; done
printf -- '--\\n' >> '${argvLog}'
for last in "$@"; do :; done
exec sh -c "$last"
`, { mode: 0o755 });
  return { dir, argvLog };
}

async function withPath<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const saved = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${saved}`;
  try { return await fn(); } finally { process.env.PATH = saved; }
}

test('the SSH key, known_hosts and host key policy reach ssh through GIT_SSH_COMMAND, and polling over ssh finds commits', async () => {
  const root = join(tmp, `srv${++counter}`);
  mkdirSync(root);
  const repo = makeServedRepo(root);
  repo.commit('first');
  const s = await setup();
  mkdirSync(join(s.masterDir, 'keys dir'));
  const key = join(s.masterDir, 'keys dir', "id_ed25519 'ci'");
  writeFileSync(key, 'not really a key\n');
  chmodSync(key, 0o600);
  const ssh = fakeSsh();
  const p = poller({
    repourl: `ssh://git@fake-host${repo.bare}`, sshPrivateKey: "keys dir/id_ed25519 'ci'", sshKnownHosts: 'known_hosts', sshStrictHostKeyChecking: 'accept-new',
  }, s.services);
  try {
    await withPath(ssh.dir, async () => {
      assert.equal(await p.poll(), 0);
      const c = repo.commit('second');
      assert.equal(await p.poll(), 1);
      assert.equal(s.seen[0]!.revision, c);
    });
    const calls = readFileSync(ssh.argvLog, 'utf8').split('--\n').filter(Boolean).map((c) => c.split('\n').filter(Boolean));
    assert.ok(calls.length >= 2, 'ssh ran for ls-remote and fetch');
    for (const argv of calls) {
      const opts = argv.join(' ');
      assert.ok(argv.indexOf('-i') >= 0 && argv[argv.indexOf('-i') + 1] === key, `the absolute key path is one argument: ${opts}`);
      for (const o of ['IdentitiesOnly=yes', 'BatchMode=yes', `UserKnownHostsFile=${join(s.masterDir, 'known_hosts')}`, 'StrictHostKeyChecking=accept-new']) {
        assert.ok(argv.includes(o), `ssh gets -o ${o}: ${opts}`);
      }
      assert.ok(argv.includes('git@fake-host'));
    }
  } finally {
    await p.stop();
  }
});

test('a group- or world-readable SSH key is refused before ssh runs', async () => {
  const s = await setup();
  writeFileSync(join(s.masterDir, 'id_rsa'), 'key\n');
  chmodSync(join(s.masterDir, 'id_rsa'), 0o644);
  const ssh = fakeSsh();
  const p = poller({ repourl: 'git@fake-host:org/repo.git', sshPrivateKey: 'id_rsa' }, s.services);
  try {
    await withPath(ssh.dir, async () => {
      await assert.rejects(p.poll(), new RegExp(`sshPrivateKey ${join(s.masterDir, 'id_rsa').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is accessible by group or others \\(mode 644\\); run: chmod 600`));
      const missing = poller({ repourl: 'git@fake-host:org/repo.git', sshPrivateKey: 'nope', name: 'missing-key' }, s.services);
      await assert.rejects(missing.poll(), /sshPrivateKey .*nope does not exist/);
    });
    assert.equal(existsSync(ssh.argvLog), false, 'ssh never ran');
  } finally {
    await p.stop();
  }
});

test('credential options are checked with their paths, and no message quotes a token', () => {
  const issues = (o: Record<string, unknown>) => {
    const c = new IssueCollector();
    normaliseChangeSource({ kind: 'gitPoller', ...o }, c);
    return c.issues.map(formatIssue);
  };
  assert.deepEqual(issues({ repourl: 'git@host:r.git', httpToken: TOKEN }), [`httpToken: is sent only to http(s) repositories, but repourl is "git@host:r.git"`]);
  assert.deepEqual(issues({ repourl: 'https://host/r.git', sshPrivateKey: 'k' }), ['sshPrivateKey: applies only to ssh repository URLs (ssh://host/repo or user@host:repo), but repourl is "https://host/r.git"']);
  assert.deepEqual(issues({ repourl: 'ssh://host/r.git', sshStrictHostKeyChecking: 'maybe' }), ["sshStrictHostKeyChecking: must be one of 'yes', 'no', 'accept-new', got the string \"maybe\""]);
  assert.deepEqual(issues({ repourl: 'https://host/r.git', httpToken: TOKEN, httpAuth: 'digest' }), ["httpAuth: must be 'basic' or 'bearer', got the string \"digest\""]);
  assert.deepEqual(issues({ repourl: 'https://host/r.git', httpToken: TOKEN, httpAuth: 'bearer', httpUsername: 'me' }), ["httpUsername: is used only with httpAuth 'basic' (a bearer token has no user name)"]);
  assert.deepEqual(issues({ repourl: 'https://host/r.git', httpUsername: 'me' }), ['httpUsername: has no effect without httpToken']);
  assert.deepEqual(issues({ repourl: 'https://host/r.git', httpToken: { env: 'not a name' } }), ["httpToken: { env } must name an environment variable, got the string \"not a name\"; give the token, { env: 'GITHUB_TOKEN' }, { file: 'path' } or util.secret('name')"]);
  assert.deepEqual(issues({ repourl: '--upload-pack=touch /tmp/x' }).length, 1);
  const multiLine = issues({ repourl: 'https://host/r.git', httpToken: `${TOKEN}\nsecond line` });
  assert.equal(multiLine.length, 1);
  assertNoSecret(multiLine[0]!, 'the issue');

  const c = new IssueCollector();
  const spec = normaliseChangeSource(changes.gitPoller({ repourl: 'https://host/r.git', httpToken: { env: 'GH_TOKEN' } }), c);
  assert.deepEqual(c.issues, []);
  assert.equal(spec?.kind === 'gitPoller' && spec.httpAuth, 'basic');
  assert.equal(spec?.kind === 'gitPoller' && spec.httpUsername, 'x-access-token');
});

test('the YAML form takes httpToken as { env }, { file } or { secret } and the ssh options', async () => {
  const dir = join(tmp, `yaml${++counter}`);
  mkdirSync(dir);
  writeFileSync(join(dir, 'master.config.yaml'), `workers: [{ name: w0, password: p }]
changeSources:
  - gitPoller: { name: a, repourl: 'https://github.com/o/a.git', httpToken: { env: GITHUB_TOKEN } }
  - gitPoller: { name: b, repourl: 'https://gitlab.com/o/b.git', httpToken: { secret: gitlab-token }, httpUsername: oauth2 }
  - gitPoller: { name: c, repourl: 'https://git.example.org/c.git', httpToken: { file: secrets/token }, httpAuth: bearer }
  - gitPoller: { name: d, repourl: 'git@github.com:o/d.git', sshPrivateKey: keys/id_ed25519, sshKnownHosts: keys/known_hosts, sshStrictHostKeyChecking: 'yes' }
`);
  const r = await tryLoadConfig(dir);
  assert.deepEqual(r.issues.map(formatIssue), []);
  const [a, b, c, d] = r.config!.changeSources as any[];
  assert.deepEqual(a.httpToken, { env: 'GITHUB_TOKEN' });
  assert.ok(isRenderable(b.httpToken), '{ secret } becomes util.secret');
  assert.equal(b.httpUsername, 'oauth2');
  assert.deepEqual([c.httpToken, c.httpAuth], [{ file: 'secrets/token' }, 'bearer']);
  assert.deepEqual([d.sshPrivateKey, d.sshKnownHosts, d.sshStrictHostKeyChecking], ['keys/id_ed25519', 'keys/known_hosts', 'yes']);

  writeFileSync(join(dir, 'master.config.yaml'), `workers: [{ name: w0, password: p }]
changeSources:
  - gitPoller: { repourl: 'https://github.com/o/a.git', httpToken: { vault: x } }
`);
  const bad = await tryLoadConfig(dir);
  assert.equal(bad.config, null);
  assert.ok(bad.issues.some((i) => formatIssue(i).startsWith('changeSources[0].gitPoller.httpToken')), bad.issues.map(formatIssue).join('\n'));
});

test('git config entries are numbered after those already in the environment, and header secrets include the decoded token', () => {
  assert.deepEqual(gitConfigEnv({ 'http.extraHeader': 'X: y' }, { GIT_CONFIG_COUNT: '2' }), { GIT_CONFIG_COUNT: '3', GIT_CONFIG_KEY_2: 'http.extraHeader', GIT_CONFIG_VALUE_2: 'X: y' });
  assert.deepEqual(gitConfigEnv({}), {});
  assert.deepEqual(headerSecrets(`Authorization: ${BASIC}`), [`Authorization: ${BASIC}`, BASIC.slice(6), TOKEN]);
  assert.equal(sshCommand({ privateKey: "/k/it's key" }), `ssh -i '/k/it'\\''s key' -o IdentitiesOnly=yes -o BatchMode=yes`);
});
