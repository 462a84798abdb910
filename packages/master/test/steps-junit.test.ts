import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseXml, XmlParseError } from '../src/steps/xml.js';
import { formatFailures, parseJUnit, summarize } from '../src/steps/junit-parse.js';
import { junit } from '../src/steps/junit.js';
import { Results } from '../src/model/results.js';
import { FakeRuntime } from './support/steps-fake-runtime.js';

const PYTEST = `<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="1" failures="1" skipped="1" tests="5" time="0.05" timestamp="2024-01-01T00:00:00" hostname="h">
<testcase classname="tests.test_a" name="test_ok" time="0.001" />
<testcase classname="tests.test_a" name="test_fail" time="0.002"><failure message="assert 1 == 2">def test_fail():
&gt;       assert 1 == 2
E       assert 1 == 2</failure></testcase>
<testcase classname="tests.test_a" name="test_skip" time="0.000"><skipped type="pytest.skip" message="not on linux">/x.py:3: not on linux</skipped></testcase>
<testcase classname="tests.test_b" name="test_err" time="0.003"><error message="failed on setup with &quot;KeyError&quot;">KeyError: 'x'</error></testcase>
<testcase classname="tests.test_b" name="test_param[a&amp;b]" time="0.001"/>
</testsuite></testsuites>`;

const SUREFIRE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE testsuite [ <!ENTITY foo "bar"> ]>
<testsuite xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" tests="3" failures="1" name="com.acme.FooTest" time="0.1" errors="0" skipped="0">
  <properties><property name="java.version" value="17"/></properties>
  <testcase time="0.01" name="parses" classname="com.acme.FooTest"/>
  <testcase name='rejects' classname='com.acme.FooTest' time='0.02'>
    <failure type="org.opentest4j.AssertionFailedError" message="expected: &lt;1&gt; but was: &lt;2&gt;"><![CDATA[org.opentest4j.AssertionFailedError: expected: <1> but was: <2>
	at com.acme.FooTest.rejects(FooTest.java:12)]]></failure>
    <system-out><![CDATA[some <stdout> & stuff]]></system-out>
  </testcase>
  <!-- a comment with <testcase name="fake"/> inside -->
  <testcase classname="com.acme.FooTest" name="unicode &#233;&#x4E2D;" time="0"/>
</testsuite>`;

/** Jest (jest-junit) and ctest nest suites; Go's go-junit-report uses a status-less skipped element. */
const NESTED = `<testsuites name="jest tests" tests="4" failures="1">
  <testsuite name="outer">
    <testsuite name="inner">
      <testcase classname="inner adds" name="adds"></testcase>
      <testcase classname="inner subtracts" name="subtracts"><failure>Error: expect(received).toBe(expected)</failure></testcase>
    </testsuite>
    <testcase classname="outer" name="todo"><skipped/></testcase>
  </testsuite>
  <testsuite name="go/pkg"><testcase name="TestX" classname="go/pkg" time="0.000"><skipped message="skipped"></skipped></testcase></testsuite>
</testsuites>`;

describe('XML reader', () => {
  it('decodes entities in text and attributes, keeps CDATA verbatim, ignores comments and DOCTYPE', () => {
    const root = parseXml('\ufeff<?xml version="1.0"?><!DOCTYPE r><r a="&lt;&amp;&gt;&#65;&#x42;&quot;&apos;" b=\'x"y\'><!-- <c/> -->t&amp;<![CDATA[<raw & stuff>]]><c/></r>');
    assert.equal(root.name, 'r');
    assert.equal(root.attrs.a, '<&>AB"\'');
    assert.equal(root.attrs.b, 'x"y');
    assert.equal(root.text, 't&<raw & stuff>');
    assert.deepEqual(root.children.map((c) => c.name), ['c']);
  });

  it('keeps unknown entities verbatim instead of failing', () => {
    assert.equal(parseXml('<r>&nbsp;&foo;</r>').text, '&nbsp;&foo;');
  });

  it('refuses input without a root or with a stray closing tag, with the offset', () => {
    assert.throws(() => parseXml('just text'), XmlParseError);
    assert.throws(() => parseXml('<a></b>'), /closing tag <\/b> without an open <b>/);
    assert.throws(() => parseXml('<a><![CDATA[x</a>'), /unterminated CDATA/);
  });

  it('parses deeply nested documents without recursion', () => {
    const depth = 20000;
    const root = parseXml('<x>'.repeat(depth) + '</x>'.repeat(depth));
    assert.equal(root.name, 'x');
  });
});

describe('JUnit parsing', () => {
  it('counts a pytest report: passed, failed, errors, skipped, with messages and entities decoded', () => {
    const r = parseJUnit(PYTEST);
    assert.deepEqual([r.total, r.passed, r.failed, r.errors, r.skipped], [5, 2, 1, 1, 1]);
    assert.equal(summarize(r), '2 passed, 1 failed, 1 errors, 1 skipped');
    const fail = r.cases.find((c) => c.name === 'test_fail')!;
    assert.equal(fail.message, 'assert 1 == 2');
    assert.match(fail.details!, /> {7}assert 1 == 2/);
    assert.equal(r.cases.find((c) => c.outcome === 'error')!.message, 'failed on setup with "KeyError"');
    assert.ok(r.cases.some((c) => c.name === 'test_param[a&b]'));
  });

  it('reads a Maven surefire report with a DOCTYPE, CDATA stack traces, single quotes and any attribute order', () => {
    const r = parseJUnit(SUREFIRE);
    assert.deepEqual([r.total, r.passed, r.failed, r.skipped], [3, 2, 1, 0]);
    const fail = r.cases.find((c) => c.outcome === 'failed')!;
    assert.equal(fail.suite, 'com.acme.FooTest');
    assert.equal(fail.message, 'expected: <1> but was: <2>');
    assert.match(fail.details!, /FooTest\.java:12/);
    assert.ok(r.cases.some((c) => c.name === 'unicode é中'));
  });

  it('walks nested suites (Jest, ctest) and element-style skips (Go)', () => {
    const r = parseJUnit(NESTED);
    assert.deepEqual([r.total, r.passed, r.failed, r.skipped], [4, 1, 1, 2]);
    assert.equal(r.cases.find((c) => c.outcome === 'failed')!.suite, 'inner');
    assert.equal(summarize(r), '1 passed, 1 failed, 2 skipped');
  });

  it('names failing tests in the failures log, one line each with the message', () => {
    const text = formatFailures(parseJUnit(PYTEST));
    assert.match(text, /^FAIL: pytest > tests\.test_a > test_fail — assert 1 == 2$/m);
    assert.match(text, /^ERROR: pytest > tests\.test_b > test_err/m);
    assert.ok(!text.includes('test_ok'));
  });

  it('refuses XML that is not a test report', () => {
    assert.throws(() => parseJUnit('<html><body/></html>'), /not a JUnit report/);
  });
});

/** A worker holding report files: glob answers with absolute paths, upload_file sends the content. */
function reportWorker(files: Record<string, string>) {
  return new FakeRuntime({
    responder: (rec) => {
      if (rec.command === 'glob') {
        const pattern = String(rec.args.path);
        const re = new RegExp('^' + pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*') + '$');
        return { rc: 0, updates: { files: Object.keys(files).filter((f) => re.test(f)).map((f) => `/wk/b/${f}`) } };
      }
      if (rec.command === 'upload_file') {
        const content = files[`build/${rec.args.workerSrc}`];
        return content === undefined ? { rc: 1, failure: { message: 'no such file' } } : { rc: 0, upload: Buffer.from(content) };
      }
      return undefined;
    },
  });
}

describe('junit step', () => {
  it('reads every matching report from the worker and shows the combined counts', async () => {
    const rt = reportWorker({ 'build/reports/a.xml': PYTEST, 'build/reports/b.xml': SUREFIRE, 'build/other.txt': 'x' });
    const result = await junit({ path: 'reports/*.xml' }).create().run(rt);
    assert.equal(result, Results.FAILURE);
    assert.equal(rt.commands.find((c) => c.command === 'glob')!.args.path, 'build/reports/*.xml');
    assert.deepEqual(rt.commands.filter((c) => c.command === 'upload_file').map((c) => c.args.workerSrc), ['reports/a.xml', 'reports/b.xml']);
    assert.equal(rt.summaries.at(-1)!.step, '4 passed, 2 failed, 1 errors, 1 skipped (failure)');
    assert.equal(rt.summaries.at(-1)!.build, '4 passed, 2 failed, 1 errors, 1 skipped');
    assert.match(rt.logs.get('failures')!.content, /FAIL: com\.acme\.FooTest > com\.acme\.FooTest > rejects/);
    assert.deepEqual(rt.getProperty('test_results'), { total: 8, passed: 4, failed: 2, errors: 1, skipped: 1 });
  });

  it('succeeds when every test passed or was skipped', async () => {
    const rt = reportWorker({ 'build/junit.xml': '<testsuite name="s"><testcase name="a"/><testcase name="b"><skipped/></testcase></testsuite>' });
    assert.equal(await junit({ path: 'junit.xml' }).create().run(rt), Results.SUCCESS);
    assert.equal(rt.summaries.at(-1)!.step, '1 passed, 0 failed, 1 skipped');
    assert.equal(rt.logs.get('failures'), undefined);
  });

  it('fails when no report matches, unless allowEmpty (then WARNINGS)', async () => {
    const rt = reportWorker({});
    assert.equal(await junit({ path: 'reports/*.xml' }).create().run(rt), Results.FAILURE);
    assert.match(rt.logs.get('stdio')!.stderr, /no JUnit report matched 'reports\/\*\.xml'/);
    assert.equal(await junit({ path: 'reports/*.xml', allowEmpty: true }).create().run(reportWorker({})), Results.WARNINGS);
  });

  it('fails with the reason when a report is broken XML', async () => {
    const rt = reportWorker({ 'build/r.xml': '<testsuite><testcase name="a">' + '<![CDATA[' });
    assert.equal(await junit({ path: 'r.xml' }).create().run(rt), Results.FAILURE);
    assert.match(rt.logs.get('stdio')!.stderr, /r\.xml: not a readable JUnit report: unterminated CDATA/);
  });

  it('asks the worker to refuse reports above maxReportSize', async () => {
    const rt = reportWorker({ 'build/r.xml': PYTEST });
    await junit({ path: 'r.xml', maxReportSize: 1234 }).create().run(rt);
    assert.equal(rt.commands.find((c) => c.command === 'upload_file')!.args.maxsize, 1234);
  });
});
