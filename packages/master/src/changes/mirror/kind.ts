/** `changes.mirrorPoller`: many repositories mirrored locally (an explicit list, a glob, or forge discovery). */
import { isPlainObject, type Obj } from '../../model/config-checks.js';
import { changeSourceKind } from '../kind.js';
import { MIRROR_POLLER_KEYS, mirrorPoller, normaliseMirrorPoller, type MirrorPollerOptions } from './options.js';
import { createMirrorPoller } from './poller.js';

export const mirrorPollerKind = changeSourceKind({
  factory: mirrorPoller,
  keys: MIRROR_POLLER_KEYS,
  normalise: normaliseMirrorPoller,
  name: (spec) => spec.name ?? spec.kind,
  create: (spec, services) => createMirrorPoller(spec, services),
  // forge.filter is a RegExp in TypeScript and { regex, flags } in YAML.
  fromYaml: (o: Obj) => {
    const filter = isPlainObject(o.forge) && isPlainObject(o.forge.filter) ? o.forge.filter : null;
    const forge = filter && typeof filter.regex === 'string' ? { ...(o.forge as Obj), filter: new RegExp(filter.regex, typeof filter.flags === 'string' ? filter.flags : undefined) } : o.forge;
    return { ...o, ...(forge !== undefined ? { forge } : {}) } as unknown as MirrorPollerOptions;
  },
});
