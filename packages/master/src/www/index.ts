/** Public surface of the HTTP layer. */
export { createHttpServer, HTTP_DEFAULTS, type HttpServer, type HttpServerOptions } from './server.js';
export { registerRestApi } from './api/rest.js';
export { registerChangeHooks, type ChangeHookOptions } from './hooks/routes.js';
export { HookInputError } from './hooks/types.js';
export { CHANGE_HOOK_FACTORIES, handleHookRequest, type ChangeHookDialect, type HookRequest, type HookReply } from './hooks/dialects.js';
