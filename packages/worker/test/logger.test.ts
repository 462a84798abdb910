/** src/logger.ts: the worker's line logger behind the shared Logger type. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineLogger, lineText, prefixedLogger } from '../src/logger.js';

const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /;

test('each message is one timestamped line; warnings and errors say so', () => {
  const out: string[] = [];
  const log = lineLogger((t) => out.push(t));
  log.info('connected to ws://m:9989 as w1');
  log.warn('the master did not answer a ping');
  log.error('connection setup failed: boom');
  assert.equal(out.length, 3);
  for (const line of out) { assert.match(line, TIME); assert.ok(line.endsWith('\n')); }
  assert.deepEqual(out.map((l) => l.replace(TIME, '')), [
    'connected to ws://m:9989 as w1\n', 'warning: the master did not answer a ping\n', 'error: connection setup failed: boom\n',
  ]);
});

test('fields given as an object follow the message as JSON, errors as their message', () => {
  assert.equal(lineText({ worker: 'w1', n: 2 }, 'attached'), 'attached {"worker":"w1","n":2}');
  assert.equal(lineText({ err: new Error('ECONNRESET') }, 'lost'), 'lost {"err":"ECONNRESET"}');
  assert.equal(lineText(new Error('bare')), 'bare');
  assert.equal(lineText({ size: 10n }), '{"size":"10"}');
  assert.equal(lineText('just a message'), 'just a message');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.equal(lineText(cyclic, 'still logged'), 'still logged [object Object]');
});

test('trace and debug lines are written only when verbose', () => {
  const quiet: string[] = [];
  const q = lineLogger((t) => quiet.push(t));
  q.debug('protocol: connection closed');
  q.trace('detail');
  assert.deepEqual(quiet, []);
  const loud: string[] = [];
  const v = lineLogger((t) => loud.push(t), { verbose: true });
  v.debug('protocol: connection closed');
  v.trace({ seq: 3 }, 'detail');
  assert.deepEqual(loud.map((l) => l.replace(TIME, '')), ['debug: protocol: connection closed\n', 'trace: detail {"seq":3}\n']);
});

test('a prefixed logger marks every message of a command, in both call forms, through the logger it wraps', () => {
  const out: string[] = [];
  const log = prefixedLogger(lineLogger((t) => out.push(t)), '[shell 12] ');
  log.info('cp target exists');
  log.warn({ code: 1 }, 'close failed');
  assert.deepEqual(out.map((l) => l.replace(TIME, '')), ['[shell 12] cp target exists\n', 'warning: [shell 12] close failed {"code":1}\n']);
  // Methods are called on the wrapped logger, so one that needs its `this` (pino) keeps it.
  const seen: unknown[] = [];
  const withThis = { trace() {}, debug() {}, warn() {}, error() {}, info(this: unknown, m: unknown) { seen.push(this === withThis, m); } };
  prefixedLogger(withThis, '> ').info('hi');
  assert.deepEqual(seen, [true, '> hi']);
});
