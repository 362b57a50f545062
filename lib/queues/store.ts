/**
 * The queues table (deploy/queues-table.js): each queue's slots and waiting runs, kept by conditional writes, the
 * semaphore AWS documents for Step Functions concurrency control
 * (https://docs.aws.amazon.com/step-functions/latest/dg/sample-concurrency-control.html: a counter item incremented
 * only while below the limit, one item per holder so a release happens once), with DynamoDB transactions so that a
 * slot, its counter and the waiting entry it replaces change together
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html).
 *
 * Items, all in the queue's partition (`queue`, the queue name), told apart by the sort key `entry`:
 * - `#state`: `running` (slots held), one `share:<identifier>` counter per share identifier with slots, `paused`.
 * - `q#<9999 - priority, 4 digits>#<enqueuedAt>#<runId>`: a waiting run with the task token its execution waits
 *   on. Key order is admission order before fair share: priority (higher first), then first come.
 * - `s#<runId>`: a slot, held from admission until the run's execution ends.
 *
 * The guarantee: `running` only grows in a transaction whose condition is `running < maxConcurrentRuns` and that
 * creates the slot item (absent before); it only shrinks in a transaction that deletes an existing slot item. So no
 * more than maxConcurrentRuns slot items ever exist, and a slot is released once whatever the order or repetition
 * of the events that release it. Reads are consistent: an admission sees every entry written before it.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Queue } from './config';
import { MAX_PRIORITY } from './names';

export interface QueueStore {
  ddb: DynamoDBDocumentClient;
  /** BERTH_QUEUES_TABLE. */
  tableName: string;
  now?: () => Date;
}

export const STATE_ENTRY = '#state';
const ENTRY_PREFIX = 'q#';
const SLOT_PREFIX = 's#';
const SHARE_PREFIX = 'share:';

export interface QueueMember {
  queue: string;
  runId: string;
  priority: number;
  /** When the run was created: the run's place among runs of its priority. */
  enqueuedAt: string;
  shareIdentifier?: string | undefined;
}

export interface WaitingEntry extends QueueMember {
  entry: string;
  taskToken: string;
}

export interface Slot {
  runId: string;
  admittedAt: string;
  shareIdentifier?: string | undefined;
  /** The token the admission resumed (or is to resume) the run's execution with. */
  taskToken?: string | undefined;
}

export interface QueueState {
  running: number;
  /** Slots held per share identifier (runs without one count under ""). */
  runningByShare: Record<string, number>;
  paused: boolean;
}

export const entryKey = (m: Pick<QueueMember, 'priority' | 'enqueuedAt' | 'runId'>) =>
  `${ENTRY_PREFIX}${String(MAX_PRIORITY - m.priority).padStart(4, '0')}#${m.enqueuedAt}#${m.runId}`;
const slotKey = (runId: string) => `${SLOT_PREFIX}${runId}`;
const shareAttribute = (shareIdentifier: string | undefined) => `${SHARE_PREFIX}${shareIdentifier ?? ''}`;

const isCanceled = (err: unknown) =>
  err instanceof TransactionCanceledException || (err as Error | undefined)?.name === 'TransactionCanceledException';
/** Why each action of a cancelled transaction failed (`ConditionalCheckFailed`, `None`), in order. */
const cancelReasons = (err: unknown): string[] =>
  ((err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? []).map((r) => r.Code ?? 'None');

export async function readQueueState(store: QueueStore, queue: string): Promise<QueueState> {
  const out = await store.ddb.send(
    new GetCommand({ TableName: store.tableName, Key: { queue, entry: STATE_ENTRY }, ConsistentRead: true }),
  );
  const item = out.Item ?? {};
  const runningByShare: Record<string, number> = {};
  for (const [name, value] of Object.entries(item)) {
    if (name.startsWith(SHARE_PREFIX) && typeof value === 'number' && value > 0) {
      runningByShare[name.slice(SHARE_PREFIX.length)] = value;
    }
  }
  return {
    running: typeof item.running === 'number' ? Math.max(item.running, 0) : 0,
    runningByShare,
    paused: item.paused === true,
  };
}

async function queryPartition(
  store: QueueStore,
  queue: string,
  prefix: string,
  options: { limit?: number; until?: string; count?: boolean; pages?: number } = {},
): Promise<{ items: Record<string, unknown>[]; count: number; complete: boolean }> {
  const items: Record<string, unknown>[] = [];
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < (options.pages ?? 1); page++) {
    const out = await store.ddb.send(
      new QueryCommand({
        TableName: store.tableName,
        KeyConditionExpression:
          options.until === undefined ? '#q = :q AND begins_with(#e, :p)' : '#q = :q AND #e BETWEEN :p AND :until',
        ExpressionAttributeNames: { '#q': 'queue', '#e': 'entry' },
        ExpressionAttributeValues: { ':q': queue, ':p': prefix, ...(options.until && { ':until': options.until }) },
        ConsistentRead: true,
        ...(options.count === true && { Select: 'COUNT' }),
        ...(options.limit !== undefined && { Limit: options.limit }),
        ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
      }),
    );
    items.push(...(out.Items ?? []));
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
    if (startKey === undefined || (options.limit !== undefined && items.length >= options.limit)) {
      return { items, count, complete: startKey === undefined };
    }
  }
  return { items, count, complete: startKey === undefined };
}

const toWaiting = (item: Record<string, unknown>): WaitingEntry => ({
  queue: String(item.queue),
  entry: String(item.entry),
  runId: String(item.runId),
  priority: Number(item.priority),
  enqueuedAt: String(item.enqueuedAt),
  taskToken: String(item.taskToken),
  ...(typeof item.shareIdentifier === 'string' && { shareIdentifier: item.shareIdentifier }),
});

const toSlot = (item: Record<string, unknown>): Slot => ({
  runId: String(item.runId),
  admittedAt: String(item.admittedAt),
  ...(typeof item.shareIdentifier === 'string' && { shareIdentifier: item.shareIdentifier }),
  ...(typeof item.taskToken === 'string' && { taskToken: item.taskToken }),
});

/** The first `limit` waiting runs in key order (priority, then first come). */
export async function waitingRuns(store: QueueStore, queue: string, limit: number): Promise<WaitingEntry[]> {
  return (await queryPartition(store, queue, ENTRY_PREFIX, { limit })).items.map(toWaiting);
}

/** Every waiting run, up to `pages` pages of the Query (1 MB each): for the queue's counts. */
export async function allWaitingRuns(
  store: QueueStore,
  queue: string,
  pages = 10,
): Promise<{ entries: WaitingEntry[]; complete: boolean }> {
  const out = await queryPartition(store, queue, ENTRY_PREFIX, { pages });
  return { entries: out.items.map(toWaiting), complete: out.complete };
}

/** The slots held. */
export async function slots(store: QueueStore, queue: string): Promise<Slot[]> {
  const out = await queryPartition(store, queue, SLOT_PREFIX, { pages: 100 });
  return out.items.map(toSlot);
}

/** A waiting run's place: 1 when it is the first in key order. */
export async function positionOf(store: QueueStore, member: QueueMember): Promise<number | undefined> {
  const key = entryKey(member);
  const out = await queryPartition(store, member.queue, ENTRY_PREFIX, { until: key, count: true, pages: 10 });
  const mine = await store.ddb.send(
    new GetCommand({ TableName: store.tableName, Key: { queue: member.queue, entry: key }, ConsistentRead: true }),
  );
  return mine.Item === undefined ? undefined : out.count;
}

/**
 * Puts a run in its queue, waiting on `taskToken`, unless it holds a slot already (its Lambda ran again after the
 * admission): 'holds-slot' then. A repeat replaces the entry's token with the newer one (the key is the same: the
 * run's priority and creation time).
 */
export async function putWaiting(
  store: QueueStore,
  member: QueueMember,
  taskToken: string,
): Promise<'waiting' | 'holds-slot'> {
  try {
    await store.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            ConditionCheck: {
              TableName: store.tableName,
              Key: { queue: member.queue, entry: slotKey(member.runId) },
              ConditionExpression: 'attribute_not_exists(#e)',
              ExpressionAttributeNames: { '#e': 'entry' },
            },
          },
          {
            Put: {
              TableName: store.tableName,
              Item: { ...member, entry: entryKey(member), taskToken },
            },
          },
        ],
      }),
    );
    return 'waiting';
  } catch (err) {
    if (isCanceled(err) && cancelReasons(err)[0] === 'ConditionalCheckFailed') return 'holds-slot';
    throw err;
  }
}

/**
 * The two writes that give `member` a slot, in one transaction with whatever else the caller adds: the queue's
 * counter (and its share's) grows, on the condition that the queue is not paused and, with a limit, below it; the
 * slot item is created, holding the token, on the condition that there is none.
 */
function slotWrites(
  store: QueueStore,
  member: QueueMember,
  taskToken: string | undefined,
  admittedAt: string,
  limit?: number,
) {
  const limited = limit !== undefined;
  return {
    counter: {
      Update: {
        TableName: store.tableName,
        Key: { queue: member.queue, entry: STATE_ENTRY },
        UpdateExpression: 'SET #r = if_not_exists(#r, :zero) + :one, #s = if_not_exists(#s, :zero) + :one',
        ConditionExpression: `(attribute_not_exists(#p) OR #p = :false)${limited ? ' AND (attribute_not_exists(#r) OR #r < :limit)' : ''}`,
        ExpressionAttributeNames: { '#r': 'running', '#s': shareAttribute(member.shareIdentifier), '#p': 'paused' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':false': false, ...(limited && { ':limit': limit }) },
      },
    },
    slot: {
      Put: {
        TableName: store.tableName,
        Item: {
          queue: member.queue,
          entry: slotKey(member.runId),
          runId: member.runId,
          admittedAt,
          ...(taskToken !== undefined && { taskToken }),
          ...(member.shareIdentifier !== undefined && { shareIdentifier: member.shareIdentifier }),
        },
        ConditionExpression: 'attribute_not_exists(#e)',
        ExpressionAttributeNames: { '#e': 'entry' },
      },
    },
  };
}

/**
 * Gives `entry` a slot: in one transaction, the counter grows if the queue is below its limit and not paused, the
 * entry goes (only if it still holds the token read: a newer one means the run's Lambda ran again), and the slot
 * item is created. False when any condition failed (the caller reads again).
 */
export async function takeSlot(
  store: QueueStore,
  queue: Queue,
  entry: WaitingEntry,
  admittedAt: string,
): Promise<boolean> {
  const { counter, slot } = slotWrites(store, entry, entry.taskToken, admittedAt, queue.maxConcurrentRuns);
  try {
    await store.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          counter,
          {
            Delete: {
              TableName: store.tableName,
              Key: { queue: entry.queue, entry: entry.entry },
              ConditionExpression: '#t = :token',
              ExpressionAttributeNames: { '#t': 'taskToken' },
              ExpressionAttributeValues: { ':token': entry.taskToken },
            },
          },
          slot,
        ],
      }),
    );
    return true;
  } catch (err) {
    if (isCanceled(err)) return false;
    throw err;
  }
}

/**
 * Gives a run a slot in a queue with no limit, without a waiting entry (no run can be ahead of it: runs wait in such
 * a queue only while it is paused): the counter grows if the queue is not paused and the slot item is created.
 * 'paused' when the queue is paused, 'holds-slot' when the run has its slot already. No token when the run is
 * admitted before its execution starts (POST /runs): there is nothing to resume.
 */
export async function takeSlotAtOnce(
  store: QueueStore,
  member: QueueMember,
  taskToken: string | undefined,
  admittedAt: string,
): Promise<'admitted' | 'paused' | 'holds-slot'> {
  const { counter, slot } = slotWrites(store, member, taskToken, admittedAt);
  try {
    await store.ddb.send(new TransactWriteCommand({ TransactItems: [counter, slot] }));
    return 'admitted';
  } catch (err) {
    if (!isCanceled(err)) throw err;
    return cancelReasons(err)[1] === 'ConditionalCheckFailed' ? 'holds-slot' : 'paused';
  }
}

/**
 * Releases a run's slot: the slot item goes and the counters shrink, in one transaction conditioned on the slot
 * existing, so a second release (a repeated event, the reconciler) changes nothing. True when this call released it.
 */
export async function releaseSlot(store: QueueStore, queue: string, slot: Omit<Slot, 'admittedAt'>): Promise<boolean> {
  try {
    await store.ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: store.tableName,
              Key: { queue, entry: slotKey(slot.runId) },
              ConditionExpression: 'attribute_exists(#e)',
              ExpressionAttributeNames: { '#e': 'entry' },
            },
          },
          {
            Update: {
              TableName: store.tableName,
              Key: { queue, entry: STATE_ENTRY },
              UpdateExpression: 'SET #r = #r - :one, #s = #s - :one',
              ExpressionAttributeNames: { '#r': 'running', '#s': shareAttribute(slot.shareIdentifier) },
              ExpressionAttributeValues: { ':one': 1 },
            },
          },
        ],
      }),
    );
    return true;
  } catch (err) {
    if (isCanceled(err)) return false;
    throw err;
  }
}

/** The slot a run holds, if any (its share identifier is what its release counts down). */
export async function slotOf(store: QueueStore, queue: string, runId: string): Promise<Slot | undefined> {
  const out = await store.ddb.send(
    new GetCommand({ TableName: store.tableName, Key: { queue, entry: slotKey(runId) }, ConsistentRead: true }),
  );
  return out.Item === undefined ? undefined : toSlot(out.Item);
}

/** Takes a run out of the waiting list (it ended while waiting); nothing if it is not there. */
export async function removeWaiting(store: QueueStore, member: QueueMember): Promise<void> {
  await store.ddb.send(
    new DeleteCommand({ TableName: store.tableName, Key: { queue: member.queue, entry: entryKey(member) } }),
  );
}

/** Pauses or resumes a queue: kept in its state item, so it outlives deploys and restarts. */
export async function setPaused(store: QueueStore, queue: string, paused: boolean): Promise<void> {
  await store.ddb.send(
    new UpdateCommand({
      TableName: store.tableName,
      Key: { queue, entry: STATE_ENTRY },
      UpdateExpression: 'SET #p = :p',
      ExpressionAttributeNames: { '#p': 'paused' },
      ExpressionAttributeValues: { ':p': paused },
    }),
  );
}
