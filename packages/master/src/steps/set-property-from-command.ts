/**
 * `steps.setPropertyFromCommand({ command, property })` stores the command's (stripped) stdout in a
 * property; with `extract_fn(rc, stdout, stderr)` the function returns several properties instead.
 */
import type { BuildStep, MaybeRenderable, StepFactory, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { BaseStep, makeFactory } from './factory.js';
import { StepConfigError } from './errors.js';
import { renderInvocation, runShellWithRules, setCommandSummary, validateShellOptions, type ShellCommandOptions } from './base-shell.js';

export type ExtractFn = (rc: number | null, stdout: string, stderr: string) => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface SetPropertyFromCommandOptions extends ShellCommandOptions {
  property?: MaybeRenderable<string>;
  extract_fn?: ExtractFn;
  /** Strip surrounding whitespace of stdout (property form). Default true. */
  strip?: boolean;
  includeStdout?: boolean;
  includeStderr?: boolean;
  /** Bytes of output kept for the property (default 10 MiB). */
  maxCollectBytes?: number;
}

export class SetPropertyFromCommandStep extends BaseStep<SetPropertyFromCommandOptions> implements BuildStep {
  constructor(options: Readonly<SetPropertyFromCommandOptions>) {
    super('setproperty', options);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    const inv = await renderInvocation(rt, o);
    const includeStderr = o.extract_fn ? true : o.includeStderr ?? false;
    const { res, result } = await runShellWithRules(rt, o, inv, {
      collectStdout: o.includeStdout ?? true,
      collectStderr: includeStderr,
      maxCollectBytes: o.maxCollectBytes,
    });
    let changes: Record<string, unknown>;
    if (o.property !== undefined) {
      if (result !== Results.SUCCESS && result !== Results.WARNINGS) {
        await setCommandSummary(rt, o, inv.command, result);
        return result;
      }
      let value = res.stdout ?? '';
      if (includeStderr) value += res.stderr ?? '';
      if (o.strip ?? true) value = value.trim();
      const name = String(await rt.render(o.property));
      changes = { [name]: value };
    } else {
      changes = await o.extract_fn!(res.rc, res.stdout ?? '', res.stderr ?? '');
      if (typeof changes !== 'object' || changes === null) {
        throw new Error('setPropertyFromCommand: extract_fn must return an object of property names to values');
      }
    }
    for (const [k, v] of Object.entries(changes)) await rt.setProperty(k, v, 'SetPropertyFromCommand Step');
    const log = await rt.addLog('property changes', 't');
    log.addContent(Object.keys(changes).sort().map((k) => `${k}: ${JSON.stringify(changes[k])}`).join('\n'));
    await log.finish();
    const keys = Object.keys(changes);
    // Buildbot names what was set; with nothing set it shows the command like any shell step.
    if (keys.length > 0) await setSummary(rt, o, keys.length === 1 ? `property '${keys[0]}' set` : `${keys.length} properties set`, result);
    else await setCommandSummary(rt, o, inv.command, result);
    return result;
  }
}

export function setPropertyFromCommand(options: SetPropertyFromCommandOptions): StepFactory<SetPropertyFromCommandOptions> {
  if ((options.property !== undefined) === (options.extract_fn !== undefined)) {
    throw new StepConfigError('setPropertyFromCommand', 'property', 'exactly one of property and extract_fn must be set');
  }
  if (options.extract_fn !== undefined && typeof options.extract_fn !== 'function') {
    throw new StepConfigError('setPropertyFromCommand', 'extract_fn', 'must be a function (rc, stdout, stderr) => { name: value }');
  }
  validateShellOptions('setPropertyFromCommand', options);
  return makeFactory('setPropertyFromCommand', options, (o) => new SetPropertyFromCommandStep(o));
}
