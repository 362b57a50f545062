/**
 * The CloudFormation -> DynamoDB API converter of local/dynamodb/tables.ts: what it produces, what it resolves and
 * what it refuses, and how it compares an existing table with its definition.
 */
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub templates are CloudFormation syntax, not JavaScript.
import type { TableDescription } from '@aws-sdk/client-dynamodb';
import {
  type IntrinsicContext,
  resolveIntrinsics,
  shapeDifferences,
  TableDefinitionError,
  tablePlan,
} from '../../../local/dynamodb/tables';
import { runsTableShape } from '../../conformance/runs-table-shape';

const context: IntrinsicContext = {
  region: 'eu-west-1',
  accountId: '123456789012',
  stackName: 'berth-dev',
  parameters: { Stage: 'dev' },
  conditions: { IsProd: false },
};

/** A runs table as the run store defines it: PAY_PER_REQUEST, TTL, PITR, a newest-first index. */
const runsTable = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  TableName: 'berth-dev-runs',
  ...runsTableShape(),
  TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  DeletionProtectionEnabled: false,
  Tags: [{ Key: 'service', Value: 'berth' }],
  ...overrides,
});

describe('tablePlan', () => {
  it('turns a table resource into CreateTable, UpdateTimeToLive and UpdateContinuousBackups inputs', () => {
    expect(tablePlan('RunsTable', runsTable(), context)).toEqual({
      logicalId: 'RunsTable',
      tableName: 'berth-dev-runs',
      createTable: {
        TableName: 'berth-dev-runs',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: runsTable().AttributeDefinitions,
        KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: runsTable().GlobalSecondaryIndexes,
        DeletionProtectionEnabled: false,
        Tags: [{ Key: 'service', Value: 'berth' }],
      },
      timeToLive: { AttributeName: 'expiresAt', Enabled: true },
      pointInTimeRecovery: { PointInTimeRecoveryEnabled: true },
      notEmulated: ['PointInTimeRecoverySpecification (recorded; nothing can be restored locally)'],
    });
  });

  it.each<[string, Record<string, unknown>, Partial<ReturnType<typeof tablePlan>>]>([
    [
      'PROVISIONED (the default) keeps the table and index throughput',
      {
        BillingMode: undefined,
        ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: '5' },
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
            ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
          },
        ],
      },
      {
        createTable: expect.objectContaining({
          BillingMode: 'PROVISIONED',
          ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 },
          GlobalSecondaryIndexes: [
            expect.objectContaining({
              Projection: { ProjectionType: 'KEYS_ONLY' },
              ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 },
            }),
          ],
        }),
      },
    ],
    [
      'a stream becomes StreamEnabled with its view type, noted as not served',
      { StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' }, PointInTimeRecoverySpecification: undefined },
      {
        createTable: expect.objectContaining({
          StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
        }),
        notEmulated: ['StreamSpecification (recorded; no stream is served locally)'],
      },
    ],
    [
      'TTL disabled and PITR off produce no calls; SSE and TableClass are noted',
      {
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: false },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        SSESpecification: { SSEEnabled: true },
        TableClass: 'STANDARD',
      },
      { notEmulated: ['SSESpecification (no local effect)', 'TableClass (no local effect)'] },
    ],
    [
      'booleans given as strings (as YAML templates often hold them) are booleans',
      { DeletionProtectionEnabled: 'true', PointInTimeRecoverySpecification: undefined },
      { createTable: expect.objectContaining({ DeletionProtectionEnabled: true }) },
    ],
  ])('%s', (_, overrides, expected) => {
    const plan = tablePlan('RunsTable', runsTable(overrides), context);
    expect(plan).toMatchObject(expected);
    if (overrides.TimeToLiveSpecification && !(overrides.TimeToLiveSpecification as { Enabled: boolean }).Enabled) {
      expect(plan.timeToLive).toBeUndefined();
      expect(plan.pointInTimeRecovery).toBeUndefined();
    }
  });

  it('resolves the intrinsics whose value is known locally', () => {
    const plan = tablePlan(
      'RunsTable',
      runsTable({
        TableName: { 'Fn::Sub': '${AWS::StackName}-runs-${Stage}' },
        DeletionProtectionEnabled: { 'Fn::If': ['IsProd', true, false] },
        Tags: [
          { Key: 'region', Value: { Ref: 'AWS::Region' } },
          { Key: 'account', Value: { 'Fn::Join': [':', [{ Ref: 'AWS::AccountId' }, 'x']] } },
          { 'Fn::If': ['IsProd', { Key: 'prod', Value: 'yes' }, { Ref: 'AWS::NoValue' }] },
        ],
      }),
      context,
    );
    expect(plan.tableName).toBe('berth-dev-runs-dev');
    expect(plan.createTable.DeletionProtectionEnabled).toBe(false);
    expect(plan.createTable.Tags).toEqual([
      { Key: 'region', Value: 'eu-west-1' },
      { Key: 'account', Value: '123456789012:x' },
    ]);
  });

  it.each<[string, Record<string, unknown> | 'no-name', string]>([
    [
      'a missing TableName',
      'no-name',
      'RunsTable (AWS::DynamoDB::Table) Properties.TableName: is required locally: CloudFormation would generate a name, which the local stack cannot know',
    ],
    [
      'Fn::GetAtt',
      { TableName: { 'Fn::GetAtt': ['Other', 'Name'] } },
      'RunsTable (AWS::DynamoDB::Table) Properties.TableName: Fn::GetAtt cannot be resolved locally; give the value itself',
    ],
    [
      'a Ref to another resource',
      { Tags: [{ Key: 'k', Value: { Ref: 'SomeBucket' } }] },
      'RunsTable (AWS::DynamoDB::Table) Properties.Tags[0].Value: Ref SomeBucket cannot be resolved locally (not a pseudo parameter or a given parameter; a Ref to another resource is only known once CloudFormation creates it)',
    ],
    [
      'Fn::ImportValue',
      { TableName: { 'Fn::ImportValue': 'shared-table' } },
      'RunsTable (AWS::DynamoDB::Table) Properties.TableName: Fn::ImportValue cannot be resolved locally; give the value itself',
    ],
    [
      'an Fn::If on a condition not given',
      { DeletionProtectionEnabled: { 'Fn::If': ['IsStaging', true, false] } },
      'RunsTable (AWS::DynamoDB::Table) Properties.DeletionProtectionEnabled: Fn::If condition IsStaging is not given locally',
    ],
    [
      'a GetAtt inside Fn::Sub',
      { TableName: { 'Fn::Sub': '${Other.Arn}-runs' } },
      'RunsTable (AWS::DynamoDB::Table) Properties.TableName: Fn::Sub ${Other.Arn} is a GetAtt, which cannot be resolved locally',
    ],
    [
      'a property CloudFormation does not know',
      { Billing: 'PAY_PER_REQUEST' },
      'RunsTable (AWS::DynamoDB::Table) Properties: Unrecognized key: "Billing"',
    ],
    [
      'a key attribute without a definition',
      { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] },
      'RunsTable (AWS::DynamoDB::Table) Properties.KeySchema: key attribute id has no AttributeDefinitions entry',
    ],
    [
      'a definition no key uses',
      {
        AttributeDefinitions: [
          ...(runsTable().AttributeDefinitions as unknown[]),
          { AttributeName: 'family', AttributeType: 'S' },
        ],
      },
      'RunsTable (AWS::DynamoDB::Table) Properties.AttributeDefinitions: family is defined but is not a key of the table or of an index (DynamoDB refuses it)',
    ],
    [
      'a RANGE key first',
      { KeySchema: [{ AttributeName: 'runId', KeyType: 'RANGE' }] },
      'RunsTable (AWS::DynamoDB::Table) Properties.KeySchema: must be one HASH key, optionally followed by one RANGE key',
    ],
    [
      'PROVISIONED without throughput',
      { BillingMode: 'PROVISIONED' },
      'RunsTable (AWS::DynamoDB::Table) Properties.ProvisionedThroughput: is required when BillingMode is PROVISIONED (the default)',
    ],
    [
      'throughput with PAY_PER_REQUEST',
      { ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } },
      'RunsTable (AWS::DynamoDB::Table) Properties.ProvisionedThroughput: cannot be given when BillingMode is PAY_PER_REQUEST',
    ],
    [
      'TTL enabled without an attribute',
      { TimeToLiveSpecification: { Enabled: true } },
      'RunsTable (AWS::DynamoDB::Table) Properties.TimeToLiveSpecification.AttributeName: is required when Enabled is true',
    ],
    [
      'an attribute type DynamoDB does not have',
      { AttributeDefinitions: [{ AttributeName: 'runId', AttributeType: 'BOOL' }] },
      'RunsTable (AWS::DynamoDB::Table) Properties.AttributeDefinitions[0].AttributeType: Invalid option: expected one of "S"|"N"|"B"',
    ],
    [
      'a table name DynamoDB refuses',
      { TableName: 'runs table' },
      'RunsTable (AWS::DynamoDB::Table) Properties.TableName: must be 3 to 255 characters of a-z, A-Z, 0-9, _, - and .',
    ],
  ])('refuses %s, naming the property', (_, overrides, message) => {
    const properties =
      overrides === 'no-name'
        ? Object.fromEntries(Object.entries(runsTable()).filter(([k]) => k !== 'TableName'))
        : runsTable(overrides);
    let caught: unknown;
    try {
      tablePlan('RunsTable', properties, context);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(TableDefinitionError);
    expect((caught as Error).message).toBe(message);
  });

  it('is pure: the resource given is not changed', () => {
    const properties = runsTable({ TableName: { 'Fn::Sub': '${Stage}-runs' } });
    const copy = structuredClone(properties);
    tablePlan('RunsTable', properties, context);
    expect(properties).toEqual(copy);
  });
});

describe('resolveIntrinsics', () => {
  it.each<[string, unknown, unknown]>([
    ['a plain value', 'runs', 'runs'],
    ['Fn::Sub with its own variables', { 'Fn::Sub': ['${A}-${Stage}', { A: 'x' }] }, 'x-dev'],
    ['Ref AWS::Partition', { Ref: 'AWS::Partition' }, 'aws'],
    ['a nested Fn::Join', { 'Fn::Join': ['-', ['a', { 'Fn::Join': ['', ['b', 'c']] }]] }, 'a-bc'],
  ])('%s', (_, value, expected) => {
    expect(resolveIntrinsics('T', value, context)).toEqual(expected);
  });
});

describe('shapeDifferences', () => {
  const plan = tablePlan('RunsTable', runsTable(), context);
  const table = (overrides: Partial<TableDescription> = {}): TableDescription => ({
    TableName: 'berth-dev-runs',
    AttributeDefinitions: plan.createTable.AttributeDefinitions!,
    KeySchema: plan.createTable.KeySchema!,
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byStatus',
        KeySchema: plan.createTable.GlobalSecondaryIndexes![0]!.KeySchema!,
        Projection: { ProjectionType: 'ALL' },
      },
    ],
    ...overrides,
  });

  it.each<[string, Partial<TableDescription>, string[]]>([
    ['none for the same shape', {}, []],
    [
      'another key schema',
      { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] },
      ['key schema is (id HASH), the definition says (runId HASH)'],
    ],
    [
      'another key type',
      {
        AttributeDefinitions: [
          { AttributeName: 'runId', AttributeType: 'N' },
          { AttributeName: 'status', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
        ],
      },
      ['attribute runId is of type N, the definition says S'],
    ],
    [
      'a missing index and an extra one',
      {
        GlobalSecondaryIndexes: [
          { IndexName: 'byFamily', KeySchema: [{ AttributeName: 'family', KeyType: 'HASH' }], Projection: {} },
        ],
      },
      ['global secondary index byStatus is missing', 'global secondary index byFamily is not in the definition'],
    ],
    [
      'another projection',
      {
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: plan.createTable.GlobalSecondaryIndexes![0]!.KeySchema!,
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['b', 'a'] },
          },
        ],
      },
      ['global secondary index byStatus projects INCLUDE [a, b], the definition says ALL'],
    ],
  ])('%s', (_, overrides, expected) => {
    expect(shapeDifferences(plan, table(overrides))).toEqual(expected);
  });
});
