/** Runs Debian's `buildbot sendchange` (3.7) and collects its exit code and output. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';

export const BUILDBOT_BIN = '/usr/bin/buildbot';

/** The reason to skip when Debian's buildbot is not installed, else false. */
export const buildbotMissing = existsSync(BUILDBOT_BIN) ? false : 'Debian buildbot is not installed (apt-get install buildbot)';

export async function sendchange(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(BUILDBOT_BIN, ['sendchange', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => out.push(d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, output: Buffer.concat(out).toString() };
}
