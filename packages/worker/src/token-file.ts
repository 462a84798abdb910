/**
 * A pool token kept in a file (`create-worker --pool P --token-file F`): the worker stores the
 * file's path, never the token, and reads the file at start and before each reconnect, so a token
 * rotated on disk is used from the next connection on. Like ssh with a private key, it refuses a file
 * that other users may read or write: the token admits any host to the pool. Windows has no such
 * mode bits (its ACLs decide; see the README), so the check is POSIX only.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from './config.js';

/** Reads the token: the file's first line without surrounding whitespace. Throws ConfigError saying what to fix. */
export function readTokenFile(file: string, platform: NodeJS.Platform = process.platform): string {
  let st;
  try { st = statSync(file); } catch (err) {
    throw new ConfigError(`cannot read the pool token file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
      `put the pool's token in it, readable only by the worker's user (chmod 600 ${file})`);
  }
  if (!st.isFile()) throw new ConfigError(`the pool token file ${file} is not a regular file; give the file that holds the pool's token`);
  if (platform !== 'win32' && (st.mode & 0o007) !== 0) {
    throw new ConfigError(`permissions ${(st.mode & 0o777).toString(8).padStart(4, '0')} for the pool token file ${file} are too open: ` +
      `other users can ${st.mode & 0o004 ? 'read' : 'change'} it, and the token admits any host to the pool; ` +
      `restrict it with: chmod 600 ${file} (or 640 for a group the worker's user is in)`);
  }
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (err) {
    throw new ConfigError(`cannot read the pool token file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); ` +
      `make it readable by the user the worker runs as`);
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim();
  if (token === '') throw new ConfigError(`the pool token file ${file} is empty (its first line is the token); write the pool's token into it`);
  return token;
}
