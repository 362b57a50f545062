/**
 * GET /runs?status=|family=|trigger=|queue=&createdAfter=&createdBefore=&limit=&nextToken=: runs, newest first, one
 * Query per page on the index the filter names (deploy/runs-table.js), no Step Functions call.
 */
import { ValidationError } from '../errors';
import { encodePageToken, type ListFilter, listFilterKey, type PageToken } from './page-token';
import { type RunRecord, runSummary, TRIGGER_TYPES } from './record';
import { type IndexQuery, queryIndex, type RunStore } from './run-store';
import type { RunStatus, RunSummary } from './types';

export interface ListRunsQuery extends ListFilter {
  status?: RunStatus | undefined;
  limit: number;
  nextToken?: PageToken | undefined;
}

/** The index partition a filter reads: at most one of status, family, trigger and queue (the route refuses two). */
export function indexFor(query: ListFilter): Pick<IndexQuery, 'index' | 'partition'> {
  if (query.status !== undefined) return { index: 'status', partition: query.status };
  if (query.family !== undefined) return { index: 'family', partition: query.family };
  if (query.queue !== undefined) return { index: 'queue', partition: query.queue };
  if (query.trigger !== undefined) {
    const type = query.trigger.toLowerCase();
    return (TRIGGER_TYPES as readonly string[]).includes(type)
      ? { index: 'triggerType', partition: type }
      : { index: 'triggerName', partition: query.trigger };
  }
  return { index: 'all', partition: 'RUN' };
}

/**
 * Runs, newest first, one page at a time.
 * 1. The query was validated at the boundary (lib/routes/list-runs.ts): one filter at most, a time range, a token
 *    issued for this filter.
 * 2. One Query on that filter's index partition, `limit` items, from the token's key: the page is full unless
 *    the runs run out.
 * 3. The next token carries the Query's LastEvaluatedKey and the filter; none when DynamoDB has no more.
 */
export async function listRuns(store: RunStore, query: ListRunsQuery) {
  let page: Awaited<ReturnType<typeof queryIndex>>;
  try {
    page = await queryIndex(store, {
      ...indexFor(query),
      createdAfter: query.createdAfter,
      createdBefore: query.createdBefore,
      limit: query.limit,
      startKey: query.nextToken?.k,
    });
  } catch (err) {
    // A key that is not this index's (a token forged or from another version): DynamoDB's ValidationException.
    if ((err as Error).name === 'ValidationException' && query.nextToken !== undefined) {
      throw new ValidationError([
        { path: '$.nextToken', message: 'nextToken is not valid; list again from the first page.' },
      ]);
    }
    throw err;
  }
  const items: RunSummary[] = (page.Items ?? []).map((item) => runSummary(item as RunRecord));
  const last = page.LastEvaluatedKey as Record<string, string> | undefined;
  return {
    items,
    ...(last !== undefined && items.length > 0 && { nextToken: encodePageToken({ f: listFilterKey(query), k: last }) }),
  };
}
