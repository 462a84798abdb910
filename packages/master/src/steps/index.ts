/**
 * The `steps` namespace configs use: `steps.shell({...})`, `steps.git({...})`, ... Each function
 * validates its options when the config loads (StepConfigError names the option) and returns a
 * StepFactory. `stepTypes` maps the same names for the YAML form (`- shell: { ... }`).
 *
 * A new step is one file (its options, its BuildStep on `BaseStep` from factory.ts, or on
 * `SourceStep` from source/base.ts for a VCS, and its factory function) plus its line below.
 */
import type { StepFactory } from '../process/step-types.js';
import { shell } from './shell.js';
import { shellSequence } from './shell-sequence.js';
import { setPropertyFromCommand } from './set-property-from-command.js';
import { setProperties } from './set-properties.js';
import { git } from './source/git.js';
import { fileUpload } from './file-upload.js';
import { directoryUpload } from './directory-upload.js';
import { fileDownload } from './file-download.js';
import { stringDownload, jsonStringDownload } from './string-download.js';
import { makeDirectory } from './make-directory.js';
import { removeDirectory } from './remove-directory.js';
import { copyDirectory } from './copy-directory.js';
import { fileExists } from './file-exists.js';
import { masterShellCommand } from './master-shell-command.js';
import { trigger } from './trigger.js';
import { junit } from './junit.js';

export const steps = {
  shell,
  shellSequence,
  setPropertyFromCommand,
  setProperties,
  git,
  fileUpload,
  directoryUpload,
  fileDownload,
  stringDownload,
  jsonStringDownload,
  makeDirectory,
  removeDirectory,
  copyDirectory,
  fileExists,
  masterShellCommand,
  trigger,
  junit,
  /** Alias: the test-results step under a descriptive name. */
  testResults: junit,
} as const;

export type StepTypeName = keyof typeof steps;

/** For configs written as data (YAML): step type name -> factory function. */
export const stepTypes: Readonly<Record<string, (options: any) => StepFactory<any>>> = steps;

/** For steps a config writes itself. */
export { BaseStep, makeFactory, requireOption, checkOneOf, checkPositive } from './factory.js';
export { SourceStep, SourceAbort, checkSourceModes, sourceStepFactory, type SourceOptions, type CheckoutTarget } from './source/base.js';
export { StepConfigError, StepRefusedError } from './errors.js';
export { resolveMasterPath, type MasterPathPolicy } from './paths.js';
export { parseJUnit, summarize, type TestReport } from './junit-parse.js';
export type { ShellOptions } from './shell.js';
export type { GitOptions, GitMode, GitMethod } from './source/git.js';
