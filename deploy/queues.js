/**
 * The queue file (serverless.yml custom.queuesFile: BERTH_QUEUES_FILE, else `queues.yml`) and the queues table.
 * The file is read and validated when serverless packages the service, by the same TypeScript module `npm start`
 * validates it with (lib/queues/file.ts, loaded through tsx): an invalid queue throws, naming the queue and the
 * field, so `serverless package` fails and nothing invalid is deployed. The Lambdas get the validated queues at
 * build time (deploy/esbuild-plugins.js queuesAtBuildTime).
 *
 * The table (lib/queues/store.ts says what its items are): partition key `queue` (the queue name), sort key
 * `entry`. A queue's items share one partition (1,000 writes/s): an admission or a release is one transaction of 2
 * or 3 items (a transactional write costs twice), so one queue turns over about 100 runs a second; queues are
 * independent of each other.
 */
const path = require('node:path');

const ROOT = path.join(__dirname, '..');

/** The table's name for a stage: the handlers get it as BERTH_QUEUES_TABLE. */
const queuesTableName = (service, stage) => `${service}-${stage}-queues`;

/**
 * The stage's queues, validated (lib/queues/file.ts loadStageQueues: BERTH_QUEUES_FILE, else queues.yml, else the
 * `default` queue alone); throws naming every invalid queue and field.
 */
function loadQueueDefinitions() {
  return require('tsx/cjs/api').require('../lib/queues/file.ts', __filename).loadStageQueues(ROOT);
}

/** The AWS::DynamoDB::Table resource of the queues table. */
function queuesTable({ service, stage }) {
  return {
    Type: 'AWS::DynamoDB::Table',
    DeletionPolicy: stage === 'dev' ? 'Delete' : 'Retain',
    UpdateReplacePolicy: stage === 'dev' ? 'Delete' : 'Retain',
    Properties: {
      TableName: queuesTableName(service, stage),
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'queue', AttributeType: 'S' },
        { AttributeName: 'entry', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'queue', KeyType: 'HASH' },
        { AttributeName: 'entry', KeyType: 'RANGE' },
      ],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: stage !== 'dev',
      SSESpecification: { SSEEnabled: true },
    },
  };
}

module.exports.queuesTable = queuesTable;
module.exports.queuesTableName = queuesTableName;
module.exports.loadQueueDefinitions = loadQueueDefinitions;

/** serverless.yml `resources`: the queues table, once the queue file is known to be valid. */
module.exports.resources = async ({ resolveVariable }) => {
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  loadQueueDefinitions();
  return { QueuesTable: queuesTable({ service, stage }) };
};
