/**
 * The dialects of `/change_hook/<dialect>` this directory provides, by name, for the HTTP server to
 * build from `www.changeHooks` (`{ github: { secret: '...' } }`). `base` lives with the server.
 */
import type { ChangeHookDialect } from './dialect.js';
import { createGithubHook } from './github.js';
import { createGitlabHook } from './gitlab.js';
import { createGerritHook } from './gerrit.js';

export const CHANGE_HOOK_FACTORIES: Readonly<Record<string, (options: Record<string, unknown>) => ChangeHookDialect>> = {
  github: (o) => createGithubHook(o),
  gitlab: (o) => createGitlabHook(o),
  gerrit: (o) => createGerritHook(o),
};

export { handleHookRequest, type ChangeHookDialect, type HookRequest, type HookReply } from './dialect.js';
