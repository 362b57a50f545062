/**
 * The runs table for unit tests: the DynamoDB document client mocked (aws-sdk-client-mock) over a Map, with the
 * semantics the run store relies on: consistent GetItem, PutItem with the two conditions it writes
 * (attribute_not_exists(runId), `#version = :read`) failing as DynamoDB does, and Query on an index partition
 * with a createdAt range, order, Limit and ExclusiveStartKey.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { INDEXES } from '../../../lib/runs/table-keys';

export const ddb = mockClient(DynamoDBDocumentClient);
export const table = new Map<string, Record<string, unknown>>();

/** The failure DynamoDB answers; with ALL_OLD it carries the item as it is, marshalled (the document client leaves errors alone). */
const conditionFailed = (current?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(current !== undefined && { Item: marshall(current, { removeUndefinedValues: true }) }),
  });

type Query = {
  IndexName: string;
  ExpressionAttributeValues: Record<string, string>;
  ScanIndexForward?: boolean;
  Limit: number;
  ExclusiveStartKey?: Record<string, string>;
};

/** Resets the mock and empties the table; call in beforeEach. */
export function resetTable() {
  ddb.reset();
  table.clear();
  ddb.on(GetCommand).callsFake(({ Key }: { Key: { runId: string } }) => {
    const item = table.get(Key.runId);
    return { Item: item === undefined ? undefined : structuredClone(item) };
  });
  ddb
    .on(PutCommand)
    .callsFake(
      ({
        Item,
        ConditionExpression,
        ExpressionAttributeValues,
        ReturnValuesOnConditionCheckFailure,
      }: {
        Item: Record<string, unknown>;
        ConditionExpression?: string;
        ExpressionAttributeValues?: Record<string, unknown>;
        ReturnValuesOnConditionCheckFailure?: string;
      }) => {
        const current = table.get(Item.runId as string);
        if (ConditionExpression === 'attribute_not_exists(runId)' && current !== undefined) throw conditionFailed();
        if (ConditionExpression === '#version = :read' && current?.version !== ExpressionAttributeValues?.[':read']) {
          throw conditionFailed(ReturnValuesOnConditionCheckFailure === 'ALL_OLD' ? current : undefined);
        }
        table.set(Item.runId as string, JSON.parse(JSON.stringify(Item)));
        return {};
      },
    );
  ddb.on(QueryCommand).callsFake((q: Query) => {
    const index = Object.values(INDEXES).find((i) => i.name === q.IndexName)!;
    const v = q.ExpressionAttributeValues;
    const items = [...table.values()]
      .filter((item) => item[index.partitionKey] === v[':p'])
      .filter((item) => v[':after'] === undefined || (item.createdAt as string) >= v[':after'])
      .filter((item) => v[':before'] === undefined || (item.createdAt as string) <= v[':before'])
      .sort((a, b) => `${a.createdAt}${a.runId}`.localeCompare(`${b.createdAt}${b.runId}`));
    if (q.ScanIndexForward === false) items.reverse();
    let from = 0;
    if (q.ExclusiveStartKey !== undefined) from = items.findIndex((i) => i.runId === q.ExclusiveStartKey?.runId) + 1;
    const page = items.slice(from, from + q.Limit);
    const last = page[page.length - 1];
    return {
      Items: page,
      ...(page.length === q.Limit &&
        last !== undefined && {
          LastEvaluatedKey: {
            runId: last.runId,
            createdAt: last.createdAt,
            [index.partitionKey]: last[index.partitionKey],
          },
        }),
    };
  });
}
