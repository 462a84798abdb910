/**
 * The dialects of `/change_hook/<dialect>` this directory provides, by name, for the HTTP server to
 * build from `www.changeHooks` (`{ github: { secret: '...' } }`). `base` lives with the server.
 * Config checking reads the names from here too, so a new dialect is its file (a factory returning
 * a ChangeHookDialect, dialect.ts) plus its line below, and its entry under `www.changeHooks` in
 * the published schema (config-schema.test.ts holds the schema to this table).
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

/** Every dialect a config may enable, `base` first. */
export const CHANGE_HOOK_DIALECT_NAMES: readonly string[] = ['base', ...Object.keys(CHANGE_HOOK_FACTORIES)];

export { handleHookRequest, type ChangeHookDialect, type HookRequest, type HookReply } from './dialect.js';
