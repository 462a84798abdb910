/**
 * `npm run bench [-- --quick] [-- --vs-buildbot] [-- --only=1,3]`: runs the fixed scenarios, prints a table
 * and writes bench/results.json. Performance is shown here, never asserted in tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scenarios } from './scenarios/index.js';
import { machineInfo, renderTable, toJson, type ScenarioRecord } from './report.js';
import type { BenchOptions } from './types.js';

function parseArgs(argv: string[]) {
  const only = argv.find((a) => a.startsWith('--only='))?.slice(7).split(',').map(Number);
  return { quick: argv.includes('--quick'), vsBuildbot: argv.includes('--vs-buildbot'), only };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const tmpDir = mkdtempSync(join(tmpdir(), 'mastro-bench-'));
  const opts: BenchOptions = { quick: args.quick, vsBuildbot: args.vsBuildbot, seed: 20261121, tmpDir };
  const records: ScenarioRecord[] = [];
  try {
    for (const s of scenarios) {
      if (args.only && !args.only.includes(s.id)) continue;
      const started = performance.now();
      process.stderr.write(`[bench] scenario ${s.id}: ${s.name} ...\n`);
      const record: ScenarioRecord = { id: s.id, name: s.name, seconds: 0 };
      try {
        record.result = await s.run(opts);
        if (opts.vsBuildbot && s.runBuildbot) {
          // A failed Buildbot side is reported next to mastro's figures, which stay.
          try {
            const bb = await s.runBuildbot(opts);
            for (const m of record.result.metrics) if (m.name in bb) m.buildbot = bb[m.name] ?? null;
          } catch (err) {
            record.buildbotError = err instanceof Error ? err.message : String(err);
            (record.result.notes ??= []).push(`Buildbot side failed: ${record.buildbotError}`);
          }
        }
      } catch (err) {
        record.error = err instanceof Error ? err.message : String(err);
      }
      record.seconds = (performance.now() - started) / 1000;
      process.stderr.write(`[bench] scenario ${s.id} done in ${record.seconds.toFixed(1)} s${record.error ? ` (error: ${record.error})` : ''}${record.buildbotError ? ` (Buildbot side error: ${record.buildbotError})` : ''}\n`);
      records.push(record);
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  console.log(renderTable(records));
  const m = machineInfo();
  console.log(`\nmachine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.platform}; load average (1 min) at the end: ${m.loadAverage1m}`);
  const out = new URL('./results.json', import.meta.url);
  writeFileSync(out, JSON.stringify(toJson(records, opts.quick), null, 2) + '\n');
  console.log(`\nwrote ${out.pathname}`);
  // The harness fails only when it could not run a scenario at all; slow figures are reported, not failed.
  if (records.some((r) => r.error || r.buildbotError)) process.exitCode = 1;
}

await main();
