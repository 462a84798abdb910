import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig, normaliseConfig } from '../src/config/normalise.js';
import { validateAgainstSchema } from '../src/config/schema.js';
import { ConfigError, formatIssue } from '../src/model/config-errors.js';
import { defineConfig, worker, builder } from '../src/config/factories.js';
import { schedulers } from '../src/schedulers/specs.js';
import { changes } from '../src/changes/specs.js';
import type { StepFactory } from '../src/process/step-types.js';

const fakeStep = (name: string): StepFactory => ({ stepType: 'fake', options: { name }, create: () => { throw new Error('not run'); } });
const opts = { masterDir: '/tmp/m' };

function messages(raw: unknown): string[] {
  return checkConfig(raw, opts).issues.map(formatIssue);
}

test('a minimal config gets every default filled in', () => {
  const c = normaliseConfig(defineConfig({}), opts);
  assert.equal(c.db.url, 'sqlite:state.sqlite');
  assert.equal(c.protocols.msgpack.port, 9989);
  assert.equal(c.www?.port, 8010);
  assert.equal(c.www?.bodyLimit, 1024 * 1024);
  assert.equal(c.buildbotURL, 'http://localhost:8010/');
  assert.equal(c.logMaxSize, 64 * 1024 * 1024);
  assert.equal(c.collapseRequests, true);
  assert.equal(c.masterDir, '/tmp/m');
  assert.deepEqual(c.workers, []);
});

test('builders inherit the master collapseRequests and get safe directory names', () => {
  const c = normaliseConfig(defineConfig({
    collapseRequests: false,
    workers: [worker('w0', 'pw', { maxBuilds: 2 })],
    builders: [builder({ name: 'lint / unit', workerNames: ['w0'], steps: [fakeStep('a')] })],
  }), opts);
  const b = c.builders[0]!;
  assert.equal(b.collapseRequests, false);
  assert.equal(b.builddir, 'lint___unit');
  assert.equal(b.workerbuilddir, 'lint___unit');
  assert.equal(c.workers[0]!.maxBuilds, 2);
  assert.equal(c.workers[0]!.maxBuilds, 2);
});

test('every mistake is reported at once, each with its path', () => {
  const issues = messages({
    titel: 'typo',
    db: { url: 'mysql://x' },
    protocols: { msgpack: { port: 70000 } },
    www: { port: 'http' },
    workers: [worker('w0', 'pw'), worker('w1', ''), worker('w0', 'pw2', { maxBuilds: 0 })],
    builders: [
      builder({ name: 'test', workerNames: ['w0', 'w9'], steps: [fakeStep('x'), 'make' as any] }),
      builder({ name: 'test', workerNames: [], steps: [] }),
    ],
    schedulers: [
      schedulers.anyBranch({ name: 'all', builderNames: ['test', 'nope'], treeStableTimer: -1 }),
      schedulers.tryJobdir({ name: 'tj', builderNames: ['test'] } as any),
      { kind: 'weekly', name: 'w', builderNames: [] } as any,
    ],
    changeSources: [changes.gitPoller({ repourl: '' })],
  });
  const expected = [
    "titel: unknown option; did you mean 'title'?",
    "db.url: must start with 'sqlite:' or 'postgresql://', got \"mysql://x\"",
    'protocols.msgpack.port: must be at most 65535, got 70000',
    'www.port: must be a number, got the string "http"',
    'workers[1].password: is required',
    'workers[2].maxBuilds: must be at least 1, got 0',
    'workers[2].name: duplicate worker name "w0" (also workers[0])',
    'builders[0].workerNames[1]: no worker named "w9"; workers are: w0, w1',
    'builders[0].steps[1]: must be a step (steps.shell({...}), steps.git({...}), ...), got the string "make"',
    'builders[1].workerNames: must not be empty',
    'builders[1].name: duplicate builder name "test" (also builders[0])',
    'schedulers[0].builderNames[1]: no builder named "nope"; builders are: test',
    'schedulers[0].treeStableTimer: must be at least 0, got -1',
    'schedulers[1].jobdir: is required',
    'schedulers[2].kind: unknown scheduler kind "weekly"; kinds are: anyBranch, singleBranch, force, triggerable, periodic, dependent, tryUserpass, upstream, nightly, nightlyTriggerable, tryJobdir',
    'changeSources[0].repourl: must not be empty',
  ];
  for (const e of expected) assert.ok(issues.includes(e), `missing issue: ${e}\n got:\n${issues.join('\n')}`);
});

test('normaliseConfig throws a ConfigError that lists the issues', () => {
  assert.throws(() => normaliseConfig({ workers: [{ name: 'w0' }] }, { ...opts, configFile: '/tmp/m/master.config.ts' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.issues, [{ path: 'workers[0].password', message: 'is required' }]);
    assert.match(err.message, /master\.config\.ts: 1 config error:\n {2}- workers\[0\]\.password: is required/);
    return true;
  });
});

test('scheduler options are checked per kind', () => {
  const base = { workers: [worker('w', 'p')], builders: [builder({ name: 'b', workerNames: ['w'], steps: [] })] };
  const issues = messages({
    ...base,
    schedulers: [
      schedulers.singleBranch({ name: 's', builderNames: ['b'] }),
      schedulers.nightly({ name: 'n', builderNames: ['b'], cron: 'not a cron', timeZone: 'Mars/Olympus' }),
      schedulers.periodic({ name: 'p', builderNames: ['b'] } as any),
      schedulers.force({ name: 'f', builderNames: ['b'], parameters: [{ nope: 1 } as any] }),
      schedulers.anyBranch({ name: 'a', builderNames: ['b'], changeFilter: { branch: 3 as any, brnach: 'x' } as any }),
      schedulers.triggerable({ name: 'a', builderNames: ['b'] }),
    ],
  });
  const has = (prefix: string) => assert.ok(issues.some((i) => i.startsWith(prefix)), `no issue starting with ${prefix}:\n${issues.join('\n')}`);
  has("schedulers[0]: needs 'branch'");
  has('schedulers[1].cron: invalid schedule');
  has('schedulers[1].timeZone: unknown time zone "Mars/Olympus"');
  has('schedulers[2].periodicBuildTimer: is required');
  has('schedulers[3]: parameters[0] must be a parameter');
  has('schedulers[4].changeFilter.branch: must be a string, a list of strings, a RegExp or a function');
  has("schedulers[4].changeFilter.brnach: unknown option; did you mean 'branch'?");
  has('schedulers[5].name: duplicate scheduler name "a" (also schedulers[4])');
});

test('the www and worker ports must differ, and www: null disables the web server', () => {
  assert.deepEqual(messages({ protocols: { msgpack: { port: 9000 } }, www: { port: 9000 } }), [
    'www.port: is also the worker port (protocols.msgpack.port 9000); use two different ports',
  ]);
  assert.equal(normaliseConfig({ www: null }, opts).www, null);
});

test('builder directories may not escape the worker or master directory', () => {
  const issues = messages({ workers: [worker('w', 'p')], builders: [builder({ name: 'b', workerNames: ['w'], steps: [], builddir: '../x', workerbuilddir: '/abs' })] });
  assert.deepEqual(issues, [
    "builders[0].builddir: must be a relative path without '..', got \"../x\"",
    "builders[0].workerbuilddir: must be a relative path without '..', got \"/abs\"",
  ]);
});

test('protocols.msgpack.maxUploadEntries bounds the files of one directory upload and must be positive', () => {
  assert.equal(normaliseConfig(defineConfig({ protocols: { msgpack: { maxUploadEntries: 500 } } }), opts).protocols.msgpack.maxUploadEntries, 500);
  assert.deepEqual(messages({ protocols: { msgpack: { maxUploadEntries: 0 } } }), ['protocols.msgpack.maxUploadEntries: must be at least 1, got 0']);
  assert.deepEqual(validateAgainstSchema({ protocols: { msgpack: { maxUploadEntries: 500 } } }), [], 'the YAML form knows the key');
});

test('bad replay options of a change hook dialect are refused with their path', () => {
  const m = messages({ www: { changeHooks: { github: { secret: 's', replay: { ttlSeconds: -1, maxEntries: 0, window: 3 } }, gerrit: { replay: 'long' }, gitlab: { replay: { ttlSeconds: 60 } } } } });
  assert.deepEqual(m.filter((x) => x.includes('replay')), [
    'www.changeHooks.github.replay.window: is not an option (options: ttlSeconds, maxEntries)',
    'www.changeHooks.github.replay.ttlSeconds: must be a number of seconds above 0, got -1',
    'www.changeHooks.github.replay.maxEntries: must be an integer of at least 1, got 0',
    'www.changeHooks.gerrit.replay: must be an object { ttlSeconds?, maxEntries? }',
  ]);
});

test('www gets its connection timeouts and per-address cap filled in, 0 turns one off, and headers cannot outlast the request', () => {
  const c = normaliseConfig(defineConfig({}), opts);
  assert.deepEqual(
    [c.www?.headersTimeoutMs, c.www?.requestTimeoutMs, c.www?.idleTimeoutMs, c.www?.maxConnectionsPerAddress],
    [30_000, 120_000, 72_000, 256],
  );
  const off = normaliseConfig(defineConfig({ www: { maxConnectionsPerAddress: 0, headersTimeoutMs: 0 } }), opts);
  assert.equal(off.www?.maxConnectionsPerAddress, 0);
  assert.equal(off.www?.headersTimeoutMs, 0);
  assert.deepEqual(messages({ www: { headersTimeoutMs: 200_000 } }), ['www.headersTimeoutMs: must not exceed requestTimeoutMs (120000), got 200000']);
  assert.deepEqual(messages({ www: { maxConnectionsPerAddress: -1 } }), ['www.maxConnectionsPerAddress: must be at least 0, got -1']);
  assert.deepEqual(validateAgainstSchema({ www: { headersTimeoutMs: 1, requestTimeoutMs: 2, idleTimeoutMs: 3, maxConnectionsPerAddress: 4 } }), []);
});

test('the worker port takes its connection and misbehaving-peer limits from protocols.msgpack', () => {
  const limits = { headersTimeoutMs: 1000, maxConnectionsPerAddress: 10, maxPeerErrorsPerMinute: 0, maxWarningsPerMinute: 5, maxBufferedBytes: 8 * 1024 * 1024 };
  assert.deepEqual(messages({ protocols: { msgpack: limits } }), []);
  assert.deepEqual(validateAgainstSchema({ protocols: { msgpack: limits } }), [], 'the YAML form knows the keys');
  assert.deepEqual(messages({ protocols: { msgpack: { maxPeerErrorsPerMinute: 1.5 } } }), ['protocols.msgpack.maxPeerErrorsPerMinute: must be a whole number, got 1.5']);
  assert.deepEqual(messages({ protocols: { msgpack: { maxBufferedBytes: 1024 } } }), [
    'protocols.msgpack.maxBufferedBytes: must be larger than the 4194304-byte high-water mark at which sends wait for the worker to read, got 1024',
  ]);
});

test('db.outageBufferSize and db.outageTimeout default to 64 MiB and an hour, and take whole bytes and seconds', () => {
  const c = normaliseConfig(defineConfig({}), opts);
  assert.deepEqual(c.db, { url: 'sqlite:state.sqlite', outageBufferSize: 64 * 1024 * 1024, outageTimeout: 3600 });
  const set = normaliseConfig(defineConfig({ db: { url: 'sqlite:x.sqlite', outageBufferSize: 0, outageTimeout: 90 } }), opts);
  assert.deepEqual([set.db.outageBufferSize, set.db.outageTimeout], [0, 90]);
  assert.deepEqual(messages({ db: { outageBufferSize: -1, outageTimeout: 'long', outageBuffer: 1 } }), [
    "db.outageBuffer: unknown option; did you mean 'outageBufferSize'?",
    'db.outageBufferSize: must be at least 0, got -1',
    'db.outageTimeout: must be a number, got the string "long"',
  ]);
  assert.deepEqual(validateAgainstSchema({ db: { outageBufferSize: 1.5, outageTimeout: -2 } }).map((i) => `${i.path}: ${i.message}`), [
    'db.outageBufferSize: must be a whole number, got number 1.5',
    'db.outageTimeout: must be >= 0',
  ]);
});

test('multiMaster: true is refused until several masters can share a database; false is the default', () => {
  assert.deepEqual(messages(defineConfig({ multiMaster: true })), [
    'multiMaster: several masters sharing one database are not supported yet (MASTRO_MULTI_MASTER_UNSUPPORTED); remove multiMaster and run one master per database',
  ]);
  assert.deepEqual(messages(defineConfig({ multiMaster: false })), []);
  assert.deepEqual(validateAgainstSchema({ multiMaster: true }), [], 'the YAML form gets the same refusal from normalisation');
});

test('www.ws limits and the log options are held to their declared limits in both forms', () => {
  const raw = { www: { ws: { maxSubscriptions: 0, maxConections: 5 } }, logChunkSize: 10, logCompressLevel: 12, logMaxSize: null };
  assert.deepEqual(messages(defineConfig(raw as never)), [
    "www.ws.maxConections: unknown option; did you mean 'maxConnections'?",
    'www.ws.maxSubscriptions: must be at least 1, got 0',
    'logChunkSize: must be at least 1024, got 10',
    'logCompressLevel: must be at most 9, got 12',
  ]);
  assert.deepEqual(validateAgainstSchema(raw).map(formatIssue).sort(), [
    "www.ws.maxConections: unknown option; did you mean 'maxConnections'?",
    'www.ws.maxSubscriptions: must be >= 1',
    'logChunkSize: must be >= 1024',
    'logCompressLevel: must be <= 9',
  ].sort());
  const c = normaliseConfig(defineConfig({ www: { ws: { maxSubscriptions: 7 } }, logChunkSize: 4096, logMaxSize: null }), opts);
  assert.deepEqual(c.www?.ws, { maxSubscriptions: 7, maxBufferedBytes: 8 * 1024 * 1024, maxMessageBytes: 64 * 1024, maxConnections: 1000 });
  assert.equal(c.logChunkSize, 4096);
  assert.equal(c.logMaxSize, null);
});

test('the janitor is off by default; logHorizon turns it on with a daily run in batches of 1000 logs', () => {
  assert.equal(normaliseConfig(defineConfig({}), opts).janitor, null);
  assert.deepEqual(normaliseConfig(defineConfig({ janitor: { logHorizon: 90 * 86400 } }), opts).janitor, { logHorizon: 90 * 86400, interval: 86400, batchSize: 1000 });
  assert.deepEqual(normaliseConfig(defineConfig({ janitor: { logHorizon: 60, interval: 3600, batchSize: 50 } }), opts).janitor, { logHorizon: 60, interval: 3600, batchSize: 50 });
});

test('a janitor without logHorizon, or with a bad option, is refused with the path of the mistake', () => {
  const got = messages({ janitor: { interval: 0, batch: 5 } });
  assert.ok(got.some((m) => /janitor\.logHorizon.*is required/.test(m)), got.join('\n'));
  assert.ok(got.some((m) => /janitor\.interval.*at least 1/.test(m)), got.join('\n'));
  assert.ok(got.some((m) => /janitor\.batch\b/.test(m)), got.join('\n'));
  assert.ok(messages({ janitor: 'weekly' }).some((m) => /janitor.*must be an object \{ logHorizon: seconds \} or null/.test(m)));
  assert.deepEqual(validateAgainstSchema({ janitor: { logHorizon: 86400 } }), []);
  assert.ok(validateAgainstSchema({ janitor: {} }).length > 0, 'the schema requires logHorizon too');
});

test('protocols.pb is on by default on the worker port; null or false turns it off, another port gives it its own, true is refused', () => {
  const pbOf = (protocols: unknown) => normaliseConfig(defineConfig({ protocols } as never), opts).protocols.pb;
  assert.deepEqual(pbOf(undefined), { port: 9989 }, 'no protocols at all: PB shares the default worker port');
  assert.deepEqual(pbOf({ msgpack: { port: 9000 } }), { port: 9000 }, 'it follows the msgpack port');
  assert.deepEqual(pbOf({ pb: { silenceMs: 200 } }), { silenceMs: 200, port: 9989 });
  assert.deepEqual(pbOf({ pb: { port: 9990 } }), { port: 9990 });
  assert.equal(pbOf({ pb: null }), null);
  assert.equal(pbOf({ pb: false }), null);
  assert.deepEqual(messages({ protocols: { pb: true } }), ['protocols.pb: must be an object { port, ... } (absent: PB on the worker port), or null or false for no PB, got boolean true']);
  for (const pb of [null, false, {}, { port: 9990 }]) assert.deepEqual(validateAgainstSchema({ protocols: { pb } }), [], `the YAML form takes pb: ${JSON.stringify(pb)}`);
  assert.notDeepEqual(validateAgainstSchema({ protocols: { pb: true } }), [], 'and refuses pb: true');
  assert.deepEqual(messages({ protocols: { pb: { port: 9000 } }, www: { port: 9000 } }), ['www.port: is also the PB worker port (protocols.pb.port 9000); use two different ports']);
});

test('changes.pb defaults to Buildbot\'s user, password and name on the worker PB port, and must reach a port that serves PB', () => {
  const [cs] = normaliseConfig(defineConfig({ changeSources: [changes.pb()] }), opts).changeSources;
  assert.deepEqual(cs, { kind: 'pb', user: 'change', passwd: 'changepw', prefix: null, name: 'PBChangeSource:None' });
  const [named] = normaliseConfig(defineConfig({ changeSources: [changes.pb({ port: 9999, prefix: 'trunk/', user: 'svn' })] }), opts).changeSources;
  assert.deepEqual([named!.name, (named as { port?: number }).port], ['PBChangeSource:trunk/:9999', 9999]);
  assert.deepEqual(messages({ protocols: { pb: null }, changeSources: [changes.pb()] }),
    ['changeSources[0].port: is needed: protocols.pb is off, so there is no worker PB port to share; give changes.pb a port of its own or turn protocols.pb on']);
  assert.deepEqual(messages({ protocols: { pb: { port: 9990 } }, changeSources: [changes.pb({ port: 9989 })] }),
    ['changeSources[0].port: is the WebSocket worker port, which serves no PB (protocols.pb.port is 9990); leave port out to use the worker PB port, or choose a port of its own']);
  assert.deepEqual(messages({ changeSources: [changes.pb({ port: 9989 })] }), [], 'the shared worker port named explicitly is fine');
  assert.deepEqual(messages({ changeSources: [changes.pb({ passwd: 3 } as never)] }), ['changeSources[0].passwd: must be a string, got number 3']);
  assert.deepEqual(validateAgainstSchema({ changeSources: [{ pb: { user: 'change', passwd: 'pw', port: 9990, prefix: 'trunk/' } }] }), [], 'the YAML form');
});
