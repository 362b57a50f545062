/**
 * Paging through a stream's events as GetLogEvents does, and through a group's as FilterLogEvents does; pure
 * functions over events sorted by (timestamp, seq) (models.ts).
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 *
 * GetLogEvents' tokens have AWS's shape, `f/<56 digits>/s` forward and `b/<56 digits>/s` backward: here the digits
 * are the event key a page ends at (timestamp, 20 digits; seq + 1, 20 digits) and 16 digits naming the stream, so a
 * token of another stream is refused. A forward token reads the events after its key, oldest first; a backward
 * token the last events before its key. As on AWS, a page with no events gives back the token it was given: that
 * is how a reader knows it has reached the end (for now; a follower keeps asking with it).
 * A page holds at most `limit` events (default and most 10,000) and 1 MB, counting 26 bytes per event besides the
 * message, as PutLogEvents counts them.
 */

import type { StoredEvent } from './events-file';
import { type FilterPattern, matchesFilterPattern } from './filter-pattern';
import { type EventKey, indexAfter } from './models';

export const MAX_EVENTS = 10_000;
export const MAX_PAGE_BYTES = 1_048_576;
export const EVENT_OVERHEAD_BYTES = 26;
/** Past any event's timestamp, and still a safe integer, so a token that holds it reads back. */
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;

export interface Cursor {
  direction: 'f' | 'b';
  /** Forward: the events after this key; backward: the events before it. */
  key: EventKey;
}

export class InvalidTokenError extends Error {}

export function eventBytes(message: string): number {
  return Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD_BYTES;
}

export function encodeToken(cursor: Cursor, tag: string): string {
  const digits = `${String(cursor.key.timestamp).padStart(20, '0')}${String(cursor.key.seq + 1).padStart(20, '0')}`;
  return `${cursor.direction}/${digits}${tag}/s`;
}

export function decodeToken(token: string, tag: string): Cursor {
  const match = /^([fb])\/(\d{20})(\d{20})(\d{16})\/s$/.exec(token);
  if (match === null || match[4] !== tag) throw new InvalidTokenError('The specified nextToken is invalid.');
  const timestamp = Number(match[2]);
  const seq = Number(match[3]) - 1;
  if (!Number.isSafeInteger(timestamp) || !Number.isSafeInteger(seq) || seq < 0) {
    throw new InvalidTokenError('The specified nextToken is invalid.');
  }
  return { direction: match[1] as 'f' | 'b', key: { timestamp, seq } };
}

export interface GetEventsQuery {
  /** Inclusive; events before it are not read (also the retention cutoff). */
  startTime: number;
  /** Exclusive. */
  endTime?: number;
  limit: number;
  startFromHead: boolean;
  cursor?: Cursor;
}

export interface EventsPage {
  events: StoredEvent[];
  forward: Cursor;
  backward: Cursor;
}

/** One page of GetLogEvents (see the module comment). */
export function getEventsPage(all: readonly StoredEvent[], query: GetEventsQuery): EventsPage {
  const endTime = query.endTime ?? MAX_TIMESTAMP;
  const forward = query.cursor === undefined ? query.startFromHead : query.cursor.direction === 'f';
  const page: StoredEvent[] = [];
  let bytes = 0;
  const fits = (event: StoredEvent) => {
    const size = eventBytes(event.message);
    if (page.length >= query.limit || bytes + size > MAX_PAGE_BYTES) return false;
    bytes += size;
    return true;
  };
  if (forward) {
    const from = query.cursor?.key ?? { timestamp: query.startTime, seq: 0 };
    let i = Math.max(indexAfter(all, from, false), indexAfter(all, { timestamp: query.startTime, seq: 0 }, true));
    for (; i < all.length; i++) {
      const event = all[i]!;
      if (event.timestamp >= endTime || !fits(event)) break;
      page.push(event);
    }
    if (page.length === 0) {
      return {
        events: page,
        forward: { direction: 'f', key: from },
        backward: { direction: 'b', key: { timestamp: from.timestamp, seq: from.seq + 1 } },
      };
    }
  } else {
    const before = query.cursor?.key ?? { timestamp: endTime, seq: 0 };
    let i = Math.min(indexAfter(all, before, true), indexAfter(all, { timestamp: endTime, seq: 0 }, true)) - 1;
    for (; i >= 0; i--) {
      const event = all[i]!;
      if (event.timestamp < query.startTime || !fits(event)) break;
      page.push(event);
    }
    page.reverse();
    if (page.length === 0) {
      return {
        events: page,
        forward: { direction: 'f', key: { timestamp: before.timestamp, seq: Math.max(0, before.seq - 1) } },
        backward: { direction: 'b', key: before },
      };
    }
  }
  const first = page[0]!;
  const last = page[page.length - 1]!;
  return {
    events: page,
    forward: { direction: 'f', key: { timestamp: last.timestamp, seq: last.seq } },
    backward: { direction: 'b', key: { timestamp: first.timestamp, seq: first.seq } },
  };
}

/** Where FilterLogEvents goes on from: the last event it gave, in (timestamp, stream name, seq) order. */
export interface FilterCursor {
  timestamp: number;
  stream: string;
  seq: number;
}

export function encodeFilterToken(cursor: FilterCursor): string {
  return Buffer.from(JSON.stringify([cursor.timestamp, cursor.stream, cursor.seq]), 'utf8').toString('base64url');
}

export function decodeFilterToken(token: string): FilterCursor {
  try {
    const [timestamp, stream, seq] = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown[];
    if (Number.isSafeInteger(timestamp) && typeof stream === 'string' && Number.isSafeInteger(seq)) {
      return { timestamp: timestamp as number, stream, seq: seq as number };
    }
  } catch {
    // answered below
  }
  throw new InvalidTokenError('The specified nextToken is invalid.');
}

export interface FilterQuery {
  startTime: number;
  endTime?: number;
  limit: number;
  pattern: FilterPattern;
  after?: FilterCursor;
}

export interface FilteredEvent extends StoredEvent {
  stream: string;
}

function afterCursor(event: FilteredEvent, cursor: FilterCursor): boolean {
  return (
    event.timestamp > cursor.timestamp ||
    (event.timestamp === cursor.timestamp &&
      (event.stream > cursor.stream || (event.stream === cursor.stream && event.seq > cursor.seq)))
  );
}

/** One page of FilterLogEvents over `streams` (name and events), interleaved by time; `next` when there is more. */
export function filterEventsPage(
  streams: ReadonlyArray<{ name: string; events: readonly StoredEvent[] }>,
  query: FilterQuery,
): { events: FilteredEvent[]; next?: FilterCursor } {
  const endTime = query.endTime ?? MAX_TIMESTAMP;
  const from = Math.max(query.startTime, query.after?.timestamp ?? 0);
  const candidates: FilteredEvent[] = [];
  for (const { name, events } of streams) {
    let taken = 0;
    for (let i = indexAfter(events, { timestamp: from, seq: 0 }, true); i < events.length; i++) {
      const event = events[i]!;
      if (event.timestamp >= endTime || taken > query.limit) break;
      const filtered = { ...event, stream: name };
      if (query.after !== undefined && !afterCursor(filtered, query.after)) continue;
      if (!matchesFilterPattern(query.pattern, event.message)) continue;
      candidates.push(filtered);
      taken++;
    }
  }
  candidates.sort(
    (a, b) => a.timestamp - b.timestamp || (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0) || a.seq - b.seq,
  );
  const page: FilteredEvent[] = [];
  let bytes = 0;
  for (const event of candidates) {
    const size = eventBytes(event.message);
    if (page.length >= query.limit || bytes + size > MAX_PAGE_BYTES) {
      const last = page[page.length - 1]!;
      return { events: page, next: { timestamp: last.timestamp, stream: last.stream, seq: last.seq } };
    }
    bytes += size;
    page.push(event);
  }
  return { events: page };
}
