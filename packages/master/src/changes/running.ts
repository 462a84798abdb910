/**
 * The change sources running in this master process, for the read-only `changesources` API
 * resource: each with its kind, name and, when the source reports one, its status (the mirror
 * poller's cycle time and per-repository errors, the Gerrit stream's connection state).
 */
export interface ObservableChangeSource { readonly name: string; status?(): unknown }

export interface ChangeSourceEntry { name: string; kind: string; status: unknown }

const running = new Map<ObservableChangeSource, string>();

/** Records a started source; returns the function that removes it again (on stop). */
export function registerChangeSource(kind: string, source: ObservableChangeSource): () => void {
  running.set(source, kind);
  return () => { running.delete(source); };
}

/** Every running source, sorted by name. */
export function listChangeSources(): ChangeSourceEntry[] {
  return [...running].map(([s, kind]) => ({ name: s.name, kind, status: typeof s.status === 'function' ? s.status() : null }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
