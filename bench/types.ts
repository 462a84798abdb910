/** Shapes shared by the benchmark runner and its scenarios. */
export interface BenchOptions {
  /** One-minute smoke run: smaller inputs, proves the harness works, asserts nothing about speed. */
  quick: boolean;
  /** Also run the scenarios that have a Buildbot 3.7 counterpart against a Buildbot master. */
  vsBuildbot: boolean;
  /** Fixed seed for anything random, so runs are reproducible. */
  seed: number;
  /** Scratch directory for this run; removed at the end. */
  tmpDir: string;
}

export interface Metric {
  name: string;
  value: number | null;
  unit: string;
  /** The target from the issue, if any, and whether a bigger or a smaller value is better. */
  target?: { value: number; better: 'higher' | 'lower' };
  /** Which way is better when there is no target (used for the Buildbot ratio). Default: the target's, else 'higher'. */
  better?: 'higher' | 'lower';
  /** Buildbot 3.7's figure for the same metric when measured in this run. */
  buildbot?: number | null;
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
  run(opts: BenchOptions): Promise<ScenarioResult>;
  /** Runs the Buildbot side of the scenario; returns metric name -> value. */
  runBuildbot?(opts: BenchOptions): Promise<Record<string, number | null>>;
}
