/**
 * GET /runs?status=&limit=&nextToken=: runs, newest first, one page at a time.
 */
import {
  type ExecutionListItem,
  type ExecutionStatus,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { mapLimited } from '../concurrency';
import { NotFoundError, ValidationError } from '../errors';
import type { RunsConfig } from './config';
import { errorName } from './execution';
import { getRun } from './get-run';
import { encodePageToken, type PageToken } from './page-token';
import type { RunStatus, RunSummary } from './types';

export interface ListRunsQuery {
  status?: RunStatus | undefined;
  limit: number;
  nextToken?: PageToken | undefined;
}

/** The execution status each run status lives under: the ListExecutions filter for it. */
const EXECUTION_STATUS_OF: Readonly<Record<RunStatus, ExecutionStatus | undefined>> = {
  PENDING: 'RUNNING',
  WAITING_FOR_CAPACITY: 'RUNNING',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELLED: 'ABORTED',
  // An attempt's timeout fails the execution; an execution-level timeout is TIMED_OUT: both qualify.
  TIMED_OUT: undefined,
};

/** Run statuses an execution in this status can have; only these need a look at its history. */
function possibleStatuses(status: ExecutionStatus | string | undefined): readonly RunStatus[] {
  switch (status) {
    case 'SUCCEEDED':
      return ['SUCCEEDED'];
    case 'ABORTED':
      return ['CANCELLED'];
    case 'TIMED_OUT':
      return ['TIMED_OUT'];
    case 'RUNNING':
      return ['PENDING', 'WAITING_FOR_CAPACITY', 'RUNNING'];
    default:
      return ['FAILED', 'TIMED_OUT', 'CANCELLED'];
  }
}

/**
 * Runs, newest first, one page at a time.
 * 1. The query was validated at the boundary (lib/routes/list-runs.ts); the status maps to a ListExecutions status filter where one execution
 *    status holds it (TIMED_OUT lives in two, so it lists unfiltered).
 * 2. List one page of executions. Succeeded, aborted and timed-out executions say their run status
 *    themselves; a running or failed one is looked into (history) only when the filter could match it.
 * A page can therefore hold fewer than `limit` runs and still have a nextToken: follow it until it is absent.
 */
export async function listRuns(deps: { sfn: SFNClient; config: RunsConfig }, query: ListRunsQuery) {
  const { status: wanted, limit } = query;
  const sfnToken = query.nextToken?.t;

  const statusFilter = wanted === undefined ? undefined : EXECUTION_STATUS_OF[wanted];
  let page: { executions?: ExecutionListItem[]; nextToken?: string };
  try {
    page = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: deps.config.stateMachineArn,
        maxResults: limit,
        ...(statusFilter !== undefined && { statusFilter }),
        ...(sfnToken !== undefined && { nextToken: sfnToken }),
      }),
    );
  } catch (err) {
    if (errorName(err) === 'InvalidToken') {
      throw new ValidationError([
        { path: '$.nextToken', message: 'nextToken has expired or is not valid; list again from the first page.' },
      ]);
    }
    throw err;
  }

  const summaries = await mapLimited(page.executions ?? [], 4, async (execution): Promise<RunSummary | undefined> => {
    const possible = possibleStatuses(execution.status);
    if (wanted !== undefined && !possible.includes(wanted)) return undefined;
    const runId = execution.name ?? '';
    let status: RunStatus | undefined = possible.length === 1 ? possible[0] : undefined;
    if (status === undefined) {
      status = await getRun(deps, runId).then(
        (view) => view.status,
        (err) => {
          if (err instanceof NotFoundError) return undefined; // expired between the two calls
          throw err;
        },
      );
    }
    if (status === undefined || (wanted !== undefined && status !== wanted)) return undefined;
    return {
      runId,
      status,
      createdAt: (execution.startDate ?? new Date(0)).toISOString(),
      ...(execution.stopDate !== undefined && { stoppedAt: execution.stopDate.toISOString() }),
    };
  });
  return {
    items: summaries.filter((s): s is RunSummary => s !== undefined),
    ...(page.nextToken ? { nextToken: encodePageToken({ s: wanted ?? '', t: page.nextToken }) } : {}),
  };
}
