/** `steps.setProperties({ properties })`: sets build properties from a dict, a renderable or a function. */
import type { BuildStep, MaybeRenderable, PropertiesView, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import { Results, type Result } from '../model/results.js';
import { BaseStep, makeFactory } from './factory.js';
import { StepConfigError } from './errors.js';

export type PropertiesSpec =
  | MaybeRenderable<Record<string, unknown>>
  | ((props: PropertiesView) => Record<string, unknown> | Promise<Record<string, unknown>>);

export interface SetPropertiesOptions extends StepOptions {
  properties: PropertiesSpec;
}

export class SetPropertiesStep extends BaseStep<SetPropertiesOptions> implements BuildStep {
  constructor(options: Readonly<SetPropertiesOptions>) {
    super('SetProperties', options);
  }

  async run(rt: StepRuntime): Promise<Result> {
    const spec = this.options.properties;
    const raw = typeof spec === 'function' ? await spec(rt.properties) : spec;
    const props = (await rt.render(raw)) as Record<string, unknown>;
    if (typeof props !== 'object' || props === null || Array.isArray(props)) {
      throw new Error('setProperties: properties must give an object of property names to values');
    }
    for (const [k, v] of Object.entries(props)) await rt.setProperty(k, v, this.name);
    return Results.SUCCESS;
  }
}

export function setProperties(options: SetPropertiesOptions): StepFactory<SetPropertiesOptions> {
  if (options.properties === undefined || options.properties === null) {
    throw new StepConfigError('setProperties', 'properties', 'is required: an object, a renderable or a function returning one');
  }
  return makeFactory('setProperties', options, (o) => new SetPropertiesStep(o));
}
