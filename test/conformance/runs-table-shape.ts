/**
 * The shape of a runs table as the DynamoDB tests make one (the run store's, cut down): a `runId` key and a
 * newest-first index by status, for the local DynamoDB's conformance tests and the CloudFormation converter's.
 */
type Projection = { ProjectionType: 'ALL' } | { ProjectionType: 'INCLUDE'; NonKeyAttributes: string[] };

export function runsTableShape(projection: Projection = { ProjectionType: 'ALL' }) {
  return {
    BillingMode: 'PAY_PER_REQUEST' as const,
    AttributeDefinitions: [
      { AttributeName: 'runId', AttributeType: 'S' as const },
      { AttributeName: 'status', AttributeType: 'S' as const },
      { AttributeName: 'createdAt', AttributeType: 'S' as const },
    ],
    KeySchema: [{ AttributeName: 'runId', KeyType: 'HASH' as const }],
    GlobalSecondaryIndexes: [
      {
        IndexName: 'byStatus',
        KeySchema: [
          { AttributeName: 'status', KeyType: 'HASH' as const },
          { AttributeName: 'createdAt', KeyType: 'RANGE' as const },
        ],
        Projection: projection,
      },
    ],
  };
}
