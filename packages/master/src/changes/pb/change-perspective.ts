/**
 * The perspective `buildbot sendchange` and Buildbot's post-receive scripts (`git_buildbot.py`,
 * `svn_buildbot.py`) log into: it offers `addChange(changedict)`, as Buildbot's PBChangeSource does
 * (buildbot/changes/pb.py, ChangePerspective). The dict is read the way Buildbot reads it: `who`
 * is the author and `when` the timestamp (the names the clients still send), empty revlink,
 * repository and project become '', bytes are decoded as UTF-8, files outside `prefix` are dropped
 * and the prefix is cut from the others, `links` is ignored. A key Buildbot's addChange would not
 * take is refused with the list of those it takes, rather than dropped unseen.
 */
import { pb } from 'mastro-protocol';
import type { AddChangeInput } from '../../data/updates-api.js';

export interface PbChangePerspectiveOptions {
  /** Only files under this prefix are kept, without it (Buildbot's `prefix`); null keeps all. */
  prefix?: string | null;
  /** Stores the change (the master's data layer). */
  addChange(change: AddChangeInput): Promise<unknown>;
}

/** The keys Buildbot 3.7's addChange takes, plus the old names the clients send and `links`. */
const ACCEPTED = ['author', 'who', 'committer', 'files', 'comments', 'revision', 'when_timestamp', 'when', 'branch', 'category',
  'revlink', 'properties', 'repository', 'codebase', 'project', 'src', 'links'] as const;

class ChangeDictError extends pb.PbError {
  constructor(message: string) { super(pb.FailureTypes.RUNTIME_ERROR, `addChange: ${message}`); }
}

function text(value: unknown, key: string): string | null {
  const t = pb.pbText(value);
  if (t === undefined) throw new ChangeDictError(`${key} must be text, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  return t;
}

/** A sendchange dict as mastro's change input. Throws a PbError (the client sees it) for a dict Buildbot would refuse. */
export function changeFromPb(changedict: unknown, prefix: string | null = null): AddChangeInput {
  if (!changedict || typeof changedict !== 'object' || Array.isArray(changedict)) throw new ChangeDictError('takes one dictionary describing the change');
  const d = changedict as Record<string, unknown>;
  const unknown = Object.keys(d).filter((k) => !(ACCEPTED as readonly string[]).includes(k));
  if (unknown.length) throw new ChangeDictError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the fields are ${ACCEPTED.filter((k) => k !== 'links').join(', ')}`);
  const author = text(d.author, 'author') ?? text(d.who, 'who');
  if (!author) throw new ChangeDictError('who (or author) is required');
  const whenRaw = d.when_timestamp ?? d.when;
  let when_timestamp: number | undefined;
  if (whenRaw !== null && whenRaw !== undefined) {
    const n = typeof whenRaw === 'number' ? whenRaw : Number(text(whenRaw, 'when'));
    if (!Number.isFinite(n)) throw new ChangeDictError(`when must be seconds since the epoch, got ${JSON.stringify(String(whenRaw))}`);
    when_timestamp = Math.floor(n);
  }
  const rawFiles = d.files ?? [];
  if (!Array.isArray(rawFiles) && !(rawFiles instanceof Set)) throw new ChangeDictError('files must be a list of file names');
  const files: string[] = [];
  for (const file of rawFiles) {
    const path = text(file, 'a file name') ?? '';
    if (!prefix) files.push(path);
    else if (path.startsWith(prefix)) files.push(path.slice(prefix.length));
  }
  const properties = d.properties ?? {};
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) throw new ChangeDictError('properties must be a dictionary');
  const change: AddChangeInput = {
    author,
    committer: text(d.committer, 'committer') || null,
    files,
    comments: text(d.comments, 'comments') ?? '',
    revision: text(d.revision, 'revision'),
    branch: text(d.branch, 'branch'),
    category: text(d.category, 'category'),
    revlink: text(d.revlink, 'revlink') ?? '',
    properties: properties as Record<string, unknown>,
    repository: text(d.repository, 'repository') ?? '',
    project: text(d.project, 'project') ?? '',
    src: text(d.src, 'src'),
  };
  if (when_timestamp !== undefined) change.when_timestamp = when_timestamp;
  const codebase = text(d.codebase, 'codebase');
  if (codebase !== null) change.codebase = codebase;
  return change;
}

/** The perspective of a logged-in change client. Answers None, as Buildbot does (no change id). */
export function changePerspective(options: PbChangePerspectiveOptions): pb.Referenceable {
  return new pb.Referenceable({
    addChange: async ({ args }) => {
      if (args.length !== 1) throw new ChangeDictError(`takes one dictionary, got ${args.length} arguments`);
      await options.addChange(changeFromPb(args[0], options.prefix ?? null));
      return null;
    },
  }, 'change perspective');
}
