/**
 * One page of a run's logs from the pages of its streams: pure, so the merge and the token are unit-tested.
 *
 * Each stream is read with one GetLogEvents (startFromHead) of up to `limit` events from where the previous page
 * left it; the page is the `limit` oldest of all the events read, by timestamp (streams in the order given break
 * ties), which are exactly the run's `limit` oldest events after the cursors, since no stream gave more than
 * `limit`. A stream's cursor is a place and a count of events to skip from there:
 * - a stream all of whose events went into the page goes on from the forward token GetLogEvents gave, skipping
 *   nothing (a token from a stream with nothing new comes back unchanged, and yields what is written later: the
 *   way to follow);
 * - a stream cut short is read again from the same place, skipping the events it has given so far (a forward token
 *   can only point after everything a call returned); once that count grows large, from the timestamp of its last
 *   event given, skipping those at that timestamp, when that count is known.
 * The next token holds the run, the attempt and every stream's cursor, as base64url JSON; a token is only read back
 * by this API, which checks its shape and that it is the run's.
 */
import * as z from 'zod/mini';

export const MAX_LOG_LIMIT = 10_000;
export const DEFAULT_LOG_LIMIT = 1000;

/**
 * Where a stream goes on: from an AWS forward token (`f`), from a timestamp (`t`), or from where the first page
 * started (neither), skipping `k` events from there.
 */
export interface StreamCursor {
  f?: string;
  t?: number;
  k: number;
}

const StreamCursorSchema = z.strictObject({
  f: z.optional(z.string().check(z.minLength(1))),
  t: z.optional(z.int().check(z.gte(0))),
  k: z.int().check(z.gte(0), z.lte(MAX_LOG_LIMIT)),
});

/** A cut stream's skip count past which its cursor moves to a timestamp when it can (GetLogEvents gives 10,000 at most). */
const REBASE_AT = MAX_LOG_LIMIT / 2;

export const LogTokenSchema = z.strictObject({
  /** The run id. */
  r: z.string(),
  /** The attempt (1-based); 0 while the run had none. */
  a: z.int().check(z.gte(0)),
  /** Cursors by stream key (`group:stream`). */
  s: z.record(z.string(), StreamCursorSchema),
});
export type LogToken = z.infer<typeof LogTokenSchema>;

export function encodeLogToken(token: LogToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

/** The token, or undefined when it is not one this API gave. */
export function decodeLogToken(text: string): LogToken | undefined {
  try {
    const parsed = LogTokenSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export interface StreamEvent {
  timestamp: number;
  message: string;
}

/** What one GetLogEvents gave for a stream, and the cursor it was read from. */
export interface StreamPage<S> {
  key: string;
  source: S;
  /** Events after the cursor, oldest first (those a `{t, k}` cursor skips already dropped). */
  events: StreamEvent[];
  /** GetLogEvents' nextForwardToken; absent when the stream does not exist yet. */
  forwardToken?: string;
  previous?: StreamCursor;
}

export interface MergedEvent<S> extends StreamEvent {
  source: S;
}

/** The page's events, oldest first, and each stream's cursor after it (see the module comment). */
export function mergeStreamPages<S>(
  pages: ReadonlyArray<StreamPage<S>>,
  limit: number,
): { events: MergedEvent<S>[]; cursors: Record<string, StreamCursor> } {
  const all: Array<MergedEvent<S> & { stream: number }> = [];
  pages.forEach((page, stream) => {
    for (const event of page.events) all.push({ ...event, source: page.source, stream });
  });
  // Stable: within a stream the order is the stream's own.
  all.sort((a, b) => a.timestamp - b.timestamp || a.stream - b.stream);
  const taken = all.slice(0, limit);
  const cursors: Record<string, StreamCursor> = {};
  pages.forEach((page, stream) => {
    const mine = taken.filter((event) => event.stream === stream);
    const previous = page.previous;
    if (mine.length === page.events.length && page.forwardToken !== undefined) {
      cursors[page.key] = { f: page.forwardToken, k: 0 };
      return;
    }
    if (mine.length === 0) {
      if (previous !== undefined) cursors[page.key] = previous;
      return;
    }
    const skipped = (previous?.k ?? 0) + mine.length;
    const first = mine[0]!.timestamp;
    const last = mine[mine.length - 1]!.timestamp;
    if (skipped > REBASE_AT && first < last) {
      // Nothing before this page can be at `last`: the events at it are all among these.
      cursors[page.key] = { t: last, k: mine.filter((event) => event.timestamp === last).length };
      return;
    }
    cursors[page.key] = {
      ...(previous?.f === undefined ? {} : { f: previous.f }),
      ...(previous?.t === undefined ? {} : { t: previous.t }),
      k: skipped,
    };
  });
  return { events: taken.map(({ stream: _, ...event }) => event), cursors };
}

/** Drops the `k` events a cursor says were given already from what GetLogEvents read from its place. */
export function afterCursor(events: readonly StreamEvent[], cursor: StreamCursor | undefined): StreamEvent[] {
  return events.slice(cursor?.k ?? 0);
}
