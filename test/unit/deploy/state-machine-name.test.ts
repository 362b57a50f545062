/**
 * The run-task state machine has one name: serverless.yml custom.runTaskStateMachineName on AWS (deploy/iam.js and
 * deploy/triggers.js resolve it from there), local/workflows.ts runTaskStateMachineName under `npm start` and in
 * the workflow tests. This pins the two together, so renaming one without the other fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { runTaskStateMachineName } from '../../../local/workflows';

const serverless = YAML.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8'));
/** A serverless.yml variable reference, `${name}`. */
const variable = (name: string) => `\${${name}}`;

it("names the state machine as serverless.yml's custom.runTaskStateMachineName does", () => {
  const resolved = String(serverless.custom.runTaskStateMachineName)
    .replace(variable('self:service'), serverless.service)
    .replace(variable('sls:stage'), 'ci');
  expect(resolved).toBe(runTaskStateMachineName('ci', serverless.service));
});

it('gives the state machine that name', () => {
  expect(serverless.stepFunctions.stateMachines.runTask.name).toBe(variable('self:custom.runTaskStateMachineName'));
});
