/**
 * Delivers benchmark changes to a master: POST /change_hook/base (form fields as in Buildbot) when
 * the master serves HTTP, else the master child's IPC `addChange` (the data-layer call the hook
 * makes after parsing its form). `method` says which, for the scenario notes.
 */
import http from 'node:http';
import type { MasterProc } from './master-proc.js';
import { seededRandom } from '../../test/support/seeded-random.js';

export interface ChangeInput { branch: string; revision: string; project: string; comments: string }

export interface ChangeSink {
  readonly method: string;
  /** Resolves when the master answered (HTTP status 2xx) or the change was added. */
  send(change: ChangeInput): Promise<void>;
  close(): void;
}

/** `count` deterministic changes (fixed seed): distinct revisions so nothing collapses. */
export function benchChanges(count: number, seed: number, project = 'bench'): ChangeInput[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    branch: 'main', project, comments: `bench change ${i}`,
    revision: Array.from({ length: 40 }, () => Math.floor(rnd() * 16).toString(16)).join(''),
  }));
}

export function httpChangeSink(port: number, maxSockets = 16): ChangeSink {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    method: `HTTP POST /change_hook/base (keep-alive, up to ${maxSockets} connections)`,
    send(c) {
      const body = new URLSearchParams({
        author: 'bench <bench@example.org>', comments: c.comments, branch: c.branch, revision: c.revision,
        repository: 'https://example.org/bench.git', project: c.project, files: JSON.stringify(['README']),
      }).toString();
      return new Promise<void>((resolve, reject) => {
        const req = http.request({
          host: '127.0.0.1', port, path: '/change_hook/base', method: 'POST', agent,
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) },
        }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d) => { text += d; });
          res.on('end', () => (res.statusCode && res.statusCode < 300 ? resolve() : reject(new Error(`change hook answered HTTP ${res.statusCode}: ${text.slice(0, 300)}`))));
        });
        req.on('error', reject);
        req.end(body);
      });
    },
    close() { agent.destroy(); },
  };
}

export function ipcChangeSink(master: MasterProc): ChangeSink {
  return {
    method: 'IPC to the master child calling data.updates.addChange (the master has no HTTP layer yet)',
    async send(c) {
      await master.request('addChange', {
        author: 'bench <bench@example.org>', comments: c.comments, branch: c.branch, revision: c.revision,
        repository: 'https://example.org/bench.git', project: c.project, files: ['README'],
      });
    },
    close() {},
  };
}

export function changeSinkFor(master: MasterProc): ChangeSink {
  return master.ready.httpPort ? httpChangeSink(master.ready.httpPort) : ipcChangeSink(master);
}
