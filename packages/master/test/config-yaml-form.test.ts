/**
 * The YAML form knows the change sources and schedulers issue 4 added (mirrorPoller, gerritStream,
 * dependent, try/tryUserpass, upstream, overlap options): a YAML config normalises to the same
 * config as its TypeScript twin.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, tryLoadConfig } from '../src/config/load.js';
import { formatIssue } from '../src/model/config-errors.js';
import type { MasterConfig } from '../src/config/types.js';
import { configSource } from '../../../test/support/config.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-config-yaml4-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function masterDir(file: string, text: string): string {
  const dir = join(tmp, `m${++n}`);
  mkdirSync(dir);
  writeFileSync(join(dir, file), text);
  return dir;
}

/** A config as plain data (RegExps as /source/flags, functions named, paths dropped). */
function comparable(c: MasterConfig): unknown {
  return JSON.parse(JSON.stringify({ ...c, masterDir: undefined, configFile: undefined, masterName: undefined }, (_k, v) => {
    if (typeof v === 'function') return '[function]';
    if (v instanceof RegExp) return `/${v.source}/${v.flags}`;
    return v;
  }));
}

const TS = configSource({}, (m) => m.defineConfig({
  workers: [m.worker('w0', 'pass')],
  changeSources: [
    m.changes.mirrorPoller({ name: 'fleet', glob: 'repos/*.git', pollInterval: 60, concurrency: 4, branches: ['main', 'release'],
      hook: { command: ['python3', 'git_buildbot.py'], timeout: 30 }, codebase: 'fleet' }),
    m.changes.mirrorPoller({ name: 'org', forge: { type: 'github', owner: 'acme', token: 'tok', filter: /^lib-/i, includeForks: false }, refspecs: ['+refs/*:refs/*'] }),
    m.changes.gerritStream({ server: 'review.example.org', username: 'ci', port: 29419, identityFile: '/etc/mastro/id_ed25519', handledEvents: ['patchset-created', 'ref-updated', 'change-merged'], backoffMax: 30 }),
    m.changes.gerritStream({ name: 'replay', command: ['node', 'fixture-stream.js'], gitBaseURL: 'file:///srv/gerrit' }),
  ],
  schedulers: [
    m.schedulers.anyBranch({ name: 'all', builderNames: ['b'], overlap: 'cancel-in-progress', concurrencyGroup: 'ci', unchangedCodebases: 'head' }),
    m.schedulers.dependent({ name: 'after-all', upstream: 'all', builderNames: ['b'], priority: 2 }),
    m.schedulers.tryUserpass({ name: 'try', builderNames: ['b'], port: 8031, userpass: [['alice', 'pw1'], ['bob', 'pw2']], maxRequestBytes: 1048576 }),
    m.schedulers.try({ name: 'try2', builderNames: ['b'], port: 0, host: '0.0.0.0', userpass: [['carol', 'pw3']] }),
    m.schedulers.upstream({ name: 'lib-good', builderNames: ['b'], url: 'http://lib-ci.example.org:8010', builder: 'lib', codebase: 'lib', pollInterval: 15, auth: { token: 't0k' } }),
  ],
  builders: [m.builder({ name: 'b', workerNames: ['w0'], steps: [] })],
}));

const YAML = `workers: [{ name: w0, password: pass }]
changeSources:
  - mirrorPoller:
      name: fleet
      glob: 'repos/*.git'
      pollInterval: 60
      concurrency: 4
      branches: [main, release]
      hook: { command: [python3, git_buildbot.py], timeout: 30 }
      codebase: fleet
  - mirrorPoller:
      name: org
      forge: { type: github, owner: acme, token: tok, filter: { regex: '^lib-', flags: i }, includeForks: false }
      refspecs: ['+refs/*:refs/*']
  - gerritStream: { server: review.example.org, username: ci, port: 29419, identityFile: /etc/mastro/id_ed25519, handledEvents: [patchset-created, ref-updated, change-merged], backoffMax: 30 }
  - gerritStream: { name: replay, command: [node, fixture-stream.js], gitBaseURL: 'file:///srv/gerrit' }
schedulers:
  - anyBranch: { name: all, builderNames: [b], overlap: cancel-in-progress, concurrencyGroup: ci, unchangedCodebases: head }
  - dependent: { name: after-all, upstream: all, builderNames: [b], priority: 2 }
  - tryUserpass: { name: try, builderNames: [b], port: 8031, userpass: [[alice, pw1], [bob, pw2]], maxRequestBytes: 1048576 }
  - try: { name: try2, builderNames: [b], port: 0, host: 0.0.0.0, userpass: [[carol, pw3]] }
  - upstream: { name: lib-good, builderNames: [b], url: 'http://lib-ci.example.org:8010', builder: lib, codebase: lib, pollInterval: 15, auth: { token: t0k } }
builders: [{ name: b, workerNames: [w0], steps: [] }]
`;

test('mirrorPoller, gerritStream, dependent, try and upstream in YAML normalise to the same config as in TypeScript', async () => {
  const ts = await loadConfig(masterDir('master.config.ts', TS));
  const yaml = await loadConfig(masterDir('master.config.yaml', YAML));
  assert.deepEqual(comparable(yaml), comparable(ts));
  assert.deepEqual(yaml.changeSources.map((s) => s.kind), ['mirrorPoller', 'mirrorPoller', 'gerritStream', 'gerritStream']);
  assert.deepEqual(yaml.schedulers.map((s) => s.kind), ['anyBranch', 'dependent', 'tryUserpass', 'tryUserpass', 'upstream']);
  const filter = (yaml.changeSources[1] as any).forge.filter;
  assert.ok(filter instanceof RegExp && filter.test('LIB-core') && !filter.test('app'), 'a { regex } forge filter becomes a RegExp');
});

test('a YAML change source under an unknown key is refused with its path', async () => {
  const r = await tryLoadConfig(masterDir('master.config.yaml', `workers: [{ name: w0, password: p }]
changeSources:
  - svnPoller: { repourl: 'svn://x' }
`));
  assert.equal(r.config, null);
  assert.ok(r.issues.map(formatIssue).some((m) => m.startsWith('changeSources[0].svnPoller: unknown option')), r.issues.map(formatIssue).join('\n'));
});
