/**
 * ensureLocalTables (local/dynamodb/tables.ts) against the real local endpoint: tables made from their
 * CloudFormation definition, settings brought to it on later starts, and a changed shape reported, never repaired
 * by deleting data.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub templates are CloudFormation syntax, not JavaScript.
import {
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type CloudFormationResource,
  ensureLocalTables,
  LocalTableMismatchError,
  TableDefinitionError,
} from '../../local/dynamodb/tables';
import { REGION, startLocalEndpoint } from './endpoint';
import { runsTableShape } from './runs-table-shape';

jest.setTimeout(30_000);

const runsTable = (overrides: Record<string, unknown> = {}): CloudFormationResource => ({
  Type: 'AWS::DynamoDB::Table',
  Properties: {
    TableName: { 'Fn::Sub': 'berth-${Stage}-runs' },
    ...runsTableShape(),
    TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    DeletionProtectionEnabled: true,
    ...overrides,
  },
});

const intrinsics = { parameters: { Stage: 'dev' } };

let endpoint: Awaited<ReturnType<typeof startLocalEndpoint>>;
let dynamo: DynamoDBClient;
beforeAll(async () => {
  endpoint = await startLocalEndpoint();
  dynamo = new DynamoDBClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  dynamo.destroy();
  await endpoint.close();
});

it('creates a missing table with its index, TTL, point-in-time recovery and deletion protection; skips other resources', async () => {
  const target = { endpointUrl: endpoint.url, region: REGION, intrinsics };
  const ensured = await ensureLocalTables(target, {
    RunsTable: runsTable(),
    DeadLetters: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::GetAtt': ['X', 'Y'] } } },
  });
  expect(ensured).toEqual([
    {
      logicalId: 'RunsTable',
      tableName: 'berth-dev-runs',
      action: 'created',
      changes: [],
      notEmulated: ['PointInTimeRecoverySpecification (recorded; nothing can be restored locally)'],
    },
  ]);
  const table = (await dynamo.send(new DescribeTableCommand({ TableName: 'berth-dev-runs' }))).Table;
  expect(table).toMatchObject({
    TableStatus: 'ACTIVE',
    DeletionProtectionEnabled: true,
    BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'byStatus', IndexStatus: 'ACTIVE' })],
  });
  expect(
    (await dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'berth-dev-runs' }))).TimeToLiveDescription,
  ).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  const backups = await dynamo.send(new DescribeContinuousBackupsCommand({ TableName: 'berth-dev-runs' }));
  expect(backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus).toBe(
    'ENABLED',
  );

  // A second start finds it as defined.
  expect((await ensureLocalTables(target, { RunsTable: runsTable() }))[0]).toMatchObject({
    action: 'unchanged',
    changes: [],
  });
});

it('brings TTL, point-in-time recovery and deletion protection to a changed definition, keeping the items', async () => {
  const target = { endpointUrl: endpoint.url, region: REGION, intrinsics: { parameters: { Stage: 'settings' } } };
  await ensureLocalTables(target, { RunsTable: runsTable() });
  const doc = DynamoDBDocumentClient.from(dynamo);
  await doc.send(new PutCommand({ TableName: 'berth-settings-runs', Item: { runId: 'r1', status: 'PENDING' } }));

  const ensured = await ensureLocalTables(target, {
    RunsTable: runsTable({
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: undefined,
      DeletionProtectionEnabled: false,
    }),
  });
  expect(ensured[0]).toMatchObject({
    action: 'updated',
    changes: ['TTL enabled on ttl', 'point-in-time recovery disabled', 'deletion protection disabled'],
  });
  expect(
    (await dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'berth-settings-runs' }))).TimeToLiveDescription,
  ).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' });
  expect((await doc.send(new GetCommand({ TableName: 'berth-settings-runs', Key: { runId: 'r1' } }))).Item).toEqual({
    runId: 'r1',
    status: 'PENDING',
  });
});

it('adds an index the definition gained, backfilled, and reports what cannot change in place, deleting nothing', async () => {
  const target = { endpointUrl: endpoint.url, region: REGION, intrinsics: { parameters: { Stage: 'shape' } } };
  await ensureLocalTables(target, { RunsTable: runsTable() });
  const doc = DynamoDBDocumentClient.from(dynamo);
  await doc.send(
    new PutCommand({
      TableName: 'berth-shape-runs',
      Item: { runId: 'r1', status: 'PENDING', family: 'web', createdAt: '1' },
    }),
  );
  const byFamily: Record<string, unknown> = {
    IndexName: 'byFamily',
    KeySchema: [
      { AttributeName: 'family', KeyType: 'HASH' },
      { AttributeName: 'createdAt', KeyType: 'RANGE' },
    ],
    Projection: { ProjectionType: 'ALL' },
  };
  const withFamily = (indexes: unknown[]) =>
    runsTable({
      AttributeDefinitions: [
        { AttributeName: 'runId', AttributeType: 'S' },
        { AttributeName: 'status', AttributeType: 'S' },
        { AttributeName: 'family', AttributeType: 'S' },
        { AttributeName: 'createdAt', AttributeType: 'S' },
      ],
      GlobalSecondaryIndexes: indexes,
    });
  const byStatus = (runsTable().Properties as { GlobalSecondaryIndexes: unknown[] }).GlobalSecondaryIndexes[0];

  const grown = await ensureLocalTables(target, { RunsTable: withFamily([byStatus, byFamily]) });
  expect(grown[0]).toMatchObject({ action: 'updated', changes: ['global secondary index byFamily added'] });
  const found = await doc.send(
    new QueryCommand({
      TableName: 'berth-shape-runs',
      IndexName: 'byFamily',
      KeyConditionExpression: '#f = :f',
      ExpressionAttributeNames: { '#f': 'family' },
      ExpressionAttributeValues: { ':f': 'web' },
    }),
  );
  expect(found.Items?.map((i) => i.runId)).toEqual(['r1']);
  expect((await ensureLocalTables(target, { RunsTable: withFamily([byStatus, byFamily]) }))[0]?.action).toBe(
    'unchanged',
  );

  // Dropping byStatus and re-keying byFamily cannot be done in place: reported, nothing deleted.
  const rekeyed = runsTable({
    AttributeDefinitions: [
      { AttributeName: 'runId', AttributeType: 'S' },
      { AttributeName: 'family', AttributeType: 'S' },
      { AttributeName: 'createdAt', AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [
      {
        ...byFamily,
        KeySchema: [
          { AttributeName: 'createdAt', KeyType: 'HASH' },
          { AttributeName: 'family', KeyType: 'RANGE' },
        ],
      },
    ],
  });
  const attempt = ensureLocalTables(target, { RunsTable: rekeyed });
  await expect(attempt).rejects.toBeInstanceOf(LocalTableMismatchError);
  await expect(attempt).rejects.toMatchObject({
    differences: [
      {
        tableName: 'berth-shape-runs',
        difference:
          'global secondary index byFamily has key schema (family HASH, createdAt RANGE), the definition says (createdAt HASH, family RANGE)',
      },
      { tableName: 'berth-shape-runs', difference: 'global secondary index byStatus is not in the definition' },
    ],
    message: expect.stringContaining('The local stack never deletes data.'),
  });
  expect((await doc.send(new GetCommand({ TableName: 'berth-shape-runs', Key: { runId: 'r1' } }))).Item).toMatchObject({
    runId: 'r1',
  });
  const table = (await dynamo.send(new DescribeTableCommand({ TableName: 'berth-shape-runs' }))).Table;
  expect(table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['byStatus', 'byFamily']);
});

it('refuses a definition it cannot resolve before calling the endpoint', async () => {
  const attempt = ensureLocalTables(
    { endpointUrl: endpoint.url, region: REGION },
    { RunsTable: runsTable({ TableName: { 'Fn::Sub': 'berth-${Stage}-unresolved' } }) },
  );
  await expect(attempt).rejects.toBeInstanceOf(TableDefinitionError);
  await expect(attempt).rejects.toThrow(
    'RunsTable (AWS::DynamoDB::Table) Properties.TableName: Ref Stage cannot be resolved locally',
  );
});
