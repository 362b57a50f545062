/**
 * TransactWriteItems and TransactGetItems for Berth's local DynamoDB, which dynalite lacks.
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactGetItems.html
 *
 * The service runs each one alone in its write queue (service.ts), so no other write comes between a
 * transaction's checks and its writes. A write transaction:
 * 1. validates every action as its single-item operation would (syntax errors answer ValidationException
 *    before anything is read), and refuses two actions on one item;
 * 2. evaluates every condition against the items as stored (dynalite's own evaluator), writing nothing;
 *    any failure cancels the whole transaction: TransactionCanceledException with one CancellationReason per
 *    action, in order (`ConditionalCheckFailed`, with the item when ReturnValuesOnConditionCheckFailure is
 *    ALL_OLD, or `None`);
 * 3. applies the writes in order; if one fails anyway (an update expression meeting an attribute of the wrong
 *    type), the writes already made are undone from the images read in step 2 and the transaction is cancelled
 *    with a `ValidationError` reason.
 * Deliberate deviations: Query, Scan and BatchGetItem running meanwhile may see a transaction half applied
 * (DynamoDB isolates them at item level only, which a single-item read here also is); ClientRequestToken is
 * remembered for ten minutes in memory only, so a retry after a restart of the endpoint is applied again (its
 * conditions still guard it); no consumed capacity or item collection metrics are returned.
 */
import { createHash } from 'node:crypto';
import type { CheckedOperation, ConditionCheck, Dynalite } from './dynalite';
import { DynamoDbError, ValidationError } from './exceptions';

const MAX_ITEMS = 100;
const TOKEN_TTL_MS = 10 * 60 * 1000;

type Json = Record<string, unknown>;

interface Action {
  kind: 'ConditionCheck' | 'Put' | 'Update' | 'Delete';
  input: Json;
  /** The single-item operation it validates and applies as. */
  operation: CheckedOperation;
}

const OPERATION_OF: Record<Action['kind'], CheckedOperation> = {
  // A ConditionCheck has DeleteItem's members for the check (TableName, Key, ConditionExpression, names, values).
  ConditionCheck: 'DeleteItem',
  Put: 'PutItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
};

function transactItems(input: Json, member = 'transactItems'): Json[] {
  const items = input.TransactItems;
  if (!Array.isArray(items)) {
    throw new ValidationError(
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (items.length < 1 || items.length > MAX_ITEMS) {
    throw new ValidationError(
      `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length between 1 and ${MAX_ITEMS}`,
    );
  }
  return items as Json[];
}

function actionsOf(input: Json): Action[] {
  return transactItems(input).map((entry, i) => {
    const kinds = (['ConditionCheck', 'Put', 'Update', 'Delete'] as const).filter(
      (kind) => entry !== null && typeof entry === 'object' && entry[kind] != null,
    );
    if (kinds.length !== 1) {
      throw new ValidationError(
        `TransactItems[${i}] must have exactly one of ConditionCheck, Put, Update or Delete, not ${kinds.length}`,
      );
    }
    const kind = kinds[0]!;
    const action = entry[kind] as Json;
    if (kind === 'ConditionCheck' && typeof action.ConditionExpression !== 'string') {
      throw new ValidationError(
        `1 validation error detected: Value null at 'transactItems.${i + 1}.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null`,
      );
    }
    return { kind, input: action, operation: OPERATION_OF[kind] };
  });
}

export class TransactionCanceledError extends DynamoDbError {
  constructor(reasons: Json[]) {
    super(
      'TransactionCanceledException',
      `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
    );
    this.members.CancellationReasons = reasons;
  }
}

export interface TransactionMemory {
  /** ClientRequestToken -> what it was used for, and when. */
  tokens: Map<string, { fingerprint: string; at: number }>;
}

export function newTransactionMemory(): TransactionMemory {
  return { tokens: new Map() };
}

/** TransactWriteItems; must run alone in the service's write queue. */
export async function transactWriteItems(
  dynalite: Dynalite,
  memory: TransactionMemory,
  input: Json,
  now = Date.now(),
): Promise<Json> {
  const actions = actionsOf(input);
  const token = input.ClientRequestToken;
  // A digest, not the items' JSON: each token is kept for TOKEN_TTL_MS, and a run's transactions are kilobytes.
  const fingerprint = createHash('sha256').update(JSON.stringify(input.TransactItems)).digest('base64');
  if (typeof token === 'string') {
    for (const [t, used] of memory.tokens) if (now - used.at > TOKEN_TTL_MS) memory.tokens.delete(t);
    const used = memory.tokens.get(token);
    if (used !== undefined) {
      if (used.fingerprint !== fingerprint) {
        throw new DynamoDbError(
          'IdempotentParameterMismatchException',
          'Request token ClientRequestToken was used before with a different request.',
        );
      }
      return {};
    }
  }

  // 1 and 2: validate and check everything, writing nothing.
  const checks: ConditionCheck[] = [];
  for (const action of actions) checks.push(await dynalite.check(action.operation, action.input));
  const seen = new Set<string>();
  for (const [i, check] of checks.entries()) {
    const id = `${String(actions[i]!.input.TableName)}\u0000${JSON.stringify(check.key)}`;
    if (seen.has(id)) throw new ValidationError('Transaction request cannot include multiple operations on one item');
    seen.add(id);
  }
  if (checks.some((check) => !check.passed)) {
    throw new TransactionCanceledError(
      checks.map((check, i) => {
        if (check.passed) return { Code: 'None' };
        const wantsItem = actions[i]!.input.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
        return {
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(wantsItem && check.item !== undefined ? { Item: check.item } : {}),
        };
      }),
    );
  }

  // 3: apply in order, undoing on a failure.
  const applied: number[] = [];
  for (const [i, action] of actions.entries()) {
    if (action.kind === 'ConditionCheck') continue;
    try {
      await dynalite.call(action.operation, action.input);
      applied.push(i);
    } catch (err) {
      await undo(dynalite, actions, checks, applied);
      if (!(err instanceof DynamoDbError)) throw err;
      throw new TransactionCanceledError(
        actions.map((_, j) => (j === i ? { Code: 'ValidationError', Message: err.message } : { Code: 'None' })),
      );
    }
  }
  if (typeof token === 'string') memory.tokens.set(token, { fingerprint, at: now });
  return {};
}

async function undo(dynalite: Dynalite, actions: Action[], checks: ConditionCheck[], applied: number[]) {
  for (const i of [...applied].reverse()) {
    const tableName = actions[i]!.input.TableName;
    const before = checks[i]!;
    if (before.item === undefined) await dynalite.call('DeleteItem', { TableName: tableName, Key: before.key });
    else await dynalite.call('PutItem', { TableName: tableName, Item: before.item });
  }
}

/** TransactGetItems; run alone in the write queue, it reads every item as of one moment. */
export async function transactGetItems(dynalite: Dynalite, input: Json): Promise<Json> {
  const gets = transactItems(input).map((entry, i) => {
    if (entry === null || typeof entry !== 'object' || entry.Get == null) {
      throw new ValidationError(
        `1 validation error detected: Value null at 'transactItems.${i + 1}.member.get' failed to satisfy constraint: Member must not be null`,
      );
    }
    return entry.Get as Json;
  });
  const responses: Json[] = [];
  for (const get of gets) {
    const out = await dynalite.call('GetItem', { ...get, ConsistentRead: true });
    responses.push(out.Item === undefined ? {} : { Item: out.Item });
  }
  return { Responses: responses };
}
