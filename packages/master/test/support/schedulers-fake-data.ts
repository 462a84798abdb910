/**
 * An in-memory stand-in for the data layer's scheduler-facing calls: records buildsets, keeps
 * object state, and publishes Buildbot-shaped change and buildset events on a real bus.
 */
import { InProcessMessageQueue } from '../../src/mq/bus.js';
import type { AddBuildsetInput, AddBuildsetResult } from '../../src/data/updates-api.js';
import type { ChangeResource } from '../../src/data/types.js';
import type { SchedulerServices } from '../../src/schedulers/base.js';

export class FakeData {
  readonly mq = new InProcessMessageQueue();
  readonly buildsets: (AddBuildsetInput & { bsid: number })[] = [];
  readonly state = new Map<string, unknown>();
  readonly builders = new Map<string, number>();
  private nextChange = 1;
  private nextBs = 1;
  private nextBr = 1;
  private waiters: Array<() => void> = [];

  readonly services: SchedulerServices = {
    mq: this.mq,
    updates: {
      addBuildset: async (b) => this.addBuildset(b),
      findBuilderId: async (name) => {
        if (!this.builders.has(name)) this.builders.set(name, this.builders.size + 1);
        return this.builders.get(name)!;
      },
      getState: async (o, c, k, d) => (this.state.has(`${o}/${c}/${k}`) ? this.state.get(`${o}/${c}/${k}`) : d),
      setState: async (o, c, k, v) => { this.state.set(`${o}/${c}/${k}`, v); },
    },
  };

  private async addBuildset(b: AddBuildsetInput): Promise<AddBuildsetResult> {
    const bsid = this.nextBs++;
    this.buildsets.push({ ...b, bsid });
    const brids: Record<number, number> = {};
    for (const id of b.builderids) brids[id] = this.nextBr++;
    for (const w of this.waiters.splice(0)) w();
    return { bsid, brids };
  }

  /** Resolves when at least `n` buildsets exist. */
  async waitForBuildsets(n: number): Promise<void> {
    while (this.buildsets.length < n) await new Promise<void>((r) => this.waiters.push(r));
  }

  change(fields: Partial<ChangeResource> = {}): ChangeResource {
    const changeid = this.nextChange++;
    const c: ChangeResource = {
      changeid, parent_changeids: [], author: 'alice <a@example.com>', committer: 'alice <a@example.com>', files: ['README'],
      comments: 'msg', revision: `rev${changeid}`, when_timestamp: 1700000000, branch: 'main', category: null, revlink: null,
      properties: {}, repository: 'file:///repo.git', project: '', codebase: '',
      sourcestamp: { ssid: 100 + changeid, revision: `rev${changeid}`, branch: 'main', repository: 'file:///repo.git', project: '', codebase: '', patch: null, created_at: 0 },
      ...fields,
    };
    this.mq.publish(['changes', String(changeid), 'new'], c);
    return c;
  }

  completeBuildset(bsid: number, results: number): void {
    this.mq.publish(['buildsets', String(bsid), 'complete'], { bsid, results, complete: true });
  }
}
