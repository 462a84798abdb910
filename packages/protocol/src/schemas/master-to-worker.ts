/** Requests the master sends to a worker, and what the worker answers (`response.result`). */
import { commandIdSchema, messageSchema, nullableString, type CommandId, type Envelope, type Schema } from './common.js';
import { TAG_RE } from '../tags.js';

/** Shows text in the worker's log. Result: null. */
export interface PrintMessage extends Envelope<'print'> { message: string }
export const printSchema = messageSchema('print', { message: { type: 'string' } }, ['message']);

/** Liveness check. Result: null. */
export type KeepaliveMessage = Envelope<'keepalive'>;
export const keepaliveSchema = messageSchema('keepalive', {}, []);

/** Asks for the worker's description. Result: a WorkerInfoResult. */
export type GetWorkerInfoMessage = Envelope<'get_worker_info'>;
export const getWorkerInfoSchema = messageSchema('get_worker_info', {}, []);

/** `get_worker_info` result, as `buildbot-worker` 3.7 builds it (plus one key per file in `info/`). */
export interface WorkerInfoResult {
  environ: Record<string, string>;
  /** Python's `os.name`: 'posix' or 'nt'. */
  system: string;
  basedir: string;
  numcpus: number;
  version: string;
  /** Command name -> command version, e.g. `{ shell: '3.3' }`. */
  worker_commands: Record<string, string>;
  delete_leftover_dirs: boolean;
  admin?: string;
  host?: string;
  access_uri?: string;
  /** mastro workers (§3.5): `linux`, `darwin`, `windows`, or Node's name of another platform. Buildbot workers send no `os`. */
  os?: string;
  /** mastro workers (§3.5): Node's `process.arch` (`x64`, `arm64`, ...). */
  arch?: string;
  /** mastro workers (§3.5): the worker's own tags, `key=value` or `flag` (never `os=` or `arch=`: those come from `os` and `arch`). */
  tags?: string[];
  [infoFile: string]: unknown;
}
export const workerInfoResultSchema: Schema = {
  $id: 'mastro:result:get_worker_info',
  type: 'object',
  properties: {
    environ: { type: 'object', additionalProperties: { type: 'string' } },
    system: { type: 'string' },
    basedir: { type: 'string' },
    numcpus: { type: 'integer', minimum: 1 },
    version: { type: 'string' },
    worker_commands: { type: 'object', additionalProperties: { type: ['string', 'number'] } },
    delete_leftover_dirs: { type: 'boolean' },
    os: { type: 'string', minLength: 1 },
    arch: { type: 'string', minLength: 1 },
    tags: { type: 'array', items: { type: 'string', pattern: TAG_RE.source } },
  },
  required: ['environ', 'system', 'basedir', 'numcpus', 'version', 'worker_commands'],
};

/** Output buffering and line splitting for updates. Result: null. */
export interface WorkerSettings {
  /** Python regular expression; matches are turned into `\n` before splitting lines. */
  newline_re: string;
  max_line_length: number;
  /** Seconds an update may wait in the buffer. */
  buffer_timeout: number;
  /** Bytes of output collected before an update is sent. */
  buffer_size: number;
  /**
   * mastro extension (Buildbot workers ignore it): send command output as UTF-8 bytes of whole lines
   * (msgpack bin) instead of `[text, offsets, times]`. Only meaningful on msgpack sessions.
   */
  mastro_output_bytes?: boolean;
}
export interface SetWorkerSettingsMessage extends Envelope<'set_worker_settings'> { args: WorkerSettings }
export const setWorkerSettingsSchema = messageSchema('set_worker_settings', {
  args: {
    type: 'object',
    properties: {
      newline_re: { type: 'string' },
      max_line_length: { type: 'integer', minimum: 1 },
      buffer_timeout: { type: 'number', minimum: 0 },
      buffer_size: { type: 'integer', minimum: 1 },
      mastro_output_bytes: { type: 'boolean' },
    },
    required: ['newline_re', 'max_line_length', 'buffer_timeout', 'buffer_size'],
  },
}, ['args']);

/**
 * Declares the builders and their directories (relative to the worker's basedir). Result: the list of
 * builder names. Part of the published spec; the 3.7 master does not send it (it uses listdir/mkdir).
 */
export interface SetBuilderListMessage extends Envelope<'set_builder_list'> { builders: Array<[name: string, builddir: string]> }
export const setBuilderListSchema = messageSchema('set_builder_list', {
  builders: {
    type: 'array',
    items: { type: 'array', items: [{ type: 'string' }, { type: 'string' }], minItems: 2 },
  },
}, ['builders']);

/** Starts a command; `args` depend on `command_name` (see commands-*.ts). Result: null once started. */
export interface StartCommandMessage extends Envelope<'start_command'> {
  command_id: CommandId;
  command_name: string;
  args: Record<string, unknown>;
  /** Absent for the 3.7 master's set-up commands (listdir/mkdir/stat at attach time). */
  builder_name?: string;
}
export const startCommandSchema = messageSchema('start_command', {
  command_id: commandIdSchema,
  command_name: { type: 'string', minLength: 1 },
  args: { type: 'object' },
  builder_name: { type: 'string' },
}, ['command_id', 'command_name', 'args']);

/** Interrupts a running command; the worker still sends its final updates and `complete`. Result: null. */
export interface InterruptCommandMessage extends Envelope<'interrupt_command'> {
  command_id: CommandId;
  why: string;
  builder_name?: string;
}
export const interruptCommandSchema = messageSchema('interrupt_command', {
  command_id: commandIdSchema,
  why: nullableString,
  builder_name: { type: 'string' },
}, ['command_id', 'why']);

/** Asks the worker to shut down. Result: null. */
export type ShutdownMessage = Envelope<'shutdown'>;
export const shutdownSchema = messageSchema('shutdown', {}, []);

export type MasterToWorkerMessage =
  | PrintMessage | KeepaliveMessage | GetWorkerInfoMessage | SetWorkerSettingsMessage
  | SetBuilderListMessage | StartCommandMessage | InterruptCommandMessage | ShutdownMessage;

export const masterToWorkerSchemas = {
  print: printSchema,
  keepalive: keepaliveSchema,
  get_worker_info: getWorkerInfoSchema,
  set_worker_settings: setWorkerSettingsSchema,
  set_builder_list: setBuilderListSchema,
  start_command: startCommandSchema,
  interrupt_command: interruptCommandSchema,
  shutdown: shutdownSchema,
} as const satisfies Record<MasterToWorkerMessage['op'], Schema>;
