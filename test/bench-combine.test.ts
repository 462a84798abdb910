// How the benchmark folds runs together: medians over repeated runs, Buildbot's side as a ratio per
// interleaved pair and their median (so a drift of the machine's speed cancels out), PostgreSQL's
// figures beside SQLite's. Speed is never asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attachBuildbot, attachPostgresql, combineRuns } from '../bench/combine.js';
import { renderTable } from '../bench/report.js';
import type { ScenarioResult } from '../bench/types.js';

const run = (rate: number, cpu: number): ScenarioResult => ({
  params: { n: 1 },
  metrics: [
    { name: 'builds/s', value: rate, unit: 'builds/s', better: 'higher', buildbotRatioTarget: 50 },
    { name: 'CPU per build', value: cpu, unit: 'ms', better: 'lower' },
  ],
});

test('repeated runs report the median of each metric and keep every run in the params', () => {
  const r = combineRuns([run(100, 2), run(300, 1), run(200, 3)]);
  assert.equal(r.metrics[0]!.value, 200);
  assert.equal(r.metrics[1]!.value, 2);
  assert.deepEqual((r.params.perRun as Record<string, number[]>)['builds/s'], [100, 300, 200]);
});

test('interleaved pairs give one ratio per pair and their median, first in the table, with the target', () => {
  // The machine slows down during the run: both sides of pair 2 are slower, its ratio is not.
  const mastro = [run(100, 2), run(50, 4), run(120, 2)];
  const bb = [{ 'builds/s': 2, 'CPU per build': 100 }, { 'builds/s': 1, 'CPU per build': 200 }, { 'builds/s': 4, 'CPU per build': 120 }];
  const r = combineRuns(mastro);
  attachBuildbot(r, mastro, bb);
  const [rateRatio, cpuRatio] = r.metrics;
  assert.match(rateRatio!.name, /^builds\/s: times Buildbot 3\.7 \(median of 3 pairs\)$/);
  assert.equal(rateRatio!.value, 50); // pairs: 50, 50, 30
  assert.deepEqual(rateRatio!.target, { value: 50, better: 'higher' });
  assert.equal(cpuRatio!.value, 50); // lower is better: 100/2, 200/4, 120/2
  assert.equal(r.metrics.find((m) => m.name === 'builds/s')!.buildbot, 2);
  const pairs = (r.params.buildbotPairs as Record<string, Array<{ ratio: number }>>)['builds/s']!;
  assert.deepEqual(pairs.map((p) => p.ratio), [50, 50, 30]);
  assert.match(renderTable([{ id: 1, name: 'demo', seconds: 1, result: r }]), /builds\/s: times Buildbot 3\.7 \(median of 3 pairs\)\s+50\.0\s+x\s+>= 50\s+met/);
});

test('a PostgreSQL run is shown beside SQLite with its own verdict', () => {
  const r: ScenarioResult = { params: {}, metrics: [{ name: 'CPU per build', value: 0.4, unit: 'ms', target: { value: 0.5, better: 'lower' } }] };
  attachPostgresql(r, { params: { engine: 'postgresql' }, metrics: [{ name: 'CPU per build', value: 1, unit: 'ms' }], notes: ['pg only'] });
  assert.equal(r.metrics[0]!.postgresql, 1);
  assert.ok(r.notes!.includes('PostgreSQL run: pg only'));
  assert.match(renderTable([{ id: 2, name: 'demo', seconds: 1, result: r }]), /CPU per build\s+0\.40\s+1\.00\s+ms\s+<= 0\.5\s+met\s+missed \(x2\.00\)/);
});
