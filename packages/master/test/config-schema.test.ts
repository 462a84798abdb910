import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema, pointerToPath, validateAgainstSchema } from '../src/config/schema.js';
import { TOP_KEYS, WORKER_KEYS, BUILDER_KEYS, DB_KEYS, MSGPACK_KEYS, WWW_KEYS, JANITOR_KEYS } from '../src/config/normalise.js';
import { PB_KEYS } from '../src/config/pb-protocol.js';
import { SCHEDULER_OPTION_KEYS } from '../src/schedulers/validate.js';
import { GIT_POLLER_KEYS } from '../src/changes/validate.js';
import { PB_CHANGE_SOURCE_KEYS } from '../src/changes/pb/options.js';
import { REPORTER_KINDS } from '../src/reporters/registry.js';
import { GENERATOR_KINDS } from '../src/reporters/generators/index.js';
import { COMMON_REPORTER_KEYS } from '../src/reporters/options.js';
import { REPORT_DELIVERY_KEYS } from '../src/reporters/delivery/options.js';
import { MESSAGE_FORMATTER_KEYS } from '../src/reporters/message/formatter.js';
import { POOL_KEYS } from '../src/config/worker-pools.js';

const schema = loadSchema() as any;
const props = (o: any) => Object.keys(o.properties).sort();
// Options that only exist in the TypeScript form (functions, objects built by code).
const TS_ONLY = new Set(['canStartBuild', 'nextWorker', 'nextBuild', 'locks', 'fileIsImportant', 'kind']);
const yamlKeys = (keys: readonly string[]) => keys.filter((k) => !TS_ONLY.has(k)).sort();

test('the published schema knows exactly the options normalisation knows', () => {
  assert.deepEqual(props(schema), [...TOP_KEYS].sort());
  assert.deepEqual(props(schema.definitions.worker), yamlKeys(WORKER_KEYS));
  assert.deepEqual(props(schema.definitions.workerPool), yamlKeys(POOL_KEYS));
  assert.deepEqual(props(schema.definitions.builder), yamlKeys(BUILDER_KEYS));
  assert.deepEqual(props(schema.properties.db), yamlKeys(DB_KEYS));
  assert.deepEqual(props(schema.properties.protocols.properties.msgpack), yamlKeys(MSGPACK_KEYS));
  assert.deepEqual(props(schema.properties.protocols.properties.pb), yamlKeys(PB_KEYS));
  assert.deepEqual(props(schema.properties.www.anyOf[1]), yamlKeys(WWW_KEYS));
  assert.deepEqual(props(schema.definitions.gitPoller), yamlKeys(GIT_POLLER_KEYS));
  assert.deepEqual(props(schema.definitions.pbChangeSource), yamlKeys(PB_CHANGE_SOURCE_KEYS));
  assert.deepEqual(props(schema.properties.janitor.anyOf[1]), yamlKeys(JANITOR_KEYS));
  for (const [kind, keys] of Object.entries(SCHEDULER_OPTION_KEYS)) {
    assert.deepEqual(props(schema.definitions[`scheduler_${kind}`]), yamlKeys(keys), `scheduler ${kind}`);
  }
});

test('the published schema knows exactly the reporter, generator and delivery options the registries know', () => {
  assert.deepEqual(props(schema.properties.reporters.items), Object.keys(REPORTER_KINDS).sort());
  for (const [kind, k] of Object.entries(REPORTER_KINDS)) {
    assert.deepEqual(props(schema.definitions[`reporter_${kind}`]), yamlKeys([...COMMON_REPORTER_KEYS, ...k.optionKeys]), `reporter ${kind}`);
  }
  assert.deepEqual(props(schema.definitions.generator), Object.keys(GENERATOR_KINDS).sort());
  for (const [kind, k] of Object.entries(GENERATOR_KINDS)) {
    assert.deepEqual(props(schema.definitions[`generator_${kind}`]), yamlKeys(k.optionKeys), `generator ${kind}`);
  }
  assert.deepEqual(props(schema.properties.reportDelivery), [...REPORT_DELIVERY_KEYS].sort());
  assert.deepEqual(props(schema.definitions.messageFormatter), [...MESSAGE_FORMATTER_KEYS].sort());
});

test('JSON pointers become config paths', () => {
  assert.equal(pointerToPath(''), '');
  assert.equal(pointerToPath('/builders/0/workerNames/1'), 'builders[0].workerNames[1]');
  assert.equal(pointerToPath('/www/changeHooks/a~1b'), 'www.changeHooks.a/b');
});

test('a valid document passes and a wrong one gets one issue per mistake', () => {
  assert.deepEqual(validateAgainstSchema({ title: 'x', workers: [{ name: 'w', password: 'p' }] }), []);
  assert.deepEqual(validateAgainstSchema({ title: 3, db: { url: 'oracle:x' } }), [
    { path: 'title', message: 'must be a string, got number 3' },
    { path: 'db.url', message: 'must match pattern "^(sqlite:|postgres(ql)?://)"' },
  ]);
});

test('schema messages say what was found, suggest the option a typo meant, and skip the branch that did not apply', () => {
  const issues = validateAgainstSchema({
    www: { port: 99999 },
    workers: [{ name: 'w0', password: 'p', maxBuilds: 'four' }],
    builders: [{ name: 'b', workernames: ['w0'], steps: [] }],
  });
  const got = issues.map((i) => `${i.path}: ${i.message}`);
  assert.ok(got.includes('workers[0].maxBuilds: must be a whole number or null, got the string "four"'), got.join('\n'));
  assert.ok(got.includes("builders[0].workernames: unknown option; did you mean 'workerNames'?"), got.join('\n'));
  assert.ok(got.includes('www.port: must be <= 65535'), got.join('\n'));
  assert.ok(!got.some((m) => m.startsWith('www: ')), `www is an object with one mistake inside, not a wrong type:\n${got.join('\n')}`);
});

test('an empty YAML config is called empty, not "must be object"', () => {
  assert.deepEqual(validateAgainstSchema(null), [{ path: '', message: 'the config must be a mapping of options (e.g. `workers: [...]`); the file is empty' }]);
});
