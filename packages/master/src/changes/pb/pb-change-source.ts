/**
 * The running `changes.pb` (Buildbot's PBChangeSource): while started, its user may log in on its
 * port (the worker PB port unless it has one of its own) and every `addChange` it makes becomes a
 * Change through the data layer, as a push or a poll would. Stopping it (a reconfig that removes or
 * changes it, the master stopping) takes the user away again.
 */
import { pb } from 'mastro-protocol';
import type { PbHost, PbRegistration } from '../../workers/pb/pb-host.js';
import { silentLogger } from 'mastro-protocol';
import type { ChangeSourceServices } from '../services.js';
import { changePerspective } from './change-perspective.js';
import type { ResolvedPbChangeSourceSpec } from './options.js';

export interface PbChangeSourceServices extends ChangeSourceServices {
  /** The master's PB logins (WorkerManager.pbHost()). */
  pb?: PbHost;
}

export class PbChangeSource {
  readonly name: string;
  private registration: PbRegistration | null = null;

  constructor(private readonly spec: ResolvedPbChangeSourceSpec, private readonly services: PbChangeSourceServices) {
    this.name = spec.name;
  }

  /** The port clients log in on while running. */
  get port(): number | null { return this.registration?.port ?? null; }

  async start(): Promise<void> {
    const host = this.services.pb;
    if (!host) throw new Error(`changes.pb '${this.name}' needs the master's PB service, which this master was started without`);
    const log = this.services.logger ?? silentLogger;
    const { prefix = null, user } = this.spec;
    this.registration = await host.register({
      owner: `changes.pb '${this.name}'`, port: this.spec.port ?? null,
      users: [[user, {
        digest: pb.md5Digest(this.spec.passwd),
        perspective: (_mind, _broker, address) => changePerspective({
          prefix,
          addChange: async (change) => {
            const id = await this.services.updates.addChange(change);
            log.info({ changesource: this.name, address, revision: change.revision, branch: change.branch }, 'change received over PB');
            return id;
          },
        }),
      }]],
    });
    log.info({ changesource: this.name, port: this.registration.port, user }, 'accepting changes over PB');
  }

  async stop(): Promise<void> {
    const r = this.registration;
    this.registration = null;
    await r?.unregister();
  }

  status(): unknown {
    return { port: this.port, user: this.spec.user, prefix: this.spec.prefix ?? null };
  }
}
