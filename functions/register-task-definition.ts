/** POST /task-definitions: validate, check guardrails, register a new revision (201). */
import { ecsClient } from '../lib/clients/ecs';
import { loadConfig } from '../lib/config';
import { created, httpApi } from '../lib/http';
import { registerTaskDefinitionRoute } from '../lib/routes/register-task-definition';
import { locationOf, registerTaskDefinition } from '../lib/task-definitions';

const deps = { ecs: ecsClient(), config: loadConfig() };

export const handler = httpApi(registerTaskDefinitionRoute, async ({ body }) => {
  const td = await registerTaskDefinition(deps, body);
  return created(td, locationOf(td));
});
