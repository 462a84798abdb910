/**
 * Change filters on file paths: `files` (some changed file matches) and `onlyFiles` (every changed
 * file matches), their glob syntax, validation with paths, and the YAML form.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changeMatches, type ChangeFilterFields } from '../src/schedulers/change-filter.js';
import { compileFileMatcher, compileGlob, GlobError } from '../src/schedulers/file-globs.js';
import { checkConfig } from '../src/config/normalise.js';
import { formatIssue } from '../src/model/config-errors.js';
import { tryLoadConfig } from '../src/config/load.js';
import { validateAgainstSchema } from '../src/config/schema.js';
import { schedulers } from '../src/schedulers/specs.js';

const change = (...files: string[]) => ({ project: 'web', branch: 'main', files });
const passes = (filter: ChangeFilterFields, ...files: string[]) => changeMatches(filter, change(...files));

test('files: a change passes when at least one of its files matches', () => {
  const f = { files: 'src/**' };
  assert.equal(passes(f, 'README', 'src/a/b.c'), true);
  assert.equal(passes(f, 'README', 'docs/src/x'), false, 'a pattern with a slash is anchored at the root');
  assert.equal(passes(f), false, 'a change without files matches no file filter');
});

test('onlyFiles: a change passes when every one of its files matches (a docs-only scheduler)', () => {
  const docsOnly = { onlyFiles: ['docs/**', '*.md'] };
  assert.equal(passes(docsOnly, 'docs/a.md', 'docs/img/x.png', 'CHANGES.md', 'pkg/README.md'), true);
  assert.equal(passes(docsOnly, 'docs/a.md', 'src/main.c'), false);
  assert.equal(passes(docsOnly), false, 'no files: not docs-only');
});

test("'!' patterns exclude: files: ['!docs/**'] is a code scheduler that skips docs-only changes", () => {
  const code = { files: ['!docs/**'] };
  assert.equal(passes(code, 'docs/a.md'), false);
  assert.equal(passes(code, 'docs/a.md', 'src/x.ts'), true);
  const src = { files: ['src/**', '!src/vendor/**'] };
  assert.equal(passes(src, 'src/vendor/lib.c'), false);
  assert.equal(passes(src, 'src/vendor/lib.c', 'src/app.c'), true);
});

test('file filters combine with the other fields: every given field must match', () => {
  const f = { project: 'web', branch: 'main', onlyFiles: 'docs' };
  assert.equal(changeMatches(f, { project: 'web', branch: 'main', files: ['docs/x'] }), true);
  assert.equal(changeMatches(f, { project: 'api', branch: 'main', files: ['docs/x'] }), false);
  assert.equal(changeMatches({ files: 'docs', onlyFiles: '*.md' }, { files: ['docs/a.md', 'b.md'] }), true);
  assert.equal(changeMatches({ files: 'docs', onlyFiles: '*.md' }, { files: ['a.md'] }), false);
});

test('RegExps are tested against the whole path and functions get each path', () => {
  assert.equal(passes({ files: /^docs\// }, 'src/x', 'docs/y'), true);
  assert.equal(passes({ onlyFiles: /\.md$/g }, 'a.md', 'b.md', 'c.md'), true, 'a global RegExp carries no state between paths');
  const seen: string[] = [];
  assert.equal(passes({ onlyFiles: (p) => { seen.push(p); return p.length < 5; } }, 'a', 'bb'), true);
  assert.deepEqual(seen, ['a', 'bb']);
});

test('glob syntax: * ? [] {} ** and names matching at any depth or a whole directory', () => {
  const m = (glob: string, path: string) => compileGlob(glob)(path);
  assert.equal(m('*.md', 'a/b/c.md'), true);
  assert.equal(m('*.md', 'a.mdx'), false);
  assert.equal(m('docs/*.md', 'docs/a.md'), true);
  assert.equal(m('docs/*.md', 'docs/sub/a.md'), false, '* stays within one directory');
  assert.equal(m('docs/**/*.md', 'docs/a.md'), true, '**/ also matches no directory');
  assert.equal(m('docs/**/*.md', 'docs/x/y/a.md'), true);
  assert.equal(m('file?.txt', 'file1.txt'), true);
  assert.equal(m('file?.txt', 'file10.txt'), false);
  assert.equal(m('[!a]*.c', 'b.c'), true);
  assert.equal(m('[!a]*.c', 'a.c'), false);
  assert.equal(m('*.{md,rst}', 'x/y.rst'), true);
  assert.equal(m('docs', 'docs/a/b'), true, 'a directory name matches what is below it');
  assert.equal(m('docs/', 'docs/a'), true);
  assert.equal(m('/Makefile', 'Makefile'), true);
  assert.equal(m('/Makefile', 'sub/Makefile'), false, 'a leading slash anchors');
  assert.equal(m('a+b(1).txt', 'a+b(1).txt'), true, 'regex characters are literal');
  assert.equal(m('\\*.txt', '*.txt'), true);
  assert.equal(m('\\*.txt', 'x.txt'), false);
  assert.equal(compileFileMatcher(['!*.md'])('src/a.c'), true, 'a list of only exclusions matches everything else');
});

test('adversarial globs (seven and more `*-`, repeated `**/`) against 255-character and 4 KiB paths answer right, without backtracking', () => {
  // As RegExps these took exponential time: seven `*-` against one 255-character path did not finish in two minutes.
  const dashes = (n: number) => '-'.repeat(n);
  const sevenDashes = compileGlob('*-*-*-*-*-*-*-*.txt');
  assert.equal(sevenDashes(dashes(255)), false);
  assert.equal(sevenDashes(`${dashes(250)}.txt`), true);
  assert.equal(sevenDashes(`${'a-'.repeat(2000)}.txt`), true, 'a 4 KiB name');
  assert.equal(sevenDashes(`${'a-'.repeat(2000)}.txt/`), true, 'a directory the pattern names');
  assert.equal(sevenDashes(`${dashes(4096)}.tx`), false);
  assert.equal(sevenDashes(`${dashes(3)}.txt`), false, 'fewer dashes than the pattern needs');
  assert.equal(sevenDashes(`dir/${dashes(6)}a.txt`), false);
  assert.equal(sevenDashes(`dir/${dashes(7)}.txt`), true, 'an unanchored pattern matches at any depth');
  const twelve = compileGlob(`${'*-'.repeat(12)}*`);
  assert.equal(twelve(dashes(11)), false);
  assert.equal(twelve(dashes(4096)), true);
  assert.equal(twelve(`${dashes(4095)}/x`), true, 'what is below a matching directory');
  assert.equal(twelve(`x/${'ab'.repeat(2048)}`), false);

  const deep = compileGlob(`${'**/'.repeat(10)}x.md`);
  const dirs = (n: number) => 'a/'.repeat(n);
  assert.equal(deep(`${dirs(128)}y.md`), false);
  assert.equal(deep(`${dirs(2048)}x.md`), true);
  assert.equal(deep('x.md'), true, 'each **/ also matches no directory');
  assert.equal(compileGlob(`src/${'**/*'.repeat(8)}.c`)(`src/${dirs(2000)}b`), false);
  assert.equal(compileGlob('{*-*-*-*-*-*-*-*-*.c,**/**/**/**/**/y}')(`${dashes(300)}/${dirs(1000)}z`), false);
  assert.equal(compileGlob('[!a]*-*-*-*-*-*-*-?')(`b${dashes(4000)}`), true);
  assert.equal(compileFileMatcher(['*-*-*-*-*-*-*-*.txt', `!${'**/'.repeat(8)}vendor/**`])(`vendor/${dashes(255)}.txt`), false);
});

test('a reversed class range is reported as a bad glob, not as a RegExp syntax error', () => {
  assert.throws(() => compileGlob('[z-a].c'), (err: Error) => err instanceof GlobError && /range z-a .* out of order \(write a-z\)/.test(err.message));
});

const issues = (changeFilter: unknown) =>
  checkConfig({ schedulers: [{ kind: 'anyBranch', name: 's', builderNames: [], changeFilter }] }, { masterDir: tmpdir() }).issues.map(formatIssue);

test('bad file filters are reported with the path of each mistake', () => {
  assert.deepEqual(issues({ files: ['src/**', 'src/[abc', 7], onlyFiles: [] }), [
    'schedulers[0].changeFilter.files[1]: invalid file pattern "src/[abc": a \'[\' has no closing \']\'',
    'schedulers[0].changeFilter.files[2]: must be a glob string or a RegExp, got number 7',
    'schedulers[0].changeFilter.onlyFiles: must not be an empty list (it would match no change)',
  ]);
  assert.deepEqual(issues({ onlyFiles: '' }), ['schedulers[0].changeFilter.onlyFiles: invalid file pattern "": it is empty']);
  assert.deepEqual(issues({ file: 'docs/**' }), ["schedulers[0].changeFilter.file: unknown option; did you mean 'files'?"]);
  assert.match(issues({ files: { docs: true } })[0]!, /^schedulers\[0\]\.changeFilter\.files: must be a glob/);
  assert.deepEqual(issues({ files: ['src/**', /x/], onlyFiles: (p: string) => p.endsWith('.md') }), []);
});

const tmp = mkdtempSync(join(tmpdir(), 'mastro-files-filter-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

test('the YAML form takes files/onlyFiles as globs or { regex } and equals the TypeScript form', async () => {
  const yamlDir = join(tmp, 'yaml');
  mkdirSync(yamlDir);
  writeFileSync(join(yamlDir, 'master.config.yaml'), `workers: [{ name: w0, password: pw }]
builders: [{ name: docs, workerNames: [w0], steps: [] }]
schedulers:
  - anyBranch: { name: docs, builderNames: [docs], changeFilter: { project: web, onlyFiles: ['docs/**', '*.md'] } }
  - anyBranch: { name: code, builderNames: [docs], changeFilter: { files: [{ regex: '^src/' }, '!src/vendor/**'] } }
`);
  const r = await tryLoadConfig(yamlDir);
  assert.deepEqual(r.issues, []);
  const [docs, code] = r.config!.schedulers as Array<{ changeFilter: ChangeFilterFields }>;
  assert.deepEqual(docs!.changeFilter, schedulers.anyBranch({ name: 'docs', builderNames: ['docs'], changeFilter: { project: 'web', onlyFiles: ['docs/**', '*.md'] } }).changeFilter);
  assert.deepEqual(code!.changeFilter.files, [/^src\//, '!src/vendor/**']);
  assert.equal(changeMatches(code!.changeFilter, change('src/a.c')), true);
  assert.equal(changeMatches(code!.changeFilter, change('src/vendor/a.c')), false);

  const schemaIssues = validateAgainstSchema({ schedulers: [{ anyBranch: { name: 's', builderNames: [], changeFilter: { files: [3], onlyFiles: 'docs' } } }] });
  assert.ok(schemaIssues.length > 0 && schemaIssues.every((i) => i.path.startsWith('schedulers[0].anyBranch.changeFilter.files')), JSON.stringify(schemaIssues));
});
