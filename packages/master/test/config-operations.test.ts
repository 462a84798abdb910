import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig, normaliseConfig } from '../src/config/normalise.js';
import { validateAgainstSchema } from '../src/config/schema.js';
import { formatIssue } from '../src/model/config-errors.js';
import { defineConfig } from '../src/config/factories.js';

const opts = { masterDir: '/tmp/m' };
const messages = (raw: unknown): string[] => checkConfig(raw, opts).issues.map(formatIssue);

test('monitoring and log get their defaults: /metrics on the web port, readyTimeout 5 s, Buildbot\'s rotation', () => {
  const c = normaliseConfig(defineConfig({}), opts);
  assert.deepEqual(c.monitoring, { metrics: true, port: null, host: '0.0.0.0', readyTimeout: 5 });
  assert.deepEqual(c.log, { rotateLength: 10_000_000, maxRotatedFiles: 10 });
  const own = normaliseConfig(defineConfig({ www: { host: '127.0.0.1' }, monitoring: { port: 9100, metrics: false }, log: { rotateLength: null, maxRotatedFiles: 3 } }), opts);
  assert.deepEqual(own.monitoring, { metrics: false, port: 9100, host: '127.0.0.1', readyTimeout: 5 }, 'its own port listens where the web port does unless told');
  assert.deepEqual(own.log, { rotateLength: null, maxRotatedFiles: 3 });
});

test('mistakes in monitoring and log are refused with their paths', () => {
  const got = messages(defineConfig({
    www: { port: 8010 },
    monitoring: { port: 8010, readyTimeout: 0, host: '', extra: 1 } as never,
    log: { rotateLength: 10, maxRotatedFiles: -1 },
  }));
  assert.ok(got.some((m) => /^monitoring\.port: is also the web port \(www\.port\) \(8010\)/.test(m)), got.join('\n'));
  assert.ok(got.some((m) => /^monitoring\.readyTimeout: must be at least 0\.001/.test(m)), got.join('\n'));
  assert.ok(got.some((m) => /^monitoring\.host: must not be empty/.test(m)), got.join('\n'));
  assert.ok(got.some((m) => /^monitoring\.extra: /.test(m)), got.join('\n'));
  assert.ok(got.some((m) => /^log\.rotateLength: must be at least 1024, got 10/.test(m)), got.join('\n'));
  assert.ok(got.some((m) => /^log\.maxRotatedFiles: must be at least 0, got -1/.test(m)), got.join('\n'));
  assert.ok(messages(defineConfig({ protocols: { msgpack: { port: 9100 } }, monitoring: { port: 9100 } })).some((m) => m.startsWith('monitoring.port: is also the worker port')));
});

test('the YAML schema takes the same sections and refuses the same mistakes', () => {
  assert.deepEqual(validateAgainstSchema({ monitoring: { port: 9100, host: '0.0.0.0', metrics: true, readyTimeout: 2 }, log: { rotateLength: 5000000, maxRotatedFiles: null } }), []);
  const issues = validateAgainstSchema({ log: { rotateLength: 100 }, monitoring: { port: 70000 } }).map((i) => i.path);
  assert.ok(issues.includes('log.rotateLength') && issues.includes('monitoring.port'), issues.join(', '));
});
