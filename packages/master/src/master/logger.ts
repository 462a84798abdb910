/**
 * The master's own log, as `mastro start` sets it up:
 * - under `mastro start` (the daemon child): JSON lines into `mastro.log`, rotated by size with the
 *   config's `log.rotateLength` / `log.maxRotatedFiles` (Buildbot's buildbot.tac options) and reopened
 *   on SIGUSR1 (an external logrotate);
 * - with `--foreground`: standard output, as pretty coloured lines on a terminal and JSON otherwise
 *   (a pipe, the journal under systemd); env MASTRO_LOG_FORMAT=json|pretty overrides the choice,
 *   NO_COLOR turns the colours off.
 * Either way through the LogDestination, which never blocks nor throws (log-destination.ts).
 */
import { pino, type Logger } from 'pino';
import { RotatingLogFile, type RotationOptions } from 'mastro-protocol/rotating-log-file';
import { defaultMasterLogDestination, type LogDestination } from './log-destination.js';
import { PrettyStream } from './log-pretty.js';

export interface MasterLog {
  logger: Logger;
  destination: LogDestination;
  /** The rotated file, or null on standard output. */
  file: RotatingLogFile | null;
  /** Applies the config's `log` options (at start and at each reconfig). */
  configure(o: RotationOptions): void;
  /** Reopens the file (SIGUSR1); false when logging to standard output. */
  reopen(): boolean;
}

export interface MasterLogOptions {
  /** Write to this file (rotated) instead of standard output. */
  file?: string;
  /** Standard output is a terminal (pretty lines unless MASTRO_LOG_FORMAT says json). */
  tty?: boolean;
  env?: NodeJS.ProcessEnv;
}

export function createMasterLog(o: MasterLogOptions = {}): MasterLog {
  const env = o.env ?? process.env;
  // Rotation waits for the config; until then the defaults, so a huge file is rotated at once.
  const file = o.file ? new RotatingLogFile(o.file) : null;
  const destination = defaultMasterLogDestination(env, file ?? undefined);
  const format = env.MASTRO_LOG_FORMAT === 'json' || env.MASTRO_LOG_FORMAT === 'pretty' ? env.MASTRO_LOG_FORMAT : !file && o.tty ? 'pretty' : 'json';
  const color = format === 'pretty' && !!o.tty && !env.NO_COLOR;
  const stream = format === 'pretty' ? new PrettyStream(destination, color) : destination;
  const logger = pino({ level: env.MASTRO_LOG_LEVEL ?? 'info' }, stream);
  return {
    logger, destination, file,
    configure: (r) => file?.configure(r),
    reopen: () => { if (!file) return false; destination.reopen(); return true; },
  };
}
