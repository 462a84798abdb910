/**
 * Config errors carry the path of the mistake (`builders[0].workerNames[1]`) so `checkconfig` can
 * print every one of them. Validation collects issues instead of throwing at the first.
 */
import { ErrorCodes } from '../errors/catalog.js';

export interface ConfigIssue {
  /** Dotted/indexed path from the config root, e.g. `schedulers[1].builderNames[0]`; '' for the whole file. */
  readonly path: string;
  readonly message: string;
  /** Line of the config file the mistake is on (1-based), where it is known (YAML configs). */
  readonly line?: number;
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** formatIssue with the line in front when it is known: `line 12: builders[0].workerNames[1]: ...`. */
export function formatIssueAt(issue: ConfigIssue): string {
  return issue.line !== undefined ? `line ${issue.line}: ${formatIssue(issue)}` : formatIssue(issue);
}

/** Thrown by loadConfig / normaliseConfig when a config has one or more mistakes. */
export class ConfigError extends Error {
  readonly code = ErrorCodes.CONFIG_INVALID;
  constructor(readonly issues: readonly ConfigIssue[], readonly file?: string) {
    super(
      `${file ? `${file}: ` : ''}${issues.length} config error${issues.length === 1 ? '' : 's'}:\n` +
        issues.map((i) => `  - ${formatIssue(i)}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/** Collects issues while walking a config; `at(path)` gives a child collector for nested objects. */
export class IssueCollector {
  constructor(readonly issues: ConfigIssue[] = [], private readonly prefix = '') {}

  add(path: string | number, message: string): void {
    this.issues.push({ path: this.join(path), message });
  }

  /** An issue about the object this collector is rooted at. */
  here(message: string): void {
    this.issues.push({ path: this.prefix, message });
  }

  at(path: string | number): IssueCollector {
    return new IssueCollector(this.issues, this.join(path));
  }

  get path(): string { return this.prefix; }
  get count(): number { return this.issues.length; }

  private join(path: string | number): string {
    if (typeof path === 'number') return `${this.prefix}[${path}]`;
    if (path === '') return this.prefix;
    if (path.startsWith('[')) return `${this.prefix}${path}`;
    return this.prefix ? `${this.prefix}.${path}` : path;
  }
}
