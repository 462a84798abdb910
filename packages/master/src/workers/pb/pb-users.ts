/**
 * The users a PB port accepts besides workers, as Buildbot's pbmanager keeps them: a change source
 * registers `change`, a try scheduler its users, each under one name per port. A name is taken
 * once: a second registration of it is refused with the owner of the first.
 */
import type { PbUser } from './pb-login.js';

interface Entry { owner: string; user: PbUser }

export class PbUserTable {
  private readonly entries = new Map<string, Entry>();

  /** Adds `name`; returns the function that removes it again. Throws when the name is taken. */
  add(owner: string, name: string, user: PbUser): () => void {
    const taken = this.entries.get(name);
    if (taken) throw new Error(`${owner}: the PB user name '${name}' is already used by ${taken.owner} on the same port; give one of them another user name or port`);
    const entry = { owner, user };
    this.entries.set(name, entry);
    return () => { if (this.entries.get(name) === entry) this.entries.delete(name); };
  }

  get(name: string): PbUser | null { return this.entries.get(name)?.user ?? null; }

  owner(name: string): string | null { return this.entries.get(name)?.owner ?? null; }

  /** Who registered the names, each once. */
  owners(): Set<string> { return new Set([...this.entries.values()].map((e) => e.owner)); }

  get size(): number { return this.entries.size; }
}
