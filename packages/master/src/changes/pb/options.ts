/**
 * Options of `changes.pb({...})`, Buildbot's PBChangeSource: the user `buildbot sendchange` and
 * post-receive scripts written for Buildbot (`git_buildbot.py`, `svn_buildbot.py`) log in as, and
 * where. Without `port` it takes logins on the worker PB port (`protocols.pb`, shared with the
 * WebSocket workers by default), as Buildbot does; another port gets a PB listener of its own.
 */
import { brand } from '../../model/config-brand.js';
import type { IssueCollector } from '../../model/config-errors.js';
import { knownKeys, optStr, port, str, type Obj } from '../../model/config-checks.js';

export interface PbChangeSourceOptions {
  /** User name clients log in with. Default 'change' (Buildbot's, and `buildbot sendchange --auth`'s default). */
  user?: string;
  /** Its password. Default 'changepw' (Buildbot's). */
  passwd?: string;
  /** TCP port. Default: the worker PB port (`protocols.pb.port`); a different one gets a PB listener of its own. */
  port?: number;
  /** Keep only files under this prefix, with the prefix cut off (Buildbot's `prefix`). Default: all files as sent. */
  prefix?: string | null;
  /** Name of the change source. Default Buildbot's: `PBChangeSource:<prefix>:<port>` or `PBChangeSource:<port>`. */
  name?: string;
}

export type PbChangeSourceSpec = { kind: 'pb' } & PbChangeSourceOptions;
/** After normalisation: the defaults filled in. */
export type ResolvedPbChangeSourceSpec = PbChangeSourceSpec & Required<Pick<PbChangeSourceOptions, 'user' | 'passwd' | 'name'>>;

export const PB_CHANGE_SOURCE_DEFAULTS = { user: 'change', passwd: 'changepw' } as const;

export const PB_CHANGE_SOURCE_KEYS = ['kind', 'user', 'passwd', 'port', 'prefix', 'name'];

/** `changes.pb({...})`: to be re-exported by the `changes` namespace of the config API. */
export function pbChangeSource(o: PbChangeSourceOptions = {}): PbChangeSourceSpec {
  return brand('changeSource', { ...o, kind: 'pb' as const });
}

/** Checks the options and fills the defaults (the ports are checked against `protocols` by checkPbChangeSourcePorts). */
export function normalisePbChangeSource(raw: Obj, c: IssueCollector): ResolvedPbChangeSourceSpec {
  knownKeys(c, raw, PB_CHANGE_SOURCE_KEYS);
  const user = str(c, raw, 'user', { fallback: PB_CHANGE_SOURCE_DEFAULTS.user, nonEmpty: true });
  const passwd = str(c, raw, 'passwd', { fallback: PB_CHANGE_SOURCE_DEFAULTS.passwd });
  const prefix = optStr(c, raw, 'prefix');
  const spec: ResolvedPbChangeSourceSpec = { kind: 'pb', user, passwd, prefix, name: '' };
  if (raw.port !== undefined) spec.port = port(c, raw, 'port', 0);
  // Buildbot's own default name, `None` included when no port was given.
  const shownPort = spec.port ?? 'None';
  spec.name = optStr(c, raw, 'name') ?? (prefix ? `PBChangeSource:${prefix}:${shownPort}` : `PBChangeSource:${shownPort}`);
  return spec;
}

/**
 * A changes.pb must reach a port that serves PB: the worker PB port (none when `protocols.pb` is
 * off) or one of its own, not the WebSocket port when PB is elsewhere. `c` is at `changeSources`.
 */
export function checkPbChangeSourcePorts(c: IssueCollector, sources: ReadonlyArray<{ kind: string } | null>, pbPort: number | null, workerPort: number): void {
  sources.forEach((s, i) => {
    if (s?.kind !== 'pb') return;
    const spec = s as PbChangeSourceSpec;
    if (spec.port === undefined) {
      if (pbPort === null) c.at(i).add('port', 'is needed: protocols.pb is off, so there is no worker PB port to share; give changes.pb a port of its own or turn protocols.pb on');
    } else if (spec.port !== 0 && spec.port === workerPort && spec.port !== pbPort) {
      c.at(i).add('port', `is the WebSocket worker port, which serves no PB (${pbPort === null ? 'protocols.pb is off' : `protocols.pb.port is ${pbPort}`}); leave port out to use the worker PB port, or choose a port of its own`);
    }
  });
}
