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
  /** An anyBranch scheduler (treeStableTimer null) feeding every builder, or only the builders named. */
  scheduler: boolean | string[];
  logMaxSize?: number | null;
  /** More top-level config entries, as source text (e.g. `reporters: [...]`); `reporters` and `generators` are imported. */
  extra?: string;
  /** `db.url`; default SQLite in the master directory (`sqlite:state.sqlite`, what create-master writes). */
  dbUrl?: string;
  /** The master's `janitor` option (default none, as shipped). */
  janitor?: { logHorizon: number; interval?: number; batchSize?: number };
}

/** Connections mastro accepts from one address by default (protocols.msgpack.maxConnectionsPerAddress). */
const DEFAULT_CONNECTIONS_PER_ADDRESS = 4096;

/**
 * The settings of `config` that differ from what a user gets from `mastro create-master` +
 * `mastro start`, for the scenario notes (item 2 of issue 19: the bench runs masters as users do).
 */
export function configDeviations(c: BenchMasterConfig): string[] {
  const out: string[] = [];
  if (c.workerCount + 1000 > DEFAULT_CONNECTIONS_PER_ADDRESS) out.push(`protocols.msgpack.maxConnectionsPerAddress ${c.workerCount + 1000} (default ${DEFAULT_CONNECTIONS_PER_ADDRESS}): every simulated worker connects from 127.0.0.1`);
  if (c.logMaxSize !== undefined) out.push(`logMaxSize ${c.logMaxSize} (default 64 MiB)`);
  if (!c.www) out.push('no www (HTTP) server');
  if (c.janitor) out.push(`janitor ${JSON.stringify(c.janitor)} (default: none)`);
  return out;
}

export function masterConfigSource(c: BenchMasterConfig): string {
  const builders = c.builders.map((b) =>
    `builder({ name: ${JSON.stringify(b.name)}, workerNames, collapseRequests: false, steps: [steps.shell({ command: ${JSON.stringify(b.command)} })] })`);
  return `// Written by the mastro benchmark (bench/support/configs.ts).
import { defineConfig, worker, builder, steps, schedulers${c.extra ? ', reporters, generators' : ''} } from 'mastro';
const workerNames = Array.from({ length: ${c.workerCount} }, (_, i) => ${JSON.stringify(c.workerPrefix)} + i);
export default defineConfig({
  title: 'mastro bench',
  db: { url: ${JSON.stringify(c.dbUrl ?? 'sqlite:state.sqlite')} },
  protocols: { msgpack: { port: 0, host: '127.0.0.1'${c.workerCount + 1000 > DEFAULT_CONNECTIONS_PER_ADDRESS ? `,
    // Every simulated worker connects from 127.0.0.1: room for all of them (the default cap is ${DEFAULT_CONNECTIONS_PER_ADDRESS} per address).
    maxConnectionsPerAddress: ${c.workerCount + 1000}` : ''} } },
  www: ${c.www ? "{ port: 0, host: '127.0.0.1', changeHooks: { base: {} } }" : 'null'},
  ${c.logMaxSize !== undefined ? `logMaxSize: ${c.logMaxSize},` : ''}
  ${c.janitor ? `janitor: ${JSON.stringify(c.janitor)},` : ''}
  workers: workerNames.map((n) => worker(n, ${JSON.stringify(c.password)}, { maxBuilds: ${c.maxBuilds ?? 'null'} })),
  schedulers: ${c.scheduler ? `[schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ${JSON.stringify(Array.isArray(c.scheduler) ? c.scheduler : c.builders.map((b) => b.name))} })]` : '[]'},
  builders: [
    ${builders.join(',\n    ')}
  ],${c.extra ? `\n  ${c.extra},` : ''}
});
`;
}
