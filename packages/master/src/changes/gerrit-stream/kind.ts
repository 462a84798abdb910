/** `changes.gerritStream`: Gerrit's `stream-events` over SSH, or any command printing its JSON events. */
import { changeSourceKind } from '../kind.js';
import { GERRIT_STREAM_KEYS, gerritStream, normaliseGerritStream } from './options.js';
import { GerritStreamSource } from './source.js';

export const gerritStreamKind = changeSourceKind({
  factory: gerritStream,
  keys: GERRIT_STREAM_KEYS,
  normalise: normaliseGerritStream,
  name: (spec) => spec.name ?? spec.kind,
  create: (spec, services) => new GerritStreamSource(spec, services),
});
