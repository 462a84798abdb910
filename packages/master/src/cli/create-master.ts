/**
 * `mastro create-master DIR [--db URL] [--title T]`: a new master directory with a commented,
 * runnable sample config. Refuses to touch a directory that already has a config.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { findConfigFile } from '../config/load.js';
import { DEFAULTS } from '../config/defaults.js';
import { CliError, parse, println, UsageError, type Io } from './io.js';
import { gitignore, sampleConfigTs, type SampleOptions } from './templates.js';

export function createMasterDir(dir: string, sample: Partial<SampleOptions> = {}): { dir: string; file: string; password: string } {
  const abs = resolve(dir);
  const existing = existsSync(abs) ? findConfigFile(abs) : null;
  if (existing) throw new CliError(`${existing} already exists; create-master never overwrites a config (choose another directory)`);
  mkdirSync(abs, { recursive: true });
  mkdirSync(join(abs, 'secrets'), { recursive: true, mode: 0o700 });
  const password = sample.workerPassword ?? randomBytes(12).toString('base64url');
  const file = join(abs, 'master.config.ts');
  writeFileSync(file, sampleConfigTs({
    title: 'mastro', dbUrl: DEFAULTS.dbUrl, workerName: 'worker1', httpPort: DEFAULTS.httpPort, workerPort: DEFAULTS.workerPort,
    ...sample, workerPassword: password,
  }), { flag: 'wx' });
  if (!existsSync(join(abs, '.gitignore'))) writeFileSync(join(abs, '.gitignore'), gitignore());
  return { dir: abs, file, password };
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(argv, { db: { type: 'string' }, title: { type: 'string' } }, 1);
  const dir = positionals[0];
  if (!dir) throw new UsageError('create-master needs a directory');
  const r = createMasterDir(dir, { ...(typeof values.db === 'string' ? { dbUrl: values.db } : {}), ...(typeof values.title === 'string' ? { title: values.title } : {}) });
  println(io.stdout, `created ${r.file}`);
  println(io.stdout, 'next steps:');
  println(io.stdout, `  mastro checkconfig ${dir}`);
  println(io.stdout, `  mastro start ${dir}`);
  println(io.stdout, `  mastro-worker create-worker WORKERDIR localhost:${DEFAULTS.workerPort} worker1 ${r.password}`);
  println(io.stdout, '  mastro-worker start WORKERDIR');
  return 0;
}
