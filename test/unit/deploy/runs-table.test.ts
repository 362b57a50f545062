/**
 * The runs table (deploy/runs-table.js) and who may touch it (deploy/iam.js): the keys the run store queries, the
 * table's protections per stage, the writers' dead-letter queue and alarm, and least privilege (each function only
 * the table actions and Step Functions calls its use case makes). `serverless package` and cfn-lint check the
 * template's syntax; this checks what they cannot.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { INDEXES } from '../../../lib/runs/table-keys';

const root = path.join(__dirname, '..', '..', '..');
const serverless = YAML.parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8'));
const iam = require('../../../deploy/iam.js');
const { runsTable, resources } = require('../../../deploy/runs-table.js');

const params: Record<string, string> = {
  'self:service': 'berth',
  'sls:stage': 'ci',
  'self:custom.runTaskStateMachineName': 'berth-ci-run-task',
  'param:runClusters': '',
  'param:cluster': 'default',
  'param:runFamilies': '*',
  'param:allowedRoleArns': '',
  'param:eventBusName': 'default',
};
const resolveVariable = async (name: string) => params[name];

interface Statement {
  Action: string | string[];
  Resource: unknown;
}
type Role = { Properties: { Policies: { PolicyDocument: { Statement: Statement[] } }[] } };
const statements = (role: Role) => role.Properties.Policies[0]!.PolicyDocument.Statement;
const actionsOf = (role: Role) =>
  statements(role)
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:'))
    .sort();
const TABLE = { 'Fn::GetAtt': ['RunsTable', 'Arn'] };
const QUEUES_TABLE = { 'Fn::GetAtt': ['QueuesTable', 'Arn'] };
/** A serverless.yml variable or Fn::Sub reference, `${name}`. */
const variable = (name: string) => `\${${name}}`;
const INDEXES_ARN = { 'Fn::Sub': `${variable('RunsTable.Arn')}/index/*` };

async function allRoles(): Promise<Record<string, Role>> {
  return {
    ...(await iam.apiRoles({ resolveVariable })),
    ...(await iam.workflowResources({ resolveVariable })),
    ...(await iam.triggerRoles({ resolveVariable })),
    ...(await iam.runRecordRoles({ resolveVariable })),
  };
}

describe('the runs table', () => {
  const table = runsTable({ service: 'berth', stage: 'prod' });

  it('is keyed by run id, on demand, with point-in-time recovery, TTL on expiresAt, and protected outside dev', () => {
    expect(table.Type).toBe('AWS::DynamoDB::Table');
    expect(table.Properties).toMatchObject({
      TableName: 'berth-prod-runs',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      DeletionProtectionEnabled: true,
    });
    expect(table.DeletionPolicy).toBe('Retain');
    const dev = runsTable({ service: 'berth', stage: 'dev' });
    expect(dev.Properties.DeletionProtectionEnabled).toBe(false);
    expect(dev.DeletionPolicy).toBe('Delete');
  });

  it('has one index per filter, each sorted by createdAt and projecting the list items only', () => {
    const indexes = table.Properties.GlobalSecondaryIndexes;
    expect(indexes.map((i: { IndexName: string }) => i.IndexName)).toEqual(Object.values(INDEXES).map((i) => i.name));
    for (const index of indexes) {
      expect(index.KeySchema[1]).toEqual({ AttributeName: 'createdAt', KeyType: 'RANGE' });
      expect(index.Projection.ProjectionType).toBe('INCLUDE');
      expect(index.Projection.NonKeyAttributes).not.toContain(index.KeySchema[0].AttributeName);
    }
    const defined = table.Properties.AttributeDefinitions.map((a: { AttributeName: string }) => a.AttributeName);
    expect(new Set(defined).size).toBe(defined.length);
  });

  it('is in serverless.yml once, with its name handed to the functions', async () => {
    expect(serverless.resources).toContainEqual({ Resources: variable('file(deploy/runs-table.js):resources') });
    expect(serverless.provider.environment.BERTH_RUNS_TABLE).toBe(variable('self:custom.runsTableName'));
    expect(serverless.params.default.runRetentionDays).toBe('400');
    const all = await resources({ resolveVariable });
    expect(all.RunsTable.Properties.TableName).toBe('berth-ci-runs');
  });

  it('dead-letters failed record events with an alarm, and lets only the record rules send to the queue', async () => {
    const all = await resources({ resolveVariable });
    expect(all.RunRecordDeadLetterAlarm.Properties).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(all.RecordRunEventInvokeConfig.Properties.DestinationConfig.OnFailure.Destination).toEqual({
      'Fn::GetAtt': ['RunRecordDeadLetterQueue', 'Arn'],
    });
    const statement = all.RunRecordDeadLetterQueuePolicy.Properties.PolicyDocument.Statement[0];
    expect(statement.Principal).toEqual({ Service: 'events.amazonaws.com' });
    expect(JSON.stringify(statement.Condition)).toContain(':rule/berth-ci-run-record-*');
    for (const event of serverless.functions.recordRunEvent.events) {
      expect(event.eventBridge.name).toMatch(/^\$\{self:custom.runRecordRulePrefix\}-/);
      expect(event.eventBridge.deadLetterQueueArn).toEqual({ 'Fn::GetAtt': ['RunRecordDeadLetterQueue', 'Arn'] });
    }
    expect(serverless.functions.reconcileRuns.events).toEqual([{ schedule: 'rate(1 minute)' }]);
  });
});

describe('least privilege on the runs table', () => {
  it.each<[string, string[]]>([
    // A QUEUED run's position is read from its queue's items.
    ['GetRunRole', ['dynamodb:GetItem', 'dynamodb:GetItem', 'dynamodb:Query']],
    ['ListRunsRole', ['dynamodb:Query']],
    [
      'StartRunRole',
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'ecs:DescribeClusters',
        'ecs:DescribeTaskDefinition',
        'states:StartExecution',
        // A run of a queue with no limit takes its slot at once, and gives it back if it cannot start.
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
      ],
    ],
    ['CancelRunRole', ['dynamodb:GetItem', 'dynamodb:PutItem', 'states:StopExecution']],
    // Releasing the ended run's queue slot and admitting the next runs (lib/queues/admit.ts) too.
    [
      'RecordRunEventRole',
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'sqs:SendMessage',
        'states:DescribeExecution',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'states:SendTaskSuccess',
        // The run event, once the record says the run ended.
        'events:PutEvents',
      ],
    ],
    [
      'ReconcileRunsRole',
      [
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'states:DescribeExecution',
        'states:StartExecution',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'states:SendTaskSuccess',
      ],
    ],
  ])('%s may make only its calls', async (name, expected) => {
    const roles = await allRoles();
    expect(actionsOf(roles[name]!)).toEqual(expected.sort());
  });

  it('grants items on the table and Query on its indexes only, never a scan, delete or wildcard', async () => {
    for (const [name, role] of Object.entries(await allRoles())) {
      for (const s of statements(role)) {
        const actions = (Array.isArray(s.Action) ? s.Action : [s.Action]).filter((a) => a.startsWith('dynamodb:'));
        if (actions.length === 0) continue;
        if (JSON.stringify(s.Resource) === JSON.stringify(QUEUES_TABLE)) {
          // The queues table (lib/queues/store.ts): items by key and Query in a queue's partition, no scan or wildcard.
          expect([name, actions.filter((a) => /\*|Scan|Batch/.test(a))]).toEqual([name, []]);
          continue;
        }
        expect([name, actions.filter((a) => /\*|Scan|Delete|Batch|Transact/.test(a))]).toEqual([name, []]);
        expect([name, s.Resource]).toEqual([name, actions.includes('dynamodb:Query') ? INDEXES_ARN : TABLE]);
      }
    }
  });

  it('the workflow Lambdas and the trigger read and write records, and the readers call no Step Functions', async () => {
    const roles = await allRoles();
    for (const name of ['CheckCapacityRole', 'DecideRetryRole', 'StartTriggeredRunRole']) {
      expect(actionsOf(roles[name]!)).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
    }
    for (const name of ['GetRunRole', 'ListRunsRole']) {
      expect(actionsOf(roles[name]!).filter((a) => a.startsWith('states:') || a.startsWith('ecs:'))).toEqual([]);
    }
  });
});
