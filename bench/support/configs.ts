/** master.config.js sources for the scenarios: the same shape as the README's example, sized per scenario. */
export interface BenchMasterConfig {
  /** Workers are named `${workerPrefix}${i}` for i < workerCount, all with `password`. */
  workerPrefix: string;
  workerCount: number;
  password: string;
  maxBuilds?: number | null;
  /** Builders; every builder may use every worker. */
  builders: Array<{ name: string; command: string[] }>;
  /** Enable the HTTP server (API + /change_hook/base) on a free port. */
  www: boolean;
  /** An anyBranch scheduler (treeStableTimer null) feeding every builder. */
  scheduler: boolean;
  logMaxSize?: number | null;
  /** More top-level config entries, as source text (e.g. `reporters: [...]`); `reporters` and `generators` are imported. */
  extra?: string;
}

export function masterConfigSource(c: BenchMasterConfig): string {
  const builders = c.builders.map((b) =>
    `builder({ name: ${JSON.stringify(b.name)}, workerNames, collapseRequests: false, steps: [steps.shell({ command: ${JSON.stringify(b.command)} })] })`);
  return `// Written by the mastro benchmark (bench/support/configs.ts).
import { defineConfig, worker, builder, steps, schedulers${c.extra ? ', reporters, generators' : ''} } from 'mastro';
const workerNames = Array.from({ length: ${c.workerCount} }, (_, i) => ${JSON.stringify(c.workerPrefix)} + i);
export default defineConfig({
  title: 'mastro bench',
  db: { url: 'sqlite:state.sqlite' },
  // Every simulated worker connects from 127.0.0.1: room for all of them (the default cap is 4096 per address).
  protocols: { msgpack: { port: 0, host: '127.0.0.1', maxConnectionsPerAddress: ${c.workerCount + 1000} } },
  www: ${c.www ? "{ port: 0, host: '127.0.0.1', changeHooks: { base: {} } }" : 'null'},
  ${c.logMaxSize !== undefined ? `logMaxSize: ${c.logMaxSize},` : ''}
  workers: workerNames.map((n) => worker(n, ${JSON.stringify(c.password)}, { maxBuilds: ${c.maxBuilds ?? 'null'} })),
  schedulers: ${c.scheduler ? `[schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ${JSON.stringify(c.builders.map((b) => b.name))} })]` : '[]'},
  builders: [
    ${builders.join(',\n    ')}
  ],${c.extra ? `\n  ${c.extra},` : ''}
});
`;
}
