/** Public surface of the HTTP layer. */
export { createHttpServer, HTTP_DEFAULTS, type HttpServer, type HttpServerOptions } from './server.js';
export { registerRestApi } from './api/rest.js';
export { registerChangeHooks, BUILTIN_DIALECTS, type ChangeHookOptions } from './hooks/routes.js';
export { HookInputError, type ChangeHookDialect, type HookRequest } from './hooks/types.js';
