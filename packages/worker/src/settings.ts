/** Output settings the master sends with `set_worker_settings` (Buildbot's defaults until then). */
import { DEFAULT_NEWLINE_RE, compileNewlineRe } from './output/newline.js';

export interface OutputSettings {
  /** Approximate bytes of updates batched before sending. */
  bufferSize: number;
  /** Longest time an update waits in the batch, ms. */
  bufferTimeoutMs: number;
  /** Longer lines are cut. */
  maxLineLength: number;
  newlineRe: RegExp;
  /** Send output as UTF-8 bytes of whole lines (a mastro master's `mastro_output_bytes`, PROTOCOL.md §3.4). */
  outputBytes: boolean;
}

export function defaultOutputSettings(): OutputSettings {
  return { bufferSize: 64 * 1024, bufferTimeoutMs: 5000, maxLineLength: 4096, newlineRe: compileNewlineRe(DEFAULT_NEWLINE_RE), outputBytes: false };
}

/**
 * Applies a `set_worker_settings` args mapping; throws with the offending key when one is wrong.
 * `bytesAllowed` is false on JSON sessions, where bytes would travel as base64: output stays text.
 */
export function applyWorkerSettings(current: OutputSettings, args: unknown, bytesAllowed = true): OutputSettings {
  if (!args || typeof args !== 'object') throw new Error('set_worker_settings needs an args mapping');
  const a = args as Record<string, unknown>;
  for (const key of ['buffer_size', 'buffer_timeout', 'newline_re', 'max_line_length']) {
    if (!(key in a)) throw new Error(`message did not contain obligatory settings for worker (missing '${key}')`);
  }
  const num = (key: string, min: number) => {
    const v = a[key];
    if (typeof v !== 'number' || !(v >= min)) throw new Error(`set_worker_settings: '${key}' must be a number >= ${min}`);
    return v;
  };
  if (typeof a.newline_re !== 'string') throw new Error("set_worker_settings: 'newline_re' must be a string");
  return {
    ...current,
    bufferSize: num('buffer_size', 1),
    bufferTimeoutMs: num('buffer_timeout', 0) * 1000,
    maxLineLength: num('max_line_length', 2),
    newlineRe: compileNewlineRe(a.newline_re),
    outputBytes: bytesAllowed && a.mastro_output_bytes === true,
  };
}
