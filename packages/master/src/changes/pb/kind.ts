/** `changes.pb`: Buildbot's PBChangeSource; `buildbot sendchange` and post-receive scripts written for it log in and add Changes. */
import { changeSourceKind } from '../kind.js';
import { PB_CHANGE_SOURCE_KEYS, normalisePbChangeSource, pbChangeSource, type ResolvedPbChangeSourceSpec } from './options.js';
import { PbChangeSource } from './pb-change-source.js';

export const pbChangeSourceKind = changeSourceKind({
  factory: pbChangeSource,
  keys: PB_CHANGE_SOURCE_KEYS,
  normalise: normalisePbChangeSource,
  name: (spec) => spec.name ?? spec.kind,
  // normalise filled the defaults (user, passwd, name).
  create: (spec, services) => new PbChangeSource(spec as ResolvedPbChangeSourceSpec, services),
});
