/**
 * The YAML form of a config: the same structure as `defineConfig({...})`, with the things a
 * TypeScript config builds by calling helpers written as single-key objects naming the helper:
 *
 *   workers:        - { name: w0, password: pass, maxBuilds: 4 }
 *                   - workerPool: { name: linux, token: { secret: pool-linux }, tags: [docker] }   (token: a string, or a list of two)
 *                   - latent: { name: d1, provider: { docker: { image: ci-worker } }, idleTimeout: 0 }   (password: { secret: name } too)
 *                   - latentPool: { name: dock, provider: { docker: { image: ci-worker, network: host } }, max: 4, tags: [docker] }
 *   changeSources:  - gitPoller: { repourl: ..., branches: [main], httpToken: { env: GITHUB_TOKEN } }   (or { secret: name }, { file: path })
 *                   - mirrorPoller: { glob: '/srv/git/*.git', forge: { type: github, owner: o, filter: { regex: '^lib-' } } }
 *                   - gerritStream: { server: review.example.org, username: ci }
 *                   - pb: { user: change, passwd: changepw }   (Buildbot's PBChangeSource, on the worker PB port)
 *   schedulers:     - anyBranch: { name: all, builderNames: [test] }
 *   builders:       - name: test
 *                     workerNames: [w0]
 *                     steps:
 *                       - git: { repourl: ..., mode: incremental }
 *                       - shell: { command: [make, test] }
 *   force params:   parameters: [ { choice: { name: target, choices: [a, b] } } ]
 *   reporters:      - httpStatusPush: { url: https://dash.example.org/hook, auth: { user: ci, password: { secret: hook } } }
 *                   - mailNotifier:
 *                       fromaddr: ci@example.org
 *                       generators: [ { buildStatus: { mode: problem } }, { workerMissing: {} } ]
 *                   (`{ secret: name }` anywhere in a reporter's options is util.secret(name))
 *   matchers:       changeFilter: { branch: { regex: '^release/' } }
 *   file filters:   changeFilter: { onlyFiles: ['docs/**', '*.md'] }   (globs; or { regex: '^docs/' })
 *
 * The document is first checked against the published JSON Schema (schema.ts), then converted here
 * into a UserConfig, which goes through the same normalisation as a TypeScript config.
 */
import type { IssueCollector } from '../model/config-errors.js';
import { isPlainObject, type Obj } from '../model/config-checks.js';
import { schedulers as schedulerFactories } from '../schedulers/specs.js';
import { params } from '../schedulers/force-params.js';
import { changeSourceKindOf } from '../changes/registry.js';
import { isRegexObject, FILTER_FIELDS, FILE_FILTER_FIELDS } from '../schedulers/change-filter.js';
import type { UserConfig } from './types.js';
import { secrets as secretProviders } from '../process/secrets.js';
import { Secret } from '../process/renderables.js';
import { reporters as reporterFactories, generators as generatorFactories } from '../reporters/specs.js';
import { latent, latentPool, workerPool } from './factories.js';

/** The `steps` namespace as YAML sees it: name -> factory(options). */
export type StepNamespace = Record<string, (options: any) => unknown>;

function single(value: unknown): [string, Obj] | null {
  if (!isPlainObject(value)) return null;
  const keys = Object.keys(value);
  if (keys.length !== 1) return null;
  const inner = value[keys[0]!];
  return [keys[0]!, isPlainObject(inner) ? inner : {}];
}

function regexes(value: unknown): unknown {
  if (isRegexObject(value)) return new RegExp(value.regex, value.flags);
  if (Array.isArray(value)) return value.map(regexes);
  return value;
}

function convertFilter(filter: unknown): unknown {
  if (!isPlainObject(filter)) return filter;
  const out: Obj = { ...filter };
  for (const f of [...FILTER_FIELDS, ...FILE_FILTER_FIELDS]) if (out[f] !== undefined) out[f] = regexes(out[f]);
  return out;
}

/** `{ secret: name }` (exactly that key) becomes util.secret(name), at any depth of a reporter's options. */
function secretRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(secretRefs);
  if (!isPlainObject(v)) return v;
  const keys = Object.keys(v);
  if (keys.length === 1 && keys[0] === 'secret' && typeof v.secret === 'string') return Secret(v.secret);
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, secretRefs(x)]));
}

/** A reporter's options: secrets resolved, generators (`- buildStatus: {...}`) made by their helpers. */
function convertReporter(o: Obj): Obj {
  const out = secretRefs(o) as Obj;
  if (Array.isArray(out.generators)) {
    out.generators = out.generators.map((g) => {
      const s = single(g);
      const make = s ? (generatorFactories as unknown as Record<string, (o: Obj) => unknown>)[s[0]] : undefined;
      return s && make ? make(s[1]) : g;
    });
  }
  return out;
}

function convertParam(p: unknown): unknown {
  const s = single(p);
  if (!s) return p;
  const make = (params as Record<string, (o: any) => unknown>)[s[0]];
  return make ? make({ ...s[1], regex: s[1].regex }) : p;
}

/** `latent: {...}` / `latentPool: {...}` with `provider: { docker: {...} }` (the helper's name as the key), `password: { secret }`. */
function latentItem(kind: string, o: Obj): unknown {
  const p = single(o.provider);
  const makers: Record<string, (x: Obj) => unknown> = { docker: latent.docker as never, local: latent.local as never, command: latent.command as never };
  const make = p && Object.hasOwn(makers, p[0]) ? makers[p[0]] : undefined;
  const provider = p && make ? make(secretRefs(p[1]) as Obj) : o.provider;
  const withProvider: Obj = { ...o, provider, ...(o.password !== undefined ? { password: secretRefs(o.password) } : {}) };
  return kind === 'latent' ? latent(withProvider as any) : latentPool(withProvider as any);
}

/**
 * Converts a schema-valid YAML document into a UserConfig. Step factories may reject their options:
 * those errors are reported through `c` with the step's path.
 */
export function yamlToUserConfig(doc: Obj, steps: StepNamespace, c: IssueCollector): UserConfig {
  const out: Obj = { ...doc };

  // An item that cannot be converted stays as it is (normalisation then refuses it at the same
  // index, and the loader keeps only the first report of a mistake): dropping it would shift the
  // indexes of the items after it, so their mistakes would be reported at the wrong path.
  const attempt = (where: IssueCollector, item: unknown, make: () => unknown): unknown => {
    try { return make(); } catch (err) { where.here((err as Error).message); return item; }
  };

  if (Array.isArray(doc.workers)) {
    out.workers = doc.workers.map((item, i) => {
      const s = single(item);
      if (s && (s[0] === 'latent' || s[0] === 'latentPool')) return attempt(c.at('workers').at(i).at(s[0]), item, () => latentItem(s[0], s[1]));
      if (!s || s[0] !== 'workerPool') return item;
      const token = secretRefs(s[1].token);
      return workerPool({ ...s[1], ...(s[1].token !== undefined ? { token } : {}) } as any);
    });
  }

  if (Array.isArray(doc.changeSources)) {
    // The change-source kind a YAML key names; its options may need converting first (fromYaml).
    out.changeSources = doc.changeSources.map((item, i) => {
      const s = single(item);
      const kind = s ? changeSourceKindOf(s[0]) : undefined;
      return s && kind ? attempt(c.at('changeSources').at(i).at(s[0]), item, () => kind.factory(kind.fromYaml ? kind.fromYaml(s[1]) : s[1])) : item;
    });
  }

  if (Array.isArray(doc.schedulers)) {
    out.schedulers = doc.schedulers.map((item, i) => {
      const s = single(item);
      const make = s ? (schedulerFactories as Record<string, unknown>)[s[0]] : undefined;
      if (!s || typeof make !== 'function' || s[0] === 'params') return item;
      const o: Obj = { ...s[1] };
      if (o.changeFilter !== undefined) o.changeFilter = convertFilter(o.changeFilter);
      if (Array.isArray(o.parameters)) o.parameters = o.parameters.map(convertParam);
      for (const k of ['reason', 'username']) if (isPlainObject(o[k])) o[k] = convertParam(o[k]);
      if (Array.isArray(o.codebases) && s[0] === 'force') {
        o.codebases = o.codebases.map((cb) => {
          if (!isPlainObject(cb)) return cb;
          const copy: Obj = { ...cb };
          for (const k of ['branch', 'revision', 'repository', 'project']) if (isPlainObject(copy[k])) copy[k] = convertParam(copy[k]);
          return copy;
        });
      }
      return attempt(c.at('schedulers').at(i).at(s[0]), item, () => (make as (o: Obj) => unknown)(o));
    });
  }

  if (Array.isArray(doc.reporters)) {
    out.reporters = doc.reporters.map((item, i) => {
      const s = single(item);
      const make = s ? (reporterFactories as unknown as Record<string, (o: Obj) => unknown>)[s[0]] : undefined;
      return s && make ? attempt(c.at('reporters').at(i).at(s[0]), item, () => make(convertReporter(s[1]))) : item;
    });
  }

  if (Array.isArray(doc.secrets)) {
    out.secrets = doc.secrets.map((item, i) => {
      const s = single(item);
      if (s && s[0] === 'directory' && typeof s[1].path === 'string') return secretProviders.directory(s[1].path);
      c.at('secrets').at(i).here("must be { directory: { path: '/etc/mastro/secrets' } }");
      return item;
    });
  }

  if (Array.isArray(doc.builders)) {
    out.builders = doc.builders.map((b, bi) => {
      if (!isPlainObject(b) || !Array.isArray(b.steps)) return b;
      const stepsOut = b.steps.map((item, si) => {
        const s = single(item);
        const where = c.at('builders').at(bi).at('steps').at(si);
        if (!s) return item;
        const make = steps[s[0]];
        if (typeof make !== 'function') { where.here(`unknown step type '${s[0]}'; step types are: ${Object.keys(steps).join(', ')}`); return item; }
        return attempt(where.at(s[0]), item, () => make(s[1]));
      });
      return { ...b, steps: stepsOut };
    });
  }
  return out as UserConfig;
}
