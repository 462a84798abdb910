/**
 * `steps.trigger({ schedulerNames, waitForFinish })`: starts builds through triggerable schedulers,
 * passing this build's SourceStamps (with `got_revision` when updateSourceStamp) and chosen
 * properties; when waiting, the step's result is the worst of the triggered buildsets' results.
 */
import type { BuildStep, MaybeRenderable, SourceStampInfo, StepFactory, StepOptions, StepRuntime, TriggerHandle } from '../process/step-types.js';
import { Results, worst, type Result } from '../model/results.js';
import { setSummary } from './summary.js';
import { BaseStep, makeFactory } from './factory.js';
import { StepConfigError } from './errors.js';

export interface TriggerOptions extends StepOptions {
  schedulerNames: MaybeRenderable<readonly string[]>;
  /** Wait for the triggered builds and take their worst result. Default false. */
  waitForFinish?: boolean;
  /** Pin triggered builds to the revision this build checked out (got_revision). Default true. */
  updateSourceStamp?: boolean;
  /** Triggered builds use the latest sources instead of this build's SourceStamps. */
  alwaysUseLatest?: boolean;
  /** Explicit SourceStamps instead of this build's. */
  sourceStamps?: MaybeRenderable<ReadonlyArray<Partial<SourceStampInfo> & { codebase?: string }>> | null;
  /** Properties set on the triggered builds. */
  set_properties?: MaybeRenderable<Record<string, unknown>>;
  /** Names of this build's properties copied to the triggered builds. */
  copy_properties?: readonly string[];
  /** Results of these schedulers do not count toward the step's result. */
  unimportantSchedulerNames?: readonly string[];
  reason?: MaybeRenderable<string>;
}

export class TriggerStep extends BaseStep<TriggerOptions> implements BuildStep {
  constructor(options: Readonly<TriggerOptions>) { super('trigger', options); }

  async run(rt: StepRuntime): Promise<Result> {
    const o = this.options;
    const names = (await rt.render(o.schedulerNames)) as string[];
    const sourcestamps = await this.sourceStampsFor(rt);
    const properties: Record<string, unknown> = {};
    for (const name of o.copy_properties ?? []) if (rt.properties.hasProperty(name)) properties[name] = rt.getProperty(name);
    Object.assign(properties, (await rt.render(o.set_properties ?? {})) as Record<string, unknown>);
    // Like Buildbot's Trigger: a 'reason' property passed on becomes the reason; without one the
    // scheduler says "The Triggerable scheduler named 'x' triggered this build".
    const given = o.reason !== undefined ? await rt.render(o.reason) : properties.reason;
    const reason = given === undefined || given === null ? undefined : String(given);
    const wait = o.waitForFinish ?? false;

    const started: Array<{ name: string; handle: TriggerHandle }> = [];
    const errors: string[] = [];
    for (const schedulerName of names) {
      try {
        const handle = await rt.triggerBuilds({ schedulerName, sourcestamps, properties, waitForFinish: wait, reason });
        started.push({ name: schedulerName, handle });
        for (const brid of Object.values(handle.brids)) await rt.addURL(`${schedulerName} #${brid}`, `#/buildrequests/${brid}`);
      } catch (err) {
        errors.push(`${schedulerName}: ${(err as Error).message}`);
      }
    }
    if (errors.length) {
      const log = await rt.addLog('trigger errors', 't');
      log.addContent(`Could not trigger:\n${errors.join('\n')}\nCheck that each name is a triggerable scheduler in the config.\n`);
      await log.finish();
    }
    const text = `triggered ${started.map((s) => s.name).join(', ') || 'nothing'}`;
    if (errors.length || !wait) {
      const result = errors.length ? Results.EXCEPTION : Results.SUCCESS;
      await setSummary(rt, o, text, result);
      return result;
    }

    const stopped = new Promise<'stopped'>((r) => { const off = rt.onStop(() => { off(); r('stopped'); }); if (rt.isStopped()) r('stopped'); });
    const unimportant = new Set(o.unimportantSchedulerNames ?? []);
    const all = Promise.all(started.map(async (s) => ({ name: s.name, results: (await s.handle.finished).results })));
    const outcome = await Promise.race([all, stopped]);
    if (outcome === 'stopped') { await setSummary(rt, o, text, Results.CANCELLED); return Results.CANCELLED; }
    let result: Result = Results.SUCCESS;
    for (const r of outcome) if (!unimportant.has(r.name)) result = worst(result, r.results);
    await setSummary(rt, o, text, result);
    return result;
  }

  private async sourceStampsFor(rt: StepRuntime): Promise<SourceStampInfo[]> {
    const o = this.options;
    if (o.sourceStamps) {
      const given = (await rt.render(o.sourceStamps)) as Array<Partial<SourceStampInfo>>;
      return given.map((s) => ({ codebase: '', repository: '', branch: null, revision: null, project: '', ...s }));
    }
    const own = rt.build.sourcestamps;
    // A changed stamp is a new one: its `ssid` (which the triggerable would reuse as is) must go.
    if (o.alwaysUseLatest) return own.map((s) => ({ ...s, ssid: undefined, revision: null, patch: null }));
    if (!(o.updateSourceStamp ?? true)) return own.map((s) => ({ ...s }));
    const got = rt.getProperty<unknown>('got_revision');
    return own.map((s) => {
      const rev = typeof got === 'string' ? (own.length === 1 || s.codebase === '' ? got : undefined)
        : got && typeof got === 'object' ? (got as Record<string, string>)[s.codebase] : undefined;
      return rev !== undefined && rev !== s.revision ? { ...s, ssid: undefined, revision: rev } : { ...s };
    });
  }
}

export function trigger(options: TriggerOptions): StepFactory<TriggerOptions> {
  const names = options.schedulerNames;
  if (!names || (Array.isArray(names) && names.length === 0)) {
    throw new StepConfigError('trigger', 'schedulerNames', 'is required: a list of triggerable scheduler names');
  }
  if (options.alwaysUseLatest && options.updateSourceStamp) {
    throw new StepConfigError('trigger', 'updateSourceStamp', 'cannot be combined with alwaysUseLatest');
  }
  if (options.sourceStamps && (options.alwaysUseLatest || options.updateSourceStamp)) {
    throw new StepConfigError('trigger', 'sourceStamps', 'cannot be combined with alwaysUseLatest or updateSourceStamp');
  }
  return makeFactory('trigger', options, (o) => new TriggerStep(o));
}
