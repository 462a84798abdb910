/**
 * Notes of the instances a provider without labels of its own started (latent.local processes,
 * latent.command instances without a `list` command), one file per worker under
 * `<master dir>/latent-instances/<kind>/`, so a master that was killed finds what it had started
 * when it starts again, also for latent workers since removed from its config (`sweep`). Written
 * with mode 0600: a note may hold the stop command's environment.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeName } from './environment.js';

export interface InstanceNote {
  /** The master that started it (`masterName`). */
  master: string;
  /** The latent worker or latent pool whose provider started it. */
  owner: string;
  worker: string;
  id: string;
  [extra: string]: unknown;
}

export const NOTES_DIR = 'latent-instances';

export class InstanceNotes {
  private readonly dir: string;

  constructor(masterDir: string, kind: string, private readonly masterName: string) {
    this.dir = join(masterDir, NOTES_DIR, kind);
  }

  private file(worker: string): string { return join(this.dir, `${safeName(worker)}.json`); }

  write(note: { owner: string; worker: string; id: string; [extra: string]: unknown }): void {
    mkdirSync(this.dir, { recursive: true });
    writeFileSync(this.file(note.worker), JSON.stringify({ ...note, master: this.masterName }) + '\n', { mode: 0o600 });
  }

  /** Removes the worker's note if it is the one of instance `id` (a newer instance keeps its own). */
  remove(worker: string, id: string): void {
    if (this.read(worker)?.id === id) rmSync(this.file(worker), { force: true });
  }

  read(worker: string): InstanceNote | null {
    try {
      const n = JSON.parse(readFileSync(this.file(worker), 'utf8')) as InstanceNote;
      return n.master === this.masterName && typeof n.worker === 'string' && typeof n.id === 'string' && typeof n.owner === 'string' ? n : null;
    } catch {
      return null;
    }
  }

  /** This master's notes (of every owner). */
  list(): InstanceNote[] {
    let files: string[];
    try { files = readdirSync(this.dir).filter((f) => f.endsWith('.json')); } catch { return []; }
    return files.flatMap((f) => {
      const n = this.read(f.slice(0, -'.json'.length).replace(/\+/g, '/'));
      return n ? [n] : [];
    });
  }
}

/** The notes of `kind` whose owner (latent worker or pool) is not among `owners`: instances to stop. */
export function orphanNotes(masterDir: string, kind: string, masterName: string, owners: ReadonlySet<string>): { notes: InstanceNotes; orphans: InstanceNote[] } {
  const notes = new InstanceNotes(masterDir, kind, masterName);
  return { notes, orphans: notes.list().filter((n) => !owners.has(n.owner)) };
}
