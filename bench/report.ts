/** Turns scenario results into the printed table and the JSON file. */
import os from 'node:os';
import type { Metric, ScenarioResult } from './types.js';

export interface ScenarioRecord { id: number; name: string; result?: ScenarioResult; error?: string; buildbotError?: string; seconds: number }

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    // Other work on the machine skews every figure; the 1-minute load average at the end says how much there was.
    loadAverage1m: Number(os.loadavg()[0]!.toFixed(2)),
  };
}

function verdict(m: Metric): string {
  if (!m.target || m.value == null) return '';
  const ok = m.target.better === 'higher' ? m.value >= m.target.value : m.value <= m.target.value;
  if (ok) return 'met';
  const ratio = m.target.better === 'higher' ? m.target.value / m.value : m.value / m.target.value;
  return `missed (x${ratio.toFixed(2)})`;
}

function fmt(v: number | null | undefined): string {
  if (v == null) return '-';
  if (Math.abs(v) >= 1000) return v.toFixed(0);
  if (Math.abs(v) >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function renderTable(records: ScenarioRecord[]): string {
  const rows: string[][] = [['#', 'scenario', 'metric', 'value', 'unit', 'target', 'verdict', 'buildbot', 'ratio']];
  for (const r of records) {
    if (r.error || !r.result) { rows.push([String(r.id), r.name, 'ERROR', r.error ?? 'no result', '', '', '', '', '']); continue; }
    for (const m of r.result.metrics) {
      const target = m.target ? `${m.target.better === 'higher' ? '>=' : '<='} ${m.target.value}` : '';
      let ratio = '';
      if (m.buildbot != null && m.value != null && m.value !== 0 && m.buildbot !== 0) {
        // The ratio always reads as "times better than Buildbot".
        ratio = (m.better ?? m.target?.better) === 'lower' ? `x${(m.buildbot / m.value).toFixed(1)}` : `x${(m.value / m.buildbot).toFixed(1)}`;
      }
      rows.push([String(r.id), r.name, m.name, fmt(m.value), m.unit, target, verdict(m), fmt(m.buildbot), ratio]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function toJson(records: ScenarioRecord[], quick: boolean) {
  return {
    date: new Date().toISOString(),
    quick,
    machine: machineInfo(),
    scenarios: records.map((r) => ({
      id: r.id, name: r.name, seconds: Number(r.seconds.toFixed(2)), error: r.error ?? null, buildbotError: r.buildbotError ?? null,
      params: r.result?.params ?? {}, notes: r.result?.notes ?? [],
      metrics: (r.result?.metrics ?? []).map((m) => ({ ...m, verdict: verdict(m) || null })),
    })),
  };
}
