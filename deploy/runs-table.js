/**
 * The runs table, declared once: serverless.yml's `resources` take it from here, and `npm start` creates the same
 * table on the local endpoint from the same function (local/start.ts). Also the dead-letter queue and alarm of
 * the record writers that EventBridge invokes (functions/record-run-event.ts).
 *
 * Keys (lib/runs/table-keys.js; the record is lib/runs/record.ts):
 * - table: partition key `runId` (a random or hashed UUID), no sort key. Every write of a run lands on the
 *   partition its id hashes to, so writes spread over all partitions whatever the rate; GET /runs/{id} is one
 *   GetItem.
 * - six global secondary indexes, each sorted by `createdAt` (ISO-8601), read newest first:
 *   byCreated (partition `listKey`, the constant "RUN": every run), byStatus (`status`), byFamily (`family`),
 *   byTriggerType (`triggerType`: api, schedule, event), byTriggerName (`triggerName`, only runs with a name),
 *   byQueue (`queueName`: the queue the run waits in, lib/queues/).
 *   A GET /runs page is one Query on one index partition, so pages are full and need no merge.
 * - each index projects only the summary attributes (runId, status, createdAt, stoppedAt, family, trigger):
 *   an index is written when a run is created and when one of those changes (its status, 3 to 5 times in a
 *   run's life; stoppedAt once), not on every task event or capacity check.
 *
 * Write rates and limits. A partition takes 1,000 write units/s (items under 1 KB; index items are ~200 bytes).
 * - table: no hot partition (keys are uniform); a run is ~10 writes in its life.
 * - byCreated: one partition key, so every run's index writes land on it: ~5 per run, so it holds up to ~200
 *   runs started per second, 12,000 a minute; byTriggerType has the same ceiling for one trigger type.
 * - byStatus: a status change is a delete from one status partition and a put into another; RUNNING and PENDING
 *   see ~2 writes per run each: ~500 runs/s.
 * - byFamily, byTriggerName, byQueue: ~5 writes per run of that family, trigger or queue: ~200 runs/s of one.
 * A throttled index throttles the table's writes (back-pressure), which the writers retry with backoff and
 * EventBridge redelivers. Past these rates the fix is to shard the constant keys (`RUN#0..N`) and merge N Queries
 * per page; at "thousands of runs a minute" one partition has 3x-10x headroom, so Berth keeps single Queries.
 * Filters combine with a createdAfter/createdBefore range on the sort key but not with each other (a second
 * condition would need a FilterExpression, and pages would come back short).
 *
 * Records expire (TTL on `expiresAt`) after the stage's runRetentionDays (default 400); point-in-time recovery
 * keeps 35 days of changes; non-dev stages cannot delete the table by accident.
 */
const { TABLE_KEY, SORT_KEY, INDEXES, SUMMARY_ATTRIBUTES, EXPIRY_ATTRIBUTE } = require('../lib/runs/table-keys');

/** The table's name for a stage: the handlers get it as BERTH_RUNS_TABLE. */
const runsTableName = (service, stage) => `${service}-${stage}-runs`;

/** The AWS::DynamoDB::Table resource of the runs table. */
function runsTable({ service, stage }) {
  const indexes = Object.values(INDEXES);
  const attributes = [TABLE_KEY, SORT_KEY, ...indexes.map((i) => i.partitionKey)];
  return {
    Type: 'AWS::DynamoDB::Table',
    DeletionPolicy: stage === 'dev' ? 'Delete' : 'Retain',
    UpdateReplacePolicy: stage === 'dev' ? 'Delete' : 'Retain',
    Properties: {
      TableName: runsTableName(service, stage),
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...new Set(attributes)].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
      KeySchema: [{ AttributeName: TABLE_KEY, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: SORT_KEY, KeyType: 'RANGE' },
        ],
        Projection: {
          ProjectionType: 'INCLUDE',
          // Key attributes are always projected; DynamoDB refuses them in NonKeyAttributes.
          NonKeyAttributes: SUMMARY_ATTRIBUTES.filter(
            (a) => a !== TABLE_KEY && a !== SORT_KEY && a !== index.partitionKey,
          ),
        },
      })),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: EXPIRY_ATTRIBUTE, Enabled: true },
      DeletionProtectionEnabled: stage !== 'dev',
      SSESpecification: { SSEEnabled: true },
    },
  };
}

/** The record writers' dead-letter queue: events EventBridge could not deliver, invocations that failed past retries. */
const DEAD_LETTER_QUEUE = 'RunRecordDeadLetterQueue';
/** The event rules' names (serverless.yml names them so), for the queue policy's source condition. */
const ruleNamePrefix = (service, stage) => `${service}-${stage}-run-record`;

module.exports.runsTable = runsTable;
module.exports.runsTableName = runsTableName;
module.exports.ruleNamePrefix = ruleNamePrefix;
module.exports.DEAD_LETTER_QUEUE = DEAD_LETTER_QUEUE;

/** serverless.yml `resources`: the table, the writers' dead-letter queue with its policy and alarm. */
module.exports.resources = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const queueArn = { 'Fn::GetAtt': [DEAD_LETTER_QUEUE, 'Arn'] };
  return {
    RunsTable: runsTable({ service, stage }),
    [DEAD_LETTER_QUEUE]: {
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
    },
    RunRecordDeadLetterQueuePolicy: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: DEAD_LETTER_QUEUE }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              // EventBridge sends the events it could not deliver, for the record rules only.
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: queueArn,
              Condition: {
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Sub': `arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/${ruleNamePrefix(service, stage)}-*`,
                  },
                },
              },
            },
          ],
        },
      },
    },
    // A record that missed an event may be stuck short of its terminal state: someone must look (and redrive).
    RunRecordDeadLetterAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: 'Run record events failed past their retries (queue RunRecordDeadLetterQueue): redrive them.',
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [DEAD_LETTER_QUEUE, 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      },
    },
    // Lambda's own async retries after EventBridge delivered, then the same queue.
    RecordRunEventInvokeConfig: {
      Type: 'AWS::Lambda::EventInvokeConfig',
      Properties: {
        FunctionName: { Ref: 'RecordRunEventLambdaFunction' },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      },
    },
  };
};
