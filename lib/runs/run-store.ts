/**
 * The runs table (deploy/runs-table.js) as the use cases read and write it, through the DynamoDB document client.
 * - read: GetItem, consistent (a writer's next step, or a caller polling right after POST /runs, sees the last
 *   write);
 * - create: PutItem on the condition that no record has the id;
 * - change: read, apply a pure change (lib/runs/record-updates.ts), PutItem on the condition that `version` is
 *   still the one read; a lost race tries again on the record the condition failed on (the failure carries it:
 *   ReturnValuesOnConditionCheckFailure ALL_OLD). DynamoDB's conditional writes are atomic per item
 *   (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html),
 *   so two writers never both win; no transactions are needed.
 * - list: one Query on one index.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { integerFromEnv, requiredStringFromEnv } from '../env';
import { type RunRecord, RunRecordSchema } from './record';
import { applyChange, type RecordChange } from './record-updates';
import { INDEXES, SORT_KEY } from './table-keys';

export interface RunStoreConfig {
  /** BERTH_RUNS_TABLE. */
  tableName: string;
  /** BERTH_RUN_RETENTION_DAYS: records expire this many days after they were created. */
  retentionDays: number;
}

export interface RunStore {
  ddb: DynamoDBDocumentClient;
  config: RunStoreConfig;
  now?: () => Date;
}

export function loadRunStoreConfig(env: Readonly<Record<string, string | undefined>> = process.env): RunStoreConfig {
  return {
    tableName: requiredStringFromEnv(env, 'BERTH_RUNS_TABLE'),
    retentionDays: integerFromEnv(env, 'BERTH_RUN_RETENTION_DAYS', { fallback: 400, min: 1, max: 36_500 }),
  };
}

/** A record the table holds that does not match the schema (written by another version, or by hand). */
export class RunRecordError extends Error {
  override readonly name = 'RunRecordError';
}

function parseRecord(item: Record<string, unknown>): RunRecord {
  const parsed = RunRecordSchema.safeParse(item);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `$.${i.path.join('.')}: ${i.message}`).join('; ');
    throw new RunRecordError(`Run record ${String(item.runId)} is not a valid record: ${issues}`);
  }
  return parsed.data;
}

export async function getRecord(store: RunStore, runId: string): Promise<RunRecord | undefined> {
  const out = await store.ddb.send(
    new GetCommand({ TableName: store.config.tableName, Key: { runId }, ConsistentRead: true }),
  );
  return out.Item === undefined ? undefined : parseRecord(out.Item);
}

const isConditionFailed = (err: unknown) =>
  err instanceof ConditionalCheckFailedException ||
  (err as Error | undefined)?.name === 'ConditionalCheckFailedException';

/** Writes a new record; false when one with the id exists already. */
export async function createRecord(store: RunStore, record: RunRecord): Promise<boolean> {
  try {
    await store.ddb.send(
      new PutCommand({
        TableName: store.config.tableName,
        Item: record,
        ConditionExpression: 'attribute_not_exists(runId)',
      }),
    );
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

/** How often a change reads again after losing a race: writers of one run are a handful at a time. */
const MAX_RACES = 10;

export type ChangeResult = { found: false } | { found: true; changed: boolean; record: RunRecord };

/**
 * Applies a change to a run's record. Not found: nothing is written (an event for a run this table does not
 * have: another stage's, or one that expired). Unchanged: nothing is written either (a repeat, a late event).
 */
export async function changeRecord(
  store: RunStore,
  runId: string,
  change: RecordChange,
  /** The record read already (a caller that read it while doing other work): the first try writes on it. */
  read?: Promise<RunRecord | undefined>,
): Promise<ChangeResult> {
  let known = read;
  for (let race = 0; ; race++) {
    const record = known !== undefined ? await known : await getRecord(store, runId);
    known = undefined;
    if (record === undefined) return { found: false };
    const next = applyChange(record, change, (store.now ?? (() => new Date()))());
    if (next === undefined) return { found: true, changed: false, record };
    try {
      await store.ddb.send(
        new PutCommand({
          TableName: store.config.tableName,
          Item: next,
          ConditionExpression: '#version = :read',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':read': record.version },
          // A lost race answers with the record as the winner wrote it, so the next try needs no read.
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { found: true, changed: true, record: next };
    } catch (err) {
      if (!isConditionFailed(err) || race + 1 >= MAX_RACES) throw err;
      // Another writer changed the record between the read and the write: try again on the record it wrote. The
      // usual race is two writers (a task's STOPPED and the execution's end arrive together), and the other has
      // written by now, so the first try again goes at once; past that, several writers contend, and a growing
      // jitter spreads them (and they read again).
      const winner = (err as ConditionalCheckFailedException).Item;
      if (race === 0 && winner !== undefined) known = Promise.resolve(parseRecord(unmarshall(winner)));
      if (race > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * race));
    }
  }
}

export type IndexName = keyof typeof INDEXES;

export interface IndexQuery {
  index: IndexName;
  /** The index partition: the status, family, trigger type or name ("RUN" for all runs). */
  partition: string;
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
  limit: number;
  /** Oldest first (the reconciler) instead of newest first. */
  oldestFirst?: boolean;
  startKey?: Record<string, unknown> | undefined;
}

/** One Query on one index partition, within the createdAt range. */
export async function queryIndex(store: RunStore, query: IndexQuery): Promise<QueryCommandOutput> {
  const index = INDEXES[query.index];
  const names: Record<string, string> = { '#p': index.partitionKey };
  const values: Record<string, unknown> = { ':p': query.partition };
  let range = '';
  if (query.createdAfter !== undefined || query.createdBefore !== undefined) {
    names['#c'] = SORT_KEY;
    if (query.createdAfter !== undefined && query.createdBefore !== undefined) {
      range = ' AND #c BETWEEN :after AND :before';
      values[':after'] = query.createdAfter;
      values[':before'] = query.createdBefore;
    } else if (query.createdAfter !== undefined) {
      range = ' AND #c >= :after';
      values[':after'] = query.createdAfter;
    } else {
      range = ' AND #c <= :before';
      values[':before'] = query.createdBefore;
    }
  }
  return store.ddb.send(
    new QueryCommand({
      TableName: store.config.tableName,
      IndexName: index.name,
      KeyConditionExpression: `#p = :p${range}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ScanIndexForward: query.oldestFirst === true,
      Limit: query.limit,
      ...(query.startKey !== undefined && { ExclusiveStartKey: query.startKey }),
    }),
  );
}
