/**
 * Renders a reporter option about one build (GitHub's and GitLab's `context`, a chat prefix) with
 * that build's properties and sourcestamps, as Buildbot renders `Interpolate('buildbot/%(prop:buildername)s')`
 * with `Properties.fromDict(build['properties'])`. A string is an Interpolate template (so YAML
 * configs can use `%(prop:...)s` too); a renderable (`util.interpolate`, `util.renderer`) is rendered.
 */
import { Interpolate, renderValue } from '../process/renderables.js';
import { Properties } from '../process/properties.js';
import { isRenderable, type RenderContext } from '../process/step-types.js';
import type { BuildDetails } from './build-details.js';
import type { ReporterContext } from './base.js';

export type BuildTemplate = string | { getRenderingFor(ctx: unknown): unknown };

/** What a build's renderables see: its properties and its buildset's sourcestamps. */
export function buildRenderContext(build: BuildDetails, getSecret: ReporterContext['getSecret']): RenderContext {
  return {
    properties: new Properties(build.properties ?? {}),
    sourcestamps: (build.buildset?.sourcestamps ?? []).map((ss) => ({ ssid: ss.ssid, codebase: ss.codebase, repository: ss.repository, branch: ss.branch, revision: ss.revision, project: ss.project })),
    workerInfo: {},
    getSecret,
  };
}

export async function renderForBuild(t: BuildTemplate, build: BuildDetails, getSecret: ReporterContext['getSecret']): Promise<string> {
  const ctx = buildRenderContext(build, getSecret);
  const v = typeof t === 'string' ? await Interpolate(t).getRenderingFor(ctx) : isRenderable(t) ? await renderValue(t, ctx) : t;
  return v === undefined || v === null ? '' : String(v);
}

/** Checks a template option now, so a broken `%(` is reported at config load with its path. */
export function buildTemplateIssue(t: unknown): string | null {
  if (typeof t === 'string') {
    try { Interpolate(t); return null; } catch (err) { return (err as Error).message; }
  }
  return isRenderable(t) ? null : "must be a template string such as 'buildbot/%(prop:buildername)s' or a renderable (util.interpolate(...))";
}

