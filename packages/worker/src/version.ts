/** The worker's version, as reported to the master in `get_worker_info`. */
import { readFileSync } from 'node:fs';

export const WORKER_VERSION: string = (() => {
  try { return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version; } catch { return '0.0.0'; }
})();
