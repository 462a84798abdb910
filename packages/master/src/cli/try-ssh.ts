/**
 * `mastro try --connect=ssh`: delivers a try job the way `buildbot try --connect=ssh` does, by
 * running `ssh [-l USER] [-p PORT] HOST <buildbotbin> tryserver --jobdir DIR` with the job file
 * (Buildbot's version 6 format) on its stdin. The master's tryJobdir scheduler picks it up.
 * There is no way back over this channel, so --wait is not available (as in Buildbot).
 */
import { spawn } from 'node:child_process';
import { CliError } from './io.js';

export interface SshTarget {
  host: string;
  port?: string;
  username?: string;
  jobdir: string;
  /** The command that runs mastro on the master host. Default 'mastro'. */
  buildbotbin: string;
  /** The ssh command, split on whitespace (e.g. 'ssh -i ~/.ssh/try_key'). Default 'ssh'. */
  ssh: string;
  /** Seconds the ssh command may take. */
  timeoutS: number;
}

export function sshArgv(t: SshTarget): string[] {
  const argv = t.ssh.trim().split(/\s+/);
  if (t.username) argv.push('-l', t.username);
  if (t.port) argv.push('-p', t.port);
  argv.push(t.host, t.buildbotbin, 'tryserver', '--jobdir', t.jobdir);
  return argv;
}

/** Runs ssh with the job on stdin; resolves with what the remote tryserver printed. */
export function deliverViaSsh(job: Buffer, t: SshTarget): Promise<string> {
  const [cmd, ...args] = sshArgv(t);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: t.timeoutS * 1000 });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdin.on('error', () => undefined); // an early exit is reported below, with its stderr
    child.once('error', (e) => reject(new CliError(`cannot run ${cmd}: ${e.message}; give the ssh command with --ssh`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve(out.trim());
      else reject(new CliError(`delivering the job with '${[cmd, ...args].join(' ')}' failed (${signal ? `signal ${signal}` : `exit code ${code}`}): ${err.trim() || out.trim() || 'no output'}`));
    });
    child.stdin.end(job);
  });
}
