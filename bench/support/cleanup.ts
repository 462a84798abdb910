import { rmSync } from 'node:fs';

/** Collects teardown steps of a scenario and runs them in reverse order, whatever failed before. */
export class Cleanup {
  private steps: Array<() => unknown> = [];
  add(step: () => unknown): void { this.steps.push(step); }
  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try { await step(); } catch (err) { process.stderr.write(`[bench] cleanup step failed: ${(err as Error).message}\n`); }
    }
  }
}

/** Runs `body` with a Cleanup that always runs afterwards. */
export async function withCleanup<T>(body: (c: Cleanup) => Promise<T>): Promise<T> {
  const c = new Cleanup();
  try { return await body(c); } finally { await c.run(); }
}

/** Like withCleanup, and the last step removes `root`, the scenario's scratch directory (passed on to `body`). */
export function withScratchDir<T>(root: string, body: (c: Cleanup, root: string) => Promise<T>): Promise<T> {
  return withCleanup((c) => {
    c.add(() => rmSync(root, { recursive: true, force: true }));
    return body(c, root);
  });
}
