/**
 * The stage's run log group has one name: serverless.yml custom.runLogGroupName on AWS (the RunLogGroup resource,
 * BERTH_RUN_LOG_GROUP, deploy/iam.js), local/run-logs.ts runLogGroupName under `npm start`. This pins them together.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { runLogGroupName } from '../../../local/run-logs';

/** A serverless.yml variable reference, `${name}`. */
const variable = (name: string) => `\${${name}}`;
const serverless = YAML.parse(readFileSync(path.join(__dirname, '..', '..', '..', 'serverless.yml'), 'utf8'));

it("names the run log group as serverless.yml's custom.runLogGroupName does", () => {
  const resolved = String(serverless.custom.runLogGroupName).replace(variable('sls:stage'), 'ci');
  expect(resolved).toBe(runLogGroupName('ci'));
});

it('hands the handlers that group, and defaults to logs for every run with a 30-day retention', () => {
  expect(serverless.provider.environment.BERTH_RUN_LOG_GROUP).toBe(variable('self:custom.runLogGroupName'));
  expect(serverless.params.default.runLogsByDefault).toBe('true');
  expect(serverless.params.default.runLogRetentionDays).toBe('30');
});
