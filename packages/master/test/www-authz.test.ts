import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Authz } from '../src/www/authz/rules.js';
import { ANONYMOUS, type Identity } from '../src/www/auth/identity.js';

const user = (roles: string[]): Identity => ({ username: 'u', roles, via: 'token' });

test('default rules: admin may do everything, logged-in users may view, anonymous may view (anonymousView default)', () => {
  const a = new Authz();
  for (const action of ['view', 'force', 'stop', 'rebuild', 'cancel', 'admin'] as const) assert.equal(a.allows(user(['admin']), action), true, action);
  assert.equal(a.allows(user([]), 'view'), true);
  assert.equal(a.allows(user([]), 'force'), false);
  assert.equal(a.allows(ANONYMOUS, 'view'), true);
  assert.equal(a.allows(ANONYMOUS, 'force'), false);
  assert.equal(new Authz({ anonymousView: false }).allows(ANONYMOUS, 'view'), false);
});

test('rules limited to builder and branch patterns need every target builder and branch to match', () => {
  const a = new Authz({ rules: [{ actions: ['force', 'stop'], roles: ['dev'], builders: ['linux-*'], branches: ['main', 'release/*'] }] });
  const dev = user(['dev']);
  assert.equal(a.allows(dev, 'force', { builderNames: ['linux-gcc'], branches: ['main'] }), true);
  assert.equal(a.allows(dev, 'force', { builderNames: ['linux-gcc'], branches: ['release/1.2'] }), true);
  assert.equal(a.allows(dev, 'force', { builderNames: ['linux-gcc', 'windows'], branches: ['main'] }), false);
  assert.equal(a.allows(dev, 'force', { builderNames: ['linux-gcc'], branches: ['feature/x'] }), false);
  assert.equal(a.allows(dev, 'force', { builderNames: ['linux-gcc'], branches: [null] }), false, 'unknown branch is not "main"');
  assert.equal(a.allows(dev, 'rebuild', { builderNames: ['linux-gcc'], branches: ['main'] }), false);
  assert.equal(a.allows(dev, 'view'), false, 'a builder-limited rule never grants view');
});

test('branch patterns with many stars decide on a 4 KiB branch name from a request without backtracking', () => {
  // As RegExps (`^.*-.*-...$`) these took minutes on such a name; the name comes from a force request.
  const a = new Authz({ rules: [{ actions: ['force'], roles: ['dev'], branches: ['*-*-*-*-*-*-*-*-y', 'rel-*-*-*-*-*-*-*-*-?'] }] });
  const dev = user(['dev']);
  assert.equal(a.allows(dev, 'force', { branches: ['-'.repeat(4096)] }), false);
  assert.equal(a.allows(dev, 'force', { branches: [`${'-'.repeat(4096)}y`] }), true);
  assert.equal(a.allows(dev, 'force', { branches: [`rel${'-'.repeat(4096)}\n`] }), false, '* and ? match no line end, as before');
  assert.equal(a.allows(dev, 'force', { branches: [`rel${'-/'.repeat(2048)}-z`] }), true, '* crosses / in branch names');
});

test('malformed rules are refused with the path of the mistake', () => {
  assert.throws(() => new Authz({ rules: [{ actions: ['launch' as any], roles: ['x'] }] }), /www\.authz\.rules\[0\]\.actions/);
  assert.throws(() => new Authz({ rules: [{ actions: '*', roles: 'x' as any }] }), /www\.authz\.rules\[0\]\.roles/);
});
