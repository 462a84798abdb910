/** `mastro checkconfig DIR`: loads the config and prints every mistake with its path (exit 1). */
import { tryLoadConfig } from '../config/load.js';
import { formatIssue } from '../model/config-errors.js';
import { parse, println, UsageError, type Io } from './io.js';

export const USAGE = 'mastro checkconfig DIR';

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals } = parse(argv, {}, 1);
  const dir = positionals[0];
  if (!dir) throw new UsageError('checkconfig needs a master directory');
  const r = await tryLoadConfig(dir);
  for (const w of r.warnings ?? []) println(io.stderr, `warning: ${formatIssue(w)}`);
  if (!r.config) {
    println(io.stderr, `${r.file ?? dir}: ${r.issues.length} error${r.issues.length === 1 ? '' : 's'}:`);
    for (const issue of r.issues) println(io.stderr, `  ${formatIssue(issue)}`);
    return 1;
  }
  const c = r.config;
  println(io.stdout, `${r.file} is good: ${c.workers.length} worker(s), ${c.builders.length} builder(s), ${c.schedulers.length} scheduler(s), ${c.changeSources.length} change source(s)`);
  return 0;
}
