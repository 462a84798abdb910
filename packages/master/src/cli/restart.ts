/** `mastro restart DIR [--timeout S]`: a graceful stop (if running), then a daemon start. */
import { join } from 'node:path';
import { masterDirArg, parse, println, seconds, type Io } from './io.js';
import { stopMaster, DEFAULT_STOP_TIMEOUT_S } from './stop.js';
import { describeReady, startDaemon } from './start.js';
import { LOG_FILE } from './pidfile.js';

export async function run(argv: string[], io: Io): Promise<number> {
  const { positionals, values } = parse(argv, { timeout: { type: 'string' } }, 1);
  const dir = masterDirArg(positionals[0], 'restart');
  await stopMaster(dir, seconds(values.timeout, DEFAULT_STOP_TIMEOUT_S, 'timeout'), io);
  const info = await startDaemon(dir, 120);
  for (const line of describeReady(info)) println(io.stdout, line);
  println(io.stdout, `  log: ${join(dir, LOG_FILE)}`);
  return 0;
}
