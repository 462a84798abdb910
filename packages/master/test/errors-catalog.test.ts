/**
 * The master's error catalog (src/errors/catalog.ts) and its document (ERRORS.md) agree: every code
 * has a section with the same texts, every section a code, and no error class of the master invents
 * a code of its own outside the catalog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCatalog, ErrorCodes, MastroError, hasErrorCode } from '../src/errors/catalog.js';

const PKG = fileURLToPath(new URL('..', import.meta.url));
const doc = readFileSync(join(PKG, 'ERRORS.md'), 'utf8');

/** `## CODE` sections of ERRORS.md: code -> text until the next section. */
function sections(): Map<string, string> {
  const out = new Map<string, string>();
  const parts = doc.split(/^## /m).slice(1);
  for (const part of parts) {
    const [heading, ...rest] = part.split('\n');
    out.set(heading!.trim(), rest.join('\n'));
  }
  return out;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (name.endsWith('.ts')) out.push(full);
  }
  return out;
}

test('every code of the catalog has a section in ERRORS.md with its summary and remedy', () => {
  const docs = sections();
  for (const [code, entry] of Object.entries(ErrorCatalog)) {
    const text = docs.get(code);
    assert.ok(text !== undefined, `${code} has no "## ${code}" section in ERRORS.md`);
    assert.ok(text.includes(entry.summary), `${code}: ERRORS.md does not say the catalog's summary:\n  ${entry.summary}`);
    assert.ok(text.includes(`**What to do:** ${entry.remedy}`), `${code}: ERRORS.md does not say the catalog's remedy:\n  ${entry.remedy}`);
  }
});

test('every section of ERRORS.md names a code of the catalog', () => {
  const known = new Set(Object.keys(ErrorCatalog));
  for (const code of sections().keys()) assert.ok(known.has(code), `ERRORS.md documents ${code}, which the catalog does not have`);
});

test('the codes are unique, MASTRO_-prefixed and each has a catalog entry', () => {
  const values = Object.values(ErrorCodes);
  assert.equal(new Set(values).size, values.length, 'two names share one code');
  for (const code of values) {
    assert.match(code, /^MASTRO_[A-Z_]+$/);
    assert.ok(ErrorCatalog[code], `${code} has no catalog entry`);
    assert.ok(ErrorCatalog[code].summary.length > 10 && ErrorCatalog[code].remedy.length > 10, `${code}: summary and remedy must say something`);
  }
});

test('no error of the master sets a code outside the catalog', () => {
  // A string literal as a code (`code = 'MASTRO_X'`, `new DataError('MASTRO_X', ...)`) bypasses the
  // catalog and its document; codes come from ErrorCodes.
  const offenders: string[] = [];
  for (const file of sourceFiles(join(PKG, 'src'))) {
    if (file.endsWith(join('errors', 'catalog.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(code\s*=\s*|Error\(\s*)'(MASTRO_[A-Z_]+)'/g)) offenders.push(`${file.slice(PKG.length)}: ${m[2]}`);
  }
  assert.deepEqual(offenders, []);
});

test('no module of the master keeps a code table of its own: every MASTRO_ code in a string is the catalog\'s', () => {
  // A family of errors (the reporters' transports) may name its codes locally, but the values come
  // from ErrorCodes, so each has its summary, remedy and ERRORS.md section.
  const known = new Set<string>(Object.values(ErrorCodes));
  // Environment variables share the prefix but are not error codes: the daemon child's log file.
  const ENVIRONMENT_VARIABLES = new Set(['MASTRO_DAEMON_LOG_FILE']);
  const strays: string[] = [];
  for (const file of sourceFiles(join(PKG, 'src'))) {
    if (file.endsWith(join('errors', 'catalog.ts'))) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/['"](MASTRO_[A-Z_]+)['"]/g)) if (!known.has(m[1]!) && !ENVIRONMENT_VARIABLES.has(m[1]!)) strays.push(`${file.slice(PKG.length)}: ${m[1]}`);
  }
  assert.deepEqual(strays, []);
});

test('an error is recognised by its code, whichever copy of mastro made it', () => {
  const err = new MastroError(ErrorCodes.OPTION_UNKNOWN, 'x');
  assert.ok(hasErrorCode(err, ErrorCodes.OPTION_UNKNOWN));
  // What a config's own copy of mastro throws: a different class, the same code.
  const foreign = Object.assign(new Error('y'), { code: 'MASTRO_CONFIG_INVALID' });
  assert.ok(hasErrorCode(foreign, ErrorCodes.CONFIG_INVALID));
  assert.ok(!hasErrorCode(Object.assign(new Error('z'), { name: 'ConfigError' }), ErrorCodes.CONFIG_INVALID), 'a name alone is not a code');
  assert.ok(!hasErrorCode(null, ErrorCodes.CONFIG_INVALID));
});
