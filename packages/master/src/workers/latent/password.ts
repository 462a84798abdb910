/**
 * Passwords of latent workers the config gives none (Buildbot's `getRandomPass()`), and of every
 * latent pool instance. They are derived from a key kept in the master directory (`latent.key`,
 * mode 0600, made on first use) and the worker's name, so they are the same after a restart: an
 * instance an earlier run started (reconciliation) still logs in with the password it was given.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const LATENT_KEY_FILE = 'latent.key';

export class LatentPasswords {
  private constructor(private readonly key: Buffer) {}

  /** Reads the key of `masterDir`, making it the first time. */
  static async open(masterDir: string): Promise<LatentPasswords> {
    const file = join(masterDir, LATENT_KEY_FILE);
    try {
      const hex = (await readFile(file, 'utf8')).trim();
      if (/^[0-9a-f]{64}$/.test(hex)) return new LatentPasswords(Buffer.from(hex, 'hex'));
      throw new Error(`${file} does not hold a latent worker key (64 hex digits); delete it and the master makes a new one (running latent instances then cannot log in again and are replaced)`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const key = randomBytes(32);
    await mkdir(dirname(file), { recursive: true });
    // 'wx': two masters starting in one directory at once must not overwrite each other's key.
    try {
      await writeFile(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
      await chmod(file, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return LatentPasswords.open(masterDir);
      throw new Error(`could not write the latent worker key ${file}: ${(err as Error).message}; latent workers without a password need a writable master directory`);
    }
    return new LatentPasswords(key);
  }

  /** The password of the latent worker `name`: 32 URL-safe characters. */
  passwordFor(name: string): string {
    return createHmac('sha256', this.key).update(`latent-worker:${name}`).digest('base64url').slice(0, 32);
  }
}
