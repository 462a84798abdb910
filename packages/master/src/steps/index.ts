/**
 * The `steps` namespace configs use: `steps.shell({...})`, `steps.git({...})`, ... Each function
 * validates its options when the config loads (StepConfigError names the option) and returns a
 * StepFactory. `stepTypes` maps the same names for the YAML form (`{ type: 'shell', ... }`).
 */
import type { StepFactory } from '../process/step-types.js';
import { shell } from './shell.js';
import { shellSequence } from './shell-sequence.js';
import { setPropertyFromCommand } from './set-property-from-command.js';
import { setProperties } from './set-properties.js';
import { git } from './git.js';
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

export {
  shell, shellSequence, setPropertyFromCommand, setProperties, git, fileUpload, directoryUpload, fileDownload,
  stringDownload, jsonStringDownload, makeDirectory, removeDirectory, copyDirectory, fileExists, masterShellCommand,
  trigger, junit,
};
export { StepConfigError, StepRefusedError } from './errors.js';
export { resolveMasterPath, type MasterPathPolicy } from './paths.js';
export { parseJUnit, summarize, type TestReport } from './junit-parse.js';
export type { ShellOptions } from './shell.js';
export type { ShellSequenceOptions, ShellArg } from './shell-sequence.js';
export type { SetPropertyFromCommandOptions } from './set-property-from-command.js';
export type { SetPropertiesOptions } from './set-properties.js';
export type { GitOptions, GitMode, GitMethod } from './git.js';
export type { FileUploadOptions } from './file-upload.js';
export type { DirectoryUploadOptions } from './directory-upload.js';
export type { FileDownloadOptions } from './file-download.js';
export type { StringDownloadOptions, JsonStringDownloadOptions } from './string-download.js';
export type { MakeDirectoryOptions } from './make-directory.js';
export type { RemoveDirectoryOptions } from './remove-directory.js';
export type { CopyDirectoryOptions } from './copy-directory.js';
export type { FileExistsOptions } from './file-exists.js';
export type { MasterShellCommandOptions } from './master-shell-command.js';
export type { TriggerOptions } from './trigger.js';
export type { JUnitOptions } from './junit.js';
