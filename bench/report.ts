/** Turns scenario results into the printed table and the JSON file. */
import os from 'node:os';
import type { Metric, ScenarioResult } from './types.js';

export interface ScenarioRecord {
  id: number; name: string; result?: ScenarioResult; error?: string; buildbotError?: string; postgresqlError?: string;
  /** Why the scenario did not run (--quick). */
  skipped?: string;
  seconds: number;
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    // Other work on the machine skews every figure; the 1-minute load average says how much there was.
    loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
  };
}

export function verdictOf(target: Metric['target'], value: number | null | undefined): string {
  if (!target || value == null) return '';
  const ok = target.better === 'higher' ? value >= target.value : value <= target.value;
  if (ok) return 'met';
  const ratio = target.better === 'higher' ? target.value / value : value / target.value;
  return `missed (x${ratio.toFixed(2)})`;
}

export function fmt(v: number | null | undefined): string {
  if (v == null) return '-';
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  if (Math.abs(v) >= 0.1 || v === 0) return v.toFixed(2);
  return v.toPrecision(2);
}

/** mastro's figure against Buildbot's median, as "times better than Buildbot" (the pairs' median is its own row). */
function ratioOf(m: Metric): string {
  if (m.buildbot == null || m.value == null || m.value === 0 || m.buildbot === 0) return '';
  return (m.better ?? m.target?.better) === 'lower' ? `x${(m.buildbot / m.value).toFixed(1)}` : `x${(m.value / m.buildbot).toFixed(1)}`;
}

/**
 * One row per metric: SQLite's figure, PostgreSQL's beside it when measured, the target and whether
 * each engine met it, and Buildbot's figure (its median) with mastro's against it; the "times
 * Buildbot" rows above carry the median of the per-pair ratios, the figure that holds.
 */
export function renderTable(records: ScenarioRecord[]): string {
  const rows: string[][] = [['#', 'scenario', 'metric', 'SQLite', 'PostgreSQL', 'unit', 'target', 'verdict', 'PG verdict', 'Buildbot', 'ratio']];
  for (const r of records) {
    if (r.skipped) { rows.push([String(r.id), r.name, 'not run', r.skipped, '', '', '', '', '', '', '']); continue; }
    if (r.error || !r.result) { rows.push([String(r.id), r.name, 'ERROR', r.error ?? 'no result', '', '', '', '', '', '', '']); continue; }
    for (const m of r.result.metrics) {
      const target = m.target ? `${m.target.better === 'higher' ? '>=' : '<='} ${m.target.value}` : '';
      rows.push([String(r.id), r.name, m.name, fmt(m.value), m.postgresql === undefined ? '' : fmt(m.postgresql), m.unit, target,
        verdictOf(m.target, m.value), m.postgresql === undefined ? '' : verdictOf(m.target, m.postgresql), m.buildbot === undefined ? '' : fmt(m.buildbot), ratioOf(m)]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function toJson(records: ScenarioRecord[], quick: boolean, loadBefore?: number) {
  return {
    date: new Date().toISOString(),
    quick,
    machine: { ...machineInfo(), ...(loadBefore === undefined ? {} : { loadAverage1mBefore: loadBefore }) },
    scenarios: records.map((r) => ({
      id: r.id, name: r.name, seconds: Number(r.seconds.toFixed(2)), skipped: r.skipped ?? null, error: r.error ?? null,
      buildbotError: r.buildbotError ?? null, postgresqlError: r.postgresqlError ?? null,
      params: r.result?.params ?? {}, notes: r.result?.notes ?? [],
      metrics: (r.result?.metrics ?? []).map((m) => ({
        ...m, verdict: verdictOf(m.target, m.value) || null,
        ...(m.postgresql !== undefined ? { postgresqlVerdict: verdictOf(m.target, m.postgresql) || null } : {}),
      })),
    })),
  };
}
