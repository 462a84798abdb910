/**
 * The master of compose.yaml: PostgreSQL from the `postgres` service, two workers (w1, w2) from the
 * worker services, a change hook and a force scheduler. The passwords come from the environment
 * (compose.yaml's MASTRO_WORKER_PASSWORD), not from this file. Edit it like any master config:
 * `docker compose exec master mastro checkconfig /var/lib/mastro`, then `docker compose kill -s HUP master`.
 */
import { defineConfig, worker, builder, steps, schedulers, util } from 'mastro';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set (see contrib/docker/compose.yaml)`);
  return v;
};
const password = env('MASTRO_WORKER_PASSWORD');
const workerNames = ['w1', 'w2'];

export default defineConfig({
  title: 'mastro (compose)',
  buildbotURL: env('MASTRO_BUILDBOT_URL', 'http://localhost:8010/'),
  db: { url: env('MASTRO_DB_URL') },
  protocols: { msgpack: { port: 9989 } },
  www: { port: 8010, changeHooks: { base: {} }, changeHookAuth: false },
  workers: workerNames.map((name) => worker(name, password, { maxBuilds: 2 })),
  schedulers: [
    schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['hello'] }),
    schedulers.force({ name: 'force', builderNames: ['hello'] }),
  ],
  builders: [
    builder({ name: 'hello', workerNames, collapseRequests: false, steps: [
      steps.shell({ name: 'hello', command: util.interpolate('echo "hello from $(hostname) for %(prop:branch)s"') }),
    ] }),
  ],
});
