/**
 * The checks made before a global secondary index is added to an existing table (local/dynamodb/indexes.ts).
 */
import type { TableRecord } from '../../../local/dynamodb/dynalite';
import { planIndexCreate } from '../../../local/dynamodb/indexes';

const table = (overrides: Record<string, unknown> = {}): TableRecord => ({
  TableName: 'runs',
  TableStatus: 'ACTIVE',
  AttributeDefinitions: [
    { AttributeName: 'runId', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
  ],
  KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
  GlobalSecondaryIndexes: [
    { IndexName: 'byStatus', KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }], Projection: {} },
  ],
  BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' },
  ...overrides,
});

const byFamily = (overrides: Record<string, unknown> = {}) => ({
  IndexName: 'byFamily',
  KeySchema: [
    { AttributeName: 'family', KeyType: 'HASH' },
    { AttributeName: 'status', KeyType: 'RANGE' },
  ],
  Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['cluster'] },
  ...overrides,
});

const familyDefinition = [{ AttributeName: 'family', AttributeType: 'S' }];

it('plans the index and the table attribute definitions with its new key', () => {
  expect(planIndexCreate(table(), byFamily(), familyDefinition)).toEqual({
    index: {
      IndexName: 'byFamily',
      KeySchema: byFamily().KeySchema,
      Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['cluster'] },
    },
    definitions: [
      { AttributeName: 'runId', AttributeType: 'S' },
      { AttributeName: 'status', AttributeType: 'S' },
      { AttributeName: 'family', AttributeType: 'S' },
    ],
  });
});

it('keeps the throughput of an index on a PROVISIONED table', () => {
  const throughput = { ReadCapacityUnits: 2, WriteCapacityUnits: 3 };
  const plan = planIndexCreate(
    table({ BillingModeSummary: undefined }),
    byFamily({ ProvisionedThroughput: throughput }),
    familyDefinition,
  );
  expect(plan.index.ProvisionedThroughput).toEqual(throughput);
});

it.each<[string, TableRecord, Record<string, unknown>, unknown, string]>([
  [
    'a name in use',
    table(),
    byFamily({ IndexName: 'byStatus' }),
    familyDefinition,
    'Index with name byStatus already exists on table runs',
  ],
  [
    'a bad name',
    table(),
    byFamily({ IndexName: 'a b' }),
    familyDefinition,
    'IndexName must be 3 to 255 characters of a-z, A-Z, 0-9, _, - and .',
  ],
  [
    'a RANGE key first',
    table(),
    byFamily({ KeySchema: [{ AttributeName: 'family', KeyType: 'RANGE' }] }),
    familyDefinition,
    'KeySchema of index byFamily must be one HASH key, optionally followed by one RANGE key',
  ],
  [
    'an undefined key',
    table(),
    byFamily(),
    [],
    'Some index key attributes are not defined in AttributeDefinitions. Keys: [family]',
  ],
  [
    'a type change',
    table(),
    byFamily(),
    [...familyDefinition, { AttributeName: 'status', AttributeType: 'N' }],
    'Cannot change the type of attribute status from S to N',
  ],
  [
    'NonKeyAttributes without INCLUDE',
    table(),
    byFamily({ Projection: { ProjectionType: 'ALL', NonKeyAttributes: ['x'] } }),
    familyDefinition,
    'ProjectionType should be INCLUDE when NonKeyAttributes are specified',
  ],
  [
    'throughput on a PAY_PER_REQUEST table',
    table(),
    byFamily({ ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } }),
    familyDefinition,
    'ProvisionedThroughput should not be specified for index: byFamily when BillingMode is PAY_PER_REQUEST',
  ],
  [
    'no throughput on a PROVISIONED table',
    table({ BillingModeSummary: undefined }),
    byFamily(),
    familyDefinition,
    'ProvisionedThroughput must be specified for index: byFamily',
  ],
])('refuses %s with a ValidationException', (_, t, create, definitions, detail) => {
  expect(() => planIndexCreate(t, create, definitions)).toThrow(
    expect.objectContaining({
      code: 'ValidationException',
      message: `One or more parameter values were invalid: ${detail}`,
    }),
  );
});
