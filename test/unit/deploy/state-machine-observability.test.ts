/**
 * The run-task state machine's CloudWatch logging and X-Ray tracing on AWS (serverless.yml stepFunctions,
 * its log group in resources) and the permissions its role needs for them (deploy/iam.js), as the Step
 * Functions Developer Guide lists them ("IAM policies for logging to CloudWatch Logs", "IAM policies for
 * X-Ray"). `npx serverless package` and cfn-lint check the whole template; this checks what they cannot.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const root = path.join(__dirname, '..', '..', '..');
const serverless = YAML.parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8'));
const iam = require('../../../deploy/iam.js');

const params: Record<string, string> = {
  'self:service': 'berth',
  'sls:stage': 'ci',
  'param:runClusters': '',
  'param:cluster': 'default',
  'param:runFamilies': '*',
  'param:allowedRoleArns': '',
};
const resolveVariable = async (name: string) => params[name];

interface Statement {
  Action: string | string[];
  Resource: unknown;
}

const actions = (statements: Statement[]) =>
  statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));

it('logs the state machine at level ERROR to a log group with retention, and traces it with X-Ray', () => {
  const machine = serverless.stepFunctions.stateMachines.runTask;
  expect(machine.loggingConfig).toEqual({
    level: 'ERROR',
    includeExecutionData: false,
    destinations: [{ 'Fn::GetAtt': ['RunTaskStateMachineLogGroup', 'Arn'] }],
  });
  expect(machine.tracingConfig).toEqual({ enabled: true });
  const logGroups = serverless.resources.flatMap((entry: { Resources?: unknown }) =>
    typeof entry.Resources === 'object' && entry.Resources !== null ? Object.entries(entry.Resources) : [],
  );
  const [, logGroup] = logGroups.find(([id]: [string]) => id === 'RunTaskStateMachineLogGroup');
  expect(logGroup).toEqual({
    Type: 'AWS::Logs::LogGroup',
    Properties: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: serverless.yml variable syntax.
      LogGroupName: '/aws/vendedlogs/states/${self:custom.runTaskStateMachineName}',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: serverless.yml variable syntax.
      RetentionInDays: '${self:provider.logRetentionInDays}',
    },
  });
});

it("gives the state machine's role the log delivery and X-Ray actions, and no other logs or xray action", async () => {
  const { RunTaskStateMachineRole } = await iam.workflowResources({ resolveVariable });
  const statements: Statement[] = RunTaskStateMachineRole.Properties.Policies[0].PolicyDocument.Statement;
  const granted = actions(statements);
  expect(granted.filter((a) => a.startsWith('logs:')).sort()).toEqual(
    [
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ].sort(),
  );
  expect(granted.filter((a) => a.startsWith('xray:')).sort()).toEqual(
    ['xray:GetSamplingRules', 'xray:GetSamplingTargets', 'xray:PutTelemetryRecords', 'xray:PutTraceSegments'].sort(),
  );
});
