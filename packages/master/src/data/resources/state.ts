/**
 * Persisted state of long-running parts (schedulers, pollers): Buildbot's `getState`/`setState`,
 * values kept per object (name + class) and key. Writes only: the REST API does not show state.
 */
import { DataError } from '../errors.js';
import type { UpdateContext } from './context.js';
import { ErrorCodes } from '../../errors/catalog.js';

export interface StateUpdates {
  getState(objectName: string, className: string, key: string, dflt?: unknown): Promise<unknown>;
  setState(objectName: string, className: string, key: string, value: unknown): Promise<void>;
}

export function stateUpdates(u: UpdateContext): StateUpdates {
  // Object ids never change once made: asked for once per object.
  const objectIds = new Map<string, number>();
  const objectId = async (name: string, className: string): Promise<number> => {
    const key = `${className}\0${name}`;
    let id = objectIds.get(key);
    if (id === undefined) { id = await u.db.state.objectId(name, className); objectIds.set(key, id); }
    return id;
  };
  return {
    async getState(objectName, className, key, dflt) {
      const v = await u.db.state.get(await objectId(objectName, className), key);
      if (v) return v.value;
      if (dflt === undefined) throw new DataError(ErrorCodes.NO_STATE, 404, `no state ${key} for ${className} ${objectName} and no default given`);
      return dflt;
    },

    async setState(objectName, className, key, value) {
      await u.db.state.set(await objectId(objectName, className), key, value);
    },
  };
}
