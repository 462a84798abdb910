/**
 * The change sources running in one master, for the read-only `changesources` API resource: each
 * with its kind, name and, when the source reports one, its status (the mirror poller's cycle time
 * and per-repository errors, the Gerrit stream's connection state). One registry per master, made by
 * the composition root and handed to data/ as the resource's provider: two masters in one process
 * (tests, embedding) each list their own sources.
 */
import type { ChangeSourceEntry } from '../data/resources/changesources.js';

export type { ChangeSourceEntry } from '../data/resources/changesources.js';

export interface ObservableChangeSource { readonly name: string; status?(): unknown }

export class ChangeSourceRegistry {
  private readonly running = new Map<ObservableChangeSource, string>();

  /** Records a started source; returns the function that removes it again (on stop). */
  register(kind: string, source: ObservableChangeSource): () => void {
    this.running.set(source, kind);
    return () => { this.running.delete(source); };
  }

  /** Every running source, sorted by name. */
  list(): ChangeSourceEntry[] {
    return [...this.running].map(([s, kind]) => ({ name: s.name, kind, status: typeof s.status === 'function' ? s.status() : null }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
