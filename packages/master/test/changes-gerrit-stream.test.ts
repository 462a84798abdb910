import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GerritStreamSource } from '../src/changes/gerrit-stream/source.js';
import type { AddChangeInput } from '../src/data/updates-api.js';
import { tempDir } from './support/mirror-git.js';

/** Collects Changes and lets a test wait for the n-th one. */
function recorder() {
  const changes: AddChangeInput[] = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    changes,
    updates: { async addChange(c: AddChangeInput) { changes.push(c); for (const w of waiters) if (changes.length >= w.n) w.resolve(); return changes.length; } },
    until: (n: number) => new Promise<void>((resolve) => { if (changes.length >= n) resolve(); else waiters.push({ n, resolve }); }),
  };
}

function compact(name: string): string {
  return JSON.stringify(JSON.parse(readFileSync(new URL(`./fixtures/hooks/${name}`, import.meta.url), 'utf8')));
}

test('a recorded stream-events session becomes Changes, and the source reconnects when the command exits', async (t) => {
  const { dir, cleanup } = tempDir('mastro-gerrit-stream-');
  t.after(cleanup);
  const stream = join(dir, 'stream.jsonl');
  // A recorded session: a handled event, an unhandled one, a line of noise, a ref update.
  writeFileSync(stream, [compact('gerrit-patchset-created.json'), compact('gerrit-comment-added.json'), 'not json', compact('gerrit-ref-updated.json')].join('\n') + '\n');
  const counter = join(dir, 'connections');
  const script = `echo x >> '${counter}'; cat '${stream}'; exit 255`;
  const rec = recorder();
  const source = new GerritStreamSource({ server: 'review.example.org', username: 'ci', command: ['sh', '-c', script], backoffMin: 0.05, backoffMax: 0.2 }, { updates: rec.updates });
  await source.start();
  t.after(() => source.stop());
  await rec.until(4);
  await source.stop();
  const [ps, ref, ps2] = rec.changes;
  assert.equal(ps!.category, 'patchset-created');
  assert.equal(ps!.branch, 'refs/changes/42/4242/3');
  assert.equal(ps!.repository, 'ssh://ci@review.example.org:29418/demo/app');
  assert.equal(ps!.properties!['event.source'], 'GerritChangeSource');
  assert.equal(ref!.category, 'ref-updated');
  assert.equal(ref!.branch, 'main');
  assert.equal(ps2!.category, 'patchset-created', 'the second connection replays the session');
  assert.ok(readFileSync(counter, 'utf8').split('\n').filter(Boolean).length >= 2);
  const st = source.status();
  assert.ok(st.connects >= 2);
  assert.match(st.lastExit!, /exit code 255|signal SIGTERM/);
});

test('the backoff grows between failed connections up to its maximum', async (t) => {
  const rec = recorder();
  const source = new GerritStreamSource({ command: ['sh', '-c', 'exit 1'], backoffMin: 0.01, backoffMax: 0.03 }, { updates: rec.updates });
  const seen: number[] = [];
  await source.start();
  t.after(() => source.stop());
  while (seen.length < 4) {
    await new Promise((r) => setTimeout(r, 5));
    const next = source.status().nextRetryInMs;
    if (next !== null && next !== seen.at(-1)) seen.push(next);
  }
  await source.stop();
  assert.deepEqual(seen.slice(0, 4).map((n) => Math.round(n)), [10, 15, 23, 30]);
});

test('a source without server and command is refused with a clear message', () => {
  assert.throws(() => new GerritStreamSource({}, { updates: recorder().updates }), /give server and username/);
});

test('events of unexpected shapes (a null project, objects nested deeper than the stack) are skipped, not fatal; later events still become Changes', async (t) => {
  const { dir, cleanup } = tempDir('mastro-gerrit-stream-');
  t.after(cleanup);
  const stream = join(dir, 'stream.jsonl');
  const nullProject = JSON.stringify({ type: 'patchset-created', change: { project: null, branch: 'main' }, patchSet: { ref: 'refs/changes/1/1/1', revision: 'a'.repeat(40) } });
  const depth = 200_000;
  const deep = `{"type":"patchset-created","change":{"project":"p","branch":"main","x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}},"patchSet":{"ref":"refs/changes/2/2/1","revision":"${'b'.repeat(40)}"}}`;
  writeFileSync(stream, [nullProject, deep, compact('gerrit-ref-updated.json')].join('\n') + '\n');
  const warnings: string[] = [];
  const logger = { trace() {}, info() {}, debug() {}, error(_o: unknown, m?: string) { warnings.push(String(m)); }, warn(_o: unknown, m?: string) { warnings.push(String(m)); } };
  const rec = recorder();
  const source = new GerritStreamSource({ command: ['sh', '-c', `cat '${stream}'; sleep 30`], backoffMin: 0.05 }, { updates: rec.updates, logger });
  await source.start();
  t.after(() => source.stop());
  await rec.until(1);
  await source.stop();
  assert.deepEqual(rec.changes.map((c) => c.category), ['ref-updated']);
  // The event without a project is no change; the one too deep to flatten is skipped and logged.
  assert.equal(warnings.filter((w) => /gerrit sent an event that cannot be turned into a change; skipped/.test(w)).length, 1, warnings.join('\n'));
});
