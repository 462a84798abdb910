/**
 * Scenario 7: polling many repositories. N local bare repositories (copies of one seeded repository)
 * are mirrored by the mirror poller (packages/master/src/changes/mirror) on a real SQLite data layer.
 * Cycle 1 creates the mirrors (reported, no target); cycle 2 finds nothing new (targets: <= 5 s, and
 * at most 2 ms of the poller's own CPU per repository, which holds where the wall time does not);
 * then one repository gets a new commit and cycle 3 must turn it into exactly one Change.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchOptions, Scenario } from '../types.js';
import { withScratchDir } from '../support/cleanup.js';
import { spawnLimit } from '../support/limits.js';

const mirrorModule = new URL('../../packages/master/dist/changes/mirror/index.js', import.meta.url).pathname;

function git(args: string[], cwd?: string): string {
  return execFileSync('git', args, {
    cwd, encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'bench', GIT_AUTHOR_EMAIL: 'bench@example.org', GIT_COMMITTER_NAME: 'bench', GIT_COMMITTER_EMAIL: 'bench@example.org', GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' },
  }).trim();
}

/** One seeded bare repository with a commit on main, copied N times (copying is much faster than N inits). */
function makeRepos(root: string, n: number): string {
  const work = join(root, 'seed-work');
  mkdirSync(work, { recursive: true });
  git(['init', '-q', '-b', 'main', work]);
  git(['commit', '-q', '--allow-empty', '-m', 'seed'], work);
  const seed = join(root, 'seed.git');
  git(['clone', '-q', '--bare', work, seed]);
  const repos = join(root, 'repos');
  mkdirSync(repos);
  for (let i = 0; i < n; i++) cpSync(seed, join(repos, `r${String(i).padStart(4, '0')}.git`), { recursive: true });
  return repos;
}

export const polling: Scenario = {
  id: 7,
  name: 'polling (mirror poller)',
  async run(opts: BenchOptions) {
    if (!existsSync(mirrorModule)) throw new Error('not runnable: the mirror poller (packages/master/dist/changes/mirror) is not built');
    const n = opts.quick ? 20 : 500;
    return withScratchDir(join(opts.tmpDir, 's7'), async (c, root) => {
      const repos = makeRepos(root, n);
      const masterDir = join(root, 'master');
      mkdirSync(masterDir);
      const { MirrorPoller } = await import(mirrorModule);
      const { openDatabase } = await import('../../packages/master/dist/db/index.js');
      const { DataConnector } = await import('../../packages/master/dist/data/index.js');
      const { InProcessMessageQueue } = await import('../../packages/master/dist/mq/bus.js');
      const db = await openDatabase('sqlite:state.sqlite', { baseDir: masterDir });
      c.add(() => db.close());
      const data = new DataConnector(db, new InProcessMessageQueue());
      await data.updates.masterActive('bench');
      let changes = 0;
      const updates = {
        addChange: async (ch: any) => { changes++; return data.updates.addChange(ch); },
        getState: data.updates.getState.bind(data.updates),
        setState: data.updates.setState.bind(data.updates),
      };
      const poller = new MirrorPoller({ name: 'bench', glob: join(repos, '*.git'), pollAtLaunch: false, pollInterval: 3600 }, { updates, masterDir });
      c.add(() => poller.stop());

      const timeCycle = async () => {
        const t0 = performance.now();
        const cpu0 = process.cpuUsage();
        const status = await poller.poll();
        const cpu = process.cpuUsage(cpu0);
        if (status.errors) throw new Error(`${status.errors} repositories failed to poll: ${JSON.stringify(poller.status().repositories.find((r: any) => r.lastError))}`);
        // The poller's own CPU (this process, all threads): git's processes are the repositories' cost, not the master's.
        return { seconds: (performance.now() - t0) / 1000, cpuMs: (cpu.user + cpu.system) / 1000, status };
      };
      const first = await timeCycle();
      const quiet = await timeCycle();
      const target = join(repos, 'r0000.git');
      const head = git(['--git-dir', target, 'rev-parse', 'refs/heads/main']);
      const next = git(['--git-dir', target, 'commit-tree', `${head}^{tree}`, '-p', head, '-m', 'bench change']);
      git(['--git-dir', target, 'update-ref', 'refs/heads/main', next, head]);
      const before = changes;
      const moved = await timeCycle();
      if (changes - before !== 1) throw new Error(`the cycle after one new commit emitted ${changes - before} changes; expected 1`);
      // A quiet repository costs one `git ls-remote`: what one spawn costs a Node process is its floor.
      const spawn = await spawnLimit({ processes: 1, concurrency: 8, count: Math.max(50, n) });
      return {
        metrics: [
          { name: 'no-change cycle: master CPU per repository', value: quiet.cpuMs / n, unit: 'ms', target: { value: 2, better: 'lower' } },
          { name: 'no-change cycle: master CPU per repository over the same-run CPU of one spawn', value: quiet.cpuMs / n / spawn.cpuMsPerSpawn, unit: 'ratio', better: 'lower' },
          { name: 'same-run limit: CPU of one spawn of `true` (the spawning Node process)', value: spawn.cpuMsPerSpawn, unit: 'ms', better: 'lower' },
          { name: 'cycle with one changed repo: master CPU per repository', value: moved.cpuMs / n, unit: 'ms', better: 'lower' },
          { name: `no-change cycle, ${n} repos`, value: quiet.seconds, unit: 's', target: { value: 5, better: 'lower' } },
          { name: 'cycle with one changed repo', value: moved.seconds, unit: 's', better: 'lower' },
          { name: 'first cycle (creating the mirrors)', value: first.seconds, unit: 's', better: 'lower' },
        ],
        params: { repositories: n, polledInQuietCycle: quiet.status.repositories, concurrency: 'default (8)', discovery: 'glob over local bare repositories', changesInFirstCycle: first.status.changes },
        notes: [
          'MirrorPoller driven directly (poll()) on a real SQLite data layer, outside a master process; git is the system git',
          'master CPU = user + system time of the process running the poller (process.cpuUsage, all threads) during the cycle; the git processes it runs are not counted',
        ],
      };
    });
  },
};
