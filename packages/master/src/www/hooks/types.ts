/** Input of the `base` dialect: form fields or JSON body keys, by name. */
import { ErrorCodes } from '../../errors/catalog.js';

export interface FieldSource {
  /** First value of a form field or JSON body key (as a string), or undefined. */
  field(name: string): string | undefined;
}

/** Bad input to a change hook (answered 400 with the message). */
export class HookInputError extends Error {
  readonly code = ErrorCodes.HOOK_BAD_INPUT;
}
