/** Names of builders and workers by id, fetched once and shared by pages (they rarely change). */
import { list } from './api.js';

export interface Builder { builderid: number; name: string; description: string | null; tags: string[]; masterids: number[] }
export interface Worker { workerid: number; name: string; connected_to: { masterid: number }[]; configured_on: { builderid: number; masterid: number }[]; paused: boolean; graceful: boolean; workerinfo: Record<string, unknown>; pool?: string | null; tags?: string[]; os?: string | null; arch?: string | null;
  /** A latent worker's state on its master (null for others). */
  latent?: { provider: string; pool: string | null; state: string; instance: string | null; since: number; failures: number; lastError: string | null; pausedUntil: number | null } | null }

let builders: Promise<Map<number, Builder>> | null = null;

export function getBuilders(refresh = false): Promise<Map<number, Builder>> {
  if (!builders || refresh) {
    builders = list<Builder>('builders').then((bs) => new Map(bs.map((b) => [b.builderid, b])));
    builders.catch(() => { builders = null; });
  }
  return builders;
}

export async function builderName(id: number): Promise<string> {
  return (await getBuilders()).get(id)?.name ?? `builder ${id}`;
}
