/**
 * Watches a maildir-style job directory: writers put a file in `tmp` and rename it into `new`
 * (atomic, so a file in `new` is complete); the watcher moves each file to `cur` *before* handing
 * it on, so a file is handled once even if handling fails or the master dies mid-way, and a bad
 * file is never read again. fs.watch gives low latency; a periodic rescan catches what it misses
 * (network file systems, events dropped under load, files present at start).
 */
import { watch, type FSWatcher } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';

export interface JobdirWatcherOptions {
  dir: string;
  /** Milliseconds between rescans of `new`. */
  pollIntervalMs: number;
  /** Called with the file's path in `cur`; errors are the caller's to log (they do not stop the watcher). */
  onFile: (curPath: string, name: string) => Promise<void>;
  onError: (err: unknown, what: string) => void;
}

export class JobdirWatcher {
  private fsWatcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly o: JobdirWatcherOptions) {}

  get newDir(): string { return join(this.o.dir, 'new'); }
  get curDir(): string { return join(this.o.dir, 'cur'); }

  async start(): Promise<void> {
    for (const sub of ['tmp', 'new', 'cur']) await mkdir(join(this.o.dir, sub), { recursive: true });
    try {
      this.fsWatcher = watch(this.newDir, () => { void this.scan(); });
      this.fsWatcher.on('error', (err) => this.o.onError(err, `watching ${this.newDir} (the periodic rescan goes on)`));
    } catch (err) {
      this.o.onError(err, `watching ${this.newDir} (falling back to the periodic rescan)`);
    }
    this.timer = setInterval(() => { void this.scan(); }, this.o.pollIntervalMs);
    this.timer.unref();
    await this.scan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.fsWatcher?.close();
    this.fsWatcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Handles every file now in `new`; calls during a scan coalesce into one more pass. */
  scan(): Promise<void> {
    if (this.running) { this.again = true; return this.running; }
    this.running = (async () => {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    })().finally(() => { this.running = null; });
    return this.running;
  }

  private async pass(): Promise<void> {
    let names: string[];
    try { names = await readdir(this.newDir); } catch (err) { this.o.onError(err, `reading ${this.newDir}`); return; }
    for (const name of names.sort()) {
      if (this.stopped) return;
      if (name.startsWith('.')) continue;
      const cur = join(this.curDir, name);
      try {
        await rename(join(this.newDir, name), cur);
      } catch (err) {
        // Gone already (another pass or a second master took it): not ours to handle.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.onError(err, `moving ${name} to ${this.curDir}`);
        continue;
      }
      try { await this.o.onFile(cur, name); } catch (err) { this.o.onError(err, `handling ${cur}`); }
    }
  }
}
