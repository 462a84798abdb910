/**
 * Properties: Buildbot's `property` query parameter (names to include, '*' for all), and the
 * property endpoints /builds/:id/properties, /builders/:id|:name/builds/:number/properties and
 * /buildsets/:id/properties, which answer one entity `{name: [value, source]}` under the key
 * `properties`. Like Buildbot, an unknown build or buildset id by number has no properties ({}).
 */
import type { SourcedProperties } from '../types.js';
import { entity, resolveBuildId, type Endpoint } from './context.js';

export function filterProperties(props: SourcedProperties | undefined, wanted: string[] | undefined): SourcedProperties {
  if (!props || !wanted?.length) return {};
  if (wanted.includes('*')) return props;
  const out: SourcedProperties = {};
  for (const k of wanted) if (k in props) out[k] = props[k]!;
  return out;
}

const buildProperties = (pattern: string): Endpoint => ({
  pattern, type: 'properties',
  get: async (ctx, kw) => {
    const buildid = await resolveBuildId(ctx, kw);
    if (buildid === undefined) return null;
    return entity((await ctx.db.builds.getProperties([buildid])).get(buildid) ?? {});
  },
});

export const propertyEndpoints: Endpoint[] = [
  buildProperties('builds/n:buildid/properties'),
  buildProperties('builders/n:builderid/builds/n:build_number/properties'),
  buildProperties('builders/i:buildername/builds/n:build_number/properties'),
  {
    pattern: 'buildsets/n:bsid/properties', type: 'properties',
    get: async (ctx, kw) => entity(await ctx.db.buildsets.properties(Number(kw.bsid))),
  },
];
