/** Test helpers: run a worker command through the real CommandRunner with a recording fake master. */
import { mkdtempSync, rmSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CommandRunner, type RunnerDeps } from '../../src/command-runner.js';
import { commandRegistry } from '../../src/commands/registry.js';
import { silentLogger } from 'mastro-protocol';
import { resolveWorkerPath } from '../../src/paths.js';
import { defaultOutputSettings, type OutputSettings } from '../../src/settings.js';

export function tempDir(t: { after(fn: () => void): void }, prefix = 'mastro-worker-'): string {
  const dir = realpathSync(mkdtempSync(path.join(tmpdir(), prefix)));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface Recorded {
  requests: Array<{ op: string; fields: Record<string, unknown> }>;
  updates: Array<[string, unknown]>;
  /** The `args` of `complete`: null for success, the failure text otherwise. */
  failure: string | null | undefined;
  rc(): number | undefined;
  /** All text of a stream (`stdout`, `stderr`, `header`) or of a logfile (`log:NAME`) joined. */
  text(stream: string): string;
  value(key: string): unknown;
}

export interface RunOptions {
  basedir: string;
  builderDir?: string;
  settings?: Partial<OutputSettings>;
  allowOutsideBasedir?: boolean;
  killGraceMs?: number;
  maxUpdatesInFlight?: number;
  maxUpdateCost?: number;
  updateLingerMs?: number;
  /** Answers transfer requests (`update_read_file`...); default null. */
  answer?(op: string, fields: Record<string, unknown>): unknown | Promise<unknown>;
  /** Called once the command has started, e.g. to interrupt it. */
  started?(runner: CommandRunner, recorded: Recorded): void;
  processGroups?: RunnerDeps['processGroups'];
}

export async function runCommand(name: string, args: Record<string, unknown>, o: RunOptions): Promise<Recorded> {
  const recorded: Recorded = {
    requests: [], updates: [], failure: undefined,
    rc() { const rc = [...this.updates].reverse().find(([k]) => k === 'rc'); return rc?.[1] as number | undefined; },
    text(stream) {
      let out = '';
      // A LineChunk's text, or the UTF-8 bytes a bytes session sends instead.
      const textOf = (v: unknown) => (Buffer.isBuffer(v) ? v.toString('utf8') : (v as [string])[0]);
      for (const [k, v] of this.updates) {
        if (stream.startsWith('log:') && k === 'log' && (v as [string, unknown])[0] === stream.slice(4)) out += textOf((v as [string, unknown])[1]);
        else if (k === stream) out += textOf(v);
      }
      return out;
    },
    value(key) { return [...this.updates].reverse().find(([k]) => k === key)?.[1]; },
  };
  const definition = commandRegistry.get(name);
  if (!definition) throw new Error(`no command ${name}`);
  const policy = { basedir: o.basedir, allowOutsideBasedir: !!o.allowOutsideBasedir };
  const runner = new CommandRunner('cmd-1', name, definition, args, {
    request: async (op, fields) => {
      recorded.requests.push({ op, fields });
      if (op === 'update') { for (const pair of fields.args as Array<[string, unknown]>) recorded.updates.push(pair); return null; }
      if (op === 'complete') { recorded.failure = fields.args as string | null; return null; }
      return o.answer ? o.answer(op, fields) : null;
    },
    settings: { ...defaultOutputSettings(), bufferTimeoutMs: 5, ...o.settings },
    basedir: o.basedir, builderDir: o.builderDir ?? o.basedir,
    resolvePath: (base, p) => resolveWorkerPath(policy, base, p),
    log: silentLogger, killGraceMs: o.killGraceMs ?? 2000, maxUpdatesInFlight: o.maxUpdatesInFlight ?? 32,
    maxUpdateCost: o.maxUpdateCost ?? 1024 * 1024, updateLingerMs: o.updateLingerMs ?? 20, processGroups: o.processGroups,
  });
  runner.start();
  o.started?.(runner, recorded);
  await runner.done;
  return recorded;
}

/** Resolves when `predicate` holds, checking after each event-loop turn (bounded by `timeoutMs`). */
export async function until(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
