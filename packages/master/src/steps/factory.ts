/**
 * The shared shape of every step: a factory (what the config holds, validated once at config load)
 * that creates one fresh BuildStep per build.
 */
import type { BuildStep, StepFactory, StepOptions, StepRuntime } from '../process/step-types.js';
import type { Result } from '../model/results.js';
import { StepConfigError } from './errors.js';

/** Options every step accepts (StepOptions) plus the step's own; a step name defaults per type. */
export function makeFactory<O extends StepOptions>(
  stepType: string,
  options: O,
  create: (options: Readonly<O>) => BuildStep,
): StepFactory<O> {
  const frozen = Object.freeze({ ...options }) as Readonly<O & Record<string, unknown>>;
  return Object.freeze({ stepType, options: frozen, create: () => create(frozen) });
}

export abstract class BaseStep<O extends StepOptions> implements BuildStep {
  readonly name: string;
  constructor(defaultName: string, readonly options: Readonly<O>) {
    this.name = options.name ?? defaultName;
  }
  abstract run(rt: StepRuntime): Promise<Result>;
}

/** Small config-time checks with errors that name the option. */
export function requireOption(stepType: string, opts: object, key: string): void {
  const v = (opts as Record<string, unknown>)[key];
  if (v === undefined || v === null || v === '') throw new StepConfigError(stepType, key, 'is required');
}

export function checkOneOf<T extends string>(stepType: string, key: string, value: unknown, allowed: readonly T[]): void {
  if (value === undefined) return;
  if (typeof value === 'string' && !(allowed as readonly string[]).includes(value)) {
    throw new StepConfigError(stepType, key, `must be ${allowed.map((a) => `'${a}'`).join(' or ')}, got '${value}'`);
  }
}

export function checkPositive(stepType: string, key: string, value: unknown, allowNull = true): void {
  if (value === undefined || (value === null && allowNull)) return;
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new StepConfigError(stepType, key, `must be a positive number, got ${JSON.stringify(value)}`);
  }
}
