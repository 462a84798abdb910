/**
 * The `forceschedulers` resource: not in the database but in the running force schedulers
 * (Buildbot's data/forceschedulers.py). Paths: forceschedulers, forceschedulers/<name>,
 * builders/<id or name>/forceschedulers. Query parameters work as on other collections.
 */
import type { DataConnector } from '../../data/connector.js';
import { NotFoundError } from '../../data/errors.js';
import { runCollection, selectFields, type ResultSpec } from '../../data/resultspec.js';
import type { GetResult } from '../../data/connector.js';
import type { ForceSchedulerLike } from '../../process/master-control.js';

const FIELDS = { name: 'string', button_name: 'string', label: 'string', builder_names: 'other', enabled: 'bool', all_fields: 'other' } as const;

export async function getForceSchedulers(path: string[], spec: ResultSpec, schedulers: ForceSchedulerLike[], data: DataConnector): Promise<GetResult | null> {
  let items = schedulers.map((s) => s.toApi());
  if (path[0] === 'forceschedulers' && path.length === 2) {
    const item = items.find((s) => s.name === path[1]);
    if (!item) throw new NotFoundError(`no force scheduler named '${path[1]}'`);
    return { kind: 'entity', type: 'forceschedulers', item: selectFields(item, spec.fields) };
  }
  if (path[0] === 'builders' && path[2] === 'forceschedulers' && path.length === 3) {
    const builder = await data.getOne<{ name: string }>(['builders', /^\d+$/.test(path[1]!) ? Number(path[1]) : path[1]!]);
    if (!builder) throw new NotFoundError(`no builder ${path[1]}`);
    items = items.filter((s) => (s.builder_names as string[]).includes(builder.name));
  } else if (!(path[0] === 'forceschedulers' && path.length === 1)) {
    return null;
  }
  const all = items;
  const r = await runCollection({ fields: FIELDS, columns: {}, fetch: async () => all, count: async () => all.length }, spec);
  return { kind: 'collection', type: 'forceschedulers', items: r.items, total: r.total };
}
