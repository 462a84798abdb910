/** `mastro sendchange`: the client in changes/sendchange-client.ts, with the CLI's streams. */
import { sendchangeMain } from '../changes/sendchange-client.js';
import type { Io } from './io.js';

export async function run(argv: string[], io: Io): Promise<number> {
  return sendchangeMain(argv, { out: (s) => { io.stdout.write(s); }, err: (s) => { io.stderr.write(s); } });
}
