/**
 * `mastro try`: sends the diff of a working tree against its base revision to a try scheduler
 * (schedulers.tryUserpass) and, with --wait, follows the builds to their result.
 *
 * The base is `git merge-base HEAD <base-ref>` (base-ref: --base-ref, else the current branch's
 * upstream, else HEAD), so commits not pushed yet are part of the patch; the diff is `git diff
 * --binary <base>` of tracked files (staged and unstaged). The build checks out the base and
 * applies the patch, so the base must exist in the repository the master builds from.
 *
 * With --connect=ssh the job goes to a tryJobdir scheduler instead, through `ssh HOST mastro
 * tryserver --jobdir DIR` (./try-ssh.ts), as with `buildbot try --connect=ssh`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { CliError, UsageError, parse, println, seconds, type Io } from './io.js';
import type { TryRequest, TryStatus, TrySubmitted } from '../schedulers/try-protocol.js';
import { resultName } from '../model/results.js';
import { formatJobFile } from '../schedulers/try-jobfile.js';
import { deliverViaSsh } from './try-ssh.js';

const run = promisify(execFile);

const OPTIONS = {
  master: { type: 'string' }, username: { type: 'string', short: 'u' }, password: { type: 'string' }, passwd: { type: 'string' },
  builder: { type: 'string', short: 'b', multiple: true }, 'base-ref': { type: 'string' }, baserev: { type: 'string' },
  branch: { type: 'string' }, repository: { type: 'string' }, codebase: { type: 'string' }, project: { type: 'string' },
  who: { type: 'string' }, comment: { type: 'string', short: 'm' }, property: { type: 'string', multiple: true },
  dir: { type: 'string', short: 'C' }, wait: { type: 'boolean' }, timeout: { type: 'string' }, 'max-patch-bytes': { type: 'string' },
  // --connect=ssh (Buildbot's names): ssh to --host and run `<buildbotbin> tryserver --jobdir DIR` there.
  connect: { type: 'string', short: 'c' }, host: { type: 'string' }, port: { type: 'string' }, jobdir: { type: 'string' },
  buildbotbin: { type: 'string' }, ssh: { type: 'string' },
} as const;

/** Patches above this are refused before sending (the server has its own limit). */
const DEFAULT_MAX_PATCH_BYTES = 10 * 1024 * 1024;
const POLL_MS = 500;

async function git(dir: string, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('git', args, { cwd: dir, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
    return (stdout as unknown as Buffer).toString('latin1');
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new CliError(`git ${args.join(' ')} failed in ${dir}: ${(e.stderr?.toString() || e.message).trim()}`);
  }
}

async function gitOk(dir: string, ...args: string[]): Promise<string | null> {
  try { return (await run('git', args, { cwd: dir })).stdout.trim(); } catch { return null; }
}

function str(v: string | boolean | string[] | undefined): string | undefined { return typeof v === 'string' ? v : undefined; }

export async function run_(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, OPTIONS as never, 0) as unknown as { values: Record<string, string | boolean | string[] | undefined> };
  const connect = str(values.connect) ?? 'http';
  if (connect !== 'http' && connect !== 'ssh') throw new UsageError(`--connect is 'http' (a tryUserpass scheduler, the default) or 'ssh' (a tryJobdir scheduler), got ${JSON.stringify(connect)}`);
  const viaSsh = connect === 'ssh';
  let baseUrl: URL | undefined;
  const username = str(values.username);
  const password = str(values.password) ?? str(values.passwd) ?? process.env.MASTRO_TRY_PASSWORD;
  if (viaSsh) {
    if (!str(values.host) || !str(values.jobdir)) throw new UsageError('--connect=ssh needs --host (the master host) and --jobdir (the tryJobdir scheduler\'s jobdir there)');
    if (values.wait) throw new UsageError('--wait is not available with --connect=ssh (the job file has no way back); follow the build in the web UI');
  } else {
    const master = str(values.master);
    if (!master) throw new UsageError('--master is required: the URL of the try scheduler, e.g. http://ci.example.org:8031 (or use --connect=ssh)');
    try { baseUrl = new URL(/^https?:\/\//.test(master) ? master : `http://${master}`); } catch { throw new UsageError(`--master ${JSON.stringify(master)} is not a URL or host:port`); }
    if (!username || password === undefined) throw new UsageError('--username and --password (or env MASTRO_TRY_PASSWORD) are required');
  }
  const dir = str(values.dir) ?? process.cwd();
  const timeoutS = seconds(values.timeout as string | undefined, 3600, 'timeout');
  const maxPatch = values['max-patch-bytes'] !== undefined ? Number(values['max-patch-bytes']) : DEFAULT_MAX_PATCH_BYTES;

  const top = await gitOk(dir, 'rev-parse', '--show-toplevel');
  if (!top) throw new CliError(`${dir} is not inside a git working tree; run mastro try from your checkout or give -C DIR`);
  let base = str(values.baserev);
  if (!base) {
    const ref = str(values['base-ref']) ?? (await gitOk(top, 'rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}')) ?? 'HEAD';
    base = (await gitOk(top, 'merge-base', 'HEAD', ref)) ?? undefined;
    if (!base) throw new CliError(`no merge base between HEAD and ${ref}; give --baserev REV (a commit the master's repository has)`);
  }
  const diff = Buffer.from(await git(top, 'diff', '--binary', '--full-index', base), 'latin1');
  if (!diff.length) throw new CliError(`no difference between the working tree and base ${base.slice(0, 12)}: nothing to try`);
  if (diff.length > maxPatch) throw new CliError(`the patch is ${diff.length} bytes, more than --max-patch-bytes ${maxPatch}`);
  const branch = str(values.branch) ?? (await gitOk(top, 'rev-parse', '--abbrev-ref', '@{upstream}'))?.replace(/^[^/]+\//, '') ?? null;

  const properties: Record<string, string> = {};
  for (const p of (values.property as string[] | undefined) ?? []) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--property takes NAME=VALUE, got ${JSON.stringify(p)}`);
    properties[p.slice(0, eq)] = p.slice(eq + 1);
  }
  const job: TryRequest = {
    who: str(values.who) ?? username, comment: str(values.comment), builderNames: (values.builder as string[] | undefined) ?? undefined, properties,
    sourcestamps: [{ codebase: str(values.codebase) ?? '', repository: str(values.repository), branch, revision: base, project: str(values.project), patch: { level: 1, body: diff.toString('base64') } }],
  };
  if (viaSsh) {
    const jobid = `${Date.now()}-${process.pid}`;
    const jobfile = formatJobFile({
      jobid, branch, baserev: base, patchLevel: 1, patchBody: diff, repository: str(values.repository) ?? '', project: str(values.project) ?? '',
      who: job.who ?? '', comment: job.comment ?? '', builderNames: job.builderNames ?? [], properties,
    });
    await deliverViaSsh(jobfile, {
      host: str(values.host)!, port: str(values.port), username, jobdir: str(values.jobdir)!,
      buildbotbin: str(values.buildbotbin) ?? 'mastro', ssh: str(values.ssh) ?? 'ssh', timeoutS: Math.min(timeoutS, 600),
    });
    println(io.stdout, `try job ${jobid} delivered to ${str(values.host)}:${str(values.jobdir)} (base ${base.slice(0, 12)}, patch ${diff.length} bytes)`);
    return 0;
  }
  const auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(new URL(path, baseUrl!), { method, headers: { authorization: auth, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
    } catch (err) { throw new CliError(`cannot reach the try scheduler at ${baseUrl!.origin}: ${(err as Error).message}`); }
    const text = await res.text();
    let parsed: any;
    try { parsed = JSON.parse(text); } catch { parsed = { error: text.slice(0, 200) }; }
    if (!res.ok) throw new CliError(`the try scheduler refused the job (HTTP ${res.status}): ${parsed?.error ?? text}`);
    return parsed as T;
  };
  const sent = await call<TrySubmitted>('POST', '/try', job);
  println(io.stdout, `try job submitted: buildset ${sent.bsid} on ${sent.builderNames.join(', ')} (base ${base.slice(0, 12)}, patch ${diff.length} bytes)`);
  if (!values.wait) return 0;

  const deadline = Date.now() + timeoutS * 1000;
  const reported = new Set<number>();
  for (;;) {
    const st = await call<TryStatus>('GET', `/try/buildsets/${sent.bsid}`);
    for (const r of st.requests) {
      if (r.complete && !reported.has(r.buildrequestid)) { reported.add(r.buildrequestid); println(io.stdout, `${r.builderName}: ${resultName(r.results)}`); }
    }
    if (st.complete) {
      println(io.stdout, `try job ${sent.bsid}: ${resultName(st.results)}`);
      return st.results === 0 || st.results === 1 ? 0 : 1;
    }
    if (Date.now() > deadline) throw new CliError(`the try job did not finish within ${timeoutS} s (buildset ${sent.bsid} keeps running on the master)`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

export { run_ as run };
