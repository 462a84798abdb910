/** The config issues of a minimal master (one worker, builder 'test') with the given reporters, formatted with their paths. */
import { checkConfig } from '../../src/config/normalise.js';
import { defineConfig, worker, builder } from '../../src/config/factories.js';
import { formatIssue } from '../../src/model/config-errors.js';
import { steps } from '../../src/steps/index.js';
import type { ReporterSpec } from '../../src/reporters/base.js';

export function reporterConfigIssues(reporters: ReporterSpec[]): string[] {
  const base = { workers: [worker('w0', 'p')], builders: [builder({ name: 'test', workerNames: ['w0'], steps: [steps.shell({ command: ['true'] })] })] };
  return checkConfig(defineConfig({ ...base, reporters }), { masterDir: '/tmp/m' }).issues.map(formatIssue);
}

/** Asserts that every expected issue is among `got`, naming what is missing and what came. */
export function assertIssues(got: readonly string[], expected: readonly string[]): void {
  for (const e of expected) if (!got.includes(e)) throw new Error(`missing ${e} in\n${got.join('\n')}`);
}
