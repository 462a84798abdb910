/**
 * Result codes and the one result rule (src/model/results.ts): `foldResult` is Buildbot's
 * computeResultAndTermination, used by the build for each step and by shellSequence for each
 * command. It is checked against Debian's Buildbot 3.7 itself on every combination of flags,
 * results and previous results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { foldResult, Results, RESULT_RULE_KEYS, worst, type Result, type ResultRules } from '../src/model/results.js';

/** Debian's python3, which has Buildbot 3.7 (a pyenv python3 earlier on PATH does not). */
const PY = '/usr/bin/python3';
const ALL = Object.values(Results) as Result[];

test('foldResult agrees with Buildbot 3.7 computeResultAndTermination on every combination of flags and results', () => {
  const cases: { rules: ResultRules; result: Result; previous: Result }[] = [];
  for (let mask = 0; mask < 1 << RESULT_RULE_KEYS.length; mask++) {
    const rules: ResultRules = {};
    RESULT_RULE_KEYS.forEach((k, i) => { rules[k] = (mask & (1 << i)) !== 0; });
    for (const result of ALL) for (const previous of ALL) cases.push({ rules, result, previous });
  }
  // Buildbot reads the flags as attributes; its defaults are the step's (flunkOnFailure true), given explicitly here.
  const python = `
import json, sys
from buildbot.process.results import computeResultAndTermination
class O: pass
out = []
for c in json.load(sys.stdin):
    o = O()
    for k, v in c['rules'].items(): setattr(o, k, v)
    r, t = computeResultAndTermination(o, c['result'], c['previous'])
    out.append([r, t])
print(json.dumps(out))
`;
  const expected = JSON.parse(execFileSync(PY, ['-c', python], { input: JSON.stringify(cases), encoding: 'utf8' })) as [number, boolean][];
  assert.equal(expected.length, cases.length);
  const mismatches = cases.flatMap((c, i) => {
    const got = foldResult(c.rules, c.result, c.previous);
    const [result, terminate] = expected[i]!;
    return got.result === result && got.terminate === terminate ? [] : [{ ...c, got, buildbot: { result, terminate } }];
  });
  assert.deepEqual(mismatches, []);
});

test('a step without flags counts a failure as FAILURE and goes on, as Buildbot step defaults do', () => {
  assert.deepEqual(foldResult({}, Results.FAILURE, Results.SUCCESS), { result: Results.FAILURE, terminate: false });
  assert.deepEqual(foldResult({}, Results.WARNINGS, Results.SUCCESS), { result: Results.SUCCESS, terminate: false });
  assert.deepEqual(foldResult({ haltOnFailure: true }, Results.FAILURE, Results.SUCCESS), { result: Results.FAILURE, terminate: true });
});

test('EXCEPTION, RETRY and CANCELLED end the build whatever the flags; SKIPPED leaves the result as it was', () => {
  for (const r of [Results.EXCEPTION, Results.RETRY, Results.CANCELLED]) assert.equal(foldResult({ flunkOnFailure: false }, r, Results.SUCCESS).terminate, true);
  assert.deepEqual(foldResult({}, Results.SKIPPED, Results.WARNINGS), { result: Results.WARNINGS, terminate: false });
});

test('worst orders results as Buildbot worst_status: SKIPPED < SUCCESS < WARNINGS < FAILURE < EXCEPTION < RETRY < CANCELLED', () => {
  const order = [Results.SKIPPED, Results.SUCCESS, Results.WARNINGS, Results.FAILURE, Results.EXCEPTION, Results.RETRY, Results.CANCELLED];
  for (let i = 0; i < order.length; i++) for (let j = 0; j < order.length; j++) assert.equal(worst(order[i]!, order[j]!), order[Math.max(i, j)]);
});
