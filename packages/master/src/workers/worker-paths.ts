/**
 * Worker-side path composition, as Buildbot's msgpack master does it: steps speak in paths
 * relative to the builder's directory (`workdir`, `dir`, `file`, ...), the worker receives absolute
 * paths under its basedir. Joining follows Python's `os.path.join`: an absolute component restarts
 * the path, so a step may still name an absolute worker path on purpose.
 */
import { posix, win32 } from 'node:path';

export type PathFlavour = 'posix' | 'win32';

export function pathModule(flavour: PathFlavour) { return flavour === 'win32' ? win32 : posix; }

export function joinWorkerPath(flavour: PathFlavour, ...parts: string[]): string {
  const p = pathModule(flavour);
  let start = 0;
  for (let i = 0; i < parts.length; i++) if (parts[i] && p.isAbsolute(parts[i]!)) start = i;
  const kept = parts.slice(start).filter((s) => s !== '');
  return kept.length ? p.join(...kept) : '';
}

/** `~` / `~/x` expanded with the worker's own HOME (or USERPROFILE on Windows), as Buildbot does. */
export function expandWorkerUser(flavour: PathFlavour, path: string, environ: Record<string, string> | undefined): string {
  if (path !== '~' && !path.startsWith('~/') && !(flavour === 'win32' && path.startsWith('~\\'))) return path;
  const home = flavour === 'win32' ? environ?.USERPROFILE ?? environ?.HOME : environ?.HOME;
  if (!home) return path;
  return joinWorkerPath(flavour, home, path.slice(2));
}

/**
 * Buildbot's `safeTranslate` for builder directory names: anything outside a conservative set of
 * characters becomes `_`, so a builder name can never address another directory.
 */
export function defaultBuilddir(builderName: string): string {
  const safe = builderName.replace(/[^A-Za-z0-9_.-]/g, '_');
  return safe === '.' || safe === '..' ? safe.replace(/\./g, '_') : safe;
}

export interface BuilderDirs { basedirOf(builderName: string): string }

/**
 * Rewrites step-level command args to the worker-level args the protocol carries, exactly where
 * Buildbot's msgpack `Connection.remoteStartCommand` does; unknown commands and args already in
 * worker form (e.g. `paths` for mkdir) pass through unchanged. Returns [wireCommandName, args].
 */
export function toWorkerArgs(
  flavour: PathFlavour, builderBasedir: string, environ: Record<string, string> | undefined,
  command: string, input: Record<string, unknown>,
): [string, Record<string, unknown>] {
  const args: Record<string, unknown> = { ...input };
  const j = (...parts: string[]) => joinWorkerPath(flavour, builderBasedir, ...parts);
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (command) {
    case 'mkdir':
    case 'rmdir':
      if ('dir' in args) {
        const dirs = Array.isArray(args.dir) ? args.dir : [args.dir];
        args.paths = dirs.map((d) => j(str(d)));
        delete args.dir;
      }
      break;
    case 'cpdir':
      if ('fromdir' in args) { args.from_path = j(str(args.fromdir)); delete args.fromdir; }
      if ('todir' in args) { args.to_path = j(str(args.todir)); delete args.todir; }
      break;
    case 'stat':
      if ('file' in args) { args.path = j(str(args.workdir), str(args.file)); delete args.file; }
      break;
    case 'glob':
    case 'rmfile':
      if (typeof args.path === 'string') args.path = j(args.path);
      break;
    case 'listdir':
      if ('dir' in args) { args.path = j(str(args.dir)); delete args.dir; }
      break;
    case 'shell':
      args.workdir = j(str(args.workdir));
      break;
    case 'upload_file':
    case 'upload_directory':
      if (typeof args.workersrc === 'string') {
        args.path = j(str(args.workdir), expandWorkerUser(flavour, args.workersrc, environ));
      }
      break;
    case 'download_file':
      if (typeof args.workerdest === 'string') {
        args.path = j(str(args.workdir), expandWorkerUser(flavour, args.workerdest, environ));
      }
      break;
  }
  // The msgpack protocol carries booleans where the PB protocol carried 0/1.
  if ('want_stdout' in args) args.want_stdout = args.want_stdout === true || args.want_stdout === 1;
  if ('want_stderr' in args) args.want_stderr = args.want_stderr === true || args.want_stderr === 1;
  return [command, args];
}
