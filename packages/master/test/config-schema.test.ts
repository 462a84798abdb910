import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadSchema, pointerToPath, validateAgainstSchema, SCHEMA_PATH } from '../src/config/schema.js';
import { publishedSchemaText } from '../src/options/published-schema.js';
import { normaliseConfig } from '../src/config/normalise.js';
import { TOP_KEYS, WORKER_KEYS, BUILDER_KEYS, DB_KEYS, MSGPACK_KEYS, WWW_KEYS, JANITOR_KEYS } from '../src/config/normalise.js';
import { PB_KEYS } from '../src/config/pb-protocol.js';
import { SCHEDULER_OPTION_KEYS } from '../src/schedulers/validate.js';
import { GIT_POLLER_KEYS } from '../src/changes/git-poller/options.js';
import { CHANGE_SOURCE_KINDS } from '../src/changes/registry.js';
import { SCHEDULER_KINDS } from '../src/schedulers/registry.js';
import { CHANGE_HOOK_DIALECT_NAMES } from '../src/www/hooks/dialects.js';
import { MQ_TYPES } from '../src/mq/connector.js';
import { PB_CHANGE_SOURCE_KEYS } from '../src/changes/pb/options.js';
import { REPORTER_KINDS } from '../src/reporters/registry.js';
import { GENERATOR_KINDS } from '../src/reporters/generators/index.js';
import { COMMON_REPORTER_KEYS } from '../src/reporters/options.js';
import { REPORT_DELIVERY_KEYS } from '../src/reporters/delivery/options.js';
import { MESSAGE_FORMATTER_KEYS } from '../src/reporters/message/formatter.js';
import { POOL_KEYS } from '../src/config/worker-pools.js';
import { LATENT_POOL_KEYS, LATENT_WORKER_KEYS } from '../src/config/latent-workers.js';
import { COMMON_PROVIDER_OPTIONS, LATENT_PROVIDER_KINDS } from '../src/workers/latent/registry.js';
import { latentOptionSchema } from '../src/workers/latent/option-schema.js';
import { LOG_KEYS, MONITORING_KEYS } from '../src/config/operations.js';

const schema = loadSchema() as any;
const props = (o: any) => Object.keys(o.properties).sort();
// Options that only exist in the TypeScript form (functions, objects built by code).
const TS_ONLY = new Set(['canStartBuild', 'nextWorker', 'nextBuild', 'locks', 'fileIsImportant', 'kind']);
const yamlKeys = (keys: readonly string[]) => keys.filter((k) => !TS_ONLY.has(k)).sort();
/** A schema node with its `$ref` (to `#/definitions/...`) followed, as the generated schema shares definitions. */
const deref = (node: any): any => (node?.$ref ? deref(schema.definitions[String(node.$ref).replace('#/definitions/', '')]) : node);

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
  assert.deepEqual(props(schema.properties.monitoring), yamlKeys(MONITORING_KEYS));
  assert.deepEqual(props(schema.properties.log), yamlKeys(LOG_KEYS));
  for (const [kind, keys] of Object.entries(SCHEDULER_OPTION_KEYS)) {
    assert.deepEqual(props(schema.definitions[`scheduler_${kind}`]), yamlKeys(keys), `scheduler ${kind}`);
  }
});

// A new change source, scheduler, hook dialect or bus is one file plus its registry line; this is
// what tells its author which entry of the published schema to add.
test('the published schema lists exactly the change sources, schedulers, hook dialects and bus types of the registries', () => {
  const sources = deref(schema.properties.changeSources.items).properties;
  assert.deepEqual(Object.keys(sources).sort(), Object.keys(CHANGE_SOURCE_KINDS).sort(), 'changeSources.items.properties');
  for (const [kind, k] of Object.entries(CHANGE_SOURCE_KINDS)) {
    const ref = sources[kind].$ref as string | undefined;
    if (ref) assert.deepEqual(props(schema.definitions[ref.replace('#/definitions/', '')]), yamlKeys(k.keys), `change source ${kind}`);
  }
  assert.deepEqual(Object.keys(deref(schema.properties.schedulers.items).properties).sort(), [...Object.keys(SCHEDULER_KINDS), 'try'].sort(), 'schedulers.items.properties');
  assert.deepEqual(Object.keys(schema.properties.www.anyOf[1].properties.changeHooks.properties), [...CHANGE_HOOK_DIALECT_NAMES], 'www.changeHooks');
  assert.deepEqual(deref(schema.properties.mq).properties.type.enum, [...MQ_TYPES], 'mq.type');
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

test('the published schema holds every latent provider kind with exactly its declared options', () => {
  assert.deepEqual(props(schema.definitions.latentWorker), yamlKeys(LATENT_WORKER_KEYS));
  assert.deepEqual(props(schema.definitions.latentPool), yamlKeys(LATENT_POOL_KEYS));
  assert.deepEqual(props(schema.definitions.latentProvider), Object.keys(LATENT_PROVIDER_KINDS).sort());
  for (const [kind, k] of Object.entries(LATENT_PROVIDER_KINDS)) {
    const declared = { ...COMMON_PROVIDER_OPTIONS, ...k.options };
    const def = schema.definitions[`latentProvider_${kind}`];
    assert.deepEqual(props(def), Object.keys(declared).sort(), `latent.${kind}`);
    for (const [name, d] of Object.entries(declared)) assert.deepEqual(def.properties[name], latentOptionSchema(d), `latent.${kind} ${name}`);
    assert.deepEqual(def.required ?? [], Object.entries(declared).filter(([, d]) => d.required).map(([n]) => n), `latent.${kind} required`);
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

test('the committed schema file is the one generated from the option declarations', () => {
  // scripts/build-schema.mjs (run by npm run build) writes it; a declaration edited without a build fails here.
  assert.equal(readFileSync(SCHEMA_PATH, 'utf8'), publishedSchemaText(), 'run `npm run build` and commit schema/master-config.schema.json');
});

test('every option declared with a default publishes it, and the defaults the normaliser fills are those', () => {
  const c = normaliseConfig({}, { masterDir: '/tmp/m' });
  assert.equal(schema.properties.logChunkSize.default, c.logChunkSize);
  assert.equal(schema.properties.www.anyOf[1].properties.bodyLimit.default, c.www?.bodyLimit);
  assert.equal(schema.properties.www.anyOf[1].properties.ws.properties.maxSubscriptions.default, c.www?.ws.maxSubscriptions);
  assert.equal(schema.properties.protocols.properties.msgpack.properties.port.default, c.protocols.msgpack.port);
  assert.equal(schema.definitions.worker.properties.missingTimeout.default, 3600);
});
