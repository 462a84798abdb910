/**
 * The message-queue connector (mq/connector.ts): the config's `mq` picks the bus, `simple` (the
 * in-process bus) by default; a type that does not exist is refused with its path and the list of
 * those that do, by normalisation (TypeScript configs), the published schema (YAML) and the
 * connector itself (a master built by code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMessageQueue, MQ_TYPES, MqConfigError } from '../src/mq/connector.js';
import { InProcessMessageQueue } from '../src/mq/bus.js';
import { checkConfig, normaliseConfig } from '../src/config/normalise.js';
import { validateAgainstSchema } from '../src/config/schema.js';
import { formatIssue } from '../src/model/config-errors.js';
import { defineConfig } from '../src/config/factories.js';

const opts = { masterDir: '/tmp/m' };
const messages = (raw: unknown) => checkConfig(raw, opts).issues.map(formatIssue);

test('without an mq option the master gets the in-process bus, and it delivers what is published', () => {
  const c = normaliseConfig(defineConfig({}), opts);
  assert.deepEqual(c.mq, { type: 'simple' });
  const mq = createMessageQueue(c.mq);
  assert.ok(mq instanceof InProcessMessageQueue);
  const seen: unknown[] = [];
  mq.subscribe(['builds', null, 'finished'], (_k, d) => seen.push(d));
  mq.publish(['builds', '1', 'finished'], { buildid: 1 });
  assert.deepEqual(seen, [{ buildid: 1 }]);
});

test("mq: { type: 'simple' } is accepted as Buildbot writes it", () => {
  assert.deepEqual(messages(defineConfig({ mq: { type: 'simple' } })), []);
  assert.deepEqual(validateAgainstSchema({ mq: { type: 'simple' } }), []);
});

test('an unknown bus type is refused with its path and the types that exist', () => {
  assert.deepEqual(MQ_TYPES, ['simple']);
  const [issue, ...rest] = messages(defineConfig({ mq: { type: 'wamp' } }));
  assert.deepEqual(rest, []);
  assert.match(issue!, /^mq\.type: unknown message queue type "wamp"; types are: simple/);
  assert.deepEqual(validateAgainstSchema({ mq: { type: 'wamp' } }), [{ path: 'mq.type', message: 'must be one of "simple"' }]);
  assert.throws(() => createMessageQueue({ type: 'wamp' }), (e: Error) => e instanceof MqConfigError && /mq\.type: .*types are: simple/.test(e.message));
});

test('an mq option that is not an object, or has options the bus does not take, is refused with its path', () => {
  assert.deepEqual(messages(defineConfig({ mq: 'simple' as never })), ["mq: must be an object such as { type: 'simple' }, got string"]);
  assert.deepEqual(messages(defineConfig({ mq: { type: 'simple', debug: true } as never })), ["mq.debug: unknown option; the message queue takes only 'type'"]);
});
