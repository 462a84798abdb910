/**
 * A config file that cannot run is reported in the user's terms: the file, line and column of a
 * syntax error (TypeScript and plain JavaScript alike), what to check for a missing import, the
 * config's own line for what it threw, and never mastro's internal frames or a repeated message.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tryLoadConfig } from '../src/config/load.js';

const tmp = mkdtempSync(join(tmpdir(), 'mastro-config-errors-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
function masterDir(files: Record<string, string>): string {
  const dir = join(tmp, `m${++n}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function onlyIssue(files: Record<string, string>): Promise<{ dir: string; message: string }> {
  const dir = masterDir(files);
  const r = await tryLoadConfig(dir);
  assert.equal(r.config, null);
  assert.equal(r.issues.length, 1, JSON.stringify(r.issues));
  const message = r.issues[0]!.message;
  assert.doesNotMatch(message, /packages\/master\/(src|dist)\//, 'mastro internals leaked into the message');
  assert.doesNotMatch(message, /node:internal/);
  return { dir, message };
}

test('a TypeScript syntax error is reported as FILE:LINE:COL once', async () => {
  const { dir, message } = await onlyIssue({ 'master.config.ts': "import { defineConfig } from 'mastro';\nexport default defineConfig({ workers: [1] );\n" });
  assert.match(message, new RegExp(`^${join(dir, 'master.config.ts').replace(/[.]/g, '\\.')}:2:\\d+: syntax error: Expected "[\\]}]" but found "\\)"$`));
});

test('a JavaScript syntax error names the file and line as well', async () => {
  const { dir, message } = await onlyIssue({ 'master.config.js': "import { defineConfig } from 'mastro';\nexport default defineConfig({ title: 'x', );\n" });
  assert.match(message, new RegExp(`^${join(dir, 'master.config.js').replace(/[.]/g, '\\.')}:2:\\d+: syntax error: `));
});

test('a missing helper module is named once, with what to check', async () => {
  const { message } = await onlyIssue({ 'master.config.ts': "import { defineConfig } from 'mastro';\nimport { title } from './helpers.js';\nexport default defineConfig({ title });\n" });
  assert.match(message, /Cannot find module '.*\/helpers\.js' imported from .*master\.config\.ts; check the import/);
  assert.equal(message.match(/Cannot find module/g)!.length, 1, message);
});

test('a config without a default export is told how to write one, without a stack frame', async () => {
  const { message } = await onlyIssue({ 'master.config.ts': 'export const config = {};\n' });
  assert.equal(message, 'the config file has no default export; write `export default defineConfig({...})`');
});

test('an error the config throws points at the config line it came from', async () => {
  const { dir, message } = await onlyIssue({ 'master.config.ts': "import { defineConfig } from 'mastro';\nconst x: any = undefined;\nexport default defineConfig({ title: x.name });\n" });
  assert.match(message, /^the config file failed to load: Cannot read properties of undefined \(reading 'name'\) \(at .*master\.config\.ts:3:\d+\)?/);
  assert.ok(message.includes(dir));
});

test("an error the config throws that is named ConfigError but is not mastro's is reported as thrown", async () => {
  // Recognising mastro's ConfigError by its name took this error's `issues` (strings) as config
  // issues and printed "undefined"; it is matched on its code now.
  const { message } = await onlyIssue({
    'master.config.ts': "throw Object.assign(new Error('DATABASE_URL is not set'), { name: 'ConfigError', issues: ['DATABASE_URL'] });\nexport default {};\n",
  });
  assert.match(message, /^the config file failed to load: DATABASE_URL is not set/);
});

test('a ConfigError the config throws through its own mastro import keeps its issues and paths', async () => {
  const dir = masterDir({
    'master.config.ts': "import { ConfigError } from 'mastro';\nthrow new ConfigError([{ path: 'workers[0]', message: 'no password in the vault' }]);\nexport default {};\n",
  });
  const r = await tryLoadConfig(dir);
  assert.equal(r.config, null);
  assert.deepEqual(r.issues, [{ path: 'workers[0]', message: 'no password in the vault' }]);
});
