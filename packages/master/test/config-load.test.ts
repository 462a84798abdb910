import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, tryLoadConfig, findConfigFile } from '../src/config/load.js';
import { ConfigError, formatIssue } from '../src/model/config-errors.js';
import type { MasterConfig } from '../src/config/types.js';

// Temp dirs live outside the repository: `import 'mastro'` must resolve without a node_modules.
const tmp = mkdtempSync(join(tmpdir(), 'mastro-config-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function masterDir(files: Record<string, string>): string {
  const dir = join(tmp, `m${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const PRODUCT_EXAMPLE = `import { defineConfig, worker, builder, steps, schedulers, changes } from 'mastro';
export default defineConfig({
  title: 'Demo',
  db: { url: 'sqlite:state.sqlite' },            // or 'postgresql://user:pw@host/db'
  protocols: { msgpack: { port: 9989 } },
  www: { port: 8010, changeHooks: { base: {} } },
  workers: [worker('w0', 'pass', { maxBuilds: 4 }), worker('w1', 'pass')],
  changeSources: [changes.gitPoller({ repourl: 'file:///srv/repo.git', branches: ['main'], pollInterval: 60 })],
  schedulers: [
    schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['test'] }),
    schedulers.force({ name: 'force', builderNames: ['test'] }),
  ],
  builders: [
    builder({ name: 'test', workerNames: ['w0', 'w1'], collapseRequests: false, steps: [
      steps.git({ repourl: 'file:///srv/repo.git', mode: 'incremental' }),
      steps.shell({ command: ['sh', '-c', 'make test'], haltOnFailure: true }),
    ] }),
  ],
});
`;

const PRODUCT_EXAMPLE_YAML = `# The PRODUCT.md example in the YAML form
title: Demo
db: { url: 'sqlite:state.sqlite' }
protocols: { msgpack: { port: 9989 } }
www: { port: 8010, changeHooks: { base: {} } }
workers:
  - { name: w0, password: pass, maxBuilds: 4 }
  - { name: w1, password: pass }
changeSources:
  - gitPoller: { repourl: 'file:///srv/repo.git', branches: [main], pollInterval: 60 }
schedulers:
  - anyBranch: { name: all, treeStableTimer: null, builderNames: [test] }
  - force: { name: force, builderNames: [test] }
builders:
  - name: test
    workerNames: [w0, w1]
    collapseRequests: false
    steps:
      - git: { repourl: 'file:///srv/repo.git', mode: incremental }
      - shell: { command: [sh, -c, make test], haltOnFailure: true }
`;

/** A config as plain data: steps as {stepType, options}, functions named, paths dropped. */
function comparable(c: MasterConfig): unknown {
  return JSON.parse(JSON.stringify({ ...c, masterDir: undefined, configFile: undefined, masterName: undefined }, (_k, v) => {
    if (typeof v === 'function') return '[function]';
    if (v && typeof v === 'object' && typeof v.stepType === 'string') return { stepType: v.stepType, options: v.options };
    if (v instanceof RegExp) return `/${v.source}/`;
    return v;
  }));
}

test('the PRODUCT.md example loads verbatim from a directory outside the repository', async () => {
  const dir = masterDir({ 'master.config.ts': PRODUCT_EXAMPLE });
  const c = await loadConfig(dir);
  assert.equal(c.title, 'Demo');
  assert.equal(c.configFile, join(dir, 'master.config.ts'));
  assert.equal(c.masterDir, dir);
  assert.deepEqual(c.workers.map((w) => [w.name, w.maxBuilds]), [['w0', 4], ['w1', null]]);
  assert.deepEqual(c.schedulers.map((s) => s.kind), ['anyBranch', 'force']);
  assert.equal(c.changeSources[0]!.repourl, 'file:///srv/repo.git');
  assert.deepEqual(c.builders[0]!.steps.map((s) => s.stepType), ['git', 'shell']);
  assert.equal(c.builders[0]!.collapseRequests, false);
  assert.deepEqual(c.www?.changeHooks, { base: {} });
});

test('the YAML form of the example normalises to the same config as the TypeScript form', async () => {
  const ts = await loadConfig(masterDir({ 'master.config.ts': PRODUCT_EXAMPLE }));
  const yaml = await loadConfig(masterDir({ 'master.config.yaml': PRODUCT_EXAMPLE_YAML }));
  assert.deepEqual(comparable(yaml), comparable(ts));
});

test('a JavaScript config in a directory without package.json is an ES module too, and may import helpers', async () => {
  const dir = masterDir({
    'lib/workers.js': "import { worker } from 'mastro';\nexport const fleet = ['a', 'b'].map((n) => worker(n, 'pw'));\n",
    'master.config.js': "import { defineConfig } from 'mastro';\nimport { fleet } from './lib/workers.js';\nexport default defineConfig({ workers: fleet });\n",
  });
  assert.equal(findConfigFile(dir), join(dir, 'master.config.js'));
  const c = await loadConfig(dir);
  assert.deepEqual(c.workers.map((w) => w.name), ['a', 'b']);
});

test('reloading picks up edits to the config and to the modules it imports', async () => {
  const dir = masterDir({
    'names.ts': "export const names: string[] = ['w0'];\n",
    'master.config.ts': "import { defineConfig, worker } from 'mastro';\nimport { names } from './names.ts';\nexport default defineConfig({ title: 'one', workers: names.map((n) => worker(n, 'pw')) });\n",
  });
  assert.equal((await loadConfig(dir)).title, 'one');
  writeFileSync(join(dir, 'names.ts'), "export const names: string[] = ['w0', 'w1'];\n");
  writeFileSync(join(dir, 'master.config.ts'), "import { defineConfig, worker } from 'mastro';\nimport { names } from './names.ts';\nexport default defineConfig({ title: 'two', workers: names.map((n) => worker(n, 'pw')) });\n");
  const c = await loadConfig(dir);
  assert.equal(c.title, 'two');
  assert.deepEqual(c.workers.map((w) => w.name), ['w0', 'w1']);
});

test('a config with mistakes is refused with every mistake and its path', async () => {
  const dir = masterDir({
    'master.config.ts': `import { defineConfig, worker, builder, schedulers } from 'mastro';
export default defineConfig({
  workers: [worker('w0', 'p'), worker('w1', 'p')],
  builders: [builder({ name: 'b', workerNames: ['w0', 'w9'], steps: [] })],
  schedulers: [schedulers.force({ name: 'f', builderNames: ['x'] })],
});
`,
  });
  await assert.rejects(loadConfig(dir), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.issues.map(formatIssue), [
      'builders[0].workerNames[1]: no worker named "w9"; workers are: w0, w1',
      'schedulers[0].builderNames[0]: no builder named "x"; builders are: b',
    ]);
    return true;
  });
});

test('a config that throws or does not export a config says so', async () => {
  const r1 = await tryLoadConfig(masterDir({ 'master.config.ts': "import { steps } from 'mastro';\nsteps.shell({} as any);\nexport default {};\n" }));
  assert.equal(r1.config, null);
  assert.match(r1.issues[0]!.message, /^the config file failed to load: /);
  const r2 = await tryLoadConfig(masterDir({ 'master.config.ts': 'export const x = 1;\n' }));
  assert.match(r2.issues[0]!.message, /no default export; write `export default defineConfig/);
  const r3 = await tryLoadConfig(masterDir({}));
  assert.match(r3.issues[0]!.message, /no config file in .*; expected one of master\.config\.ts/);
});

test('YAML mistakes are reported by the JSON Schema with paths, and step option errors with the step path', async () => {
  const r = await tryLoadConfig(masterDir({
    'master.config.yaml': `workers:
  - { name: w0 }
www: { port: 99999 }
builders:
  - name: b
    workerNames: [w0]
    steps: []
    colapseRequests: true
schedulers:
  - weekly: { name: x, builderNames: [b] }
`,
  }));
  const got = r.issues.map(formatIssue);
  for (const e of ['workers[0].password: is required', 'www.port: must be <= 65535', "builders[0].colapseRequests: unknown option; did you mean 'collapseRequests'?", 'schedulers[0].weekly: unknown option']) {
    assert.ok(got.some((m) => m.startsWith(e)), `missing ${e} in:\n${got.join('\n')}`);
  }
  const r2 = await tryLoadConfig(masterDir({
    'master.config.yml': `workers: [{ name: w0, password: p }]
builders:
  - name: b
    workerNames: [w0, w7]
    steps:
      - shell: {}
      - teleport: { to: mars }
`,
  }));
  const got2 = r2.issues.map(formatIssue);
  assert.ok(got2.some((m) => m.startsWith('builders[0].steps[0].shell: ')), got2.join('\n'));
  assert.ok(got2.some((m) => m.startsWith("builders[0].steps[1]: unknown step type 'teleport'")), got2.join('\n'));
  assert.ok(got2.includes('builders[0].workerNames[1]: no worker named "w7"; workers are: w0'), got2.join('\n'));
});

test('a YAML config reports its schema and cross-reference mistakes in one run, each with its YAML line', async () => {
  const r = await tryLoadConfig(masterDir({
    'master.config.yaml': `workers:
  - { name: w0 }
www: { port: 99999 }
builders:
  - name: b
    workerNames: [w0, w9]
    steps:
      - shell: { command: [make] }
    colapseRequests: true
schedulers:
  - force:
      name: f
      builderNames: [nope]
`,
  }));
  assert.equal(r.config, null);
  const got = r.issues.map((i) => `${i.line ?? '?'}: ${formatIssue(i)}`);
  const expected: Array<[number, string]> = [
    [2, 'workers[0].password: is required'],
    [3, 'www.port: must be <= 65535'],
    [9, "builders[0].colapseRequests: unknown option; did you mean 'collapseRequests'?"],
    [6, 'builders[0].workerNames[1]: no worker named "w9"; workers are: w0'],
    [13, 'schedulers[0].builderNames[0]: no builder named "nope"; builders are: b'],
  ];
  for (const [line, text] of expected) assert.ok(got.some((m) => m.startsWith(`${line}: ${text}`)), `missing line ${line}: ${text} in:\n${got.join('\n')}`);
  // One mistake is reported once, though both the schema and the normalisation see it.
  assert.equal(r.issues.filter((i) => i.path === 'www.port').length, 1, got.join('\n'));
  assert.equal(r.issues.filter((i) => i.path === 'workers[0].password').length, 1, got.join('\n'));
});

test('a YAML syntax error says its line', async () => {
  const r = await tryLoadConfig(masterDir({ 'master.config.yaml': 'workers:\n  - { name: w0, password: p\nbuilders: []\n' }));
  assert.equal(r.config, null);
  assert.match(formatIssue(r.issues[0]!), /^YAML syntax error: /);
  assert.equal(typeof r.issues[0]!.line, 'number');
});

test('YAML regex matchers and force parameters become the same objects as in TypeScript', async () => {
  const c = await loadConfig(masterDir({
    'master.config.yaml': `workers: [{ name: w0, password: p }]
builders: [{ name: b, workerNames: [w0], steps: [] }]
schedulers:
  - anyBranch: { name: rel, builderNames: [b], changeFilter: { branch: { regex: '^release/' } } }
  - force:
      name: f
      builderNames: [b]
      parameters:
        - choice: { name: target, choices: [debug, release] }
        - int: { name: jobs, default: 4 }
`,
  }));
  const rel = c.schedulers[0] as any;
  assert.ok(rel.changeFilter.branch instanceof RegExp);
  assert.equal(rel.changeFilter.branch.test('release/1.0'), true);
  const f = c.schedulers[1] as any;
  assert.deepEqual(f.parameters.map((p: any) => [p.type, p.name, p.default]), [['choice', 'target', 'debug'], ['int', 'jobs', 4]]);
});

test('a YAML config on an installation whose steps fail to load is told why, once, and what to do', async () => {
  // A copy of the built package whose steps module throws at import, as a broken install does.
  const pkg = join(tmp, 'broken-install');
  const built = join(fileURLToPath(new URL('..', import.meta.url)));
  mkdirSync(pkg);
  cpSync(join(built, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(built, 'schema'), join(pkg, 'schema'), { recursive: true });
  cpSync(join(built, 'package.json'), join(pkg, 'package.json'));
  symlinkSync(join(built, '..', '..', 'node_modules'), join(pkg, 'node_modules'));
  writeFileSync(join(pkg, 'dist', 'steps', 'index.js'), "throw new Error('steps/shell.js is missing');\n");
  const dir = masterDir({
    'master.config.yaml': `workers: [{ name: w0, password: p }]
builders:
  - name: b
    workerNames: [w0]
    steps:
      - shell: { command: [make] }
      - shell: { command: [make, test] }
`,
  });
  const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [join(pkg, 'dist', 'cli.js'), 'checkconfig', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, / 1 error:\n {2}the step types could not be loaded \(steps\/shell\.js is missing\); the mastro installation is broken: reinstall it \(npm install mastro\) \(MASTRO_STEPS_UNAVAILABLE\)\n$/, r.stderr);
});
