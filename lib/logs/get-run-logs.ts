/**
 * GET /runs/{runId}/logs: a run's container output, oldest first, one page at a time, read from CloudWatch Logs
 * with GetLogEvents, one call per stream per page at most (CloudWatch Logs allows about 25 GetLogEvents a second
 * per account and region; a throttled call answers 503 with Retry-After through lib/http.ts).
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 */
import {
  type CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandInput,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { mapLimited } from '../concurrency';
import { ValidationError } from '../errors';
import type { RunStatus } from '../runs/types';
import {
  afterCursor,
  decodeLogToken,
  encodeLogToken,
  type LogToken,
  MAX_LOG_LIMIT,
  mergeStreamPages,
  type StreamCursor,
  type StreamPage,
} from './page';
import { type RunLogSource, type RunLogSourceDeps, runLogSources } from './run-log-sources';

export interface RunLogsQuery {
  attempt?: number | undefined;
  container?: string | undefined;
  /** Epoch milliseconds: the first page starts there. */
  startTime?: number | undefined;
  limit: number;
  nextToken?: string | undefined;
}

export interface RunLogEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
  container: string;
  taskArn: string;
  attempt: number;
}

export interface RunLogPage {
  runId: string;
  /** The run's status when the page was read: a follower stops once it is terminal and a page comes back empty. */
  status: RunStatus;
  /** The attempt read; absent while the run has none yet. */
  attempt?: number;
  events: RunLogEvent[];
  /** Always given: it yields what is written after this page. */
  nextToken: string;
  /** Containers whose output cannot be read through CloudWatch Logs, and why. */
  unavailable?: Array<{ container: string; taskArn: string; reason: string }>;
}

export interface RunLogsDeps extends RunLogSourceDeps {
  logs: (region: string) => CloudWatchLogsClient;
}

const STREAM_CONCURRENCY = 5;

const streamKey = (location: { logGroup: string; logStream: string }) => `${location.logGroup}:${location.logStream}`;

function tokenOf(query: RunLogsQuery, runId: string): LogToken | undefined {
  if (query.nextToken === undefined) return undefined;
  const token = decodeLogToken(query.nextToken);
  if (token === undefined || token.r !== runId) {
    throw new ValidationError([
      { path: '$.nextToken', message: 'nextToken is not a token this API gave for this run.' },
    ]);
  }
  if (query.attempt !== undefined && query.attempt !== token.a) {
    throw new ValidationError([
      { path: '$.attempt', message: `The nextToken is for attempt ${token.a}, not ${query.attempt}.` },
    ]);
  }
  return token;
}

/** One GetLogEvents for a stream, from its cursor (see lib/logs/page.ts); a stream not made yet has no events. */
async function readStream(
  deps: RunLogsDeps,
  source: RunLogSource & { location: { logGroup: string; logStream: string; region: string } },
  cursor: StreamCursor | undefined,
  query: RunLogsQuery,
): Promise<StreamPage<RunLogSource>> {
  const { logGroup, logStream, region } = source.location;
  const input: GetLogEventsCommandInput = { logGroupName: logGroup, logStreamName: logStream, startFromHead: true };
  // The place to read from, and `k` more events than a page holds, as many as the cursor skips.
  input.limit = Math.min(MAX_LOG_LIMIT, query.limit + (cursor?.k ?? 0));
  if (cursor?.f !== undefined) input.nextToken = cursor.f;
  else if (cursor?.t !== undefined) input.startTime = cursor.t;
  else if (query.startTime !== undefined) input.startTime = query.startTime;
  const key = streamKey(source.location);
  try {
    const out = await deps.logs(region).send(new GetLogEventsCommand(input));
    const events = (out.events ?? []).map((e) => ({ timestamp: e.timestamp ?? 0, message: e.message ?? '' }));
    return {
      key,
      source,
      events: afterCursor(events, cursor),
      ...(out.nextForwardToken === undefined ? {} : { forwardToken: out.nextForwardToken }),
      ...(cursor === undefined ? {} : { previous: cursor }),
    };
  } catch (err) {
    // The task has not made its stream yet (it is still starting): nothing to read so far.
    if (err instanceof ResourceNotFoundException) {
      return { key, source, events: [], ...(cursor === undefined ? {} : { previous: cursor }) };
    }
    throw err;
  }
}

/**
 * One page of a run's logs.
 * 1. Read the nextToken (400 when it is not this API's for this run), and the attempt's streams (runLogSources:
 *    the attempt asked for, the token's, else the last).
 * 2. Read each stream once from its cursor, and merge the events by time (lib/logs/page.ts).
 * 3. Following the default attempt: once the token's attempt has nothing new and the run has a later one, go on
 *    with the later one from its start.
 */
export async function getRunLogs(deps: RunLogsDeps, runId: string, query: RunLogsQuery): Promise<RunLogPage> {
  const token = tokenOf(query, runId);
  const tokenAttempt = token === undefined || token.a === 0 ? undefined : token.a;
  let sources = await runLogSources(deps, runId, {
    attempt: query.attempt ?? tokenAttempt,
    container: query.container,
  });
  let cursors = token?.s ?? {};
  let page = await readSources(deps, sources.sources, cursors, query);
  const followingLast = query.attempt === undefined && token !== undefined;
  while (
    followingLast &&
    page.events.length === 0 &&
    sources.attempt !== undefined &&
    sources.attempt < sources.attempts
  ) {
    sources = await runLogSources(deps, runId, { attempt: sources.attempt + 1, container: query.container });
    cursors = {};
    page = await readSources(deps, sources.sources, cursors, { ...query, startTime: undefined });
  }
  const unavailable = sources.sources.flatMap((s) =>
    'reason' in s.location ? [{ container: s.container, taskArn: s.taskArn, reason: s.location.reason }] : [],
  );
  return {
    runId,
    status: sources.status,
    ...(sources.attempt === undefined ? {} : { attempt: sources.attempt }),
    events: page.events,
    nextToken: encodeLogToken({ r: runId, a: sources.attempt ?? 0, s: page.cursors }),
    ...(unavailable.length > 0 ? { unavailable } : {}),
  };
}

async function readSources(
  deps: RunLogsDeps,
  sources: readonly RunLogSource[],
  cursors: Record<string, StreamCursor>,
  query: RunLogsQuery,
): Promise<{ events: RunLogEvent[]; cursors: Record<string, StreamCursor> }> {
  const readable = sources.flatMap((source) => {
    const location = source.location;
    return 'reason' in location ? [] : [{ ...source, location }];
  });
  const pages = await mapLimited(readable, STREAM_CONCURRENCY, (source) =>
    readStream(deps, source, cursors[streamKey(source.location)], query),
  );
  const merged = mergeStreamPages(pages, query.limit);
  return {
    events: merged.events.map((event) => ({
      timestamp: event.timestamp,
      message: event.message,
      container: event.source.container,
      taskArn: event.source.taskArn,
      attempt: event.source.attempt,
    })),
    cursors: merged.cursors,
  };
}
