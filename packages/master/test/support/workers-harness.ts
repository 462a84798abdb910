/**
 * Test harness for the master's worker server: starts a WorkerManager on a free loopback port and
 * offers helpers to wait for its events (tests wait for events, never sleep).
 */
import { once } from 'node:events';
import { WorkerManager, type WorkerManagerOptions } from '../../src/workers/index.js';
import type { ConnectedWorker } from '../../src/workers/connected-worker.js';

export interface Harness {
  manager: WorkerManager;
  port: number;
  url: string;
  /** Resolves with the next `attached` worker of that name. */
  nextAttached(name: string): Promise<ConnectedWorker>;
  nextDetached(name: string): Promise<ConnectedWorker>;
  close(): Promise<void>;
}

export async function startHarness(options: WorkerManagerOptions = {}): Promise<Harness> {
  // Scripted workers never speak first, so the JSON first-frame grace would only slow tests down;
  // tests of that behaviour (and end-to-end runs) set it explicitly.
  const manager = new WorkerManager({ port: 0, host: '127.0.0.1', firstFrameGraceMs: 0, ...options });
  const { port } = await manager.listen();
  const waitFor = (event: 'attached' | 'detached', name: string) => new Promise<ConnectedWorker>((resolve) => {
    const listener = (w: ConnectedWorker) => {
      if (w.name !== name) return;
      manager.off(event, listener);
      resolve(w);
    };
    manager.on(event, listener);
  });
  return {
    manager, port, url: `ws://127.0.0.1:${port}`,
    nextAttached: (name) => waitFor('attached', name),
    nextDetached: (name) => waitFor('detached', name),
    close: () => manager.close(),
  };
}

export { once };
