/**
 * The force and stop a chat bot offers (reporters/base.ts ReporterControl), run as the REST API's
 * control actions run them: through the master's MasterControl (process/master-control.ts),
 * a force through the force scheduler that builds the builder (its fields, defaults and checks
 * apply, and the build's owner is the chat user), a stop as the API's `stop`. Who may use them is
 * the bot's own `authz` (checked by the bot, as in Buildbot), not the web UI's.
 */
import type { ReporterControl } from '../reporters/base.js';
import type { MasterControl } from '../process/master-control.js';

export function reporterControl(target: MasterControl): ReporterControl {
  return {
    async forceBuild({ builderName, reason, owner, branch, revision }) {
      const schedulers = target.forceSchedulers();
      const s = schedulers.find((x) => (x.toApi().builder_names as string[] | undefined)?.includes(builderName));
      if (!s) {
        throw new Error(`no force scheduler builds '${builderName}': add schedulers.force({ name: 'force', builderNames: ['${builderName}'] }) to the config to let chat users force it`);
      }
      const params: Record<string, unknown> = { reason };
      if (branch !== undefined) params.branch = branch;
      if (revision !== undefined) params.revision = revision;
      const plan = s.plan({ owner, params, builderNames: [builderName] });
      const errors = Object.entries(plan.errors);
      if (errors.length) throw new Error(`the force scheduler '${s.name}' refused it: ${errors.map(([k, v]) => `${k}: ${v}`).join('; ')}`);
      const { bsid } = await s.submit(plan);
      return { bsid };
    },
    stopBuild: (buildid, reason) => target.stopBuild(buildid, reason),
  };
}
