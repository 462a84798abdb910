/**
 * Which workers a builder may run on, for the botmaster: by `workerNames`, by `workerTags` (every
 * tag on the worker), or both (listed and tagged). A worker's tags are its effective tags
 * (workers/tags.ts): its own report plus its pool's tags. Pool workers are `POOL/NAME`; this module
 * also knows the pools, so a pool worker's settings (maxBuilds, properties) come from here.
 */
import type { BuilderConfig } from './builder-config.js';
import type { WorkerConfig, WorkerPoolConfig } from '../workers/worker-config.js';
import type { RemoteWorker } from '../workers/types.js';
import { effectiveTags, platformOf, reportedTags } from '../workers/tags.js';
import { hasAll } from './tag-index.js';

/** The pool of a worker name (`POOL/NAME`); null for a named worker, whose names hold no '/'. */
export function poolOfWorkerName(name: string): string | null {
  const at = name.indexOf('/');
  return at > 0 ? name.slice(0, at) : null;
}

/** A pool worker's settings as a WorkerConfig, from its pool. Pool workers come and go: no missing-worker warnings. */
export function poolWorkerConfig(name: string, pool: WorkerPoolConfig): WorkerConfig {
  return { name, password: null, maxBuilds: pool.maxBuilds, properties: pool.properties, notifyOnMissing: [], keepalive: null, missingTimeout: 0 };
}

export interface WorkerTags { tags: Set<string>; os: string | null; arch: string | null; ignored: unknown[] }

type BuilderLike = { readonly config: BuilderConfig; readonly builderid: number; readonly name: string };

export class WorkerSelection {
  private pools = new Map<string, WorkerPoolConfig>();
  /** Tags the config gives named workers (latent workers' `tags`), added to what they report as a pool's are. */
  private workerTags = new Map<string, readonly string[]>();

  setPools(pools: readonly WorkerPoolConfig[]): void { this.pools = new Map(pools.map((p) => [p.name, p])); }

  setWorkerTags(workers: readonly WorkerConfig[]): void {
    this.workerTags = new Map(workers.flatMap((w) => (w.tags?.length ? [[w.name, w.tags] as const] : [])));
  }

  pool(name: string | null): WorkerPoolConfig | undefined { return name === null ? undefined : this.pools.get(name); }

  /** A worker's effective tags and platform: what it reports, plus its pool's tags. */
  tagsOf(remote: RemoteWorker): WorkerTags {
    const platform = platformOf(remote.info);
    const own = reportedTags(remote.info);
    const poolTags = this.workerTags.get(remote.name) ?? this.pool(poolOfWorkerName(remote.name))?.tags ?? [];
    return { tags: new Set(effectiveTags(platform, own.tags, poolTags)), os: platform.os, arch: platform.arch, ignored: own.ignored };
  }

  /** Whether a builder may run on a worker of that name and those tags (null: not connected, tags unknown). */
  selects(b: BuilderConfig, name: string, tags: ReadonlySet<string> | null): boolean {
    if (b.workerTags.length === 0) return b.workerNames.includes(name);
    if (b.workerNames.length > 0 && !b.workerNames.includes(name)) return false;
    return tags !== null && hasAll({ name, tags }, b.workerTags);
  }

  /** The builders a worker is configured for (`configured_on`): by name, and by tags while they are known. */
  builderidsFor(builders: Iterable<BuilderLike>, name: string, tags: ReadonlySet<string> | null): number[] {
    return [...builders].filter((b) => this.selects(b.config, name, tags)).map((b) => b.builderid);
  }

  /** The builders (name, builddir) a connecting worker serves because of its tags, decided from its info. */
  taggedBuildersFor(builders: Iterable<BuilderLike>, remote: RemoteWorker): Array<{ name: string; builddir: string }> {
    const { tags } = this.tagsOf(remote);
    return [...builders].filter((b) => b.config.workerTags.length > 0 && this.selects(b.config, remote.name, tags))
      .map((b) => ({ name: b.name, builddir: b.config.workerbuilddir }));
  }

  hasTagBuilders(builders: Iterable<BuilderLike>): boolean {
    for (const b of builders) if (b.config.workerTags.length) return true;
    return false;
  }
}
