/** The contract of a change hook dialect (/change_hook/<name>): turn one HTTP request into changes. */
import type { AddChangeInput } from '../../data/updates-api.js';

export interface HookRequest {
  /** First value of a form field or JSON body key (as a string), or undefined. */
  field(name: string): string | undefined;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body (for dialects that verify signatures, e.g. GitHub's X-Hub-Signature-256). */
  rawBody: Buffer;
  /** The parsed body: an object for JSON, the form fields for urlencoded. */
  body: unknown;
}

export interface ChangeHookDialect {
  name: string;
  /** Throws HookInputError for bad input (answered 400). Options are the dialect's config entry. */
  getChanges(req: HookRequest, options: Record<string, unknown>): Promise<{ changes: AddChangeInput[]; src: string | null }>;
}

export class HookInputError extends Error {
  readonly code = 'MASTRO_HOOK_BAD_INPUT';
}
