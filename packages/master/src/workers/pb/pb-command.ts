/**
 * The objects a PB worker calls back while a command runs, lent with `startCommand` as Buildbot's
 * master lends them (buildbot/worker/protocols/base.py): the command (`update`, `complete`), and
 * for transfers the writer (`write`, `utime`, `close`; a directory's `write`, `unpack`) or the
 * reader (`read`, `close`). Each exposes only those methods; each call goes to the same tracked
 * command and transfer logic msgpack workers use (transfer-calls.ts).
 */
import { pb } from 'mastro-protocol';
import type { TrackedCommand } from '../tracked-command.js';
import { fileWriterOf, readerOf, unpackDirectory, writeBlock } from '../transfer-calls.js';
import type { UpdatePair } from '../types.js';

/**
 * A PB `update` carries a list of `[{key: value}, 0]` (the 0 is a relic of update numbers);
 * text values are plain strings, a `log` value is `(logname, text)`.
 */
export function updatePairs(updates: unknown): UpdatePair[] {
  if (!Array.isArray(updates)) throw new TypeError('update takes a list of [{key: value}, number] entries');
  const pairs: UpdatePair[] = [];
  for (const entry of updates) {
    const dict = Array.isArray(entry) ? entry[0] : null;
    if (!dict || typeof dict !== 'object' || Array.isArray(dict)) throw new TypeError('each update entry is [{key: value}, number]');
    for (const [key, value] of Object.entries(dict)) pairs.push([key, value]);
  }
  return pairs;
}

/** A worker's failure text for `complete`: the exception's class and message, as Buildbot logs it. */
export function failureText(failure: unknown): string | null {
  if (failure === null || failure === undefined) return null;
  if (failure instanceof pb.PbFailure) return `${failure.type}: ${failure.value}`;
  return String(failure);
}

/** The command object: `update` waits for the consumer's backpressure before it answers. */
export function commandObject(tracked: TrackedCommand, onComplete: () => void): pb.Referenceable {
  return new pb.Referenceable({
    update: ({ args: [updates] }) => {
      const wait = tracked.applyUpdate(updatePairs(updates));
      return wait ? wait.then(() => null) : null;
    },
    complete: async ({ args: [failure] }) => {
      onComplete();
      await tracked.complete(failureText(failure));
      return null;
    },
  }, `command ${tracked.commandId}`);
}

export function fileWriterObject(tracked: TrackedCommand): pb.Referenceable {
  return new pb.Referenceable({
    write: ({ args: [data] }) => writeBlock(tracked, 'file', data, 'write'),
    utime: ({ args: [times] }) => {
      const [accessed, modified] = Array.isArray(times) ? times : [];
      return fileWriterOf(tracked, 'utime').utime(accessed, modified).then(() => null);
    },
    close: () => fileWriterOf(tracked, 'close').close().then(() => null),
  }, `file writer of command ${tracked.commandId}`);
}

export function directoryWriterObject(tracked: TrackedCommand): pb.Referenceable {
  return new pb.Referenceable({
    write: ({ args: [data] }) => writeBlock(tracked, 'directory', data, 'write'),
    unpack: () => unpackDirectory(tracked, 'unpack'),
  }, `directory writer of command ${tracked.commandId}`);
}

export function readerObject(tracked: TrackedCommand): pb.Referenceable {
  return new pb.Referenceable({
    read: ({ args: [length] }) => readerOf(tracked, 'read').read(length),
    close: () => readerOf(tracked, 'close').close().then(() => null),
  }, `reader of command ${tracked.commandId}`);
}
