/** Text of the files `create-master` and `quickstart` write. */

export interface SampleOptions {
  title: string;
  dbUrl: string;
  workerName: string;
  workerPassword: string;
  httpPort: number;
  workerPort: number;
  /** When set, the sample watches this repository and checks it out in its build. */
  repoUrl?: string;
}

export function sampleConfigTs(o: SampleOptions): string {
  const repo = o.repoUrl ? JSON.stringify(o.repoUrl) : "'file:///path/to/repo.git'";
  const on = (enabled: boolean, line: string) => (enabled ? line : `// ${line}`);
  return `/**
 * mastro master configuration. This file is a program: helpers can live in other modules of this
 * directory and be unit-tested. Check it with \`mastro checkconfig .\`; apply edits to a running
 * master with \`mastro reconfig .\` (running builds finish on the config they started with).
 */
import { defineConfig, worker, builder, steps, schedulers, changes, util } from 'mastro';

// The repository the builds check out.
const repourl = ${repo};

export default defineConfig({
  title: ${JSON.stringify(o.title)},
  // Embedded SQLite (a file in this directory), or 'postgresql://user:password@host/db'.
  db: { url: ${JSON.stringify(o.dbUrl)} },
  // Workers connect here: mastro-worker create-worker WORKERDIR localhost:${o.workerPort} ${o.workerName} PASSWORD
  protocols: { msgpack: { port: ${o.workerPort} } },
  // Web UI, REST API (/api/v2) and change hooks (/change_hook/base).
  www: {
    port: ${o.httpPort},
    changeHooks: { base: {} },
    // Change hooks accept anyone who can reach this port (Buildbot's default; \`mastro checkconfig\`
    // warns about it). To require HTTP Basic credentials (mastro sendchange --auth hook:PASSWORD,
    // git config hooks.mastro.auth hook:PASSWORD), list accounts: literal, Buildbot's password file
    // of user:password lines, or users of \`mastro user add\` with a role. \`false\` = open on purpose.
    // changeHookAuth: [{ username: 'hook', password: 'change-me' }, 'file:changehook.passwd', { usersStore: { roles: ['change-hook'] } }],
  },

  // Who may connect. Keep passwords out of this file with secrets.directory() and util.secret('name').
  workers: [worker(${JSON.stringify(o.workerName)}, ${JSON.stringify(o.workerPassword)}, { maxBuilds: 2 })],

  // Where changes come from: poll the repository for new commits.
  changeSources: [
    ${on(Boolean(o.repoUrl), "changes.gitPoller({ repourl, branches: ['main'], pollInterval: 10, pollAtLaunch: true }),")}
  ],

  // What starts builds: every change on any branch, and the "force" button / API.
  schedulers: [
    ${on(Boolean(o.repoUrl), "schedulers.anyBranch({ name: 'all', treeStableTimer: null, builderNames: ['demo'] }),")}
    schedulers.force({ name: 'force', builderNames: ['demo'] }),
  ],

  // What a build does, step by step, on one of the listed workers.
  builders: [
    builder({
      name: 'demo',
      workerNames: [${JSON.stringify(o.workerName)}],
      steps: [
        ${on(Boolean(o.repoUrl), "steps.git({ repourl, mode: 'incremental' }),")}
        steps.shell({ name: 'hello', command: ['sh', '-c', 'echo "hello from $(hostname)"; ls -la'] }),
        ${on(Boolean(o.repoUrl), "steps.shell({ name: 'test', command: ['sh', 'test.sh'], haltOnFailure: true }),")}
        steps.shell({ name: 'properties', command: util.interpolate('echo "build %(prop:buildnumber)s of %(prop:buildername)s"') }),
      ],
    }),
  ],
});
`;
}

export function gitignore(): string {
  return ['state.sqlite*', 'mastro.pid', 'mastro.log', 'master.ready.json', 'reconfig.status', 'gitpoller-work/', 'secrets/', ''].join('\n');
}
