/**
 * Berth's local DynamoDB: the service the local AWS endpoint serves on the awsJson1_0 protocol with
 * `X-Amz-Target: DynamoDB_20120810.<Operation>`, so the SDK's DynamoDBClient (and lib-dynamodb's document client)
 * and `aws dynamodb ... --endpoint-url` work unmodified.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/Welcome.html
 *
 * Items, tables, indexes and tags are dynalite's (./dynalite.ts), in LevelDB under `<stateDir>/dynamodb/`. This
 * layer in front of it adds what the run store needs and dynalite lacks, and refuses loudly what neither does
 * (docs/local-stack.md has the table):
 * - Time to Live (UpdateTimeToLive, DescribeTimeToLive) and a background sweep deleting expired items (./ttl.ts);
 * - DeletionProtectionEnabled (CreateTable, UpdateTable; DeleteTable refused while it is on), StreamSpecification
 *   (recorded and described; no stream is served), Tags on CreateTable, point-in-time recovery settings
 *   (UpdateContinuousBackups, DescribeContinuousBackups: recorded and described; nothing can be restored);
 *   these live in `<stateDir>/dynamodb-settings.jsonl`, tied to the table's TableId so a re-created table starts
 *   clean;
 * - a global secondary index added to an existing table (UpdateTable Create, ./indexes.ts), backfilled from its
 *   items before UpdateTable answers; deleting one stays refused;
 * - ReturnValuesOnConditionCheckFailure: ALL_OLD on PutItem, UpdateItem and DeleteItem (the error carries the
 *   `Item`, read in the same turn of the write queue as the failed check, so no other write comes between);
 * - TransactWriteItems and TransactGetItems (./transactions.ts), each alone in the write queue;
 * - a TableName given as the table's ARN, as DynamoDB accepts it;
 * - tables are ACTIVE when CreateTable or UpdateTable answers (dynalite's delays are 0 and this layer waits for
 *   its status change), and a table a kill -9 left CREATING or UPDATING is made ACTIVE when the state is opened.
 * Writes (item and table) go through one queue, one at a time: LevelDB has one writer anyway, and it is what lets
 * the ALL_OLD read, transactions and the TTL sweep's conditional deletes be ordered with the API's writes.
 * Operations dynalite does not have and this layer does not add (PartiQL, backups, global tables,
 * ...) answer UnknownOperationException naming what is missing, never `{}`.
 */

import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { AwsJsonService, JsonObject, Operation, ServiceFactory } from '../endpoint/service';
import { DurableStore } from '../store';
import { type Dynalite, type DynaliteOperation, openDynalite, type TableRecord } from './dynalite';
import { DynamoDbError, ResourceNotFoundError, UnsupportedOperationError, ValidationError } from './exceptions';
import { planIndexCreate } from './indexes';
import { newTransactionMemory, transactGetItems, transactWriteItems } from './transactions';
import { DEFAULT_TTL_SWEEP, startTtlSweeper, type TtlSweepOptions, type TtlTable } from './ttl';

export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810';

export interface DynamoDbServiceOptions {
  /** How often and how much the TTL sweep deletes; tests pass a short interval and their own clock. */
  ttlSweep?: Partial<TtlSweepOptions>;
  /** One line per notable event; default stdout with the `[berth]` prefix. */
  log?: (line: string) => void;
}

/** What DynamoDB keeps about a table beyond dynalite's record. */
interface TableSettings {
  tableId: string;
  ttlAttribute?: string;
  deletionProtection?: boolean;
  stream?: { StreamEnabled: boolean; StreamViewType?: string };
  pointInTimeRecovery?: { enabled: boolean; recoveryPeriodInDays: number; since: number };
}

/** Operations DynamoDB has and Berth's local one does not, with why; each answers UnknownOperationException. */
const NOT_EMULATED: Record<string, string> = {
  ExecuteTransaction: 'PartiQL is not emulated',
  ExecuteStatement: 'PartiQL is not emulated',
  BatchExecuteStatement: 'PartiQL is not emulated',
  CreateBackup: 'backups are not emulated',
  DeleteBackup: 'backups are not emulated',
  DescribeBackup: 'backups are not emulated',
  ListBackups: 'backups are not emulated',
  RestoreTableFromBackup: 'backups are not emulated',
  RestoreTableToPointInTime: 'point-in-time recovery is recorded but nothing can be restored',
  ExportTableToPointInTime: 'exports are not emulated',
  DescribeExport: 'exports are not emulated',
  ListExports: 'exports are not emulated',
  ImportTable: 'imports are not emulated',
  DescribeImport: 'imports are not emulated',
  ListImports: 'imports are not emulated',
  CreateGlobalTable: 'global tables are not emulated',
  DescribeGlobalTable: 'global tables are not emulated',
  DescribeGlobalTableSettings: 'global tables are not emulated',
  ListGlobalTables: 'global tables are not emulated',
  UpdateGlobalTable: 'global tables are not emulated',
  UpdateGlobalTableSettings: 'global tables are not emulated',
  DescribeTableReplicaAutoScaling: 'replicas and auto scaling are not emulated',
  UpdateTableReplicaAutoScaling: 'replicas and auto scaling are not emulated',
  DescribeKinesisStreamingDestination: 'Kinesis streaming destinations are not emulated',
  EnableKinesisStreamingDestination: 'Kinesis streaming destinations are not emulated',
  DisableKinesisStreamingDestination: 'Kinesis streaming destinations are not emulated',
  UpdateKinesisStreamingDestination: 'Kinesis streaming destinations are not emulated',
  DescribeContributorInsights: 'Contributor Insights is not emulated',
  ListContributorInsights: 'Contributor Insights is not emulated',
  UpdateContributorInsights: 'Contributor Insights is not emulated',
  GetResourcePolicy: 'resource policies are not emulated',
  PutResourcePolicy: 'resource policies are not emulated',
  DeleteResourcePolicy: 'resource policies are not emulated',
  DescribeEndpoints: 'endpoint discovery is not emulated (the endpoint is the one you configured)',
  DescribeLimits: 'account limits are not emulated',
};

const TABLE_ARN = /^arn:aws[a-z-]*:dynamodb:[^:]*:[^:]*:table\/([^/]+)$/;
const STREAM_VIEW_TYPES = ['NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES', 'KEYS_ONLY'];
const STATUS_WAIT_MS = 5_000;

/** DynamoDB accepts a table's ARN wherever it takes TableName. */
function withTableName(input: JsonObject): JsonObject {
  const name = input.TableName;
  if (typeof name !== 'string') return input;
  const arn = TABLE_ARN.exec(name);
  return arn ? { ...input, TableName: arn[1] } : input;
}

function tableNameOf(input: JsonObject): string {
  const name = input.TableName;
  if (typeof name !== 'string' || name === '') {
    throw new ValidationError("The parameter 'TableName' is required but was not present in the request");
  }
  return name;
}

function optionalBoolean(input: JsonObject, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new ValidationError(`${member} must be a boolean`);
  return value;
}

function streamSpecification(value: unknown): TableSettings['stream'] | undefined {
  if (value === undefined || value === null) return undefined;
  const spec = value as JsonObject;
  if (typeof value !== 'object' || typeof spec.StreamEnabled !== 'boolean') {
    throw new ValidationError(
      "1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null",
    );
  }
  const viewType = spec.StreamViewType;
  if (spec.StreamEnabled && (typeof viewType !== 'string' || !STREAM_VIEW_TYPES.includes(viewType))) {
    throw new ValidationError(
      `One or more parameter values were invalid: StreamViewType must be one of ${STREAM_VIEW_TYPES.join(', ')} when StreamEnabled is true`,
    );
  }
  return spec.StreamEnabled ? { StreamEnabled: true, StreamViewType: viewType as string } : { StreamEnabled: false };
}

function notFound(name: string): ResourceNotFoundError {
  return new ResourceNotFoundError(`Requested resource not found: Table: ${name} not found`);
}

export function dynamoDbService(options: DynamoDbServiceOptions = {}): ServiceFactory {
  const sweepOptions = { ...DEFAULT_TTL_SWEEP, ...options.ttlSweep };
  const log = options.log ?? ((line: string) => process.stdout.write(`[berth] ${line}\n`));
  return async ({ stateDir, region, accountId }) => {
    const settingsStore = await DurableStore.open<TableSettings>(stateDir, 'dynamodb-settings');
    let dynalite: Dynalite | undefined;
    try {
      dynalite = openDynalite(path.join(stateDir, 'dynamodb'), { region, accountId });
      // LevelDB opens on first use: a state directory locked by another process fails here.
      await finishInterruptedChanges(dynalite);
    } catch (err) {
      await dynalite?.close().catch(() => {});
      await settingsStore.close();
      throw err;
    }
    return serve(dynalite, settingsStore);
  };

  function serve(dynalite: Dynalite, settingsStore: DurableStore<TableSettings>): AwsJsonService {
    let queue: Promise<unknown> = Promise.resolve();
    /** Runs `fn` after every write queued before it, alone. */
    function serial<T>(fn: () => Promise<T>): Promise<T> {
      const next = queue.then(fn, fn);
      queue = next.catch(() => {});
      return next;
    }

    /** The table's settings, if they belong to this incarnation of it. */
    function settingsOf(table: TableRecord): TableSettings {
      const settings = settingsStore.get(table.TableName);
      return settings !== undefined && settings.tableId === table.TableId
        ? settings
        : { tableId: String(table.TableId) };
    }

    async function existing(name: string): Promise<TableRecord> {
      const table = await dynalite.table(name);
      if (table === undefined || table.TableStatus === 'CREATING' || table.TableStatus === 'DELETING') {
        throw notFound(name);
      }
      return table;
    }

    /** dynalite's record as DescribeTable answers it, with what this layer keeps. */
    function described(table: JsonObject & TableRecord): JsonObject {
      const settings = settingsOf(table);
      return {
        ...table,
        DeletionProtectionEnabled: settings.deletionProtection === true,
        ...(settings.stream?.StreamEnabled ? { StreamSpecification: settings.stream } : {}),
      };
    }

    /** dynalite moves a table's status on a timer (delays set to 0): wait for it, bounded. */
    async function untilSettled(name: string, done: (table: TableRecord | undefined) => boolean) {
      const deadline = Date.now() + STATUS_WAIT_MS;
      while (!done(await dynalite.table(name))) {
        if (Date.now() > deadline) {
          log(`DynamoDB: table ${name} did not settle in ${STATUS_WAIT_MS} ms`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }

    const call = (operation: DynaliteOperation) => (input: JsonObject) =>
      dynalite.call(operation, withTableName(input));
    const write = (operation: DynaliteOperation) => (input: JsonObject) =>
      serial(() => dynalite.call(operation, withTableName(input)));

    /** PutItem, UpdateItem, DeleteItem, with ReturnValuesOnConditionCheckFailure. */
    const conditionalWrite = (operation: 'PutItem' | 'UpdateItem' | 'DeleteItem') => (raw: JsonObject) => {
      const { ReturnValuesOnConditionCheckFailure: onFailure, ...input } = withTableName(raw);
      if (onFailure !== undefined && onFailure !== null && onFailure !== 'ALL_OLD' && onFailure !== 'NONE') {
        throw new ValidationError(
          `1 validation error detected: Value '${String(onFailure)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`,
        );
      }
      return serial(async () => {
        try {
          return await dynalite.call(operation, input);
        } catch (err) {
          if (
            onFailure !== 'ALL_OLD' ||
            !(err instanceof DynamoDbError) ||
            err.code !== 'ConditionalCheckFailedException'
          ) {
            throw err;
          }
          const item = await currentItem(input);
          if (item === undefined) throw err;
          throw new DynamoDbError(err.code, err.message, err.statusCode, err.namespace, { ...err.members, Item: item });
        }
      });
    };

    async function currentItem(input: JsonObject): Promise<unknown> {
      const name = tableNameOf(input);
      let key = input.Key as JsonObject | undefined;
      if (key === undefined) {
        const table = await existing(name);
        const item = (input.Item ?? {}) as JsonObject;
        const names = (table.KeySchema as Array<{ AttributeName: string }>).map((k) => k.AttributeName);
        key = Object.fromEntries(names.map((n) => [n, item[n]]));
      }
      const out = await dynalite.call('GetItem', { TableName: name, Key: key, ConsistentRead: true });
      return out.Item;
    }

    async function createTable(raw: JsonObject) {
      const {
        DeletionProtectionEnabled: _protection,
        StreamSpecification: stream,
        Tags: tags,
        ...input
      } = withTableName(raw);
      const deletionProtection = optionalBoolean(raw, 'DeletionProtectionEnabled');
      const streamSettings = streamSpecification(stream);
      const name = tableNameOf(input);
      return serial(async () => {
        const out = await dynalite.call('CreateTable', input);
        const description = out.TableDescription as JsonObject & TableRecord;
        await untilSettled(name, (table) => table?.TableStatus === 'ACTIVE');
        if (Array.isArray(tags) && tags.length > 0) {
          await dynalite.call('TagResource', { ResourceArn: description.TableArn, Tags: tags });
        }
        const settings: TableSettings = { tableId: String(description.TableId) };
        if (deletionProtection) settings.deletionProtection = true;
        if (streamSettings?.StreamEnabled) settings.stream = streamSettings;
        await settingsStore.put(name, settings);
        return { TableDescription: described({ ...description, TableStatus: 'ACTIVE' }) };
      });
    }

    async function updateTable(raw: JsonObject) {
      const {
        DeletionProtectionEnabled: _protection,
        StreamSpecification: stream,
        ReplicaUpdates: replicas,
        ...input
      } = withTableName(raw);
      const name = tableNameOf(input);
      const deletionProtection = optionalBoolean(raw, 'DeletionProtectionEnabled');
      const streamSettings = streamSpecification(stream);
      if (replicas !== undefined && replicas !== null) {
        throw new UnsupportedOperationError(
          "Berth's local DynamoDB does not emulate replicas (UpdateTable ReplicaUpdates): global tables are not emulated.",
        );
      }
      const indexUpdates = (
        Array.isArray(input.GlobalSecondaryIndexUpdates) ? input.GlobalSecondaryIndexUpdates : []
      ) as JsonObject[];
      if (indexUpdates.some((u) => u.Delete != null)) {
        throw new UnsupportedOperationError(
          "Berth's local DynamoDB cannot delete a global secondary index (dynalite ignores UpdateTable GlobalSecondaryIndexUpdates Delete): delete the local table (or the state directory) and let it be created again with its indexes.",
        );
      }
      const create = indexUpdates.find((u) => u.Create != null)?.Create as JsonObject | undefined;
      if (create !== undefined) {
        if (indexUpdates.length > 1) {
          throw new ValidationError(
            'One or more parameter values were invalid: only one global secondary index can be created per UpdateTable call',
          );
        }
        const others = Object.keys(input).filter(
          (m) => !['TableName', 'AttributeDefinitions', 'GlobalSecondaryIndexUpdates'].includes(m),
        );
        if (others.length > 0) {
          throw new ValidationError(
            `One or more parameter values were invalid: create an index in an UpdateTable call of its own, without ${others.join(', ')}`,
          );
        }
      }
      const changesCapacity = Object.keys(input).some((member) => member !== 'TableName');
      return serial(async () => {
        if (create !== undefined) {
          const { index, definitions } = planIndexCreate(await existing(name), create, input.AttributeDefinitions);
          const { indexed, violations } = await dynalite.addGlobalIndex(name, index, definitions);
          log(
            `DynamoDB: index ${index.IndexName} added to ${name}, ${indexed} item(s) indexed${violations > 0 ? `, ${violations} skipped (an index key attribute of another type)` : ''}`,
          );
        } else if (changesCapacity || (deletionProtection === undefined && streamSettings === undefined)) {
          await dynalite.call('UpdateTable', input);
          await untilSettled(name, (table) => table?.TableStatus === 'ACTIVE');
        }
        const table = await existing(name);
        const settings = { ...settingsOf(table) };
        if (deletionProtection !== undefined) settings.deletionProtection = deletionProtection;
        if (streamSettings !== undefined) {
          if (streamSettings.StreamEnabled) settings.stream = streamSettings;
          else delete settings.stream;
        }
        await settingsStore.put(name, settings);
        return { TableDescription: described(table as JsonObject & TableRecord) };
      });
    }

    async function deleteTable(raw: JsonObject) {
      const input = withTableName(raw);
      const name = tableNameOf(input);
      return serial(async () => {
        const table = await dynalite.table(name);
        if (table !== undefined && settingsOf(table).deletionProtection) {
          throw new ValidationError(
            'Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.',
          );
        }
        const out = await dynalite.call('DeleteTable', input);
        await untilSettled(name, (t) => t === undefined);
        await settingsStore.delete(name);
        return { TableDescription: { ...(out.TableDescription as JsonObject), DeletionProtectionEnabled: false } };
      });
    }

    async function describeTable(raw: JsonObject) {
      const out = await dynalite.call('DescribeTable', withTableName(raw));
      return { Table: described(out.Table as JsonObject & TableRecord) };
    }

    async function updateTimeToLive(raw: JsonObject) {
      const input = withTableName(raw);
      const name = tableNameOf(input);
      const spec = input.TimeToLiveSpecification as JsonObject | undefined;
      if (spec === undefined || spec === null || typeof spec !== 'object') {
        throw new ValidationError(
          "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null",
        );
      }
      const attribute = spec.AttributeName;
      if (typeof spec.Enabled !== 'boolean') {
        throw new ValidationError(
          "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null",
        );
      }
      if (typeof attribute !== 'string' || attribute.length < 1 || attribute.length > 255) {
        throw new ValidationError(
          "1 validation error detected: Value at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length between 1 and 255",
        );
      }
      return serial(async () => {
        const table = await existing(name);
        const settings = { ...settingsOf(table) };
        if (spec.Enabled && settings.ttlAttribute !== undefined) {
          throw new ValidationError('TimeToLive is already enabled');
        }
        if (!spec.Enabled && settings.ttlAttribute === undefined) {
          throw new ValidationError('TimeToLive is already disabled');
        }
        if (!spec.Enabled && settings.ttlAttribute !== attribute) {
          throw new ValidationError(
            `TimeToLive is enabled on attribute ${settings.ttlAttribute}, not ${attribute}: disable it with that attribute name`,
          );
        }
        if (spec.Enabled) settings.ttlAttribute = attribute;
        else delete settings.ttlAttribute;
        await settingsStore.put(name, settings);
        return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: attribute } };
      });
    }

    async function describeTimeToLive(raw: JsonObject) {
      const table = await existing(tableNameOf(withTableName(raw)));
      const attribute = settingsOf(table).ttlAttribute;
      return {
        TimeToLiveDescription:
          attribute === undefined
            ? { TimeToLiveStatus: 'DISABLED' }
            : { TimeToLiveStatus: 'ENABLED', AttributeName: attribute },
      };
    }

    async function backupsTable(name: string): Promise<TableRecord> {
      const table = await dynalite.table(name);
      if (table === undefined) throw new DynamoDbError('TableNotFoundException', `Table not found: ${name}`);
      return table;
    }

    function continuousBackups(settings: TableSettings) {
      const pitr = settings.pointInTimeRecovery;
      const now = Date.now() / 1000;
      return {
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: pitr?.enabled
            ? {
                PointInTimeRecoveryStatus: 'ENABLED',
                RecoveryPeriodInDays: pitr.recoveryPeriodInDays,
                EarliestRestorableDateTime: Math.max(pitr.since, now - pitr.recoveryPeriodInDays * 86_400),
                LatestRestorableDateTime: now,
              }
            : { PointInTimeRecoveryStatus: 'DISABLED' },
        },
      };
    }

    async function updateContinuousBackups(raw: JsonObject) {
      const input = withTableName(raw);
      const name = tableNameOf(input);
      const spec = input.PointInTimeRecoverySpecification as JsonObject | undefined;
      if (spec === undefined || spec === null || typeof spec.PointInTimeRecoveryEnabled !== 'boolean') {
        throw new ValidationError(
          "1 validation error detected: Value null at 'pointInTimeRecoverySpecification.pointInTimeRecoveryEnabled' failed to satisfy constraint: Member must not be null",
        );
      }
      const days = spec.RecoveryPeriodInDays ?? 35;
      if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > 35) {
        throw new ValidationError(
          `1 validation error detected: Value '${String(days)}' at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35`,
        );
      }
      return serial(async () => {
        const table = await backupsTable(name);
        const settings = { ...settingsOf(table) };
        const wasOn = settings.pointInTimeRecovery?.enabled === true;
        settings.pointInTimeRecovery = {
          enabled: spec.PointInTimeRecoveryEnabled as boolean,
          recoveryPeriodInDays: days,
          since: wasOn ? settings.pointInTimeRecovery!.since : Date.now() / 1000,
        };
        await settingsStore.put(name, settings);
        return continuousBackups(settings);
      });
    }

    async function describeContinuousBackups(raw: JsonObject) {
      const table = await backupsTable(tableNameOf(withTableName(raw)));
      return continuousBackups(settingsOf(table));
    }

    /** The tables with TTL enabled, as they are now (settings of a table deleted or re-created do not count). */
    async function ttlTables(): Promise<TtlTable[]> {
      const tables: TtlTable[] = [];
      for (const [tableName, settings] of settingsStore.entries()) {
        if (settings.ttlAttribute === undefined) continue;
        const table = await dynalite.table(tableName);
        if (table === undefined || table.TableId !== settings.tableId || table.TableStatus !== 'ACTIVE') continue;
        const keyNames = (table.KeySchema as Array<{ AttributeName: string }>).map((k) => k.AttributeName);
        tables.push({ tableName, attributeName: settings.ttlAttribute, keyNames });
      }
      return tables;
    }

    const transactions = newTransactionMemory();
    const sweeper = startTtlSweeper(
      dynalite,
      ttlTables,
      (input) => serial(() => dynalite.call('DeleteItem', input)),
      sweepOptions,
      log,
    );

    const operations: Record<string, Operation> = {
      BatchGetItem: call('BatchGetItem'),
      GetItem: call('GetItem'),
      Query: call('Query'),
      Scan: call('Scan'),
      ListTables: call('ListTables'),
      ListTagsOfResource: call('ListTagsOfResource'),
      DescribeTable: describeTable,
      PutItem: conditionalWrite('PutItem'),
      UpdateItem: conditionalWrite('UpdateItem'),
      DeleteItem: conditionalWrite('DeleteItem'),
      BatchWriteItem: write('BatchWriteItem'),
      TransactWriteItems: (input) => serial(() => transactWriteItems(dynalite, transactions, input)),
      TransactGetItems: (input) => serial(() => transactGetItems(dynalite, input)),
      TagResource: write('TagResource'),
      UntagResource: write('UntagResource'),
      CreateTable: createTable,
      UpdateTable: updateTable,
      DeleteTable: deleteTable,
      UpdateTimeToLive: updateTimeToLive,
      DescribeTimeToLive: describeTimeToLive,
      UpdateContinuousBackups: updateContinuousBackups,
      DescribeContinuousBackups: describeContinuousBackups,
    };
    for (const [operation, why] of Object.entries(NOT_EMULATED)) {
      operations[operation] = () => {
        throw new UnsupportedOperationError(`Berth's local DynamoDB does not implement ${operation}: ${why}.`);
      };
    }

    return {
      name: 'DynamoDB',
      targetPrefix: DYNAMODB_TARGET_PREFIX,
      jsonVersion: '1.0',
      internalErrorCode: 'InternalServerError',
      operations: new Map(Object.entries(operations)),
      // The DynamoDB SDKs (botocore, the v2 JS SDK) check the body against it and retry on a mismatch.
      replyHeaders: (body) => ({ 'x-amz-crc32': String(crc32(body)) }),
      async close() {
        await sweeper.close();
        await queue;
        await dynalite.close();
        await settingsStore.close();
      },
    };
  }
}

/**
 * A kill -9 between dynalite's two writes of a status change leaves a table CREATING or UPDATING (unusable, and
 * CreateTable says it exists) or DELETING: finish what was started, as DynamoDB would have.
 */
async function finishInterruptedChanges(dynalite: Dynalite): Promise<void> {
  for (const table of await dynalite.tables()) {
    if (table.TableStatus === 'CREATING' || table.TableStatus === 'UPDATING') {
      const indexes = (table.GlobalSecondaryIndexes ?? []) as JsonObject[];
      await dynalite.putTable({
        ...table,
        TableStatus: 'ACTIVE',
        ...(indexes.length > 0
          ? { GlobalSecondaryIndexes: indexes.map((i) => ({ ...i, IndexStatus: 'ACTIVE' })) }
          : {}),
      });
    } else if (table.TableStatus === 'DELETING') {
      await dynalite.call('DeleteTable', { TableName: table.TableName });
    }
  }
}

/** The local endpoint's DynamoDB, with the default TTL sweep. */
export const dynamodbService: ServiceFactory = dynamoDbService();
