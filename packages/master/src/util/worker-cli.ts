/**
 * Where the mastro-worker CLI is, for the master's own worker processes (`mastro quickstart`,
 * `latent.local`): the installed `mastro-worker` package, else the monorepo checkout beside this one.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function workerCli(): string {
  try {
    return join(dirname(fileURLToPath(import.meta.resolve('mastro-worker/package.json'))), 'dist', 'cli.js');
  } catch {
    return resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'worker', 'dist', 'cli.js');
  }
}
