/** `mastro restart DIR [--timeout S]`: a graceful stop (if running), then a daemon start. */
import { resolve, join } from 'node:path';
import { parse, println, seconds, UsageError, type Io } from './io.js';
import { stopMaster, DEFAULT_STOP_TIMEOUT_S } from './stop.js';
import { describeReady, startDaemon } from './start.js';
import { LOG_FILE } from './pidfile.js';

export const USAGE = 'mastro restart DIR [--timeout SECONDS]';

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(argv, { timeout: { type: 'string' } }, 1);
  if (!positionals[0]) throw new UsageError('restart needs a master directory');
  const dir = resolve(positionals[0]);
  await stopMaster(dir, seconds(values.timeout, DEFAULT_STOP_TIMEOUT_S, 'timeout'), io);
  const info = await startDaemon(dir, 120);
  for (const line of describeReady(info)) println(io.stdout, line);
  println(io.stdout, `  log: ${join(dir, LOG_FILE)}`);
  return 0;
}
