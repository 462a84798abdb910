/**
 * The requests the web UI makes (packages/master/ui/src/pages/*.ts and log-view.ts), with the ids of a
 * filled history: what a user's browser asks the master for on each page. Each entry picks its own
 * ids per sample (seeded), so a sample is not served from a cache warmed by the one before.
 */
export interface UiRequest { name: string; page: string; path: (pick: Picker) => string }

/** Ids of the filled history to pick from. */
export interface Picker {
  builderid(): number;
  /** A build id: half from the last day, half from anywhere in the history. */
  buildid(): number;
  /** The step id of a command step of a build, and its log id (the filler's layout). */
  stepOf(buildid: number): number;
  logOf(buildid: number): number;
  /** A build number of a builder (pages of 50 reach far back). */
  offset(): number;
}

const RECENT = 8; // pages/builders.ts
const BUILDER_PAGE = 50; // pages/builder.ts
const CONSOLE = 200; // pages/console.ts
const CHANGES = 50; // pages/changes.ts
const LOG_PAGE = 1000; // log-view.ts pageLines

export const UI_REQUESTS: UiRequest[] = [
  { name: 'builders list', page: 'builders', path: () => 'builders' },
  { name: "a builder's last 8 builds (once per builder)", page: 'builders', path: (p) => `builders/${p.builderid()}/builds?order=-number&limit=${RECENT}` },
  { name: "a builder's builds, newest 50", page: 'builder', path: (p) => `builders/${p.builderid()}/builds?order=-number&limit=${BUILDER_PAGE}` },
  { name: "a builder's builds, 50 at a deep offset", page: 'builder', path: (p) => `builders/${p.builderid()}/builds?order=-number&limit=${BUILDER_PAGE}&offset=${p.offset()}` },
  { name: "a builder's builds, oldest 50", page: 'builder', path: (p) => `builders/${p.builderid()}/builds?order=number&limit=${BUILDER_PAGE}` },
  { name: "a builder's pending requests", page: 'builder', path: (p) => `builders/${p.builderid()}/buildrequests?complete=false&claimed=false` },
  { name: 'a build with its properties', page: 'build', path: (p) => `builds/${p.buildid()}?property=*` },
  { name: "a build's steps", page: 'build', path: (p) => `builds/${p.buildid()}/steps` },
  { name: "a step's logs", page: 'build', path: (p) => `steps/${p.stepOf(p.buildid())}/logs` },
  { name: "a log's first page of lines", page: 'build', path: (p) => `logs/${p.logOf(p.buildid())}/contents?offset=0&limit=${LOG_PAGE}` },
  { name: 'console: last 200 builds with properties', page: 'console', path: () => `builds?order=-buildid&limit=${CONSOLE}&property=*` },
  { name: 'changes: newest 50', page: 'changes', path: () => `changes?order=-changeid&limit=${CHANGES}` },
  { name: 'meta.total of all builds', page: 'api', path: () => 'builds?limit=1' },
  { name: 'meta.total of all changes', page: 'api', path: () => 'changes?limit=1' },
  { name: "meta.total of a builder's builds", page: 'api', path: (p) => `builders/${p.builderid()}/builds?limit=1` },
  { name: 'pending list', page: 'pending', path: () => 'buildrequests?complete=false&claimed=false' },
  { name: 'workers page: running builds', page: 'workers', path: () => 'builds?complete=false' },
  { name: 'workers list', page: 'workers', path: () => 'workers' },
];
