/**
 * Adding a global secondary index to an existing table (UpdateTable GlobalSecondaryIndexUpdates Create), which
 * dynalite validates and then ignores: the checks DynamoDB makes before it starts a backfill.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CreateGlobalSecondaryIndexAction.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.OnlineOps.html
 * Deliberate deviation: the index is ACTIVE when UpdateTable answers (the backfill runs before the answer, with
 * the table's other writes waiting), not CREATING with Backfilling true.
 */
import type { JsonObject } from '../endpoint/service';
import type { AttributeDefinition, GlobalIndexDefinition, TableRecord } from './dynalite';
import { ValidationError } from './exceptions';

const NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const PROJECTIONS = ['ALL', 'KEYS_ONLY', 'INCLUDE'];

const invalid = (detail: string) => new ValidationError(`One or more parameter values were invalid: ${detail}`);

/** The index to add and the table's attribute definitions with it, or a ValidationError saying what is wrong. */
export function planIndexCreate(
  table: TableRecord,
  create: JsonObject,
  givenDefinitions: unknown,
): { index: GlobalIndexDefinition; definitions: AttributeDefinition[] } {
  const name = create.IndexName;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalid('IndexName must be 3 to 255 characters of a-z, A-Z, 0-9, _, - and .');
  }
  const existing = [
    ...((table.GlobalSecondaryIndexes ?? []) as JsonObject[]),
    ...((table.LocalSecondaryIndexes ?? []) as JsonObject[]),
  ];
  if (existing.some((index) => index.IndexName === name)) {
    throw invalid(`Index with name ${name} already exists on table ${table.TableName}`);
  }
  const keySchema = create.KeySchema as Array<{ AttributeName?: unknown; KeyType?: unknown }> | undefined;
  if (
    !Array.isArray(keySchema) ||
    keySchema.length < 1 ||
    keySchema.length > 2 ||
    keySchema[0]?.KeyType !== 'HASH' ||
    (keySchema[1] !== undefined && keySchema[1].KeyType !== 'RANGE') ||
    keySchema.some((k) => typeof k.AttributeName !== 'string' || k.AttributeName === '')
  ) {
    throw invalid(`KeySchema of index ${name} must be one HASH key, optionally followed by one RANGE key`);
  }
  const projection = (create.Projection ?? {}) as { ProjectionType?: unknown; NonKeyAttributes?: unknown };
  const projectionType = projection.ProjectionType ?? 'ALL';
  if (typeof projectionType !== 'string' || !PROJECTIONS.includes(projectionType)) {
    throw invalid(`ProjectionType of index ${name} must be one of ${PROJECTIONS.join(', ')}`);
  }
  const nonKey = projection.NonKeyAttributes;
  if (nonKey !== undefined && (projectionType !== 'INCLUDE' || !Array.isArray(nonKey))) {
    throw invalid('ProjectionType should be INCLUDE when NonKeyAttributes are specified');
  }
  const billing = (table.BillingModeSummary as { BillingMode?: string } | undefined)?.BillingMode ?? 'PROVISIONED';
  const throughput = create.ProvisionedThroughput as GlobalIndexDefinition['ProvisionedThroughput'];
  if (billing === 'PAY_PER_REQUEST' && throughput != null) {
    throw invalid(
      `ProvisionedThroughput should not be specified for index: ${name} when BillingMode is PAY_PER_REQUEST`,
    );
  }
  if (billing === 'PROVISIONED' && throughput == null) {
    throw invalid(`ProvisionedThroughput must be specified for index: ${name}`);
  }

  const definitions = new Map(
    ((table.AttributeDefinitions ?? []) as AttributeDefinition[]).map((d) => [d.AttributeName, d.AttributeType]),
  );
  for (const given of (Array.isArray(givenDefinitions) ? givenDefinitions : []) as AttributeDefinition[]) {
    const current = definitions.get(given.AttributeName);
    if (current !== undefined && current !== given.AttributeType) {
      throw invalid(
        `Cannot change the type of attribute ${given.AttributeName} from ${current} to ${given.AttributeType}`,
      );
    }
    if (!['S', 'N', 'B'].includes(given.AttributeType)) {
      throw invalid(`AttributeType of ${given.AttributeName} must be S, N or B`);
    }
    definitions.set(given.AttributeName, given.AttributeType);
  }
  for (const key of keySchema as Array<{ AttributeName: string }>) {
    if (!definitions.has(key.AttributeName)) {
      throw invalid(`Some index key attributes are not defined in AttributeDefinitions. Keys: [${key.AttributeName}]`);
    }
  }
  return {
    index: {
      IndexName: name,
      KeySchema: keySchema as GlobalIndexDefinition['KeySchema'],
      Projection: {
        ProjectionType: projectionType,
        ...(Array.isArray(nonKey) ? { NonKeyAttributes: nonKey as string[] } : {}),
      },
      ...(throughput == null ? {} : { ProvisionedThroughput: throughput }),
    },
    definitions: [...definitions].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
  };
}
