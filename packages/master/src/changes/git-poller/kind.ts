/** `changes.gitPoller`: one repository's branches polled with git (Buildbot's GitPoller). */
import { isPlainObject } from '../../model/config-checks.js';
import { Secret } from '../../process/renderables.js';
import { changeSourceKind } from '../kind.js';
import { redactUrl } from '../../util/url-credentials.js';
import { GIT_POLLER_KEYS, gitPoller, normaliseGitPoller, type GitPollerOptions } from './options.js';
import { GitPoller } from './poller.js';

export const gitPollerKind = changeSourceKind({
  factory: gitPoller,
  keys: GIT_POLLER_KEYS,
  normalise: normaliseGitPoller,
  name: (spec) => spec.name ?? redactUrl(spec.repourl),
  create: (spec, services) => new GitPoller(spec, services),
  // httpToken: { secret: name } is util.secret(name) (the other forms, a string, { env } and { file }, pass as they are).
  fromYaml: (o) => (isPlainObject(o.httpToken) && typeof o.httpToken.secret === 'string' ? { ...o, httpToken: Secret(o.httpToken.secret) } : o) as unknown as GitPollerOptions,
});
