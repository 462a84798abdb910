import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadSchema, pointerToPath, validateAgainstSchema } from '../src/config/schema.js';
import { TOP_KEYS, WORKER_KEYS, BUILDER_KEYS, MSGPACK_KEYS, WWW_KEYS } from '../src/config/normalise.js';
import { SCHEDULER_OPTION_KEYS } from '../src/schedulers/validate.js';
import { GIT_POLLER_KEYS } from '../src/changes/validate.js';

const schema = loadSchema() as any;
const props = (o: any) => Object.keys(o.properties).sort();
// Options that only exist in the TypeScript form (functions, objects built by code).
const TS_ONLY = new Set(['canStartBuild', 'nextWorker', 'nextBuild', 'locks', 'fileIsImportant', 'kind']);
const yamlKeys = (keys: readonly string[]) => keys.filter((k) => !TS_ONLY.has(k)).sort();

test('the published schema knows exactly the options normalisation knows', () => {
  assert.deepEqual(props(schema), [...TOP_KEYS].sort());
  assert.deepEqual(props(schema.definitions.worker), yamlKeys(WORKER_KEYS));
  assert.deepEqual(props(schema.definitions.builder), yamlKeys(BUILDER_KEYS));
  assert.deepEqual(props(schema.properties.protocols.properties.msgpack), yamlKeys(MSGPACK_KEYS));
  assert.deepEqual(props(schema.properties.www.anyOf[1]), yamlKeys(WWW_KEYS));
  assert.deepEqual(props(schema.definitions.gitPoller), yamlKeys(GIT_POLLER_KEYS));
  for (const [kind, keys] of Object.entries(SCHEDULER_OPTION_KEYS)) {
    assert.deepEqual(props(schema.definitions[`scheduler_${kind}`]), yamlKeys(keys), `scheduler ${kind}`);
  }
});

test('JSON pointers become config paths', () => {
  assert.equal(pointerToPath(''), '');
  assert.equal(pointerToPath('/builders/0/workerNames/1'), 'builders[0].workerNames[1]');
  assert.equal(pointerToPath('/www/changeHooks/a~1b'), 'www.changeHooks.a/b');
});

test('a valid document passes and a wrong one gets one issue per mistake', () => {
  assert.deepEqual(validateAgainstSchema({ title: 'x', workers: [{ name: 'w', password: 'p' }] }), []);
  assert.deepEqual(validateAgainstSchema({ title: 3, db: { url: 'oracle:x' } }), [
    { path: 'title', message: 'must be string' },
    { path: 'db.url', message: 'must match pattern "^(sqlite:|postgres(ql)?://)"' },
  ]);
});
