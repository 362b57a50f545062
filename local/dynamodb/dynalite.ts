/**
 * dynalite (an implementation of DynamoDB on LevelDB) embedded in the endpoint's process: its validations and
 * actions are called directly on its store, with no HTTP server of its own.
 * https://github.com/architect/dynalite (v4; its request handler, index.js, is what this replaces)
 *
 * Why in-process rather than dynalite listening on a private loopback port behind the endpoint:
 * - one port and one guard: nothing reaches dynalite except through the endpoint, which has already run the
 *   browser guard, the Host check and the content-type rules; a private port would be a second server a page
 *   could try (dynalite answers any Origin with `Access-Control-Allow-Origin: *`) and one more port to find free;
 * - dynalite's handler throws from inside callbacks when LevelDB fails (`if (err) throw err`), which would kill
 *   the whole endpoint; called here, every failure settles a promise and becomes an InternalServerError;
 * - no second parse, serialise and socket hop per request, and a close that is ours to order (the write queue
 *   drains, then LevelDB closes).
 * The price: it relies on dynalite's module layout (`dynalite/db`, `dynalite/validations`, `dynalite/actions/*`),
 * which its package exposes (no `exports` map) but does not document; package-lock.json holds the version, and the
 * conformance tests (test/conformance/dynamodb*.test.ts) go through every internal used here.
 *
 * Deviations from dynalite's own handler: tables pass CREATING/UPDATING/DELETING at once (createTableMs etc. 0),
 * ARNs carry the endpoint's region and account (dynalite reads AWS_REGION and AWS_ACCOUNT_ID from the
 * environment), and no SigV4 header is demanded (the endpoint accepts any credentials).
 */
import { fromWireBody, InternalServerError } from './exceptions';

/** The operations dynalite implements, by their X-Amz-Target names (index.js `validOperations`). */
export const DYNALITE_OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
] as const;

export type DynaliteOperation = (typeof DYNALITE_OPERATIONS)[number];

type Callback = (err: DynaliteError | null, data?: unknown) => void;

type DynaliteError = Error & { statusCode?: number; body?: Record<string, unknown> };

interface Validation {
  types: Record<string, unknown>;
  custom?: unknown;
}

interface DynaliteTableDb {
  awsAccountId: string;
  awsRegion: string;
  put(key: string, value: unknown, cb: (err: Error | null) => void): void;
}

interface DynaliteItemDb {
  get(key: string, cb: Callback): void;
}

interface DynaliteStore {
  tableDb: DynaliteTableDb;
  getItemDb(tableName: string): DynaliteItemDb;
  db: { iterator(options: { gt: string; lt: string }): AsyncIterable<[string, unknown]> };
  getTable(name: string, checkStatus: boolean, cb: Callback): void;
  lifecycleManager: { gracefulClose(): Promise<void> };
}

interface DynaliteDbModule {
  create(options: Record<string, unknown>): DynaliteStore;
  validateItem(item: unknown, table: unknown): DynaliteError | undefined;
  validateKey(key: unknown, table: unknown): DynaliteError | undefined;
  createKey(item: unknown, table: unknown): string;
  checkConditional(data: unknown, existingItem: unknown): DynaliteError | null | undefined;
  updateIndexes(store: DynaliteStore, table: unknown, existingItem: unknown, item: unknown, cb: Callback): void;
}

interface ValidationsModule {
  checkTypes(data: unknown, types: Record<string, unknown>): Record<string, unknown>;
  checkValidations(data: unknown, types: Record<string, unknown>, custom: unknown, store: DynaliteStore): void;
}

const dynaliteDb = require('dynalite/db') as DynaliteDbModule;
const validations = require('dynalite/validations') as ValidationsModule;

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

const actions = new Map(
  DYNALITE_OPERATIONS.map((name) => {
    const file = lowerFirst(name);
    return [
      name,
      {
        action: require(`dynalite/actions/${file}`) as (store: DynaliteStore, data: unknown, cb: Callback) => void,
        validation: require(`dynalite/validations/${file}`) as Validation,
      },
    ] as const;
  }),
);

/** A table's description as dynalite keeps it (the `Table` of DescribeTable). */
export type TableRecord = Record<string, unknown> & { TableName: string; TableStatus: string };

export interface AttributeDefinition {
  AttributeName: string;
  AttributeType: string;
}

export interface GlobalIndexDefinition {
  IndexName: string;
  KeySchema: Array<{ AttributeName: string; KeyType: string }>;
  Projection: { ProjectionType?: string; NonKeyAttributes?: string[] };
  ProvisionedThroughput?: { ReadCapacityUnits: number; WriteCapacityUnits: number };
}

export type CheckedOperation = 'PutItem' | 'UpdateItem' | 'DeleteItem';

export interface ConditionCheck {
  passed: boolean;
  /** The item's key attributes. */
  key: Record<string, unknown>;
  /** The item as stored, if any. */
  item?: Record<string, unknown>;
}

export interface Dynalite {
  /** Runs one operation as dynalite's HTTP handler would; rejects with a DynamoDbError as DynamoDB answers it. */
  call(operation: DynaliteOperation, input: Record<string, unknown>): Promise<Record<string, unknown>>;
  /**
   * Validates `input` as `operation` would and evaluates its condition (ConditionExpression or Expected) against
   * the item as stored now, writing nothing: what a transaction checks before it writes.
   */
  check(operation: CheckedOperation, input: Record<string, unknown>): Promise<ConditionCheck>;
  /**
   * Adds a global secondary index to an ACTIVE table, as DynamoDB's backfill does: every item whose index key
   * attributes are all present with the defined types is indexed; items where one has another type are skipped
   * and counted (DynamoDB reports them as index key violations). Run it with no other write in flight.
   */
  addGlobalIndex(
    tableName: string,
    index: GlobalIndexDefinition,
    attributeDefinitions: AttributeDefinition[],
  ): Promise<{ indexed: number; violations: number }>;
  /** The table's record whatever its status, or undefined. */
  table(name: string): Promise<TableRecord | undefined>;
  /** Every table's record. */
  tables(): Promise<TableRecord[]>;
  /** Overwrites a table's record (a status dynalite would have moved on from, had the process lived). */
  putTable(record: TableRecord): Promise<void>;
  /** Waits for pending LevelDB operations, then closes it. */
  close(): Promise<void>;
}

function settle(resolve: (value: Record<string, unknown>) => void, reject: (err: unknown) => void): Callback {
  return (err, data) => {
    if (err === null || err === undefined) {
      resolve((data ?? {}) as Record<string, unknown>);
    } else if (err.statusCode !== undefined && err.body !== undefined) {
      reject(fromWireBody(err.body, err.statusCode));
    } else {
      reject(err);
    }
  };
}

export function openDynalite(path: string, identity: { region: string; accountId: string }): Dynalite {
  const store = dynaliteDb.create({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  store.tableDb.awsRegion = identity.region;
  store.tableDb.awsAccountId = identity.accountId;

  /** dynalite's request validation; it mutates its input, so it gets its own copy. */
  function validated(operation: DynaliteOperation, input: Record<string, unknown>) {
    const entry = actions.get(operation);
    if (entry === undefined) throw new InternalServerError();
    const data = validations.checkTypes(structuredClone(input), entry.validation.types);
    validations.checkValidations(data, entry.validation.types, entry.validation.custom, store);
    return { data, action: entry.action };
  }

  function call(operation: DynaliteOperation, input: Record<string, unknown>) {
    return new Promise<Record<string, unknown>>((resolve, reject) => {
      const done = settle(resolve, reject);
      try {
        const { data, action } = validated(operation, input);
        action(store, data, done);
      } catch (err) {
        done(err as DynaliteError);
      }
    });
  }

  function check(operation: CheckedOperation, input: Record<string, unknown>) {
    return new Promise<ConditionCheck>((resolve, reject) => {
      const fail = settle(() => {}, reject);
      try {
        const { data } = validated(operation, input);
        const tableName = String(data.TableName);
        // As the item actions ask: a table still CREATING is not found.
        store.getTable(tableName, true, (err, table) => {
          if (err) return fail(err);
          const schema = (table as { KeySchema: Array<{ AttributeName: string }> }).KeySchema;
          const source = (operation === 'PutItem' ? data.Item : data.Key) as Record<string, unknown>;
          const invalid =
            operation === 'PutItem' ? dynaliteDb.validateItem(source, table) : dynaliteDb.validateKey(source, table);
          if (invalid) return fail(invalid);
          const key = Object.fromEntries(schema.map((k) => [k.AttributeName, source[k.AttributeName]]));
          store.getItemDb(tableName).get(dynaliteDb.createKey(source, table), (getErr, existing) => {
            if (getErr && getErr.name !== 'NotFoundError') return fail(getErr);
            const item = getErr ? undefined : (existing as Record<string, unknown>);
            const conditionFailed = dynaliteDb.checkConditional(data, item);
            resolve({ passed: !conditionFailed, key, ...(item === undefined ? {} : { item }) });
          });
        });
      } catch (err) {
        fail(err as DynaliteError);
      }
    });
  }

  async function addGlobalIndex(
    tableName: string,
    definition: GlobalIndexDefinition,
    attributeDefinitions: AttributeDefinition[],
  ) {
    const table = await tableRecord(tableName);
    if (table === undefined) throw new InternalServerError();
    const index = {
      ...definition,
      IndexArn: `arn:aws:dynamodb:${identity.region}:${identity.accountId}:table/${tableName}/index/${definition.IndexName}`,
      IndexSizeBytes: 0,
      ItemCount: 0,
      IndexStatus: 'ACTIVE',
      ProvisionedThroughput: {
        ReadCapacityUnits: definition.ProvisionedThroughput?.ReadCapacityUnits ?? 0,
        WriteCapacityUnits: definition.ProvisionedThroughput?.WriteCapacityUnits ?? 0,
        NumberOfDecreasesToday: 0,
      },
    };
    // The table as dynalite's index writer sees it: only the new index, so only its entries are written.
    const backfill = { ...table, AttributeDefinitions: attributeDefinitions, GlobalSecondaryIndexes: [index] };
    delete (backfill as Record<string, unknown>).LocalSecondaryIndexes;
    const types = new Map(attributeDefinitions.map((d) => [d.AttributeName, d.AttributeType]));
    const keyNames = definition.KeySchema.map((k) => k.AttributeName);
    let indexed = 0;
    let violations = 0;
    let startKey: unknown;
    do {
      const page = await call('Scan', {
        TableName: tableName,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      });
      for (const item of (page.Items ?? []) as Array<Record<string, Record<string, unknown>>>) {
        if (!keyNames.every((name) => item[name] !== undefined)) continue;
        if (!keyNames.every((name) => item[name]![types.get(name)!] !== undefined)) {
          violations++;
          continue;
        }
        await new Promise<void>((resolve, reject) =>
          dynaliteDb.updateIndexes(store, backfill, null, item, (err) => (err ? reject(err) : resolve())),
        );
        indexed++;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    const indexes = (table.GlobalSecondaryIndexes ?? []) as unknown[];
    await putTable({
      ...table,
      AttributeDefinitions: attributeDefinitions,
      GlobalSecondaryIndexes: [...indexes, index],
    });
    return { indexed, violations };
  }

  function tableRecord(name: string) {
    return new Promise<TableRecord | undefined>((resolve, reject) => {
      store.getTable(name, false, (err, table) => {
        if (err === null) resolve(table as TableRecord);
        else if (err.body?.__type === 'com.amazonaws.dynamodb.v20120810#ResourceNotFoundException') {
          resolve(undefined);
        } else reject(err);
      });
    });
  }

  function putTable(record: TableRecord) {
    return new Promise<void>((resolve, reject) => {
      store.tableDb.put(record.TableName, record, (err) => (err ? reject(err) : resolve()));
    });
  }

  return {
    call,
    check,
    addGlobalIndex,
    table: tableRecord,
    async tables() {
      const records: TableRecord[] = [];
      // dynalite keeps table records under the `table~` prefix of its one LevelDB.
      for await (const [, value] of store.db.iterator({ gt: 'table~', lt: 'table~\xff' })) {
        if (value !== null && typeof value === 'object' && 'TableStatus' in value) records.push(value as TableRecord);
      }
      return records;
    },
    putTable,
    close: () => store.lifecycleManager.gracefulClose(),
  };
}
