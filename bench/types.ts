/** Shapes shared by the benchmark runner and its scenarios. */
export type Engine = 'sqlite' | 'postgresql';

/** The database a scenario's master uses: SQLite in the master directory, or a fresh PostgreSQL database of its own. */
export interface BenchDb {
  engine: Engine;
  /** The master config's `db.url`. */
  url: string;
  /**
   * Another empty database on the same server, for a scenario that needs several (PostgreSQL; the
   * runner drops them with the run's). Absent for SQLite: each master directory has its own file.
   */
  another?: () => Promise<string>;
}

export interface BenchOptions {
  /** One-minute smoke run: smaller inputs, proves the harness works, asserts nothing about speed. */
  quick: boolean;
  /** Also run the scenarios that have a Buildbot 3.7 counterpart against a Buildbot master, interleaved in pairs. */
  vsBuildbot: boolean;
  /** Fixed seed for anything random, so runs are reproducible. */
  seed: number;
  /** Scratch directory for this run; removed at the end. */
  tmpDir: string;
  /** The database of this run of the scenario (the runner runs a scenario once per engine it supports). Default SQLite. */
  db?: BenchDb;
  /** 0 (the default) for the first run of the scenario in this bench run; interleaved pairs run it again (1, 2, ...). */
  runIndex?: number;
}

/** The run's database, SQLite in the master directory unless the runner said otherwise. */
export function dbOf(o: BenchOptions): BenchDb {
  return o.db ?? { engine: 'sqlite', url: 'sqlite:state.sqlite' };
}

export interface Metric {
  name: string;
  value: number | null;
  unit: string;
  /** The target from the issue, if any, and whether a bigger or a smaller value is better. */
  target?: { value: number; better: 'higher' | 'lower' };
  /** Which way is better when there is no target (used for the Buildbot ratio). Default: the target's, else 'higher'. */
  better?: 'higher' | 'lower';
  /** Set by the runner: the same metric on PostgreSQL in this run. */
  postgresql?: number | null;
  /** Set by the runner: Buildbot 3.7's figure for the same metric (median of the interleaved runs). */
  buildbot?: number | null;
  /** With --vs-buildbot: the target for "times better than Buildbot" (median of the pairs' ratios). */
  buildbotRatioTarget?: number;
}

export interface ScenarioResult {
  metrics: Metric[];
  /** Inputs actually used (counts, sizes), so quick and full runs are told apart in the JSON. */
  params: Record<string, unknown>;
  notes?: string[];
}

export interface Scenario {
  id: number;
  name: string;
  /** Engines the scenario runs on (default SQLite only); PostgreSQL results are shown beside SQLite's. */
  engines?: Engine[];
  /** In --quick, whether the PostgreSQL variant runs too (default false: quick stays about a minute). */
  quickPostgresql?: boolean;
  /** Not run by --quick at all (a tiny version is not worth its set-up), with the reason printed. */
  skipInQuick?: string;
  run(opts: BenchOptions): Promise<ScenarioResult>;
  /** Runs the Buildbot side of the scenario once; returns metric name -> value. */
  runBuildbot?(opts: BenchOptions): Promise<Record<string, number | null>>;
}
