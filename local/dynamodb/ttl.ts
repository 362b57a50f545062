/**
 * Time to Live for Berth's local DynamoDB: dynalite has no expiry (its DescribeTimeToLive always says DISABLED and
 * it has no UpdateTimeToLive), so the setting is kept beside it and a sweep deletes expired items.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/howitworks-ttl.html
 * As on AWS: an item expires when its TTL attribute is a Number of epoch seconds below the current time; other
 * types, or no attribute, never expire; deletion is a background job (AWS: typically within two days; here every
 * sweep interval), so expired items still show in reads until it runs; a deletion is conditional on the item
 * still being expired, so a writer that pushed the expiry forward in the meantime wins.
 * Deliberate deviations: the status goes to ENABLED (or DISABLED) at once rather than through ENABLING over up to
 * an hour, and a second change within the hour is not refused. A pass (every minute by default) is bounded: at
 * most `maxDeletesPerPass` deletions over all tables and 20 scanned pages of 100 items per table; the next pass
 * goes on where the last one stopped.
 */
import type { Dynalite } from './dynalite';
import { DynamoDbError } from './exceptions';

export interface TtlSweepOptions {
  /** Milliseconds between passes. */
  intervalMs: number;
  /** The most items one pass deletes, over all tables. */
  maxDeletesPerPass: number;
  /** Epoch milliseconds; tests pass their own clock. */
  now: () => number;
}

export const DEFAULT_TTL_SWEEP: TtlSweepOptions = { intervalMs: 60_000, maxDeletesPerPass: 1_000, now: Date.now };

const SCAN_PAGE = 100;
/** Scanned pages per table per pass: a large table is read a slice a pass, not all at once every interval. */
const MAX_PAGES_PER_TABLE = 20;

export interface TtlTable {
  tableName: string;
  attributeName: string;
  /** The table's key attributes, which a deletion names. */
  keyNames: string[];
}

export interface TtlSweeper {
  /** One pass now; resolves with how many items it deleted. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

/**
 * `tables()` says which tables have TTL enabled now (and exist); `deleteExpired` runs one conditional DeleteItem through the
 * service's write queue (so a sweep deletion is ordered with the API's writes like any other).
 */
export function startTtlSweeper(
  dynalite: Dynalite,
  tables: () => Promise<TtlTable[]>,
  deleteItem: (input: Record<string, unknown>) => Promise<unknown>,
  options: TtlSweepOptions,
  log: (line: string) => void,
): TtlSweeper {
  /** Where the scan of each table stopped when a pass ran out of budget. */
  const cursors = new Map<string, Record<string, unknown>>();
  let running: Promise<number> | undefined;
  let closed = false;

  async function sweepTable(table: TtlTable, budget: number): Promise<number> {
    const nowSeconds = String(Math.floor(options.now() / 1000));
    let deleted = 0;
    let startKey = cursors.get(table.tableName);
    cursors.delete(table.tableName);
    for (let pages = 0; pages < MAX_PAGES_PER_TABLE && deleted < budget && !closed; pages++) {
      const page = await dynalite.call('Scan', {
        TableName: table.tableName,
        Limit: SCAN_PAGE,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': table.attributeName },
        ExpressionAttributeValues: { ':now': { N: nowSeconds } },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      });
      for (const item of (page.Items ?? []) as Record<string, unknown>[]) {
        if (deleted >= budget || closed) break;
        const key = Object.fromEntries(table.keyNames.map((name) => [name, item[name]]));
        try {
          await deleteItem({
            TableName: table.tableName,
            Key: key,
            ConditionExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': table.attributeName },
            ExpressionAttributeValues: { ':now': { N: nowSeconds } },
          });
          deleted++;
        } catch (err) {
          if (!(err instanceof DynamoDbError && err.code === 'ConditionalCheckFailedException')) throw err;
        }
      }
      startKey = page.LastEvaluatedKey as Record<string, unknown> | undefined;
      if (startKey === undefined) return deleted;
    }
    if (startKey !== undefined) cursors.set(table.tableName, startKey);
    return deleted;
  }

  async function pass(): Promise<number> {
    let deleted = 0;
    for (const table of await tables()) {
      if (closed || deleted >= options.maxDeletesPerPass) break;
      try {
        const n = await sweepTable(table, options.maxDeletesPerPass - deleted);
        if (n > 0) log(`DynamoDB TTL: deleted ${n} expired item(s) from ${table.tableName}`);
        deleted += n;
      } catch (err) {
        // A table deleted meanwhile, or a closing store: the next pass sees the tables as they are then.
        if (!closed) log(`DynamoDB TTL sweep of ${table.tableName} failed: ${(err as Error).message}`);
      }
    }
    return deleted;
  }

  function sweep(): Promise<number> {
    running ??= pass().finally(() => {
      running = undefined;
    });
    return running;
  }

  const timer = setInterval(() => void sweep(), options.intervalMs);
  timer.unref();

  return {
    sweep,
    async close() {
      closed = true;
      clearInterval(timer);
      await running?.catch(() => {});
    },
  };
}
