/**
 * The local endpoint's DynamoDB, driven as a user's code and shell would drive DynamoDB: the SDK v3 (client-dynamodb
 * and lib-dynamodb's document client) and `aws dynamodb ... --endpoint-url`.
 */
import path from 'node:path';
import { crc32 } from 'node:zlib';
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  type CreateTableCommandInput,
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  ResourceNotFoundException,
  TransactionCanceledException,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { openDynalite } from '../../local/dynamodb/dynalite';
import { dynamoDbService } from '../../local/dynamodb/service';
import { awsCli, awsCliJson } from './aws-cli';
import { ACCOUNT_ID, REGION, startEndpointProcess, startLocalEndpoint, tempStateDir } from './endpoint';
import { runsTableShape } from './runs-table-shape';

jest.setTimeout(60_000);

function dynamoClient(url: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
}

/** A runs table as the run store shapes it: one key, a newest-first index by status. */
const runsTable = (TableName: string): CreateTableCommandInput => ({
  TableName,
  ...runsTableShape({ ProjectionType: 'INCLUDE', NonKeyAttributes: ['family'] }),
});

/** Polls `check` until it holds, at most `ms`. */
async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function rawPost(url: string, target: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target, ...headers },
    body: JSON.stringify(body),
  });
}

describe('with the SDK', () => {
  let endpoint: Awaited<ReturnType<typeof startLocalEndpoint>>;
  let dynamo: DynamoDBClient;
  let doc: DynamoDBDocumentClient;

  beforeAll(async () => {
    endpoint = await startLocalEndpoint();
    dynamo = dynamoClient(endpoint.url);
    doc = DynamoDBDocumentClient.from(dynamo);
  });
  afterAll(async () => {
    dynamo.destroy();
    await endpoint.close();
  });

  it('creates, describes, lists and deletes a table, ACTIVE as soon as CreateTable answers', async () => {
    const created = await dynamo.send(
      new CreateTableCommand({
        ...runsTable('lifecycle'),
        DeletionProtectionEnabled: false,
        Tags: [{ Key: 'team', Value: 'berth' }],
      }),
    );
    expect(created.TableDescription).toMatchObject({
      TableName: 'lifecycle',
      TableStatus: 'ACTIVE',
      TableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/lifecycle`,
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
    });
    // Usable at once: no waiter needed.
    await doc.send(new PutCommand({ TableName: 'lifecycle', Item: { runId: 'r1' } }));
    const described = await dynamo.send(new DescribeTableCommand({ TableName: 'lifecycle' }));
    expect(described.Table).toMatchObject({
      TableStatus: 'ACTIVE',
      DeletionProtectionEnabled: false,
      GlobalSecondaryIndexes: [
        expect.objectContaining({
          IndexName: 'byStatus',
          IndexStatus: 'ACTIVE',
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['family'] },
        }),
      ],
    });
    // A table's ARN is accepted wherever its name is.
    const byArn = await dynamo.send(new DescribeTableCommand({ TableName: described.Table!.TableArn }));
    expect(byArn.Table?.TableName).toBe('lifecycle');
    const tags = await dynamo.send(new ListTagsOfResourceCommand({ ResourceArn: described.Table!.TableArn }));
    expect(tags.Tags).toEqual([{ Key: 'team', Value: 'berth' }]);
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toContain('lifecycle');

    await dynamo.send(new DeleteTableCommand({ TableName: 'lifecycle' }));
    expect((await dynamo.send(new ListTablesCommand({}))).TableNames).not.toContain('lifecycle');
    const missing = dynamo.send(new DescribeTableCommand({ TableName: 'lifecycle' }));
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(missing).rejects.toMatchObject({
      message: 'Requested resource not found: Table: lifecycle not found',
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('refuses DeleteTable while deletion protection is on, and deletes once UpdateTable turns it off', async () => {
    await dynamo.send(new CreateTableCommand({ ...runsTable('protected'), DeletionProtectionEnabled: true }));
    const refused = dynamo.send(new DeleteTableCommand({ TableName: 'protected' }));
    await expect(refused).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        'Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.',
    });
    const updated = await dynamo.send(
      new UpdateTableCommand({ TableName: 'protected', DeletionProtectionEnabled: false }),
    );
    expect(updated.TableDescription?.DeletionProtectionEnabled).toBe(false);
    await dynamo.send(new DeleteTableCommand({ TableName: 'protected' }));
    await expect(dynamo.send(new DescribeTableCommand({ TableName: 'protected' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('writes conditionally: a failed Put or Update is a ConditionalCheckFailedException and changes nothing', async () => {
    await dynamo.send(new CreateTableCommand(runsTable('conditional')));
    await doc.send(
      new PutCommand({
        TableName: 'conditional',
        Item: { runId: 'r1', status: 'PENDING', createdAt: '2026-01-01T00:00:00Z', version: 1 },
        ConditionExpression: 'attribute_not_exists(runId)',
      }),
    );
    const again = doc.send(
      new PutCommand({
        TableName: 'conditional',
        Item: { runId: 'r1', status: 'RUNNING', createdAt: '2026-01-01T00:00:00Z', version: 9 },
        ConditionExpression: 'attribute_not_exists(runId)',
      }),
    );
    await expect(again).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    await expect(again).rejects.toMatchObject({
      message: 'The conditional request failed',
      $metadata: { httpStatusCode: 400 },
    });

    // An ordered update: only a newer version moves the record.
    const update = (version: number, status: string) =>
      doc.send(
        new UpdateCommand({
          TableName: 'conditional',
          Key: { runId: 'r1' },
          UpdateExpression: 'SET #s = :s, version = :v',
          ConditionExpression: 'attribute_exists(runId) AND version < :v',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status, ':v': version },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    const moved = await update(3, 'RUNNING');
    expect(moved.Attributes).toMatchObject({ status: 'RUNNING', version: 3 });
    const late = update(2, 'PENDING');
    await expect(late).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    // ALL_OLD: the error carries the item as it was when the check failed.
    await expect(late).rejects.toMatchObject({
      Item: { runId: { S: 'r1' }, status: { S: 'RUNNING' }, version: { N: '3' } },
    });
    const item = await doc.send(
      new GetCommand({ TableName: 'conditional', Key: { runId: 'r1' }, ConsistentRead: true }),
    );
    expect(item.Item).toMatchObject({ status: 'RUNNING', version: 3 });
  });

  it('queries a GSI newest first, page by page, with its projection', async () => {
    await dynamo.send(new CreateTableCommand(runsTable('paged')));
    const created = Array.from({ length: 11 }, (_, i) => `2026-01-01T00:00:${String(i).padStart(2, '0')}Z`);
    // Written out of order, with another status mixed in.
    for (const [i, createdAt] of [...created].reverse().entries()) {
      await doc.send(
        new PutCommand({
          TableName: 'paged',
          Item: { runId: `r${createdAt}`, status: 'RUNNING', createdAt, family: `f${i}`, secret: 'not projected' },
        }),
      );
      await doc.send(
        new PutCommand({ TableName: 'paged', Item: { runId: `s${createdAt}`, status: 'SUCCEEDED', createdAt } }),
      );
    }
    const seen: string[] = [];
    let startKey: QueryCommandOutput['LastEvaluatedKey'];
    let pages = 0;
    do {
      const page: QueryCommandOutput = await doc.send(
        new QueryCommand({
          TableName: 'paged',
          IndexName: 'byStatus',
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'RUNNING' },
          ScanIndexForward: false,
          Limit: 4,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      pages++;
      for (const item of page.Items ?? []) {
        expect(Object.keys(item).sort()).toEqual(['createdAt', 'family', 'runId', 'status']);
        seen.push(item.createdAt as string);
      }
      startKey = page.LastEvaluatedKey;
      if (startKey) expect(Object.keys(startKey).sort()).toEqual(['createdAt', 'runId', 'status']);
    } while (startKey && pages < 10);
    expect(seen).toEqual([...created].reverse());
    expect(pages).toBe(3);
  });

  it('writes a transaction all or nothing, with the reasons of a cancellation', async () => {
    await dynamo.send(new CreateTableCommand(runsTable('transactions')));
    await doc.send(new PutCommand({ TableName: 'transactions', Item: { runId: 'slots', used: 1, limit: 2 } }));
    const takeSlot = (runId: string, token?: string) =>
      doc.send(
        new TransactWriteCommand({
          ...(token ? { ClientRequestToken: token } : {}),
          TransactItems: [
            {
              Put: {
                TableName: 'transactions',
                Item: { runId, status: 'QUEUED' },
                ConditionExpression: 'attribute_not_exists(runId)',
              },
            },
            {
              Update: {
                TableName: 'transactions',
                Key: { runId: 'slots' },
                UpdateExpression: 'ADD used :one',
                ConditionExpression: 'used < #limit',
                ExpressionAttributeNames: { '#limit': 'limit' },
                ExpressionAttributeValues: { ':one': 1 },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
    await takeSlot('r1', 'token-r1');
    // The same token again: answered, not applied twice.
    await takeSlot('r1', 'token-r1');
    // The same token with other items: refused.
    await expect(takeSlot('r9', 'token-r1')).rejects.toMatchObject({
      name: 'IdempotentParameterMismatchException',
      message: 'Request token ClientRequestToken was used before with a different request.',
    });
    const slots = async () =>
      (await doc.send(new GetCommand({ TableName: 'transactions', Key: { runId: 'slots' } }))).Item;
    expect(await slots()).toMatchObject({ used: 2 });

    const full = takeSlot('r2');
    await expect(full).rejects.toBeInstanceOf(TransactionCanceledException);
    await expect(full).rejects.toMatchObject({
      message:
        'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]',
      CancellationReasons: [
        { Code: 'None' },
        {
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          Item: { runId: { S: 'slots' }, used: { N: '2' }, limit: { N: '2' } },
        },
      ],
    });
    // Nothing of a cancelled transaction is written.
    expect((await doc.send(new GetCommand({ TableName: 'transactions', Key: { runId: 'r2' } }))).Item).toBeUndefined();

    // A write that fails after the checks passed is undone, with the ones before it.
    await doc.send(new PutCommand({ TableName: 'transactions', Item: { runId: 'text', n: 'not a number' } }));
    const wrongType = doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'transactions', Item: { runId: 'r3' } } },
          {
            Update: {
              TableName: 'transactions',
              Key: { runId: 'text' },
              UpdateExpression: 'SET n = n + :one',
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
    await expect(wrongType).rejects.toMatchObject({
      name: 'TransactionCanceledException',
      CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError', Message: expect.stringContaining('operand') }],
    });
    expect((await doc.send(new GetCommand({ TableName: 'transactions', Key: { runId: 'r3' } }))).Item).toBeUndefined();

    const twice = doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'transactions', Item: { runId: 'r4' } } },
          { Delete: { TableName: 'transactions', Key: { runId: 'r4' } } },
        ],
      }),
    );
    await expect(twice).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Transaction request cannot include multiple operations on one item',
    });

    const got = await doc.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: 'transactions', Key: { runId: 'r1' } } },
          { Get: { TableName: 'transactions', Key: { runId: 'nobody' } } },
          { Get: { TableName: 'transactions', Key: { runId: 'slots' }, ProjectionExpression: 'used' } },
        ],
      }),
    );
    expect(got.Responses).toEqual([{ Item: { runId: 'r1', status: 'QUEUED' } }, {}, { Item: { used: 2 } }]);
  });

  it('answers an operation it does not emulate with UnknownOperationException naming it', async () => {
    const partiql = dynamo.send(new ExecuteStatementCommand({ Statement: 'SELECT * FROM "conditional"' }));
    await expect(partiql).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: "Berth's local DynamoDB does not implement ExecuteStatement: PartiQL is not emulated.",
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('adds a global secondary index to a table holding items, backfilled before UpdateTable answers', async () => {
    await dynamo.send(new CreateTableCommand(runsTable('backfill')));
    const items = [
      { runId: 'a', family: 'web', createdAt: '1' },
      { runId: 'b', family: 'web', createdAt: '2' },
      { runId: 'c', family: 'batch', createdAt: '3' },
      { runId: 'd', family: 7, createdAt: '4' },
      { runId: 'e', createdAt: '5' },
    ];
    for (const Item of items) await doc.send(new PutCommand({ TableName: 'backfill', Item }));
    const added = await dynamo.send(
      new UpdateTableCommand({
        TableName: 'backfill',
        AttributeDefinitions: [{ AttributeName: 'family', AttributeType: 'S' }],
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              IndexName: 'byFamily',
              KeySchema: [
                { AttributeName: 'family', KeyType: 'HASH' },
                { AttributeName: 'createdAt', KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'KEYS_ONLY' },
            },
          },
        ],
      }),
    );
    expect(added.TableDescription?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus])).toEqual([
      ['byStatus', 'ACTIVE'],
      ['byFamily', 'ACTIVE'],
    ]);
    const byFamily = (family: string) =>
      doc.send(
        new QueryCommand({
          TableName: 'backfill',
          IndexName: 'byFamily',
          KeyConditionExpression: '#f = :f',
          ExpressionAttributeNames: { '#f': 'family' },
          ExpressionAttributeValues: { ':f': family },
          ScanIndexForward: false,
        }),
      );
    expect((await byFamily('web')).Items).toEqual([
      { runId: 'b', family: 'web', createdAt: '2' },
      { runId: 'a', family: 'web', createdAt: '1' },
    ]);
    // Written after: indexed as any write, and the new key's type is now enforced.
    await doc.send(new PutCommand({ TableName: 'backfill', Item: { runId: 'f', family: 'batch', createdAt: '6' } }));
    expect((await byFamily('batch')).Items?.map((i) => i.runId)).toEqual(['f', 'c']);
    await expect(
      doc.send(new PutCommand({ TableName: 'backfill', Item: { runId: 'g', family: 8, createdAt: '7' } })),
    ).rejects.toMatchObject({ name: 'ValidationException' });

    const createIndex = (IndexName: string) =>
      dynamo.send(
        new UpdateTableCommand({
          TableName: 'backfill',
          GlobalSecondaryIndexUpdates: [
            {
              Create: {
                IndexName,
                KeySchema: [{ AttributeName: 'family', KeyType: 'HASH' }],
                Projection: { ProjectionType: 'ALL' },
              },
            },
          ],
        }),
      );
    await expect(createIndex('byFamily')).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'One or more parameter values were invalid: Index with name byFamily already exists on table backfill',
    });
    await expect(
      dynamo.send(
        new UpdateTableCommand({
          TableName: 'backfill',
          GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: 'byFamily' } }],
        }),
      ),
    ).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining('cannot delete a global secondary index'),
    });
  });

  it('records point-in-time recovery and describes it', async () => {
    await dynamo.send(new CreateTableCommand(runsTable('pitr')));
    const before = await dynamo.send(new DescribeContinuousBackupsCommand({ TableName: 'pitr' }));
    expect(before.ContinuousBackupsDescription).toEqual({
      ContinuousBackupsStatus: 'ENABLED',
      PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
    });
    await dynamo.send(
      new UpdateContinuousBackupsCommand({
        TableName: 'pitr',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
      }),
    );
    const after = await dynamo.send(new DescribeContinuousBackupsCommand({ TableName: 'pitr' }));
    expect(after.ContinuousBackupsDescription?.PointInTimeRecoveryDescription).toMatchObject({
      PointInTimeRecoveryStatus: 'ENABLED',
      RecoveryPeriodInDays: 7,
      EarliestRestorableDateTime: expect.any(Date),
      LatestRestorableDateTime: expect.any(Date),
    });
    await expect(dynamo.send(new DescribeContinuousBackupsCommand({ TableName: 'nosuchtable' }))).rejects.toMatchObject(
      { name: 'TableNotFoundException', message: 'Table not found: nosuchtable' },
    );
  });
});

describe('on the wire', () => {
  let endpoint: Awaited<ReturnType<typeof startLocalEndpoint>>;
  beforeAll(async () => {
    endpoint = await startLocalEndpoint();
  });
  afterAll(() => endpoint.close());

  it("puts DynamoDB's namespaced __type and an x-amz-crc32 of the exact body on its answers", async () => {
    const res = await rawPost(endpoint.url, 'DynamoDB_20120810.DescribeTable', { TableName: 'nothere' });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(res.headers.get('x-amz-crc32')).toBe(String(crc32(text)));
    expect(JSON.parse(text)).toEqual({
      __type: 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException',
      message: 'Requested resource not found: Table: nothere not found',
    });
    const invalid = await rawPost(endpoint.url, 'DynamoDB_20120810.DescribeTable', { TableName: 'x' });
    expect(JSON.parse(await invalid.text())).toEqual({
      __type: 'com.amazon.coral.validate#ValidationException',
      message: 'TableName must be at least 3 characters long and at most 255 characters long',
    });
    const ok = await rawPost(endpoint.url, 'DynamoDB_20120810.ListTables', {});
    const okText = await ok.text();
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-amz-crc32')).toBe(String(crc32(okText)));
  });

  it('refuses a browser origin before the request reaches dynalite', async () => {
    const res = await rawPost(
      endpoint.url,
      'DynamoDB_20120810.CreateTable',
      {
        TableName: 'fromapage',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      },
      { origin: 'http://evil.example' },
    );
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ __type: 'AccessDeniedException' });
    const tables = await rawPost(endpoint.url, 'DynamoDB_20120810.ListTables', {});
    expect(((await tables.json()) as { TableNames: string[] }).TableNames).not.toContain('fromapage');
    const wrongType = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-amz-target': 'DynamoDB_20120810.ListTables' },
      body: '{}',
    });
    expect(wrongType.status).toBe(415);
  });

  it('answers an operation DynamoDB does not have with UnknownOperationException', async () => {
    const res = await rawPost(endpoint.url, 'DynamoDB_20120810.FlushEverything', {});
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      __type: 'UnknownOperationException',
      message: "Berth's local endpoint does not implement DynamoDB operation FlushEverything.",
    });
  });
});

describe('time to live', () => {
  it('is set and described, and a sweep deletes the items whose TTL attribute is past', async () => {
    let nowMs = Date.parse('2026-06-01T00:00:00Z');
    const lines: string[] = [];
    const endpoint = await startLocalEndpoint(tempStateDir(), {
      services: [
        dynamoDbService({
          ttlSweep: { intervalMs: 25, maxDeletesPerPass: 2, now: () => nowMs },
          log: (l) => lines.push(l),
        }),
      ],
    });
    const dynamo = dynamoClient(endpoint.url);
    const doc = DynamoDBDocumentClient.from(dynamo);
    try {
      await dynamo.send(new CreateTableCommand(runsTable('expiring')));
      expect(
        (await dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'expiring' }))).TimeToLiveDescription,
      ).toEqual({
        TimeToLiveStatus: 'DISABLED',
      });
      const enabled = await dynamo.send(
        new UpdateTimeToLiveCommand({
          TableName: 'expiring',
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        }),
      );
      expect(enabled.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
      expect(
        (await dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'expiring' }))).TimeToLiveDescription,
      ).toEqual({
        TimeToLiveStatus: 'ENABLED',
        AttributeName: 'expiresAt',
      });
      await expect(
        dynamo.send(
          new UpdateTimeToLiveCommand({
            TableName: 'expiring',
            TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
          }),
        ),
      ).rejects.toMatchObject({ name: 'ValidationException', message: 'TimeToLive is already enabled' });

      const nowSeconds = nowMs / 1000;
      const items = [
        ...Array.from({ length: 5 }, (_, i) => ({ runId: `old${i}`, expiresAt: nowSeconds - 60 - i })),
        { runId: 'later', expiresAt: nowSeconds + 3600 },
        { runId: 'notanumber', expiresAt: String(nowSeconds - 60) },
        { runId: 'noattribute' },
      ];
      for (const Item of items) await doc.send(new PutCommand({ TableName: 'expiring', Item }));

      const remaining = async () =>
        ((await doc.send(new ScanCommand({ TableName: 'expiring' }))).Items ?? []).map((i) => i.runId as string).sort();
      // Five expired items, at most two per pass: three passes, each deleting what is past.
      await eventually(async () => (await remaining()).length === 3);
      expect(await remaining()).toEqual(['later', 'noattribute', 'notanumber']);
      expect(lines.some((l) => l === 'DynamoDB TTL: deleted 2 expired item(s) from expiring')).toBe(true);

      // Time passes: the item that was not yet due goes too.
      nowMs += 2 * 3600 * 1000;
      await eventually(async () => !(await remaining()).includes('later'));
      expect(await remaining()).toEqual(['noattribute', 'notanumber']);
    } finally {
      dynamo.destroy();
      await endpoint.close();
    }
  });
});

describe('persistence', () => {
  it('finds tables, items, indexes and settings again after a clean restart on the same state directory', async () => {
    const first = await startLocalEndpoint();
    let dynamo = dynamoClient(first.url);
    await dynamo.send(new CreateTableCommand({ ...runsTable('kept'), DeletionProtectionEnabled: true }));
    await dynamo.send(
      new UpdateTimeToLiveCommand({
        TableName: 'kept',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      }),
    );
    let doc = DynamoDBDocumentClient.from(dynamo);
    await doc.send(new PutCommand({ TableName: 'kept', Item: { runId: 'r1', status: 'RUNNING', createdAt: 'a' } }));
    dynamo.destroy();
    await first.close();

    const second = await startLocalEndpoint(first.stateDir);
    dynamo = dynamoClient(second.url);
    doc = DynamoDBDocumentClient.from(dynamo);
    try {
      expect((await doc.send(new GetCommand({ TableName: 'kept', Key: { runId: 'r1' } }))).Item).toEqual({
        runId: 'r1',
        status: 'RUNNING',
        createdAt: 'a',
      });
      const byStatus = await doc.send(
        new QueryCommand({
          TableName: 'kept',
          IndexName: 'byStatus',
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'RUNNING' },
        }),
      );
      expect(byStatus.Items?.map((i) => i.runId)).toEqual(['r1']);
      expect(
        (await dynamo.send(new DescribeTableCommand({ TableName: 'kept' }))).Table?.DeletionProtectionEnabled,
      ).toBe(true);
      expect((await dynamo.send(new DescribeTimeToLiveCommand({ TableName: 'kept' }))).TimeToLiveDescription).toEqual({
        TimeToLiveStatus: 'ENABLED',
        AttributeName: 'ttl',
      });
    } finally {
      dynamo.destroy();
      await second.close();
    }
  });

  it('finishes a table a kill left CREATING, as DynamoDB would have', async () => {
    const stateDir = tempStateDir();
    // The state a kill -9 between dynalite's two writes of CreateTable leaves behind.
    const engine = openDynalite(path.join(stateDir, 'dynamodb'), { region: REGION, accountId: ACCOUNT_ID });
    await engine.call('CreateTable', runsTable('interrupted') as unknown as Record<string, unknown>);
    await eventually(async () => (await engine.table('interrupted'))?.TableStatus === 'ACTIVE');
    const record = (await engine.table('interrupted'))!;
    const indexes = record.GlobalSecondaryIndexes as Array<Record<string, unknown>>;
    await engine.putTable({
      ...record,
      TableStatus: 'CREATING',
      GlobalSecondaryIndexes: indexes.map((i) => ({ ...i, IndexStatus: 'CREATING' })),
    });
    await engine.close();

    const endpoint = await startLocalEndpoint(stateDir);
    const dynamo = dynamoClient(endpoint.url);
    try {
      const table = (await dynamo.send(new DescribeTableCommand({ TableName: 'interrupted' }))).Table;
      expect(table?.TableStatus).toBe('ACTIVE');
      expect(table?.GlobalSecondaryIndexes?.[0]?.IndexStatus).toBe('ACTIVE');
      await DynamoDBDocumentClient.from(dynamo).send(
        new PutCommand({ TableName: 'interrupted', Item: { runId: 'r1' } }),
      );
    } finally {
      dynamo.destroy();
      await endpoint.close();
    }
  });

  it('loses nothing it answered when killed with SIGKILL right after a response', async () => {
    const stateDir = tempStateDir();
    let proc = await startEndpointProcess(stateDir);
    let dynamo = dynamoClient(proc.url);
    try {
      await dynamo.send(new CreateTableCommand(runsTable('survivor')));
      const doc = DynamoDBDocumentClient.from(dynamo);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          doc.send(
            new PutCommand({ TableName: 'survivor', Item: { runId: `r${i}`, status: 'PENDING', createdAt: `${i}` } }),
          ),
        ),
      );
      await doc.send(
        new UpdateCommand({
          TableName: 'survivor',
          Key: { runId: 'r0' },
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'RUNNING' },
        }),
      );
      proc.child.kill('SIGKILL');
      await proc.exited;
      dynamo.destroy();

      proc = await startEndpointProcess(stateDir);
      dynamo = dynamoClient(proc.url);
      const after = DynamoDBDocumentClient.from(dynamo);
      const scanned = await after.send(new ScanCommand({ TableName: 'survivor', ConsistentRead: true }));
      expect(scanned.Count).toBe(20);
      const pending = await after.send(
        new QueryCommand({
          TableName: 'survivor',
          IndexName: 'byStatus',
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': 'PENDING' },
        }),
      );
      expect(pending.Count).toBe(19);
      expect((await after.send(new GetCommand({ TableName: 'survivor', Key: { runId: 'r0' } }))).Item?.status).toBe(
        'RUNNING',
      );
      expect((await dynamo.send(new DescribeTableCommand({ TableName: 'survivor' }))).Table?.TableStatus).toBe(
        'ACTIVE',
      );
    } finally {
      dynamo.destroy();
      proc.child.kill('SIGKILL');
      await proc.exited;
    }
  });
});

describe('with the AWS CLI', () => {
  let endpoint: Awaited<ReturnType<typeof startLocalEndpoint>>;
  beforeAll(async () => {
    endpoint = await startLocalEndpoint();
  });
  afterAll(() => endpoint.close());

  it('creates a table, writes conditionally, sets TTL, scans and deletes it with --endpoint-url', async () => {
    const created = await awsCliJson(
      'dynamodb',
      endpoint.url,
      'create-table',
      '--table-name',
      'clitable',
      '--attribute-definitions',
      'AttributeName=id,AttributeType=S',
      '--key-schema',
      'AttributeName=id,KeyType=HASH',
      '--billing-mode',
      'PAY_PER_REQUEST',
    );
    expect(created.TableDescription.TableStatus).toBe('ACTIVE');
    expect((await awsCliJson('dynamodb', endpoint.url, 'list-tables')).TableNames).toEqual(['clitable']);
    await awsCliJson('dynamodb', endpoint.url, 'put-item', '--table-name', 'clitable', '--item', '{"id":{"S":"a"}}');
    const refused = await awsCli(
      'dynamodb',
      endpoint.url,
      'put-item',
      '--table-name',
      'clitable',
      '--item',
      '{"id":{"S":"a"}}',
      '--condition-expression',
      'attribute_not_exists(id)',
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(
      'An error occurred (ConditionalCheckFailedException) when calling the PutItem operation: The conditional request failed',
    );
    await awsCliJson(
      'dynamodb',
      endpoint.url,
      'update-time-to-live',
      '--table-name',
      'clitable',
      '--time-to-live-specification',
      'Enabled=true,AttributeName=expiresAt',
    );
    expect(
      (await awsCliJson('dynamodb', endpoint.url, 'describe-time-to-live', '--table-name', 'clitable'))
        .TimeToLiveDescription,
    ).toEqual({
      TimeToLiveStatus: 'ENABLED',
      AttributeName: 'expiresAt',
    });
    const scanned = await awsCliJson('dynamodb', endpoint.url, 'scan', '--table-name', 'clitable');
    expect(scanned.Items).toEqual([{ id: { S: 'a' } }]);
    const missing = await awsCli('dynamodb', endpoint.url, 'describe-table', '--table-name', 'nosuch');
    expect(missing.stderr).toContain(
      'An error occurred (ResourceNotFoundException) when calling the DescribeTable operation: Requested resource not found: Table: nosuch not found',
    );
    const partiql = await awsCli(
      'dynamodb',
      endpoint.url,
      'execute-statement',
      '--statement',
      'SELECT * FROM clitable',
    );
    expect(partiql.stderr).toContain('(UnknownOperationException)');
    expect(partiql.stderr).toContain('does not implement ExecuteStatement');
    await awsCliJson('dynamodb', endpoint.url, 'delete-table', '--table-name', 'clitable');
    expect((await awsCliJson('dynamodb', endpoint.url, 'list-tables')).TableNames).toEqual([]);
  });
});
