/** `mastro sendchange`: the client in changes/sendchange-client.ts, with the CLI's streams and exit status. */
import { sendchangeMain, SENDCHANGE_USAGE } from '../changes/sendchange-client.js';
import { EXIT_STATUS } from './help.js';
import type { Io } from './io.js';

export async function run(argv: string[], io: Io): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout.write(`${SENDCHANGE_USAGE}\n\n${EXIT_STATUS.join('\n')}\n`); return 0; }
  return sendchangeMain(argv, { out: (s) => { io.stdout.write(s); }, err: (s) => { io.stderr.write(s); } });
}
