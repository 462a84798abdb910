// The benchmark harness works: its report logic says "met"/"missed by how much", and a quick run of
// the cheapest real scenarios produces figures and leaves no master or worker process behind.
// Speed is never asserted here (issue 6: performance lives in `npm run bench`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderTable, toJson, type ScenarioRecord } from '../bench/report.js';
import { median, percentile } from '../bench/stats.js';
import { seededRandom } from './support/seeded-random.js';
import { scenarios } from '../bench/scenarios/index.js';

test('a missed target is reported with the factor by which it was missed, a met one as met', () => {
  const records: ScenarioRecord[] = [{
    id: 1, name: 'demo', seconds: 1, result: {
      params: {}, metrics: [
        { name: 'rate', value: 50, unit: '/s', target: { value: 150, better: 'higher' }, buildbot: 5 },
        { name: 'delay', value: 4, unit: 'ms', target: { value: 5, better: 'lower' }, buildbot: 100 },
        { name: 'memory', value: 10, unit: 'MiB', better: 'lower', buildbot: 20 },
      ],
    },
  }, { id: 2, name: 'broken', seconds: 0, error: 'it broke' }];
  const table = renderTable(records);
  assert.match(table, /rate\s+50\.0\s+\/s\s+>= 150\s+missed \(x3\.00\)\s+5\.00\s+x10\.0/);
  assert.match(table, /delay\s+4\.00\s+ms\s+<= 5\s+met\s+100\.0\s+x25\.0/);
  assert.match(table, /memory\s+10\.0\s+MiB\s+20\.0\s+x2\.0/);
  assert.match(table, /broken\s+ERROR\s+it broke/);
  const json = toJson(records, true);
  assert.equal(json.scenarios[0]!.metrics[0]!.verdict, 'missed (x3.00)');
  assert.equal(json.scenarios[1]!.error, 'it broke');
  assert.ok(json.machine.cores >= 1);
});

test('statistics: medians, percentiles and a seeded generator that repeats itself', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), null);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 10);
  const a = seededRandom(7), b = seededRandom(7);
  assert.deepEqual([a(), a(), a()], [b(), b(), b()]);
});

test('quick runs of the latency and worker-footprint scenarios produce figures and clean up', { timeout: 120_000 }, async () => {
  const tmpDir = mkdtempSync(join(tmpdir(), 'mastro-bench-smoke-'));
  try {
    const opts = { quick: true, vsBuildbot: false, seed: 1, tmpDir };
    for (const id of [3, 8]) {
      const s = scenarios.find((x) => x.id === id)!;
      const r = await s.run(opts);
      assert.ok(r.metrics.length > 0, `scenario ${id} reported metrics`);
      for (const m of r.metrics.filter((x) => x.target)) assert.ok(m.value === null || Number.isFinite(m.value), `${m.name} is a number`);
    }
    const { readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(tmpDir), [], 'scenarios removed their temp dirs');
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
});
