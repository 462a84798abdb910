/**
 * A build to hang steps and logs on, made through the real data layer: master 'm', builder 'b',
 * worker 'w', one buildset with one request and the build that claims it. For tests of what
 * happens below a build (steps, logs, the log store) that do not care how the build came to be.
 */
import type { Updates } from '../../src/data/updates-api.js';

export interface TestBuild { masterid: number; builderid: number; workerid: number; buildid: number }

export async function addTestBuild(updates: Updates): Promise<TestBuild> {
  const masterid = await updates.masterActive('m');
  const builderid = await updates.findBuilderId('b');
  const workerid = await updates.findWorkerId('w');
  const { brids } = await updates.addBuildset({ scheduler: 's', reason: 'r', builderids: [builderid], sourcestamps: [] });
  const { buildid } = await updates.addBuild({ builderid, buildrequestid: brids[builderid]!, workerid, masterid, state_string: '' });
  return { masterid, builderid, workerid, buildid };
}
