/**
 * Local DynamoDB tables from the CloudFormation that defines them in AWS, so a table's shape is written once.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html
 *
 * Use (local/start.ts, once the endpoint listens):
 *
 *   import { ensureLocalTables } from './dynamodb/tables';
 *   await ensureLocalTables({ endpointUrl: endpoint.url, region }, { RunsTable: runsTableResource(stage) });
 *
 * where `resources` maps logical ids to `{ Type, Properties }` exactly as in serverless.yml `resources.Resources`
 * (resources of other types are skipped). For each AWS::DynamoDB::Table it:
 * - creates the table when it is missing (CreateTable with its keys, indexes, billing mode, stream setting,
 *   deletion protection and tags), then enables TTL and point-in-time recovery as specified;
 * - for a table that exists, adds the global secondary indexes it lacks (UpdateTable Create; the endpoint
 *   backfills them from the items), brings TTL, point-in-time recovery and deletion protection to the
 *   specification (none of which touches items), and compares key schema, key attribute types and indexes; what
 *   cannot be changed in place (another key schema, an index with other keys or projection, an index the
 *   definition no longer has) is thrown, after every table was handled, as a LocalTableMismatchError naming
 *   each difference and how to start over. It never deletes a table, an index or an item: that is the user's call.
 *
 * It resolves with one EnsuredTable per table: `{ logicalId, tableName, action: 'created' | 'updated' |
 * 'unchanged', changes, notEmulated }`, for the caller to log.
 *
 * `tablePlan(logicalId, properties, context)` is the pure part: Properties -> the API calls. It resolves the
 * intrinsics whose value is known locally (Ref to a pseudo parameter or a given parameter, Fn::Sub, Fn::Join,
 * Fn::If on a given condition) and refuses the rest (Fn::GetAtt, Fn::ImportValue, a Ref to another resource, ...)
 * with a TableDefinitionError naming the property. TableName is required: CloudFormation would generate one the
 * local stack cannot know. Properties that have no local effect (SSESpecification, TableClass, ...) are accepted
 * and listed in the plan's `notEmulated`; a property CloudFormation does not know is refused, as CloudFormation
 * refuses it.
 */
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  DynamoDBServiceException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';

export const TABLE_RESOURCE_TYPE = 'AWS::DynamoDB::Table';

/** A resource as serverless.yml `resources.Resources` holds it. */
export interface CloudFormationResource {
  Type: string;
  Properties?: unknown;
}

/** What an intrinsic may refer to locally. */
export interface IntrinsicContext {
  region: string;
  accountId?: string;
  stackName?: string;
  /** Template parameters, for `Ref: Name` and `${Name}` in Fn::Sub. */
  parameters?: Record<string, string>;
  /** Condition values, for Fn::If. */
  conditions?: Record<string, boolean>;
}

/** The table's definition cannot be turned into API calls; names the resource and the property. */
export class TableDefinitionError extends Error {
  constructor(
    readonly logicalId: string,
    readonly property: string,
    reason: string,
  ) {
    super(`${logicalId} (${TABLE_RESOURCE_TYPE}) ${property}: ${reason}`);
    this.name = 'TableDefinitionError';
  }
}

/** An existing local table differs from its definition in a way that cannot be changed in place. */
export class LocalTableMismatchError extends Error {
  constructor(readonly differences: Array<{ tableName: string; difference: string }>) {
    super(
      `Local DynamoDB tables differ from their CloudFormation definition:\n${differences
        .map((d) => `- ${d.tableName}: ${d.difference}`)
        .join('\n')}\nThe local stack never deletes data. To start over with the new shape (losing its items), run ` +
        '`aws dynamodb delete-table --table-name <name> --endpoint-url <endpoint>` and start again.',
    );
    this.name = 'LocalTableMismatchError';
  }
}

const AttributeDefinitionSchema = z.strictObject({
  AttributeName: z.string().min(1).max(255),
  AttributeType: z.enum(['S', 'N', 'B']),
});
const KeySchemaSchema = z
  .array(z.strictObject({ AttributeName: z.string().min(1).max(255), KeyType: z.enum(['HASH', 'RANGE']) }))
  .min(1)
  .max(2);
const ProjectionSchema = z.strictObject({
  ProjectionType: z.enum(['ALL', 'KEYS_ONLY', 'INCLUDE']).optional(),
  NonKeyAttributes: z.array(z.string()).optional(),
});
const ProvisionedThroughputSchema = z.strictObject({
  ReadCapacityUnits: z.coerce.number().int().min(1),
  WriteCapacityUnits: z.coerce.number().int().min(1),
});
const ContributorInsightsSchema = z.strictObject({ Enabled: z.boolean(), Mode: z.string().optional() });
const OnDemandThroughputSchema = z.record(z.string(), z.unknown());
const GlobalSecondaryIndexSchema = z.strictObject({
  IndexName: z.string().min(3).max(255),
  KeySchema: KeySchemaSchema,
  Projection: ProjectionSchema,
  ProvisionedThroughput: ProvisionedThroughputSchema.optional(),
  ContributorInsightsSpecification: ContributorInsightsSchema.optional(),
  OnDemandThroughput: OnDemandThroughputSchema.optional(),
  WarmThroughput: z.record(z.string(), z.unknown()).optional(),
});
const LocalSecondaryIndexSchema = z.strictObject({
  IndexName: z.string().min(3).max(255),
  KeySchema: KeySchemaSchema,
  Projection: ProjectionSchema,
});
const BooleanSchema = z.union([z.boolean(), z.enum(['true', 'false']).transform((v) => v === 'true')]);

/** The properties of AWS::DynamoDB::Table (every one CloudFormation documents), after intrinsics are resolved. */
export const TablePropertiesSchema = z.strictObject({
  TableName: z.string().regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'must be 3 to 255 characters of a-z, A-Z, 0-9, _, - and .'),
  AttributeDefinitions: z.array(AttributeDefinitionSchema).min(1),
  KeySchema: KeySchemaSchema,
  BillingMode: z.enum(['PROVISIONED', 'PAY_PER_REQUEST']).optional(),
  ProvisionedThroughput: ProvisionedThroughputSchema.optional(),
  GlobalSecondaryIndexes: z.array(GlobalSecondaryIndexSchema).optional(),
  LocalSecondaryIndexes: z.array(LocalSecondaryIndexSchema).optional(),
  TimeToLiveSpecification: z
    .strictObject({ AttributeName: z.string().min(1).max(255).optional(), Enabled: BooleanSchema })
    .optional(),
  PointInTimeRecoverySpecification: z
    .strictObject({
      PointInTimeRecoveryEnabled: BooleanSchema.optional(),
      RecoveryPeriodInDays: z.coerce.number().int().min(1).max(35).optional(),
    })
    .optional(),
  DeletionProtectionEnabled: BooleanSchema.optional(),
  StreamSpecification: z
    .strictObject({
      StreamViewType: z.enum(['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY']),
      ResourcePolicy: z.unknown().optional(),
    })
    .optional(),
  Tags: z.array(z.strictObject({ Key: z.string().min(1).max(128), Value: z.string().max(256) })).optional(),
  // Accepted, with no local effect (listed in the plan's notEmulated).
  SSESpecification: z.record(z.string(), z.unknown()).optional(),
  TableClass: z.enum(['STANDARD', 'STANDARD_INFREQUENT_ACCESS']).optional(),
  ContributorInsightsSpecification: ContributorInsightsSchema.optional(),
  KinesisStreamSpecification: z.record(z.string(), z.unknown()).optional(),
  OnDemandThroughput: OnDemandThroughputSchema.optional(),
  WarmThroughput: z.record(z.string(), z.unknown()).optional(),
  ResourcePolicy: z.record(z.string(), z.unknown()).optional(),
  ImportSourceSpecification: z.record(z.string(), z.unknown()).optional(),
});
export type TableProperties = z.infer<typeof TablePropertiesSchema>;

const NOT_EMULATED_PROPERTIES = [
  'SSESpecification',
  'TableClass',
  'ContributorInsightsSpecification',
  'KinesisStreamSpecification',
  'OnDemandThroughput',
  'WarmThroughput',
  'ResourcePolicy',
  'ImportSourceSpecification',
] as const;

/** The API calls that make the table, in order. */
export interface TablePlan {
  logicalId: string;
  tableName: string;
  createTable: CreateTableCommandInput;
  /** UpdateTimeToLive after CreateTable, when TTL is enabled. */
  timeToLive?: { AttributeName: string; Enabled: true };
  /** UpdateContinuousBackups after CreateTable, when point-in-time recovery is enabled. */
  pointInTimeRecovery?: { PointInTimeRecoveryEnabled: true; RecoveryPeriodInDays?: number };
  /** Properties given that have no effect locally, with why. */
  notEmulated: string[];
}

const PSEUDO_PARAMETERS = (context: IntrinsicContext): Record<string, string | undefined> => ({
  'AWS::Region': context.region,
  'AWS::AccountId': context.accountId,
  'AWS::StackName': context.stackName,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::NoValue': undefined,
});

const NO_VALUE = Symbol('AWS::NoValue');

/** Resolves the intrinsics known locally; throws TableDefinitionError naming the path of any other. */
export function resolveIntrinsics(
  logicalId: string,
  value: unknown,
  context: IntrinsicContext,
  at = 'Properties',
): unknown {
  const refuse = (reason: string): never => {
    throw new TableDefinitionError(logicalId, at, reason);
  };
  const lookup = (name: string): string => {
    const pseudo = PSEUDO_PARAMETERS(context);
    if (name in pseudo) {
      const known = pseudo[name];
      if (known === undefined) refuse(`${name} is not known locally`);
      return known as string;
    }
    const parameter = context.parameters?.[name];
    if (parameter === undefined) {
      refuse(
        `Ref ${name} cannot be resolved locally (not a pseudo parameter or a given parameter; a Ref to another resource is only known once CloudFormation creates it)`,
      );
    }
    return parameter as string;
  };
  if (Array.isArray(value)) {
    return value.map((v, i) => resolveIntrinsics(logicalId, v, context, `${at}[${i}]`)).filter((v) => v !== NO_VALUE);
  }
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [first] = entries;
  if (entries.length === 1 && first !== undefined && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    const [fn, arg] = first;
    const inner = (v: unknown, suffix: string) => resolveIntrinsics(logicalId, v, context, `${at}.${fn}${suffix}`);
    switch (fn) {
      case 'Ref':
        if (arg === 'AWS::NoValue') return NO_VALUE;
        if (typeof arg !== 'string') return refuse('Ref takes a name');
        return lookup(arg);
      case 'Fn::Sub': {
        const [template, vars] = Array.isArray(arg) ? arg : [arg, {}];
        if (typeof template !== 'string') return refuse('Fn::Sub takes a string or [string, variables]');
        const resolvedVars = inner(vars ?? {}, '[1]') as Record<string, unknown>;
        return template.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in resolvedVars) return String(resolvedVars[name]);
          if (name.includes('.')) {
            return refuse(`Fn::Sub \${${name}} is a GetAtt, which cannot be resolved locally`);
          }
          return lookup(name);
        });
      }
      case 'Fn::Join': {
        if (!Array.isArray(arg) || arg.length !== 2 || typeof arg[0] !== 'string') {
          return refuse('Fn::Join takes [delimiter, [values]]');
        }
        const parts = inner(arg[1], '[1]');
        if (!Array.isArray(parts)) return refuse('Fn::Join takes [delimiter, [values]]');
        return parts.map(String).join(arg[0]);
      }
      case 'Fn::If': {
        if (!Array.isArray(arg) || arg.length !== 3 || typeof arg[0] !== 'string') {
          return refuse('Fn::If takes [condition, value if true, value if false]');
        }
        const condition = context.conditions?.[arg[0]];
        if (condition === undefined) return refuse(`Fn::If condition ${arg[0]} is not given locally`);
        return inner(condition ? arg[1] : arg[2], condition ? '[1]' : '[2]');
      }
      default:
        return refuse(`${fn} cannot be resolved locally; give the value itself`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) {
    const resolved = resolveIntrinsics(logicalId, v, context, `${at}.${key}`);
    if (resolved !== NO_VALUE) out[key] = resolved;
  }
  return out;
}

function pathOf(issuePath: readonly PropertyKey[]): string {
  return issuePath.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    'Properties',
  );
}

/** The API calls that create the table `Properties` define: pure, no I/O. */
export function tablePlan(logicalId: string, rawProperties: unknown, context: IntrinsicContext): TablePlan {
  if (rawProperties === null || typeof rawProperties !== 'object' || Array.isArray(rawProperties)) {
    throw new TableDefinitionError(logicalId, 'Properties', 'must be an object');
  }
  if (!('TableName' in rawProperties)) {
    throw new TableDefinitionError(
      logicalId,
      'Properties.TableName',
      'is required locally: CloudFormation would generate a name, which the local stack cannot know',
    );
  }
  const resolved = resolveIntrinsics(logicalId, rawProperties, context);
  const parsed = TablePropertiesSchema.safeParse(resolved);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new TableDefinitionError(logicalId, pathOf(issue.path), issue.message);
  }
  const p = parsed.data;
  checkKeysDefined(logicalId, p);
  const billingMode = p.BillingMode ?? 'PROVISIONED';
  if (billingMode === 'PROVISIONED' && p.ProvisionedThroughput === undefined) {
    throw new TableDefinitionError(
      logicalId,
      'Properties.ProvisionedThroughput',
      'is required when BillingMode is PROVISIONED (the default)',
    );
  }
  if (billingMode === 'PAY_PER_REQUEST' && p.ProvisionedThroughput !== undefined) {
    throw new TableDefinitionError(
      logicalId,
      'Properties.ProvisionedThroughput',
      'cannot be given when BillingMode is PAY_PER_REQUEST',
    );
  }
  const ttl = p.TimeToLiveSpecification;
  if (ttl?.Enabled && ttl.AttributeName === undefined) {
    throw new TableDefinitionError(
      logicalId,
      'Properties.TimeToLiveSpecification.AttributeName',
      'is required when Enabled is true',
    );
  }

  const createTable: CreateTableCommandInput = {
    TableName: p.TableName,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: billingMode,
    ...(p.ProvisionedThroughput ? { ProvisionedThroughput: p.ProvisionedThroughput } : {}),
    ...(p.GlobalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: p.GlobalSecondaryIndexes.map((index, i) => {
            if (billingMode === 'PROVISIONED' && index.ProvisionedThroughput === undefined) {
              throw new TableDefinitionError(
                logicalId,
                `Properties.GlobalSecondaryIndexes[${i}].ProvisionedThroughput`,
                'is required when BillingMode is PROVISIONED',
              );
            }
            return {
              IndexName: index.IndexName,
              KeySchema: index.KeySchema,
              Projection: index.Projection,
              ...(billingMode === 'PROVISIONED' ? { ProvisionedThroughput: index.ProvisionedThroughput } : {}),
            };
          }),
        }
      : {}),
    ...(p.LocalSecondaryIndexes?.length ? { LocalSecondaryIndexes: p.LocalSecondaryIndexes } : {}),
    ...(p.StreamSpecification
      ? { StreamSpecification: { StreamEnabled: true, StreamViewType: p.StreamSpecification.StreamViewType } }
      : {}),
    ...(p.DeletionProtectionEnabled !== undefined ? { DeletionProtectionEnabled: p.DeletionProtectionEnabled } : {}),
    ...(p.Tags?.length ? { Tags: p.Tags } : {}),
  };
  const notEmulated: string[] = NOT_EMULATED_PROPERTIES.filter((name) => p[name] !== undefined).map(
    (name) => `${name} (no local effect)`,
  );
  if (p.StreamSpecification) notEmulated.push('StreamSpecification (recorded; no stream is served locally)');
  if (p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled) {
    notEmulated.push('PointInTimeRecoverySpecification (recorded; nothing can be restored locally)');
  }
  return {
    logicalId,
    tableName: p.TableName,
    createTable,
    ...(ttl?.Enabled ? { timeToLive: { AttributeName: ttl.AttributeName!, Enabled: true as const } } : {}),
    ...(p.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled
      ? {
          pointInTimeRecovery: {
            PointInTimeRecoveryEnabled: true as const,
            ...(p.PointInTimeRecoverySpecification.RecoveryPeriodInDays !== undefined
              ? { RecoveryPeriodInDays: p.PointInTimeRecoverySpecification.RecoveryPeriodInDays }
              : {}),
          },
        }
      : {}),
    notEmulated,
  };
}

/** CloudFormation (and DynamoDB) refuse a key attribute without a definition, and a definition no key uses. */
function checkKeysDefined(logicalId: string, p: TableProperties) {
  const defined = new Map(p.AttributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
  const used = new Set<string>();
  const keySchemas: Array<[string, TableProperties['KeySchema']]> = [
    ['Properties.KeySchema', p.KeySchema],
    ...(p.GlobalSecondaryIndexes ?? []).map(
      (index, i) =>
        [`Properties.GlobalSecondaryIndexes[${i}].KeySchema`, index.KeySchema] as [string, typeof p.KeySchema],
    ),
    ...(p.LocalSecondaryIndexes ?? []).map(
      (index, i) =>
        [`Properties.LocalSecondaryIndexes[${i}].KeySchema`, index.KeySchema] as [string, typeof p.KeySchema],
    ),
  ];
  for (const [at, schema] of keySchemas) {
    if (schema[0]?.KeyType !== 'HASH' || (schema[1] !== undefined && schema[1].KeyType !== 'RANGE')) {
      throw new TableDefinitionError(logicalId, at, 'must be one HASH key, optionally followed by one RANGE key');
    }
    for (const key of schema) {
      if (!defined.has(key.AttributeName)) {
        throw new TableDefinitionError(
          logicalId,
          at,
          `key attribute ${key.AttributeName} has no AttributeDefinitions entry`,
        );
      }
      used.add(key.AttributeName);
    }
  }
  for (const name of defined.keys()) {
    if (!used.has(name)) {
      throw new TableDefinitionError(
        logicalId,
        'Properties.AttributeDefinitions',
        `${name} is defined but is not a key of the table or of an index (DynamoDB refuses it)`,
      );
    }
  }
  const indexNames = new Set<string>();
  for (const index of [...(p.GlobalSecondaryIndexes ?? []), ...(p.LocalSecondaryIndexes ?? [])]) {
    if (indexNames.has(index.IndexName)) {
      throw new TableDefinitionError(logicalId, 'Properties', `index name ${index.IndexName} is used twice`);
    }
    indexNames.add(index.IndexName);
  }
}

/** What ensureLocalTables did with one table. */
export interface EnsuredTable {
  logicalId: string;
  tableName: string;
  action: 'created' | 'unchanged' | 'updated';
  /** What was changed on an existing table (TTL, point-in-time recovery, deletion protection). */
  changes: string[];
  notEmulated: string[];
}

export interface LocalEndpointTarget {
  endpointUrl: string;
  region: string;
  /** For Ref AWS::AccountId, and template parameters and conditions, if the definitions use them. */
  intrinsics?: Omit<IntrinsicContext, 'region'>;
}

/** How the existing table's keys and indexes differ from the plan's; empty when they match. */
export function shapeDifferences(plan: TablePlan, table: TableDescription): string[] {
  const differences: string[] = [];
  const keys = (schema: Array<{ AttributeName?: string; KeyType?: string }> | undefined) =>
    (schema ?? []).map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ');
  if (keys(plan.createTable.KeySchema) !== keys(table.KeySchema)) {
    differences.push(
      `key schema is (${keys(table.KeySchema)}), the definition says (${keys(plan.createTable.KeySchema)})`,
    );
  }
  const types = new Map((table.AttributeDefinitions ?? []).map((d) => [d.AttributeName, d.AttributeType]));
  for (const def of plan.createTable.AttributeDefinitions ?? []) {
    const actual = types.get(def.AttributeName);
    if (actual !== undefined && actual !== def.AttributeType) {
      differences.push(`attribute ${def.AttributeName} is of type ${actual}, the definition says ${def.AttributeType}`);
    }
  }
  const projection = (p: { ProjectionType?: string; NonKeyAttributes?: string[] } | undefined) =>
    `${p?.ProjectionType ?? 'ALL'}${p?.NonKeyAttributes?.length ? ` [${[...p.NonKeyAttributes].sort().join(', ')}]` : ''}`;
  const actualIndexes = new Map((table.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i]));
  const wantedIndexes = new Map((plan.createTable.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i]));
  for (const [name, wanted] of wantedIndexes) {
    const actual = actualIndexes.get(name);
    if (actual === undefined) {
      differences.push(`global secondary index ${name} is missing`);
      continue;
    }
    if (keys(wanted.KeySchema) !== keys(actual.KeySchema)) {
      differences.push(
        `global secondary index ${name} has key schema (${keys(actual.KeySchema)}), the definition says (${keys(wanted.KeySchema)})`,
      );
    }
    if (projection(wanted.Projection) !== projection(actual.Projection)) {
      differences.push(
        `global secondary index ${name} projects ${projection(actual.Projection)}, the definition says ${projection(wanted.Projection)}`,
      );
    }
  }
  for (const name of actualIndexes.keys()) {
    if (name !== undefined && !wantedIndexes.has(name)) {
      differences.push(`global secondary index ${name} is not in the definition`);
    }
  }
  return differences;
}

/**
 * Creates the tables `resources` define that the local endpoint lacks, and settles TTL, point-in-time recovery
 * and deletion protection on those it has. Throws TableDefinitionError for a definition it cannot use, and
 * LocalTableMismatchError (after handling every other table) for tables whose keys or indexes differ.
 */
export async function ensureLocalTables(
  target: LocalEndpointTarget,
  resources: Record<string, CloudFormationResource>,
): Promise<EnsuredTable[]> {
  const context: IntrinsicContext = { region: target.region, ...target.intrinsics };
  const plans = Object.entries(resources)
    .filter(([, resource]) => resource.Type === TABLE_RESOURCE_TYPE)
    .map(([logicalId, resource]) => tablePlan(logicalId, resource.Properties, context));
  const client = new DynamoDBClient({
    endpoint: target.endpointUrl,
    region: target.region,
    // The local endpoint takes any credentials; these keep the user's own from being read at all.
    credentials: { accessKeyId: 'berth-local', secretAccessKey: 'berth-local' },
  });
  const ensured: EnsuredTable[] = [];
  const mismatches: Array<{ tableName: string; difference: string }> = [];
  try {
    for (const plan of plans) {
      const table = await describe(client, plan.tableName);
      if (table === undefined) {
        await client.send(new CreateTableCommand(plan.createTable));
        if (plan.timeToLive) {
          await client.send(
            new UpdateTimeToLiveCommand({ TableName: plan.tableName, TimeToLiveSpecification: plan.timeToLive }),
          );
        }
        if (plan.pointInTimeRecovery) {
          await client.send(
            new UpdateContinuousBackupsCommand({
              TableName: plan.tableName,
              PointInTimeRecoverySpecification: plan.pointInTimeRecovery,
            }),
          );
        }
        ensured.push({ ...summary(plan), action: 'created', changes: [] });
        continue;
      }
      const { added: changes, refused } = await addMissingIndexes(client, plan, table);
      const current = changes.length > 0 ? ((await describe(client, plan.tableName)) ?? table) : table;
      for (const difference of [...shapeDifferences(plan, current), ...refused]) {
        mismatches.push({ tableName: plan.tableName, difference });
      }
      changes.push(...(await settleSettings(client, plan, current)));
      ensured.push({ ...summary(plan), action: changes.length > 0 ? 'updated' : 'unchanged', changes });
    }
  } finally {
    client.destroy();
  }
  if (mismatches.length > 0) throw new LocalTableMismatchError(mismatches);
  return ensured;
}

function summary(plan: TablePlan) {
  return { logicalId: plan.logicalId, tableName: plan.tableName, notEmulated: plan.notEmulated };
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return undefined;
    throw err;
  }
}

/**
 * Adds the plan's global secondary indexes the table lacks, one UpdateTable each (the local endpoint backfills
 * them from the items), when the table's own keys are the plan's; a refusal becomes a difference, not a failure.
 */
async function addMissingIndexes(
  client: DynamoDBClient,
  plan: TablePlan,
  table: TableDescription,
): Promise<{ added: string[]; refused: string[] }> {
  const keys = (schema: Array<{ AttributeName?: string; KeyType?: string }> | undefined) =>
    (schema ?? []).map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ');
  const added: string[] = [];
  const refused: string[] = [];
  if (keys(plan.createTable.KeySchema) !== keys(table.KeySchema)) return { added, refused };
  const present = new Set((table.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
  for (const index of plan.createTable.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    const keyNames = new Set((index.KeySchema ?? []).map((k) => k.AttributeName));
    try {
      await client.send(
        new UpdateTableCommand({
          TableName: plan.tableName,
          AttributeDefinitions: (plan.createTable.AttributeDefinitions ?? []).filter((d) =>
            keyNames.has(d.AttributeName),
          ),
          GlobalSecondaryIndexUpdates: [{ Create: index }],
        }),
      );
      added.push(`global secondary index ${index.IndexName} added`);
    } catch (err) {
      if (!(err instanceof DynamoDBServiceException) || err.name !== 'ValidationException') throw err;
      refused.push(`global secondary index ${index.IndexName} cannot be added: ${err.message}`);
    }
  }
  return { added, refused };
}

/** Brings TTL, point-in-time recovery and deletion protection to the plan; none of these touches items. */
async function settleSettings(client: DynamoDBClient, plan: TablePlan, table: TableDescription): Promise<string[]> {
  const changes: string[] = [];
  const TableName = plan.tableName;
  const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName }))).TimeToLiveDescription;
  const enabledOn = ttl?.TimeToLiveStatus === 'ENABLED' ? ttl.AttributeName : undefined;
  const wanted = plan.timeToLive?.AttributeName;
  if (enabledOn !== wanted) {
    if (enabledOn !== undefined) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: enabledOn, Enabled: false },
        }),
      );
    }
    if (wanted !== undefined) {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: wanted, Enabled: true } }),
      );
    }
    changes.push(`TTL ${wanted === undefined ? 'disabled' : `enabled on ${wanted}`}`);
  }
  const backups = (await client.send(new DescribeContinuousBackupsCommand({ TableName }))).ContinuousBackupsDescription
    ?.PointInTimeRecoveryDescription;
  const pitrOn = backups?.PointInTimeRecoveryStatus === 'ENABLED';
  const pitrWanted = plan.pointInTimeRecovery !== undefined;
  const periodWanted = plan.pointInTimeRecovery?.RecoveryPeriodInDays ?? 35;
  if (pitrOn !== pitrWanted || (pitrWanted && backups?.RecoveryPeriodInDays !== periodWanted)) {
    await client.send(
      new UpdateContinuousBackupsCommand({
        TableName,
        PointInTimeRecoverySpecification: plan.pointInTimeRecovery ?? { PointInTimeRecoveryEnabled: false },
      }),
    );
    changes.push(`point-in-time recovery ${pitrWanted ? 'enabled' : 'disabled'}`);
  }
  const protectionWanted = plan.createTable.DeletionProtectionEnabled === true;
  if ((table.DeletionProtectionEnabled === true) !== protectionWanted) {
    await client.send(new UpdateTableCommand({ TableName, DeletionProtectionEnabled: protectionWanted }));
    changes.push(`deletion protection ${protectionWanted ? 'enabled' : 'disabled'}`);
  }
  return changes;
}
