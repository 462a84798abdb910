/**
 * Running the master in production, in the YAML form: `monitoring` (GET /metrics, /healthz, /readyz,
 * optionally on their own port) and `log` (mastro.log's size-based rotation). With the other files of
 * this folder it is the published schema (published-schema.ts); config/operations.ts checks them and
 * holds their defaults.
 */
import { Nullable, Options, Type } from './declare.js';

export const MonitoringOptions = Options({
  metrics: Type.Optional(Type.Boolean({"description": "Serve /metrics (default true)"})),
  port: Type.Optional(Nullable(Type.Integer({"minimum": 0, "maximum": 65535, "description": "A port of its own for /metrics, /healthz and /readyz besides the web port (default null: the web port only; 0 picks a free port)"}))),
  host: Type.Optional(Type.String({"minLength": 1, "description": "Interface of that port (default www.host, else all interfaces)"})),
  readyTimeout: Type.Optional(Type.Number({"exclusiveMinimum": 0, "description": "Seconds /readyz waits for the database to answer (default 5)"})),
}, {"description": "GET /metrics (Prometheus text), /healthz and /readyz. /metrics needs the view permission (a login when www.authz.anonymousView is false); /healthz and /readyz are open"});

export const MasterLogOptions = Options({
  rotateLength: Type.Optional(Nullable(Type.Integer({"minimum": 1024, "description": "Bytes after which mastro.log becomes mastro.log.1 (default 10000000, Buildbot's; null never rotates)"}))),
  maxRotatedFiles: Type.Optional(Nullable(Type.Integer({"minimum": 0, "description": "Rotated files kept, mastro.log.1 the newest (default 10, Buildbot's; null keeps all)"}))),
}, {"description": "Rotation of mastro.log (under mastro start), as Buildbot's buildbot.tac; SIGUSR1 reopens the file for an external logrotate"});
