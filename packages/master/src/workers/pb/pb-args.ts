/**
 * Command names and args as a PB worker takes them. Over PB, Buildbot's master sends a step's args
 * as the step made them — paths relative to the builder directory (`workdir`, `dir`, `file`,
 * `workersrc`, ...) — and the worker joins them with its builder directory itself
 * (buildbot_worker/pb.py, `protocol_args_setup`); transfers are `uploadFile`, `uploadDirectory`
 * and `downloadFile` and carry the master's writer or reader object. So, unlike msgpack
 * (worker-paths.ts `toWorkerArgs`), the step's args pass through as they are.
 */
import type { pb } from 'mastro-protocol';

/** mastro's transfer command names (the msgpack ones) -> Buildbot's PB names. */
const PB_NAMES: Readonly<Record<string, string>> = {
  upload_file: 'uploadFile',
  upload_directory: 'uploadDirectory',
  download_file: 'downloadFile',
};

/**
 * [PB command name, args] for a step-level command. `transfer`: the writer or reader object the
 * worker calls back (as `writer` / `reader`).
 */
export function toPbArgs(command: string, args: Record<string, unknown>, transfer: { writer?: pb.Referenceable; reader?: pb.Referenceable } = {}): [string, Record<string, unknown>] {
  const out: Record<string, unknown> = { ...args };
  if (transfer.writer) out.writer = transfer.writer;
  if (transfer.reader) out.reader = transfer.reader;
  // A worker's mkdir takes one directory over PB; several (only the master's own set-up sends
  // them) are never sent this way.
  if (command === 'mkdir' && Array.isArray(out.dir)) {
    throw new Error('mkdir over PB takes one directory (dir); send one mkdir per directory');
  }
  return [PB_NAMES[command] ?? command, out];
}
