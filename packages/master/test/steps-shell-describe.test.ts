/**
 * Shell-like steps describe themselves as Buildbot 3.7 does (ShellMixin.getResultSummary and
 * util.command_to_string): the command's first two words, the result in parentheses unless it is
 * success. Scripts and reporters matching `state_string` see the same text on both masters.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { steps } from '../src/steps/index.js';
import { commandSummary } from '../src/steps/base-shell.js';
import { Results } from '../src/model/results.js';
import { Redactor } from '../src/process/redactor.js';
import { FakeRuntime } from './support/steps-fake-runtime.js';

describe('commandSummary', () => {
  it('shows up to two words whole and longer commands as two words and an ellipsis', () => {
    assert.equal(commandSummary(['false']), "'false'");
    assert.equal(commandSummary(['make', 'test']), "'make test'");
    assert.equal(commandSummary(['sh', '-c', 'make test']), "'sh -c ...'");
  });

  it('splits a string command on whitespace, flattens nested lists and drops what is not text', () => {
    assert.equal(commandSummary('  make   all install '), "'make all ...'");
    assert.equal(commandSummary('make'), "'make'");
    assert.equal(commandSummary([['make', ['-j4']], 7 as unknown as string]), "'make -j4'");
  });

  it('summarises a command holding a secret from its redacted words, never from part of the secret', () => {
    const r = new Redactor();
    r.addSecret('pw', 'alpha beta gamma');
    const redact = (t: string) => r.redact(t);
    assert.equal(commandSummary('echo alpha beta gamma', redact), "'echo <pw>'", 'the first two words would be "echo alpha"');
    assert.equal(commandSummary('curl -u admin:alpha beta gamma https://x', redact), "'curl -u ...'");
    assert.equal(commandSummary('login alpha beta gamma now', redact), "'login <pw> ...'");
    assert.equal(commandSummary(['login', 'alpha', 'beta gamma'], redact), "'login <pw>'", 'a secret split over list items');
    assert.equal(commandSummary(['make', 'test', 'alpha'], redact), "'make test ...'", 'words without a secret stay as Buildbot shows them');
  });

  it('is null for a command without words', () => {
    assert.equal(commandSummary(''), null);
    assert.equal(commandSummary([]), null);
    assert.equal(commandSummary(undefined), null);
  });
});

describe('shell step summary', () => {
  const finalSummary = async (options: Parameters<typeof steps.shell>[0], answer: Record<string, unknown>) => {
    const rt = new FakeRuntime({ responder: () => answer });
    const result = await steps.shell(options).create().run(rt);
    return { result, step: rt.summaries.at(-1)?.step, states: rt.stateStrings };
  };

  it("reads \"'false' (failure)\" for a failing ['false'], like Buildbot", async () => {
    assert.deepEqual(await finalSummary({ command: ['false'] }, { rc: 1 }), { result: Results.FAILURE, step: "'false' (failure)", states: ["'false'"] });
  });

  it('names no result on success', async () => {
    assert.equal((await finalSummary({ command: ['true'] }, { rc: 0 })).step, "'true'");
  });

  it('abbreviates long commands and string commands the same way', async () => {
    assert.equal((await finalSummary({ command: ['sh', '-c', 'exit 3'] }, { rc: 3 })).step, "'sh -c ...' (failure)");
    assert.equal((await finalSummary({ command: 'make check V=1' }, { rc: 0 })).step, "'make check ...'");
  });

  it('says warnings, cancelled, retry and exception in parentheses', async () => {
    assert.equal((await finalSummary({ command: ['cc'], warningPattern: /warning/ }, { rc: 0, stdout: 'warning: x\n' })).step, "'cc' (warnings)");
    assert.equal((await finalSummary({ command: ['sleep', '60'] }, { rc: null, interrupted: true })).step, "'sleep 60' (cancelled)");
    assert.equal((await finalSummary({ command: ['make'] }, { rc: null, failure: { message: 'lost', lostConnection: true } })).step, "'make' (retry)");
    assert.equal((await finalSummary({ command: ['make'] }, { rc: null, failure: { message: 'boom' } })).step, "'make' (exception)");
  });

  it('ends with the command even when a description named the running step (only descriptionDone replaces it)', async () => {
    const s = await finalSummary({ command: ['make', 'all'], description: 'compiling' }, { rc: 2 });
    assert.equal(s.step, "'make all' (failure)");
    assert.deepEqual(s.states, [], 'the engine shows the description while the step runs');
  });

  it('setPropertyFromCommand whose command fails shows the command, like any shell step', async () => {
    const rt = new FakeRuntime({ responder: () => ({ rc: 128 }) });
    assert.equal(await steps.setPropertyFromCommand({ command: ['git', 'rev-parse', 'HEAD'], property: 'rev' }).create().run(rt), Results.FAILURE);
    assert.equal(rt.summaries.at(-1)?.step, "'git rev-parse ...' (failure)");
  });
});

describe('masterShellCommand summary', () => {
  let dir: string;
  before(() => { dir = mkdtempSync(join(tmpdir(), 'mastro-msc-describe-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("says 'Ran' on success and 'failed (RC) (failure)' otherwise, like Buildbot's MasterShellCommand", async () => {
    const ok = new FakeRuntime({ masterDir: dir });
    assert.equal(await steps.masterShellCommand({ command: ['true'] }).create().run(ok), Results.SUCCESS);
    assert.equal(ok.summaries.at(-1)?.step, 'Ran');
    const bad = new FakeRuntime({ masterDir: dir });
    assert.equal(await steps.masterShellCommand({ command: ['sh', '-c', 'exit 4'] }).create().run(bad), Results.FAILURE);
    assert.equal(bad.summaries.at(-1)?.step, 'failed (4) (failure)');
  });
});
