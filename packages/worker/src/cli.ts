#!/usr/bin/env node
/**
 * mastro-worker CLI:
 *   mastro-worker create-worker DIR MASTER NAME PASSWORD [options]
 *   mastro-worker create-worker DIR MASTER --pool POOL --token-file FILE [--name NAME] [options]
 *   mastro-worker start DIR [--foreground] [--wait S]   (Buildbot's latent-worker variables: start-config.ts)
 *   mastro-worker stop DIR [--wait S]
 */
import { existsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTagList, poolNameProblem, silentLogger, TagError } from 'mastro-protocol';
import { CONFIG_DEFAULTS, ConfigError, writeWorkerConfig, WORKER_CONFIG_FILE } from './config.js';
import { checkNotRunning, LOG_FILE, removePidFile, startDaemon, stopDaemon, writePidFile, type DaemonMessage } from './daemon.js';
import { openWorkerLogFile, type WorkerLogFile } from './log-file.js';
import { lineLogger } from './logger.js';
import { masterUrl, MasterAddressError } from './master-address.js';
import { removeNpmVariables } from './process/npm-env.js';
import { scrubEnvironment } from './latent-env.js';
import { prepareStart, writeInfoFiles } from './start-config.js';
import { readTokenFile } from './token-file.js';
import { generatedWorkerName } from './worker-name.js';
import { startWorker } from './worker.js';
import { WORKER_VERSION } from './version.js';

const USAGE = `usage:
  mastro-worker create-worker DIR MASTER NAME PASSWORD [options]
  mastro-worker create-worker DIR MASTER --pool POOL --token-file FILE [--name NAME] [options]
    options: [--tags k=v,k2=v2,flag] [--json] [--keepalive S] [--maxdelay S] [--kill-grace S]
             [--allow-paths-outside-basedir] [--admin TEXT] [--host TEXT] [--umask OCT] [--force]
             [--log-size BYTES] [--log-count N|None]   (worker.log rotation; 10000000 and 10, as buildbot-worker)
  mastro-worker start DIR [--foreground] [--wait S]
  mastro-worker stop DIR [--wait S]
  mastro-worker --version
MASTER is host:port (as buildbot-worker takes it) or a ws:// / wss:// URL.
A pool worker joins the master's workerPool POOL with the token in FILE (kept there, not copied); its name
defaults to one made from the host name, kept in DIR. With Buildbot's latent-worker variables set (BUILDMASTER,
BUILDMASTER_PORT, WORKERNAME, WORKERPASS; MASTRO_WORKER_POOL, MASTRO_WORKER_TOKEN_FILE, MASTRO_WORKER_TAGS),
start sets DIR up from them, so a container needs no create-worker.
exit status: 0 done; 1 failed, or the directory or worker named does not exist; 2 wrong usage (as mastro's).`;

class UsageError extends Error {}

const FLAGS = new Set(['--json', '--allow-paths-outside-basedir', '--foreground', '--daemon-child', '--force']);
const VALUED = new Set(['--keepalive', '--maxdelay', '--kill-grace', '--admin', '--host', '--umask', '--wait', '--pool', '--token-file', '--name', '--tags', '--log-size', '--log-count']);

function parse(argv: string[]): { positional: string[]; flags: Set<string>; values: Map<string, string> } {
  const positional: string[] = []; const flags = new Set<string>(); const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith('--')) {
      const [key, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
      if (FLAGS.has(key)) flags.add(key);
      else if (VALUED.has(key)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`${key} needs a value`);
        values.set(key, v);
      } else throw new UsageError(`unknown option ${key}`);
    } else positional.push(a);
  }
  return { positional, flags, values };
}

function seconds(values: Map<string, string>, key: string): number | undefined {
  const v = values.get(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${key} must be a number of seconds, got "${v}"`);
  return n;
}

/** `--log-size` / `--log-count`: a whole number, or (as buildbot-worker takes it) `None` for no limit. */
function rotationValue(values: Map<string, string>, key: string, min: number, fallback: number | null): number | null {
  const v = values.get(key);
  if (v === undefined) return fallback;
  if (v === 'None') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${key} must be a whole number >= ${min} or None, got "${v}"`);
  return n;
}

/** The name and secret of the worker `create-worker` makes: named (NAME PASSWORD) or pool (--pool, --token-file, --name). */
function identity(args: ReturnType<typeof parse>): { name: string; password?: string; pool?: string; tokenFile?: string } {
  const [, , name, password, ...extra] = args.positional;
  const pool = args.values.get('--pool');
  if (pool === undefined) {
    for (const opt of ['--token-file', '--name']) if (args.values.has(opt)) throw new UsageError(`${opt} is for pool workers; give --pool POOL too`);
    if (!name || password === undefined) throw new UsageError('create-worker needs DIR MASTER NAME PASSWORD (or DIR MASTER --pool POOL --token-file FILE)');
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    if (name.includes(':')) throw new UsageError(`worker name "${name}" may not contain ':' (HTTP Basic auth cannot carry it)`);
    return { name, password };
  }
  if (name !== undefined) throw new UsageError(`a pool worker takes no NAME PASSWORD arguments ("${name}"): its name is --name (default: made from the host name) and its token is in --token-file`);
  const poolProblem = poolNameProblem('pool name', pool);
  if (poolProblem) throw new UsageError(`--pool: ${poolProblem}`);
  const tokenFile = args.values.get('--token-file');
  if (tokenFile === undefined) throw new UsageError('a pool worker needs --token-file FILE, the file holding the pool\'s token (it is read at each start, never copied)');
  const own = args.values.get('--name') ?? generatedWorkerName(os.hostname());
  const nameProblem = poolNameProblem('worker name', own);
  if (nameProblem) throw new UsageError(`--name: ${nameProblem}`);
  const absolute = path.resolve(tokenFile);
  readTokenFile(absolute); // refuse a missing, empty or world-readable file now, before anything is written
  return { name: own, pool, tokenFile: absolute };
}

function createWorker(args: ReturnType<typeof parse>): number {
  const [dir, master] = args.positional;
  if (!dir || !master) throw new UsageError('create-worker needs DIR MASTER NAME PASSWORD (or DIR MASTER --pool POOL --token-file FILE)');
  const who = identity(args);
  try { masterUrl(master); } catch (err) { if (err instanceof MasterAddressError) throw new UsageError(err.message); throw err; }
  let tags: string[];
  try { tags = parseTagList(args.values.get('--tags') ?? ''); } catch (err) { if (err instanceof TagError) throw new UsageError(`--tags: ${err.message}`); throw err; }
  const basedir = path.resolve(dir);
  if (existsSync(path.join(basedir, WORKER_CONFIG_FILE)) && !args.flags.has('--force')) {
    throw new UsageError(`${basedir} already holds a worker (${WORKER_CONFIG_FILE}); pass --force to overwrite it`);
  }
  const umask = args.values.get('--umask');
  if (umask !== undefined && !/^0?[0-7]{1,3}$/.test(umask)) throw new UsageError(`--umask must be octal, e.g. 022`);
  // Every argument is checked before the directory is made: a mistake leaves nothing behind.
  const options = {
    master, ...who, tags,
    encoding: args.flags.has('--json') ? 'json' as const : 'msgpack' as const,
    keepalive: seconds(args.values, '--keepalive') ?? 60,
    maxdelay: seconds(args.values, '--maxdelay') ?? 30,
    killGrace: seconds(args.values, '--kill-grace') ?? 5,
    allowPathsOutsideBasedir: args.flags.has('--allow-paths-outside-basedir'),
    umask: umask === undefined ? null : parseInt(umask, 8),
    rotateLength: rotationValue(args.values, '--log-size', 1, CONFIG_DEFAULTS.rotateLength),
    maxRotatedFiles: rotationValue(args.values, '--log-count', 0, CONFIG_DEFAULTS.maxRotatedFiles),
  };
  const { admin, host } = writeInfoFiles(basedir, { admin: args.values.get('--admin'), host: args.values.get('--host') });
  const config = writeWorkerConfig(basedir, options);
  const as = who.pool ? `'${who.name}' in pool '${who.pool}' (token read from ${who.tokenFile} at each start)` : `'${who.name}'`;
  console.log(`worker created in ${basedir}: connects to ${config.master} as ${as} (${config.encoding})${tags.length ? `, tags ${tags.join(',')}` : ''}`);
  console.log(`edit ${admin} and ${host} to describe it, then run: mastro-worker start ${basedir}`);
  return 0;
}

async function runForeground(basedir: string, daemonChild: boolean): Promise<number> {
  // In the background the worker writes (and rotates) worker.log itself, once worker.json says how.
  let logFile: WorkerLogFile | null = null;
  const log = lineLogger((text) => (logFile ? logFile.write(text) : process.stdout.write(text)));
  const { config, credentials, notes } = prepareStart(basedir, process.env, log);
  if (daemonChild) logFile = openWorkerLogFile(path.join(basedir, LOG_FILE), { rotateLength: config.rotateLength, maxRotatedFiles: config.maxRotatedFiles });
  // SIGUSR1 would otherwise open Node's inspector on a port: here it reopens worker.log (logrotate).
  process.on('SIGUSR1', () => { if (logFile) logFile.reopen(); else log.info('received SIGUSR1; logging to standard output, there is no log file to reopen'); });
  const running = writePidFile(basedir);
  if (running) throw new ConfigError(running);
  if (config.umask !== null) process.umask(config.umask);
  const report = (m: DaemonMessage) => { if (daemonChild && process.connected) process.send?.(m); };
  log.info(`mastro-worker ${WORKER_VERSION} starting in ${basedir} (pid ${process.pid})`);
  for (const note of notes) log.info(note);
  if (config.fromEnvironment) {
    // As Buildbot's buildbot.tac: the secret never reaches a build's environment or the worker info.
    const { removed, unsupported } = scrubEnvironment(process.env);
    if (removed.length) log.info(`removed from the environment builds get: ${removed.join(', ')} (WORKER_ENVIRONMENT_BLACKLIST)`);
    if (unsupported.length) log.warn(`WORKER_ENVIRONMENT_BLACKLIST patterns with [...] classes are not supported and were not applied: ${unsupported.join(' ')}; list those variables by name or with * and ?`);
  }
  // Builds (and the worker info the master shows) get the environment of whoever ran npm, not npm's.
  const npm = removeNpmVariables(process.env);
  if (npm.removed.length || npm.pathEntriesRemoved) {
    log.info(`started through npm: builds do not get npm's variables (${npm.removed.join(', ')}) nor the ${npm.pathEntriesRemoved} ` +
      `directories npm put in front of PATH; set a variable a build needs in its step's env`);
  }
  writeFileSync(path.join(basedir, 'twistd.hostname'), `${os.hostname()}\n`);
  const worker = await startWorker({
    basedir, master: config.master, name: credentials.name, password: credentials.password, pool: credentials.pool,
    credentialsSource: credentials.source, tags: config.tags, encoding: config.encoding,
    pingIntervalMs: config.keepalive ? config.keepalive * 1000 : null,
    backoff: { maxMs: config.maxdelay * 1000 },
    killGraceMs: config.killGrace * 1000,
    allowPathsOutsideBasedir: config.allowPathsOutsideBasedir,
    maxUpdatesInFlight: config.maxUpdatesInFlight, maxUpdateSize: config.maxUpdateSize, updateLingerMs: config.updateLingerMs,
    log,
    onAttemptFailed: (r) => report({ type: 'failed', message: r.message, fatal: r.status === 401 || r.status === 403 }),
  });
  worker.firstConnection.then(() => { report({ type: 'attached' }); if (process.connected) process.disconnect?.(); });
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      log.info(`${sig} received: finishing running commands, then exiting (send it again to interrupt them)`);
      void worker.stop({ graceful: true });
    } else {
      log.info(`${sig} received again: interrupting running commands`);
      void worker.stop({ graceful: false });
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await worker.stopped;
  removePidFile(basedir);
  log.info('worker stopped');
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') { console.log(USAGE); return command ? 0 : 2; }
  if (command === '--version') { console.log(WORKER_VERSION); return 0; }
  if (rest.includes('--help') || rest.includes('-h')) { console.log(USAGE); return 0; }
  const args = parse(rest);
  switch (command) {
    case 'create-worker': return createWorker(args);
    case 'start': {
      const dir = args.positional[0];
      if (!dir) throw new UsageError('start needs DIR');
      const basedir = path.resolve(dir);
      if (args.flags.has('--foreground') || args.flags.has('--daemon-child')) return runForeground(basedir, args.flags.has('--daemon-child'));
      prepareStart(basedir, process.env, silentLogger); // report a bad directory here, not in the background
      const notRunning = checkNotRunning(basedir);
      if (notRunning) throw new ConfigError(notRunning);
      return startDaemon(basedir, fileURLToPath(import.meta.url), [], (seconds(args.values, '--wait') ?? 10) * 1000);
    }
    case 'stop': {
      const dir = args.positional[0];
      if (!dir) throw new UsageError('stop needs DIR');
      return stopDaemon(path.resolve(dir), (seconds(args.values, '--wait') ?? 60) * 1000);
    }
    default: throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  if (err instanceof UsageError) { console.error(`mastro-worker: ${err.message}\n${USAGE}`); process.exitCode = 2; }
  else if (err instanceof ConfigError) { console.error(`mastro-worker: ${err.message}`); process.exitCode = 1; }
  else { console.error(`mastro-worker: ${(err as Error).stack ?? err}`); process.exitCode = 1; }
});
