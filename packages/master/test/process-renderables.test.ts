import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Interpolate, Property, renderer, Transform, renderValue, InterpolateError } from '../src/process/renderables.js';
import { Properties } from '../src/process/properties.js';
import type { RenderContext } from '../src/process/step-types.js';

function ctx(props: Record<string, unknown>, extra: Partial<RenderContext> = {}): RenderContext {
  const p = new Properties();
  p.updateFromValues(props, 'test');
  return {
    properties: p,
    sourcestamps: [{ codebase: '', repository: 'r0', branch: 'main', revision: 'abc', project: 'p' },
      { codebase: 'lib', repository: 'r1', branch: 'dev', revision: 'def', project: 'p' }],
    workerInfo: { os: 'linux', numcpus: 4 },
    getSecret: async (n) => (n === 'token' ? 's3cret' : undefined),
    ...extra,
  };
}

test('Interpolate substitutes properties, sourcestamps, worker info and keywords', async () => {
  const r = Interpolate('b=%(prop:branch)s src=%(src::revision)s lib=%(src:lib:branch)s os=%(worker:os)s k=%(kw:x)s 100%%', { x: Property('n') });
  assert.equal(await r.getRenderingFor(ctx({ branch: 'main', n: 7 })), 'b=main src=abc lib=dev os=linux k=7 100%');
});

test('a missing property renders as an empty string unless a default is given', async () => {
  assert.equal(await Interpolate('[%(prop:nope)s]').getRenderingFor(ctx({})), '[]');
  assert.equal(await Interpolate('[%(prop:nope:-dflt)s]').getRenderingFor(ctx({})), '[dflt]');
});

test(':- uses the default only when missing, :~ also when the value is false-y', async () => {
  const c = ctx({ empty: '', zero: 0, set: 'v' });
  assert.equal(await Interpolate('%(prop:empty:-d)s|%(prop:empty:~d)s|%(prop:zero:~d)s|%(prop:set:~d)s').getRenderingFor(c), '|d|d|v');
});

test(':+ and the ternaries choose text by presence or truthiness', async () => {
  const c = ctx({ on: true, off: false });
  assert.equal(await Interpolate('%(prop:on:+yes)s/%(prop:none:+yes)s').getRenderingFor(c), 'yes/');
  assert.equal(await Interpolate('%(prop:off:?|set|unset)s %(prop:off:#?|t|f)s %(prop:on:#?|t|f)s').getRenderingFor(c), 'set f t');
});

test('replacement texts may contain nested substitutions', async () => {
  assert.equal(await Interpolate('%(prop:a:-%(prop:b)s-x)s').getRenderingFor(ctx({ b: 'B' })), 'B-x');
});

test('secrets are looked up through the provider and a missing secret is an error', async () => {
  assert.equal(await Interpolate('t=%(secret:token)s').getRenderingFor(ctx({})), 't=s3cret');
  await assert.rejects(Interpolate('%(secret:nope)s').getRenderingFor(ctx({})) as Promise<string>, /secret 'nope' is not found/);
});

test('malformed format strings are refused when the config is built, with a clear message', () => {
  assert.throws(() => Interpolate('%(branch)s'), InterpolateError);
  assert.throws(() => Interpolate('%(foo:x)s'), /unknown selector 'foo'/);
  assert.throws(() => Interpolate('%(prop:x)'), /missing conversion/);
  assert.throws(() => Interpolate('%(src:x)s'), /codebase and attribute/);
  assert.throws(() => Interpolate('%(prop:x:*y)s'), /invalid default type/);
});

test('renderValue renders renderables nested in arrays and objects, and renderer() sees the properties', async () => {
  const c = ctx({ n: 3, name: 'w' });
  const v = await renderValue({ cmd: ['make', Interpolate('-j%(prop:n)s')], who: renderer(({ getProperty }) => `hi ${getProperty('name')}`), x: 1 }, c);
  assert.deepEqual(v, { cmd: ['make', '-j3'], who: 'hi w', x: 1 });
  assert.equal(await renderValue(Transform((s: string) => s.toUpperCase(), Property('name')), c), 'W');
});

test('Property falls back to its default when the value is missing or false-y', async () => {
  const c = ctx({ empty: '' });
  assert.equal(await Property('empty', 'd').getRenderingFor(c), 'd');
  assert.equal(await Property('empty', 'd', false).getRenderingFor(c), '');
  assert.equal(await Property('missing', 'd', false).getRenderingFor(c), 'd');
});
