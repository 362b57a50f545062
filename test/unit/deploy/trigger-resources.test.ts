/**
 * deploy/triggers.js puts each trigger's concurrencyPolicy in its target's input, as lib/triggers/targets.ts builds
 * it for the local scheduler and bus: the Lambda applies the policy from the input alone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Jest loads TypeScript itself: deploy/triggers.js's tsx loader becomes a plain require through Jest's transform.
jest.mock('tsx/cjs/api', () => ({
  require: (id: string, from: string) =>
    jest.requireActual(require('node:path').resolve(require('node:path').dirname(from), id)),
}));

// biome-ignore lint/suspicious/noExplicitAny: the CloudFormation resources are asserted on, not typed.
type Json = any;
const { resources } = require('../../../deploy/triggers.js') as {
  resources: (sls: { resolveVariable: (name: string) => Promise<unknown> }) => Promise<Record<string, Json>>;
};

it('deploys the policy in the schedule target Input and the rule InputTemplate, and nothing for Allow', async () => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-triggers-')), 'triggers.yml');
  writeFileSync(
    file,
    `triggers:
  nightly: { concurrencyPolicy: Forbid, schedule: { expression: "rate(1 day)" }, run: { taskDefinition: ingest } }
  on-upload: { concurrencyPolicy: Replace, event: { pattern: { source: [uploads] } }, run: { taskDefinition: ingest } }
  hourly: { schedule: { expression: "rate(1 hour)" }, run: { taskDefinition: ingest } }
`,
  );
  const values: Record<string, unknown> = {
    'self:custom.triggersFile': file,
    'param:runFamilies': 'ingest',
    'self:service': 'berth',
    'sls:stage': 'ci',
    'self:custom.runTaskStateMachineName': 'berth-ci-run-task',
  };
  const built = await resources({ resolveVariable: async (name) => values[name] });
  const input = (text: string) => JSON.parse(text.replace(/"?<aws\.[a-z.-]+>"?/g, '"x"'));
  expect(input(built.TriggerNightlySchedule.Properties.Target.Input).trigger).toEqual({
    type: 'schedule',
    name: 'nightly',
    concurrencyPolicy: 'Forbid',
  });
  expect(input(built.TriggerOnUploadRule.Properties.Targets[0].InputTransformer.InputTemplate).trigger).toEqual({
    type: 'event',
    name: 'on-upload',
    concurrencyPolicy: 'Replace',
  });
  expect(input(built.TriggerHourlySchedule.Properties.Target.Input).trigger).toEqual({
    type: 'schedule',
    name: 'hourly',
  });
});

it("grants the trigger Lambda what its policies call: the trigger's runs by index, and StopExecution for Replace", async () => {
  const iam = require('../../../deploy/iam.js');
  const params: Record<string, string> = {
    'self:service': 'berth',
    'sls:stage': 'ci',
    'self:custom.runTaskStateMachineName': 'berth-ci-run-task',
    'param:runClusters': '',
    'param:cluster': 'default',
    'param:eventBusName': 'default',
  };
  const roles = await iam.triggerRoles({ resolveVariable: async (name: string) => params[name] });
  const statements: Array<{ Action: string | string[]; Resource: unknown }> =
    roles.StartTriggeredRunRole.Properties.Policies[0].PolicyDocument.Statement;
  const on = (action: string) => statements.find((s) => [s.Action].flat().includes(action))?.Resource;
  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not JavaScript.
  expect(on('dynamodb:Query')).toEqual({ 'Fn::Sub': '${RunsTable.Arn}/index/*' });
  expect(JSON.stringify(on('states:StopExecution'))).toContain(':execution:berth-ci-run-task:*');
  expect(JSON.stringify(on('ecs:DescribeClusters'))).toContain('cluster/default');
});
