import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InProcessMessageQueue, type RoutingKey } from '../src/mq/bus.js';

test('an event reaches each matching subscription once, whether its filter names the root or starts with a wildcard', () => {
  const mq = new InProcessMessageQueue();
  const seen: string[] = [];
  mq.subscribe(['builds', null, 'new'], (key: RoutingKey) => seen.push(`root:${key.join('/')}`));
  mq.subscribe([null, '7', null], (key: RoutingKey) => seen.push(`wildcard:${key.join('/')}`));
  mq.subscribe(['steps', null, 'new'], () => seen.push('other root'));
  mq.subscribe(['builds', null], () => seen.push('other length'));
  mq.publish(['builds', '7', 'new'], {});
  assert.deepEqual(seen.sort(), ['root:builds/7/new', 'wildcard:builds/7/new']);
});

test('hasSubscribers is true exactly when publishing the key would reach someone, and false again after unsubscribing', () => {
  const mq = new InProcessMessageQueue();
  assert.equal(mq.hasSubscribers(['logs', '1', 'append']), false);
  const off = mq.subscribe([null, null, 'append'], () => {});
  assert.equal(mq.hasSubscribers(['logs', '1', 'append']), true);
  assert.equal(mq.hasSubscribers(['logs', '1', 'finished']), false);
  off();
  assert.equal(mq.hasSubscribers(['logs', '1', 'append']), false);
});
