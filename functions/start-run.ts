/** POST /runs (optional Idempotency-Key header): validate, resolve the task definition, start the run (202). */
import { ecsClient } from '../lib/clients/ecs';
import { sfnClient } from '../lib/clients/sfn';
import { accepted, httpApi, ok } from '../lib/http';
import { loadRunsConfig } from '../lib/runs/config';
import { locationOfRun, startRun } from '../lib/runs/service';

const deps = { sfn: sfnClient(), ecs: ecsClient(), config: loadRunsConfig() };

export const handler = httpApi(async ({ body, headers, caller }) => {
  const { created, ...run } = await startRun(deps, { body, idempotencyKey: headers['idempotency-key'], caller });
  const reply = created ? accepted(run, locationOfRun(run.runId)) : ok(run);
  return { ...reply, headers: { Location: locationOfRun(run.runId) } };
});
