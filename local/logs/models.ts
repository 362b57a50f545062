/**
 * The local CloudWatch Logs' state and rules: log groups and streams in one DurableStore (`<stateDir>/logs.jsonl`,
 * `group/<name>` and `stream/<json [group, stream]>`), each stream's events in a file of its own under
 * `<stateDir>/logs/` (events-file.ts). Follows
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html,
 * API_GetLogEvents.html, API_FilterLogEvents.html, API_DescribeLogStreams.html, API_PutRetentionPolicy.html.
 *
 * Retention: events older than a group's retention are never returned, and are removed from disk when the endpoint
 * starts and every hour after (AWS also deletes them some time after they expire). Events are kept per stream in
 * the order of (timestamp, seq): PutLogEvents calls may come out of order across calls, as on AWS, and GetLogEvents
 * answers by timestamp. A stream's events are held in memory only while it is read or written (the MAX_LOADED most
 * recently used streams); appends to a stream not in memory only go to its file.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DurableStore } from '../store';
import {
  EventAppender,
  eventLine,
  loadEvents,
  removeEvents,
  repairTail,
  rewriteEvents,
  type StoredEvent,
} from './events-file';
import {
  GROUP_NOT_FOUND,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  STREAM_NOT_FOUND,
} from './exceptions';

export interface StoredGroup {
  name: string;
  creationTime: number;
  retentionInDays?: number;
}

export interface StoredStream {
  group: string;
  name: string;
  /** Names the events file. */
  id: string;
  creationTime: number;
  firstEventTimestamp?: number;
  lastEventTimestamp?: number;
  lastIngestionTime?: number;
  storedBytes: number;
  /** The seq the next event gets. */
  nextSeq: number;
}

/** An event's place in its stream: events are ordered by timestamp, then by the order they were put. */
export interface EventKey {
  timestamp: number;
  seq: number;
}

export interface NewLogEvent {
  timestamp: number;
  message: string;
}

export interface LogsOptions {
  region: string;
  accountId: string;
  stateDir: string;
  /** Epoch milliseconds; tests pass a fixed clock. */
  now?: () => number;
}

const GROUP_KEY = 'group/';
const STREAM_KEY = 'stream/';
const DAY_MS = 24 * 60 * 60 * 1000;
const SWEEP_MS = 60 * 60 * 1000;
/** How many streams' events are held in memory at most. */
export const MAX_LOADED = 64;

const groupKey = (name: string) => `${GROUP_KEY}${name}`;
const streamKey = (group: string, stream: string) => `${STREAM_KEY}${JSON.stringify([group, stream])}`;

export function compareKeys(a: EventKey, b: EventKey): number {
  return a.timestamp - b.timestamp || a.seq - b.seq;
}

/** The first index of `events` (sorted) whose key is after `key` (`inclusive`: at or after). */
export function indexAfter(events: readonly EventKey[], key: EventKey, inclusive: boolean): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const order = compareKeys(events[mid]!, key);
    if (order < 0 || (order === 0 && !inclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** 16 digits that tell one stream's tokens from another's. */
export function streamTag(stream: StoredStream): string {
  const hash = createHash('sha256').update(stream.id).digest();
  return (hash.readBigUInt64BE(0) % 10n ** 16n).toString().padStart(16, '0');
}

export class LogStore {
  private readonly groups = new Map<string, StoredGroup>();
  /** Streams by group, then by name. */
  private readonly streams = new Map<string, Map<string, StoredStream>>();
  /** Events of the streams in memory, by stream id, least recently used first. */
  private readonly loaded = new Map<string, StoredEvent[]>();
  private readonly appender = new EventAppender();
  private readonly eventsDir: string;
  private readonly now: () => number;
  private sweeper: NodeJS.Timeout | undefined;

  private constructor(
    private readonly store: DurableStore<unknown>,
    private readonly options: LogsOptions,
  ) {
    this.eventsDir = path.join(options.stateDir, 'logs');
    this.now = options.now ?? Date.now;
  }

  static async load(store: DurableStore<unknown>, options: LogsOptions): Promise<LogStore> {
    const logs = new LogStore(store, options);
    mkdirSync(logs.eventsDir, { recursive: true });
    for (const value of store.values(GROUP_KEY)) {
      const group = value as StoredGroup;
      logs.groups.set(group.name, group);
      logs.streams.set(group.name, new Map());
    }
    for (const value of store.values(STREAM_KEY)) {
      const stream = value as StoredStream;
      logs.streams.get(stream.group)?.set(stream.name, stream);
      repairTail(logs.fileOf(stream));
    }
    await logs.sweep();
    logs.sweeper = setInterval(() => {
      logs.sweep().catch((err: unknown) => console.error('[berth] CloudWatch Logs retention sweep failed:', err));
    }, SWEEP_MS);
    logs.sweeper.unref();
    return logs;
  }

  async close(): Promise<void> {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    await this.appender.flushed().catch(() => {});
    await this.store.close();
  }

  durable(): Promise<void> {
    return this.store.durable();
  }

  get region(): string {
    return this.options.region;
  }

  groupArn(name: string): string {
    return `arn:aws:logs:${this.options.region}:${this.options.accountId}:log-group:${name}`;
  }

  // ---- groups

  async createGroup(name: string): Promise<void> {
    if (this.groups.has(name)) throw new ResourceAlreadyExistsException('The specified log group already exists');
    const group: StoredGroup = { name, creationTime: this.now() };
    this.groups.set(name, group);
    this.streams.set(name, new Map());
    await this.store.put(groupKey(name), group);
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  group(name: string): StoredGroup {
    const group = this.groups.get(name);
    if (group === undefined) throw new ResourceNotFoundException(GROUP_NOT_FOUND);
    return group;
  }

  async deleteGroup(name: string): Promise<void> {
    this.group(name);
    const writes: Promise<void>[] = [];
    for (const stream of this.streams.get(name)?.values() ?? []) {
      this.loaded.delete(stream.id);
      writes.push(this.store.delete(streamKey(name, stream.name)));
    }
    writes.push(this.store.delete(groupKey(name)));
    const streams = [...(this.streams.get(name)?.values() ?? [])];
    this.groups.delete(name);
    this.streams.delete(name);
    await Promise.all(writes);
    for (const stream of streams) removeEvents(this.fileOf(stream));
  }

  /** Groups sorted by name. */
  listGroups(): StoredGroup[] {
    return [...this.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  groupStoredBytes(name: string): number {
    let total = 0;
    for (const stream of this.streams.get(name)?.values() ?? []) total += stream.storedBytes;
    return total;
  }

  async setRetention(name: string, days: number | undefined): Promise<void> {
    const { retentionInDays: _, ...rest } = this.group(name);
    const group: StoredGroup = days === undefined ? rest : { ...rest, retentionInDays: days };
    this.groups.set(name, group);
    await this.store.put(groupKey(name), group);
    if (days !== undefined) await this.sweep();
  }

  /** The earliest timestamp the group keeps, or 0 when it keeps everything. */
  retentionCutoff(group: StoredGroup): number {
    return group.retentionInDays === undefined ? 0 : this.now() - group.retentionInDays * DAY_MS;
  }

  // ---- streams

  async createStream(groupName: string, name: string): Promise<void> {
    this.group(groupName);
    const streams = this.streams.get(groupName)!;
    if (streams.has(name)) throw new ResourceAlreadyExistsException('The specified log stream already exists');
    const stream: StoredStream = {
      group: groupName,
      name,
      id: randomUUID(),
      creationTime: this.now(),
      storedBytes: 0,
      nextSeq: 1,
    };
    streams.set(name, stream);
    this.remember(stream.id, []);
    await this.store.put(streamKey(groupName, name), stream);
  }

  stream(groupName: string, name: string): StoredStream {
    this.group(groupName);
    const stream = this.streams.get(groupName)!.get(name);
    if (stream === undefined) throw new ResourceNotFoundException(STREAM_NOT_FOUND);
    return stream;
  }

  /** A group's streams sorted by name. */
  listStreams(groupName: string): StoredStream[] {
    this.group(groupName);
    return [...this.streams.get(groupName)!.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  // ---- events

  /**
   * Adds events (already checked by the caller: chronological, within limits) to a stream; resolves once they
   * are on disk. Returns the stream as it is after.
   */
  async putEvents(groupName: string, streamName: string, events: readonly NewLogEvent[]): Promise<StoredStream> {
    const previous = this.stream(groupName, streamName);
    const ingestionTime = this.now();
    let seq = previous.nextSeq;
    const stored = events.map(
      (event): StoredEvent => ({ seq: seq++, timestamp: event.timestamp, ingestionTime, message: event.message }),
    );
    let bytes = 0;
    for (const event of stored) bytes += Buffer.byteLength(event.message, 'utf8');
    const first = stored[0]?.timestamp;
    const last = stored[stored.length - 1]?.timestamp;
    const stream: StoredStream = {
      ...previous,
      nextSeq: seq,
      storedBytes: previous.storedBytes + bytes,
      ...(first === undefined
        ? {}
        : {
            firstEventTimestamp: Math.min(previous.firstEventTimestamp ?? first, first),
            lastEventTimestamp: Math.max(previous.lastEventTimestamp ?? last!, last!),
            lastIngestionTime: ingestionTime,
          }),
    };
    this.streams.get(groupName)!.set(streamName, stream);
    const inMemory = this.loaded.get(stream.id);
    if (inMemory !== undefined) for (const event of stored) insertSorted(inMemory, event);
    await Promise.all([
      this.appender.append(this.fileOf(stream), stored.map(eventLine)),
      this.store.put(streamKey(groupName, streamName), stream),
    ]);
    return stream;
  }

  /** A stream's events in (timestamp, seq) order, the expired ones included (readers apply the cutoff). */
  events(stream: StoredStream): readonly StoredEvent[] {
    let events = this.loaded.get(stream.id);
    if (events === undefined) {
      // Appends of this turn are not in the file yet: write them first, or the copy in memory would miss them.
      this.appender.flushNow();
      events = loadEvents(this.fileOf(stream)).sort(compareKeys);
    }
    this.remember(stream.id, events);
    return events;
  }

  /** Keeps a stream's events in memory as the most recently used, forgetting the least recently used past MAX_LOADED. */
  private remember(id: string, events: StoredEvent[]): void {
    this.loaded.delete(id);
    while (this.loaded.size >= MAX_LOADED) this.loaded.delete(this.loaded.keys().next().value!);
    this.loaded.set(id, events);
  }

  /** Removes expired events from disk and memory. */
  async sweep(): Promise<void> {
    for (const group of this.groups.values()) {
      const cutoff = this.retentionCutoff(group);
      if (cutoff === 0) continue;
      for (const stream of this.streams.get(group.name)?.values() ?? []) {
        if (stream.firstEventTimestamp === undefined || stream.firstEventTimestamp >= cutoff) continue;
        await this.appender.flushed();
        const kept = loadEvents(this.fileOf(stream))
          .sort(compareKeys)
          .filter((event) => event.timestamp >= cutoff);
        rewriteEvents(this.fileOf(stream), kept);
        if (this.loaded.has(stream.id)) this.loaded.set(stream.id, kept);
        const { firstEventTimestamp: _, lastEventTimestamp: __, ...rest } = stream;
        const swept: StoredStream = {
          ...rest,
          storedBytes: kept.reduce((total, event) => total + Buffer.byteLength(event.message, 'utf8'), 0),
          ...(kept.length === 0
            ? {}
            : { firstEventTimestamp: kept[0]!.timestamp, lastEventTimestamp: kept[kept.length - 1]!.timestamp }),
        };
        this.streams.get(group.name)!.set(stream.name, swept);
        await this.store.put(streamKey(group.name, stream.name), swept);
      }
    }
  }

  private fileOf(stream: StoredStream): string {
    return path.join(this.eventsDir, `${stream.id}.jsonl`);
  }
}

function insertSorted(events: StoredEvent[], event: StoredEvent): void {
  const last = events[events.length - 1];
  if (last === undefined || compareKeys(last, event) <= 0) events.push(event);
  else events.splice(indexAfter(events, event, false), 0, event);
}
