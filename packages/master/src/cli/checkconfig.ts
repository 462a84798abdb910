/**
 * `mastro checkconfig DIR|FILE`: loads the config of a master directory, or a config file named
 * directly (as `buildbot checkconfig master.cfg` takes one), and prints every mistake with its path
 * (exit 1).
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tryLoadConfig } from '../config/load.js';
import { formatIssueAt } from '../model/config-errors.js';
import { CliError, parse, println, UsageError, type Io } from './io.js';

/** Config files mastro can load; anything else named on the command line is refused with a hint. */
const CONFIG_FILE = /\.(m?[jt]s|ya?ml)$/;

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals } = parse(argv, {}, 1);
  const arg = positionals[0];
  if (!arg) throw new UsageError('checkconfig needs a master directory');
  const target = resolve(arg);
  let isFile: boolean;
  try { isFile = statSync(target).isFile(); } catch {
    throw new CliError(`${target} does not exist; give a master directory (create one with 'mastro create-master DIR') or its config file`);
  }
  if (isFile && !CONFIG_FILE.test(target)) {
    throw new CliError(/\.(cfg|py)$/.test(target)
      ? `${target} looks like a Buildbot (Python) config; mastro reads master.config.ts, .js or .yaml: write one with the same workers, builders and schedulers ('mastro create-master DIR' writes a commented sample)`
      : `${target} is not a config file mastro reads: give a master directory or a .ts, .js, .mjs or .yaml config file`);
  }
  const r = isFile ? await tryLoadConfig(dirname(target), target) : await tryLoadConfig(target);
  for (const w of r.warnings ?? []) println(io.stderr, `warning: ${formatIssueAt(w)}`);
  if (!r.config) {
    println(io.stderr, `${r.file ?? target}: ${r.issues.length} error${r.issues.length === 1 ? '' : 's'}:`);
    for (const issue of r.issues) println(io.stderr, `  ${formatIssueAt(issue)}`);
    return 1;
  }
  const c = r.config;
  println(io.stdout, `${r.file} is good: ${c.workers.length} worker(s), ${c.builders.length} builder(s), ${c.schedulers.length} scheduler(s), ${c.changeSources.length} change source(s)`);
  return 0;
}
