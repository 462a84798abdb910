import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redactor } from '../src/process/redactor.js';
import { SecretManager, directoryProvider, staticProvider } from '../src/process/secrets.js';

test('redact replaces every occurrence of every secret with its name', () => {
  const r = new Redactor();
  r.addSecret('pw', 'hunter2');
  r.addSecret('tok', 'abcdef123');
  assert.equal(r.redact('login hunter2 then abcdef123 and hunter2'), 'login <pw> then <tok> and <pw>');
});

test('a secret split across chunks is still redacted, at every split point', () => {
  const r = new Redactor();
  r.addSecret('pw', 'hunter2-secret');
  const text = 'before hunter2-secret middle hunter2-secret end';
  for (let split = 0; split <= text.length; split++) {
    for (let split2 = split; split2 <= text.length; split2 += 3) {
      const s = r.stream();
      const out = s.push(text.slice(0, split)) + s.push(text.slice(split, split2)) + s.push(text.slice(split2)) + s.flush();
      assert.equal(out, 'before <pw> middle <pw> end', `splits ${split}/${split2}`);
    }
  }
});

test('one-character chunks are redacted and nothing is lost', () => {
  const r = new Redactor();
  r.addSecret('a', 'XYZW');
  const s = r.stream();
  let out = '';
  for (const ch of 'aXYZWbXYZXYZWc') out += s.push(ch);
  out += s.flush();
  assert.equal(out, 'a<a>bXYZ<a>c');
});

test('streams pass text through untouched when there are no secrets', () => {
  const s = new Redactor().stream();
  assert.equal(s.push('hello'), 'hello');
  assert.equal(s.flush(), '');
});

test('every form a secret is written in is redacted: JSON-escaped, shell-quoted (POSIX, cmd.exe), a Python bytes literal', () => {
  const secret = `it's "q" \\ 100% é\tend`;
  const r = new Redactor();
  r.addSecret('tok', secret);
  const posix = `'${secret.replace(/'/g, `'"'"'`)}'`;
  const header = [
    secret,
    ` argv: ${JSON.stringify(['sh', '-c', secret])}`,
    `printf ${posix}`,
    JSON.stringify(posix),
    `cmd /c "it's \\"q\\" \\ 100%% é\tend"`.replace(/[@()^"<>&|]/g, '^$&'),
    ` argv: [b'sh', b'it\\'s "q" \\\\ 100% \\xc3\\xa9\\tend']`,
    ` argv: [b"it's \\\\ 100% \\xc3\\xa9\\tend"]`.replace("it's \\\\", `it's "q" \\\\`),
  ].join('\n');
  const out = r.redact(header);
  assert.equal(out.split('\n').length, 7);
  for (const line of out.split('\n')) assert.match(line, /<tok>/, line);
  for (const leak of ['"q"', '100%', 'é', '\\xc3']) assert.ok(!out.includes(leak), `${leak} in ${out}`);
});

test("a secret cut by a newline at any point (the worker's max_line_length) is redacted, in one text and across chunks", () => {
  const secret = 'cut-me-anywhere-7';
  const r = new Redactor();
  r.addSecret('tok', secret);
  for (let cut = 1; cut < secret.length; cut++) {
    const text = `x${secret.slice(0, cut)}\n${secret.slice(cut)}y\n`;
    assert.equal(r.redact(text), 'x<tok>y\n', `cut at ${cut}`);
    for (let split = 0; split <= text.length; split++) {
      const s = r.stream();
      assert.equal(s.push(text.slice(0, split)) + s.push(text.slice(split)) + s.flush(), 'x<tok>y\n', `cut at ${cut}, chunks split at ${split}`);
    }
  }
  // A secret longer than the limit is cut more than once.
  const long = 'L'.repeat(5) + 'abcdefghij'.repeat(4);
  r.addSecret('long', long);
  assert.equal(r.redact(`${long.slice(0, 9)}\n${long.slice(9, 18)}\n${long.slice(18, 27)}\n${long.slice(27)}!`), '<long>!');
});

test('a multi-line secret is redacted whatever its line ends became (CRLF stored as LF, LF as CRLF, lone CR)', () => {
  const r = new Redactor();
  r.addSecret('crlf', 'first-line\r\nsecond-line');
  r.addSecret('lf', 'one-line\ntwo-line\n\nafter-blank');
  assert.equal(r.redact('a first-line\nsecond-line b'), 'a <crlf> b');
  assert.equal(r.redact('a first-line\rsecond-line b'), 'a <crlf> b');
  assert.equal(r.redact('a first-line\r\nsecond-line b'), 'a <crlf> b');
  assert.equal(r.redact('one-line\r\ntwo-line\r\n\r\nafter-blank'), '<lf>');
  assert.equal(r.redact('one-line\ntwo-line\nafter-blank'), '<lf>');
  assert.equal(r.redact(JSON.stringify('first-line\r\nsecond-line')), '"<crlf>"');
  assert.equal(r.redact(JSON.stringify('first-line\nsecond-line')), '"first-line\\nsecond-line"', 'an escaped LF is not an escaped CRLF');
});

test('line ends are not held back for ever: a stream of empty lines after a secret prefix comes out as it goes', () => {
  const r = new Redactor();
  r.addSecret('tok', 'abcdefgh');
  const s = r.stream();
  let out = s.push('abcd');
  for (let i = 0; i < 1000; i++) out += s.push('\n'.repeat(100));
  assert.ok(out.length > 99_000, `only ${out.length} characters came out`);
  out += s.push('efgh') + s.flush();
  assert.equal(out, `abcd${'\n'.repeat(100_000)}efgh`, 'a long run of line ends ends a possible secret');
});

test('the directory provider reads secrets, strips the newline, and refuses readable-by-others files', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mastro-secrets-'));
  try {
    writeFileSync(join(dir, 'token'), 'tok-value\n', { mode: 0o600 });
    writeFileSync(join(dir, 'open'), 'x', { mode: 0o644 });
    chmodSync(join(dir, 'open'), 0o644);
    const p = directoryProvider(dir);
    assert.equal(await p.get('token'), 'tok-value');
    assert.equal(await p.get('missing'), undefined);
    await assert.rejects(p.get('open'), /accessible by group or others.*chmod 600/);
    await assert.rejects(p.get('../etc/passwd'), /plain file name/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('the secret manager asks providers in order and registers values for redaction', async () => {
  const m = new SecretManager([staticProvider({ a: 'first-a' }), staticProvider({ a: 'second-a', b: 'value-b' })]);
  assert.equal(await m.get('a'), 'first-a');
  assert.equal(await m.get('b'), 'value-b');
  assert.equal(await m.get('c'), undefined);
  assert.equal(m.redactor.redact('first-a value-b second-a'), '<a> <b> second-a');
});
