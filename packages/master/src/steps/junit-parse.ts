/**
 * JUnit XML -> test counts. Accepts the shapes seen in the wild: a `<testsuites>` root, a lone
 * `<testsuite>` root, suites nested in suites (pytest, Maven surefire, Jest, Go's go-junit-report,
 * ctest), `<failure>`/`<error>`/`<skipped>` as empty or with text, and namespace prefixes.
 * Counts come from the `<testcase>` elements themselves, not from the suites' summary attributes,
 * which many tools get wrong or omit.
 */
import { localName, parseXml, type XmlElement } from './xml.js';

export type TestOutcome = 'passed' | 'failed' | 'error' | 'skipped';

export interface TestCaseResult {
  suite: string;
  classname: string;
  name: string;
  outcome: TestOutcome;
  /** Seconds, when the report gives it. */
  time?: number;
  /** The failure/error/skip message (attribute, else the first line of the element's text). */
  message?: string;
  /** Full failure/error text (stack trace), trimmed. */
  details?: string;
}

export interface TestCounts {
  total: number;
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
}

export interface TestReport extends TestCounts {
  cases: TestCaseResult[];
}

export function emptyReport(): TestReport {
  return { total: 0, passed: 0, failed: 0, errors: 0, skipped: 0, cases: [] };
}

/** Parses one JUnit XML document. Throws XmlParseError when the XML itself is broken. */
export function parseJUnit(xml: string): TestReport {
  const root = parseXml(xml);
  const report = emptyReport();
  const rootName = localName(root.name);
  if (rootName !== 'testsuites' && rootName !== 'testsuite' && rootName !== 'testcase') {
    throw new Error(`not a JUnit report: the root element is <${root.name}>, expected <testsuites> or <testsuite>`);
  }
  walk(root, '', report);
  return report;
}

/** Adds `b` into `a` (several report files make one step summary). */
export function mergeReports(a: TestReport, b: TestReport): TestReport {
  return {
    total: a.total + b.total,
    passed: a.passed + b.passed,
    failed: a.failed + b.failed,
    errors: a.errors + b.errors,
    skipped: a.skipped + b.skipped,
    cases: a.cases.concat(b.cases),
  };
}

function walk(el: XmlElement, suite: string, report: TestReport): void {
  // Iterative walk carrying the nearest enclosing suite name.
  const todo: Array<[XmlElement, string]> = [[el, suite]];
  while (todo.length) {
    const [node, suiteName] = todo.pop()!;
    const kind = localName(node.name);
    if (kind === 'testcase') {
      addCase(node, suiteName, report);
      continue;
    }
    const nextSuite = kind === 'testsuite' ? node.attrs.name ?? suiteName : suiteName;
    for (let k = node.children.length - 1; k >= 0; k--) {
      const child = node.children[k]!;
      const childKind = localName(child.name);
      if (childKind === 'testsuite' || childKind === 'testsuites' || childKind === 'testcase') todo.push([child, nextSuite]);
    }
  }
}

function addCase(tc: XmlElement, suite: string, report: TestReport): void {
  const res: TestCaseResult = {
    suite,
    classname: tc.attrs.classname ?? tc.attrs.class ?? '',
    name: tc.attrs.name ?? '(unnamed)',
    outcome: 'passed',
  };
  const time = tc.attrs.time !== undefined ? Number(tc.attrs.time.replace(/,/g, '')) : NaN;
  if (Number.isFinite(time)) res.time = time;
  // The worst child decides: error > failure > skipped (a test can be skipped after a setup error).
  let outcomeEl: XmlElement | undefined;
  for (const child of tc.children) {
    const kind = localName(child.name);
    const outcome: TestOutcome | undefined =
      kind === 'error' ? 'error' : kind === 'failure' ? 'failed' : kind === 'skipped' ? 'skipped' : undefined;
    if (!outcome) continue;
    if (rank(outcome) > rank(res.outcome)) { res.outcome = outcome; outcomeEl = child; }
  }
  // Some producers mark skips with an attribute instead of an element.
  if (res.outcome === 'passed' && (tc.attrs.status === 'skipped' || tc.attrs.status === 'notrun')) res.outcome = 'skipped';
  if (outcomeEl) {
    const text = outcomeEl.text.trim();
    const message = outcomeEl.attrs.message ?? text.split('\n', 1)[0];
    if (message) res.message = message;
    if (text) res.details = text;
  }
  report.total++;
  if (res.outcome === 'passed') report.passed++;
  else if (res.outcome === 'failed') report.failed++;
  else if (res.outcome === 'error') report.errors++;
  else report.skipped++;
  report.cases.push(res);
}

function rank(o: TestOutcome): number {
  return o === 'passed' ? 0 : o === 'skipped' ? 1 : o === 'failed' ? 2 : 3;
}

/** `12 passed, 1 failed, 2 skipped` (errors are shown only when there are some). */
export function summarize(c: TestCounts): string {
  const parts = [`${c.passed} passed`, `${c.failed} failed`];
  if (c.errors) parts.push(`${c.errors} errors`);
  parts.push(`${c.skipped} skipped`);
  return parts.join(', ');
}

/** One line per failing test, then its details indented: the step's "failures" log. */
export function formatFailures(report: TestReport, maxDetailLines = 50): string {
  const lines: string[] = [];
  for (const c of report.cases) {
    if (c.outcome !== 'failed' && c.outcome !== 'error') continue;
    const id = [c.suite, c.classname, c.name].filter(Boolean).join(' > ');
    lines.push(`${c.outcome === 'error' ? 'ERROR' : 'FAIL'}: ${id}${c.message ? ` — ${c.message}` : ''}`);
    if (c.details) {
      const detail = c.details.split('\n');
      for (const l of detail.slice(0, maxDetailLines)) lines.push(`    ${l}`);
      if (detail.length > maxDetailLines) lines.push(`    ... (${detail.length - maxDetailLines} more lines)`);
    }
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}
