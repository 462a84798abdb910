/**
 * Errors raised by steps. Config-time mistakes (a bad option) are StepConfigError and name the step
 * type and option, so the config loader can prefix the path (`builders[0].steps[2]`). Run-time
 * refusals (a master path escaping its root) are StepRefusedError: the step ends FAILURE with the
 * message in its log, the build goes on according to haltOnFailure.
 */
import { ErrorCodes } from '../errors/catalog.js';

export class StepConfigError extends Error {
  readonly code = ErrorCodes.STEP_CONFIG;
  constructor(readonly stepType: string, readonly option: string, problem: string) {
    super(`steps.${stepType}: ${option}: ${problem}`);
    this.name = 'StepConfigError';
  }
}

export class StepRefusedError extends Error {
  constructor(message: string, readonly code: string) {
    super(message);
    this.name = 'StepRefusedError';
  }
}
