/**
 * Folding several runs of a scenario into one result: the median per metric across the runs, the
 * Buildbot side of interleaved pairs (its median, and the ratio per pair and their median, so a drift
 * in the machine's speed during the run cancels out), and the PostgreSQL run beside SQLite's.
 */
import { median } from './stats.js';
import type { Metric, ScenarioResult } from './types.js';

/** The median of each metric over `runs` (same scenario, same metric names); params and notes of the first run. */
export function combineRuns(runs: ScenarioResult[]): ScenarioResult {
  if (runs.length === 1) return runs[0]!;
  const first = runs[0]!;
  const perRun: Record<string, Array<number | null>> = {};
  const metrics = first.metrics.map((m) => {
    const values = runs.map((r) => r.metrics.find((x) => x.name === m.name)?.value ?? null);
    perRun[m.name] = values;
    return { ...m, value: median(values.filter((v): v is number => v != null)) };
  });
  return { metrics, params: { ...first.params, runs: runs.length, perRun }, notes: [...(first.notes ?? []), `each mastro figure is the median of ${runs.length} runs`] };
}

function timesBetter(m: Metric, mastro: number | null | undefined, buildbot: number | null | undefined): number | null {
  if (mastro == null || buildbot == null || mastro === 0 || buildbot === 0) return null;
  return (m.better ?? m.target?.better) === 'lower' ? buildbot / mastro : mastro / buildbot;
}

/**
 * Adds Buildbot's medians to `result` and, first in its metrics, one "times Buildbot" row per
 * compared metric: the median of the per-pair ratios (mastro run i against Buildbot run i).
 */
export function attachBuildbot(result: ScenarioResult, mastroRuns: ScenarioResult[], bbRuns: Array<Record<string, number | null>>): void {
  const ratioRows: Metric[] = [];
  const pairs: Record<string, Array<{ mastro: number | null; buildbot: number | null; ratio: number | null }>> = {};
  for (const m of result.metrics) {
    if (!bbRuns.some((b) => m.name in b)) continue;
    m.buildbot = median(bbRuns.map((b) => b[m.name]).filter((v): v is number => v != null));
    const rows = bbRuns.map((b, i) => {
      const mastro = mastroRuns[i]?.metrics.find((x) => x.name === m.name)?.value ?? null;
      const buildbot = b[m.name] ?? null;
      return { mastro, buildbot, ratio: timesBetter(m, mastro, buildbot) };
    });
    pairs[m.name] = rows;
    const ratios = rows.map((r) => r.ratio).filter((v): v is number => v != null);
    ratioRows.push({
      name: `${m.name}: times Buildbot 3.7 (median of ${ratios.length} pair${ratios.length === 1 ? '' : 's'})`,
      value: median(ratios), unit: 'x', better: 'higher',
      ...(m.buildbotRatioTarget ? { target: { value: m.buildbotRatioTarget, better: 'higher' as const } } : {}),
    });
  }
  result.metrics.unshift(...ratioRows);
  result.params = { ...result.params, buildbotPairs: pairs };
}

/** Puts the PostgreSQL run's figures beside SQLite's (by metric name). */
export function attachPostgresql(result: ScenarioResult, pg: ScenarioResult): void {
  for (const m of result.metrics) {
    const p = pg.metrics.find((x) => x.name === m.name);
    if (p) m.postgresql = p.value;
  }
  result.params = { ...result.params, postgresql: pg.params };
  const extra = (pg.notes ?? []).filter((n) => !(result.notes ?? []).includes(n));
  if (extra.length) (result.notes ??= []).push(...extra.map((n) => `PostgreSQL run: ${n}`));
}
