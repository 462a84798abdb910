/**
 * Test harness for the master's worker server: starts a WorkerManager on a free loopback port and
 * offers helpers to wait for its events (tests wait for events, never sleep).
 */
import { once } from 'node:events';
import { WorkerManager, type WorkerManagerOptions } from '../../src/workers/index.js';
import type { ConnectedWorker } from '../../src/workers/connected-worker.js';
import type { AnyWorker } from '../../src/workers/manager.js';

export interface Harness {
  manager: WorkerManager;
  port: number;
  url: string;
  /** Resolves with the next `attached` worker of that name (a msgpack one unless the caller says otherwise). */
  nextAttached<W extends AnyWorker = ConnectedWorker>(name: string): Promise<W>;
  nextDetached<W extends AnyWorker = ConnectedWorker>(name: string): Promise<W>;
  close(): Promise<void>;
}

export async function startHarness(options: WorkerManagerOptions = {}): Promise<Harness> {
  // Scripted workers never speak first, so the JSON first-frame grace would only slow tests down;
  // tests of that behaviour (and end-to-end runs) set it explicitly.
  const manager = new WorkerManager({ port: 0, host: '127.0.0.1', firstFrameGraceMs: 0, ...options });
  const { port } = await manager.listen();
  const waitFor = <W extends AnyWorker>(event: 'attached' | 'detached', name: string) => new Promise<W>((resolve) => {
    const listener = (w: AnyWorker) => {
      if (w.name !== name) return;
      manager.off(event, listener);
      resolve(w as W);
    };
    manager.on(event, listener);
  });
  return {
    manager, port, url: `ws://127.0.0.1:${port}`,
    nextAttached: <W extends AnyWorker>(name: string) => waitFor<W>('attached', name),
    nextDetached: <W extends AnyWorker>(name: string) => waitFor<W>('detached', name),
    close: () => manager.close(),
  };
}

export { once };
