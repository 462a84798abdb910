/** Buildbot's `property` query parameter: names to include, '*' for all. */
import type { SourcedProperties } from '../types.js';

export function filterProperties(props: SourcedProperties | undefined, wanted: string[] | undefined): SourcedProperties {
  if (!props || !wanted?.length) return {};
  if (wanted.includes('*')) return props;
  const out: SourcedProperties = {};
  for (const k of wanted) if (k in props) out[k] = props[k]!;
  return out;
}
