/** src/logger.ts: the Logger type every package shares, its silent logger and childLogger. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { childLogger, silentLogger, type Logger } from '../src/logger.js';

/** A real pino logger (what the master passes everywhere) writing JSON lines into `lines`. */
function pinoInto(lines: Record<string, unknown>[]): Logger {
  const sink = new Writable({ write(chunk, _enc, done) { for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l)); done(); } });
  return pino({ level: 'trace', base: null, timestamp: false }, sink);
}

test('a pino logger is a Logger: both call forms reach it with their level, fields and message', () => {
  const lines: Record<string, unknown>[] = [];
  const log = pinoInto(lines);
  log.info('attached');
  log.warn({ worker: 'w1' }, 'ping timed out');
  log.trace({ n: 1 }, 'detail');
  assert.deepEqual(lines, [
    { level: 30, msg: 'attached' },
    { level: 40, worker: 'w1', msg: 'ping timed out' },
    { level: 10, n: 1, msg: 'detail' },
  ]);
});

test('childLogger binds fields to every line of a logger that has children', () => {
  const lines: Record<string, unknown>[] = [];
  childLogger(pinoInto(lines), { worker: 'w1' }).error('protocol: closing the connection');
  assert.deepEqual(lines, [{ level: 50, worker: 'w1', msg: 'protocol: closing the connection' }]);
});

test('childLogger hands back a logger without children as it is', () => {
  const calls: unknown[][] = [];
  const plain: Logger = { ...silentLogger, info: (...a) => { calls.push(a); } };
  const child = childLogger(plain, { worker: 'w1' });
  assert.equal(child, plain);
  child.info({ a: 1 }, 'm');
  assert.deepEqual(calls, [[{ a: 1 }, 'm']]);
});

test('silentLogger takes every level in both forms and has no children', () => {
  for (const level of ['trace', 'debug', 'info', 'warn', 'error'] as const) {
    assert.equal(silentLogger[level]('message'), undefined);
    assert.equal(silentLogger[level]({ k: 1 }, 'message'), undefined);
  }
  assert.equal(childLogger(silentLogger, { k: 1 }), silentLogger);
});
