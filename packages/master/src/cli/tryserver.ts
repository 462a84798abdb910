/**
 * `mastro tryserver --jobdir DIR`: the master-host end of `buildbot try --connect=ssh` and
 * `mastro try --connect=ssh` (same command line as Buildbot's `buildbot tryserver`). Reads one job
 * file from stdin and delivers it the maildir way: written to DIR/tmp, then renamed into DIR/new,
 * so the tryJobdir scheduler never sees half a file.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, UsageError, parse, type Io } from './io.js';

/** Jobs above this are refused (the scheduler's maxJobBytes applies too). */
const DEFAULT_MAX_JOB_BYTES = 10 * 1024 * 1024;

async function readAll(stream: NodeJS.ReadableStream, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > limit) throw new CliError(`the job on stdin is larger than --max-job-bytes ${limit}; send a smaller patch or raise the limit`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { jobdir: { type: 'string' }, 'max-job-bytes': { type: 'string' } }, 0);
  const raw = values.jobdir;
  if (typeof raw !== 'string' || !raw) throw new UsageError('--jobdir is required: the jobdir of the master\'s tryJobdir scheduler');
  const jobdir = raw === '~' || raw.startsWith('~/') ? join(homedir(), raw.slice(1)) : raw;
  const limitText = values['max-job-bytes'];
  const limit = typeof limitText === 'string' ? Number(limitText) : DEFAULT_MAX_JOB_BYTES;
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--max-job-bytes takes a positive number of bytes, got ${JSON.stringify(limitText)}`);
  for (const sub of ['tmp', 'new']) {
    if (!existsSync(join(jobdir, sub))) throw new CliError(`${join(jobdir, sub)} does not exist: is ${jobdir} the jobdir of a tryJobdir scheduler? (the master creates tmp, new and cur when it starts)`);
  }
  const job = await readAll(io.stdin, limit);
  if (!job.length) throw new CliError('no job on stdin: pipe a job file into mastro tryserver (buildbot try --connect=ssh does)');
  // A unique name without coordination: time, process and content (Buildbot uses time and MD5).
  const name = `${(Date.now() / 1000).toFixed(6)}-${process.pid}-${createHash('sha256').update(job).digest('hex').slice(0, 32)}`;
  const tmp = join(jobdir, 'tmp', name);
  try {
    await writeFile(tmp, job, { flag: 'wx' });
    await rename(tmp, join(jobdir, 'new', name));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`cannot deliver the job into ${jobdir}: ${(err as Error).message}`);
  }
  io.stdout.write(`job delivered as ${join(jobdir, 'new', name)}\n`);
  return 0;
}
