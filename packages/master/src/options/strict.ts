/**
 * Options objects of components (createHttpServer, ...) are checked for unknown keys at run time
 * too: a JavaScript caller, or a TypeScript one passing a wider object, would otherwise see a
 * misspelt option silently replaced by its default.
 */
import { closest } from '../model/config-checks.js';
import { ErrorCodes, MastroError } from '../errors/catalog.js';

export function refuseUnknownOptions(component: string, options: object, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k) && (options as Record<string, unknown>)[k] !== undefined);
  if (!unknown.length) return;
  const what = unknown.map((k) => { const close = closest(k, known); return close ? `'${k}' (did you mean '${close}'?)` : `'${k}'`; });
  throw new MastroError(ErrorCodes.OPTION_UNKNOWN, `${component}: unknown option${unknown.length === 1 ? '' : 's'} ${what.join(', ')}; known options are: ${known.join(', ')} (${ErrorCodes.OPTION_UNKNOWN})`);
}
