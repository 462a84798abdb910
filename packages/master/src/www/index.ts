/** Public surface of the HTTP layer. */
export { createHttpServer, HTTP_DEFAULTS, type HttpServer, type HttpServerOptions } from './server.js';
export { registerRestApi } from './api/rest.js';
export { registerChangeHooks, type ChangeHookOptions } from './hooks/routes.js';
export { HookInputError } from './hooks/types.js';
export { CHANGE_HOOK_FACTORIES, handleHookRequest, type ChangeHookDialect, type HookRequest, type HookReply } from './hooks/dialects.js';
export { Security } from './security.js';
export type { Identity } from './auth/identity.js';
export { UsersStore, USERS_FILE, UserStoreError } from './auth/users-store.js';
export { Authz, type AuthzAction, type AuthzTarget } from './authz/rules.js';
export type { MasterControl, ForceSchedulerLike } from '../process/master-control.js';
export { WS_DEFAULTS, CLOSE_SLOW_CONSUMER } from './ws/server.js';
export { buildOpenApi } from './openapi.js';
