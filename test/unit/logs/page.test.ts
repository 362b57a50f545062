/** lib/logs/page.ts: merging streams' pages by time, and where each stream goes on, so no line is lost or repeated. */
import {
  afterCursor,
  decodeLogToken,
  encodeLogToken,
  mergeStreamPages,
  type StreamCursor,
  type StreamEvent,
  type StreamPage,
} from '../../../lib/logs/page';

const events = (...pairs: Array<[number, string]>): StreamEvent[] =>
  pairs.map(([timestamp, message]) => ({ timestamp, message }));
const stream = (
  key: string,
  list: StreamEvent[],
  forwardToken?: string,
  previous?: StreamCursor,
): StreamPage<string> => ({
  key,
  source: key,
  events: list,
  ...(forwardToken === undefined ? {} : { forwardToken }),
  ...(previous === undefined ? {} : { previous }),
});

describe('mergeStreamPages', () => {
  it('interleaves streams by time, ties in stream order, and keeps forward tokens of streams given whole', () => {
    const out = mergeStreamPages(
      [stream('a', events([1, 'a1'], [3, 'a3']), 'fa'), stream('b', events([2, 'b2'], [3, 'b3']), 'fb')],
      10,
    );
    expect(out.events.map((e) => e.message)).toEqual(['a1', 'b2', 'a3', 'b3']);
    expect(out.cursors).toEqual({ a: { f: 'fa', k: 0 }, b: { f: 'fb', k: 0 } });
  });

  it('cuts at the limit, a cut stream going on from the same place past the events it gave', () => {
    const out = mergeStreamPages(
      [
        stream('a', events([1, 'a1'], [5, 'a5'], [5, 'a5bis'], [5, 'a5ter']), 'fa', { f: 'fa0', k: 0 }),
        stream('b', events([2, 'b2'], [9, 'b9']), 'fb'),
      ],
      4,
    );
    expect(out.events.map((e) => e.message)).toEqual(['a1', 'b2', 'a5', 'a5bis']);
    expect(out.cursors).toEqual({ a: { f: 'fa0', k: 3 }, b: { k: 1 } });
  });

  it('adds to the skip of a cursor, and keeps the cursor of a stream with nothing taken', () => {
    const out = mergeStreamPages(
      [
        stream('a', events([5, 'x'], [5, 'y']), 'fa', { t: 5, k: 2 }),
        stream('b', events([7, 'b7']), 'fb', { f: 'old', k: 0 }),
      ],
      1,
    );
    expect(out.events.map((e) => e.message)).toEqual(['x']);
    expect(out.cursors).toEqual({ a: { t: 5, k: 3 }, b: { f: 'old', k: 0 } });
  });

  it('moves a cursor whose skip grew large to the timestamp of its last event, when all events there are known', () => {
    const many = Array.from({ length: 10 }, (_, i) => ({ timestamp: 100 + (i >= 8 ? 1 : 0), message: `m${i}` }));
    const out = mergeStreamPages(
      [stream('a', [...many, { timestamp: 200, message: 'later' }], 'fa', { f: 'f0', k: 4_995 })],
      10,
    );
    expect(out.cursors).toEqual({ a: { t: 101, k: 2 } });
  });

  it('keeps no cursor for a stream that does not exist yet, so it is read from its start later', () => {
    expect(mergeStreamPages([stream('a', [])], 10).cursors).toEqual({});
  });

  it('reading on from the cursors gives every event once, in order, whatever the page size', () => {
    const a = events([1, 'a1'], [2, 'a2'], [2, 'a2b'], [4, 'a4'], [6, 'a6']);
    const b = events([2, 'b2'], [3, 'b3'], [4, 'b4'], [4, 'b4b'], [7, 'b7']);
    const all = a.length + b.length;
    for (let limit = 1; limit <= all; limit++) {
      const seen: string[] = [];
      let cursors: Record<string, StreamCursor> = {};
      for (let guard = 0; guard < 50 && seen.length < all; guard++) {
        // A stand-in for GetLogEvents: `f` is an index to read after, `t` a timestamp to read from.
        const read = (key: string, list: StreamEvent[]) => {
          const cursor = cursors[key];
          const from =
            cursor?.f !== undefined
              ? Number(cursor.f)
              : cursor?.t !== undefined
                ? list.findIndex((e) => e.timestamp >= (cursor.t ?? 0))
                : 0;
          const start = from < 0 ? list.length : from;
          const got = list.slice(start, start + limit + (cursor?.k ?? 0));
          return stream(key, afterCursor(got, cursor), String(start + got.length), cursor);
        };
        const out = mergeStreamPages([read('a', a), read('b', b)], limit);
        seen.push(...out.events.map((e) => e.message));
        cursors = out.cursors;
      }
      expect([limit, seen]).toEqual([limit, ['a1', 'a2', 'a2b', 'b2', 'b3', 'a4', 'b4', 'b4b', 'a6', 'b7']]);
    }
  });
});

describe('tokens', () => {
  it('round-trips, and refuses anything this API did not give', () => {
    const token = { r: 'run-1', a: 2, s: { 'g:s': { f: 'f/1/s', k: 0 }, 'g:t': { t: 5, k: 1 } } };
    expect(decodeLogToken(encodeLogToken(token))).toEqual(token);
    expect(decodeLogToken('not a token')).toBeUndefined();
    expect(decodeLogToken(Buffer.from('{"r":"x","a":-1,"s":{}}').toString('base64url'))).toBeUndefined();
    expect(decodeLogToken(Buffer.from('{"r":"x","a":1,"s":{"g:s":{"t":1}}}').toString('base64url'))).toBeUndefined();
  });
});
