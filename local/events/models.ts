/**
 * The local event bus: the events PutEvents accepted (recorded durably, oldest first), the AWS service events the
 * endpoint's ECS and Step Functions put (recordServiceEvents, see aws-events.ts) and the rules on the bus,
 * kept in one DurableStore (`<stateDir>/events.jsonl`): `event/<seq>` for recorded events, `rule/<bus>/<name>`
 * for rules. Follows https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html,
 * API_PutRule.html, API_DescribeRule.html, API_ListRules.html, API_DeleteRule.html. Deliberate deviations:
 * - One bus, `default`; other buses do not exist (PutEvents fails their entries, rule operations answer
 *   ResourceNotFoundException).
 * - Rules made by PutRule have no targets here: a rule's matches are recorded with the event and logged, and
 *   in-process code reacts through subscribers (subscribers.ts); the functions' rules from serverless.yml are such
 *   subscribers (function-rules.ts). Scheduled rules are refused, not silently never run.
 * - Recorded events are kept up to `maxRecordedEvents` (oldest dropped first, past a cap of 100 a hundredth at a
 *   time); AWS keeps none unless archived. They are kept on disk, not in memory (the store evicts each once it is
 *   written, EVENTS_STORE_OPTIONS): memory holds each one's seq, source and detail-type, for ListRecordedEvents'
 *   filters, and the page it answers is read back from the journal.
 */
import { randomUUID } from 'node:crypto';
import { compileEventPattern, type EventPattern, matchesEventPattern } from '../../lib/events/pattern';
import type { DurableStore, StoreOptions } from '../store';
import { ResourceNotFoundException } from './exceptions';
import type { EventBridgeEvent, EventSubscribers } from './subscribers';

export const DEFAULT_BUS = 'default';
export const RULE_STATES = ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS'] as const;
export type RuleState = (typeof RULE_STATES)[number];

/** An event as recorded: the event itself, its bus, and the rules it matched when it was put. */
export interface RecordedEvent {
  seq: number;
  eventBusName: string;
  /** Epoch milliseconds when PutEvents accepted it. */
  receivedAt: number;
  matchedRules: string[];
  event: EventBridgeEvent;
}

export interface StoredRule {
  name: string;
  eventBusName: string;
  eventPattern: string;
  state: RuleState;
  description?: string;
  roleArn?: string;
}

/** A rule as DescribeRule puts it on the wire. */
export interface RuleView {
  Name: string;
  Arn: string;
  EventPattern: string;
  State: RuleState;
  Description?: string;
  RoleArn?: string;
  EventBusName: string;
  CreatedBy: string;
}

export interface NewEvent {
  source: string;
  detailType: string;
  detail: Record<string, unknown>;
  resources: string[];
  /** Epoch milliseconds. */
  time: number;
  eventBusName: string;
}

export interface EventBusOptions {
  region: string;
  accountId: string;
  subscribers: EventSubscribers;
  /** One line per recorded event. */
  log: (line: string) => void;
  maxRecordedEvents: number;
  /** Epoch milliseconds; tests pass a fixed clock. */
  now?: () => number;
}

export interface RecordedEventsQuery {
  source?: string;
  detailType?: string;
  maxResults: number;
  /** The seq of the last event of the previous page. */
  after?: number;
}

const EVENT_KEY = 'event/';
/** The store options the bus's store is opened with: recorded events leave memory once written (the module comment). */
export const EVENTS_STORE_OPTIONS: StoreOptions = { evictable: (key) => key.startsWith(EVENT_KEY) };
const RULE_KEY = 'rule/';

const eventKey = (seq: number) => `${EVENT_KEY}${String(seq).padStart(15, '0')}`;
const ruleKey = (bus: string, name: string) => `${RULE_KEY}${bus}/${name}`;

/** `2017-12-22T18:43:48Z`: events carry their time to the second. */
export function eventTime(epochMillis: number): string {
  return new Date(Math.floor(epochMillis / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class LocalEventBus {
  private readonly now: () => number;
  /** Seqs of the recorded events, oldest first. */
  private readonly seqs: number[] = [];
  /** The source and detail-type of each recorded event, at the same index as its seq (ListRecordedEvents' filters). */
  private readonly kinds: Array<{ source: string; detailType: string }> = [];
  private nextSeq = 1;
  private readonly rules = new Map<string, { stored: StoredRule; pattern: EventPattern }>();

  private constructor(
    private readonly store: DurableStore<unknown>,
    private readonly options: EventBusOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  static load(store: DurableStore<unknown>, options: EventBusOptions): LocalEventBus {
    const bus = new LocalEventBus(store, options);
    const loaded: Array<{ seq: number; source: string; detailType: string }> = [];
    for (const [key, value] of store.entries(EVENT_KEY)) {
      const { seq, event } = value as RecordedEvent;
      loaded.push({ seq, source: event.source, detailType: event['detail-type'] });
      bus.nextSeq = Math.max(bus.nextSeq, seq + 1);
      store.evict(key);
    }
    loaded.sort((a, b) => a.seq - b.seq);
    for (const { seq, source, detailType } of loaded) {
      bus.seqs.push(seq);
      bus.kinds.push({ source, detailType });
    }
    for (const [, value] of store.entries(RULE_KEY)) {
      const stored = value as StoredRule;
      bus.rules.set(ruleKey(stored.eventBusName, stored.name), {
        stored,
        pattern: compileEventPattern(stored.eventPattern),
      });
    }
    return bus;
  }

  get accountId(): string {
    return this.options.accountId;
  }

  durable(): Promise<void> {
    return this.store.durable();
  }

  /** Whether `name` (a bus name or ARN) is a bus this endpoint has; returns its name. */
  busName(nameOrArn: string | undefined): string | undefined {
    const name = nameOrArn ?? DEFAULT_BUS;
    if (name === DEFAULT_BUS || name === this.busArn(DEFAULT_BUS)) return DEFAULT_BUS;
    return undefined;
  }

  busArn(name: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:event-bus/${name}`;
  }

  /**
   * Records the events (all on disk before it resolves), logs one line each, then hands them to the
   * subscribers on a later turn, so no handler runs before the caller has its answer.
   */
  async putEvents(entries: readonly NewEvent[]): Promise<RecordedEvent[]> {
    const recorded = this.record(entries);
    const writes = recorded.map((record) => this.store.put(eventKey(record.seq), record));
    for (const record of recorded) this.store.evict(eventKey(record.seq));
    writes.push(...this.trim());
    await Promise.all(writes);
    for (const { event, eventBusName, matchedRules } of recorded) {
      this.options.log(
        `EventBridge event ${event.id} on ${eventBusName}: source=${JSON.stringify(event.source)} ` +
          `detail-type=${JSON.stringify(event['detail-type'])} rules=${matchedRules.length > 0 ? matchedRules.join(',') : '(none)'}`,
      );
    }
    setImmediate(() => this.options.subscribers.deliver(recorded));
    return recorded;
  }

  /**
   * Records the events AWS services put (aws-events.ts: the local ECS's and Step Functions' own), without waiting
   * for the disk: they are written with the journal's next batch (DurableStore putDeferred), which
   * ListRecordedEvents awaits before it shows them, and handed to the subscribers on a later turn. Unlike PutEvents
   * there is no caller to answer, and a journal write with its fdatasync per task transition would cost the local
   * ECS more than the transition itself. Not logged: a task makes about ten of them.
   */
  recordServiceEvents(entries: readonly NewEvent[]): RecordedEvent[] {
    const recorded = this.record(entries);
    for (const record of recorded) {
      this.store.putDeferred(eventKey(record.seq), record);
      this.store.evict(eventKey(record.seq));
    }
    for (const trimmed of this.trim()) trimmed.catch(() => {});
    setImmediate(() => this.options.subscribers.deliver(recorded));
    return recorded;
  }

  /** The events as recorded: ids, the account and region, the rules they match, the next seqs (in memory). */
  private record(entries: readonly NewEvent[]): RecordedEvent[] {
    const receivedAt = this.now();
    const recorded = entries.map((entry): RecordedEvent => {
      const event: EventBridgeEvent = {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.detailType,
        source: entry.source,
        account: this.options.accountId,
        time: eventTime(entry.time),
        region: this.options.region,
        resources: entry.resources,
        detail: entry.detail,
      };
      const matchedRules = [...this.rules.values()]
        .filter(
          ({ stored, pattern }) =>
            stored.eventBusName === entry.eventBusName &&
            stored.state !== 'DISABLED' &&
            matchesEventPattern(pattern, event),
        )
        .map(({ stored }) => stored.name);
      return { seq: this.nextSeq++, eventBusName: entry.eventBusName, receivedAt, matchedRules, event };
    });
    for (const record of recorded) {
      this.seqs.push(record.seq);
      this.kinds.push({ source: record.event.source, detailType: record.event['detail-type'] });
    }
    return recorded;
  }

  /**
   * Drops the oldest events past maxRecordedEvents. Past a cap of 100 the drop waits for a hundredth more (one
   * journal write per that many events, not one per event); below it the cap is exact.
   */
  private trim(): Promise<void>[] {
    const max = this.options.maxRecordedEvents;
    if (this.seqs.length <= max + Math.floor(max / 100)) return [];
    const deletes: Promise<void>[] = [];
    const drop = this.seqs.length - max;
    for (const seq of this.seqs.splice(0, drop)) deletes.push(this.store.delete(eventKey(seq)));
    this.kinds.splice(0, drop);
    return deletes;
  }

  /** Recorded events oldest first, filtered, one page; `next` is the seq to pass as `after` for the next page. */
  listEvents(query: RecordedEventsQuery): { events: RecordedEvent[]; next?: number } {
    const events: RecordedEvent[] = [];
    let start = 0;
    if (query.after !== undefined) {
      const after = query.after;
      start = this.seqs.findIndex((seq) => seq > after);
      if (start < 0) return { events };
    }
    for (let i = start; i < this.seqs.length; i++) {
      const kind = this.kinds[i]!;
      if (query.source !== undefined && kind.source !== query.source) continue;
      if (query.detailType !== undefined && kind.detailType !== query.detailType) continue;
      if (events.length === query.maxResults) return { events, next: events[events.length - 1]!.seq };
      const record = this.store.get(eventKey(this.seqs[i]!)) as RecordedEvent | undefined;
      if (record === undefined) continue;
      events.push(record);
    }
    return { events };
  }

  async putRule(rule: StoredRule): Promise<string> {
    const pattern = compileEventPattern(rule.eventPattern);
    this.rules.set(ruleKey(rule.eventBusName, rule.name), { stored: rule, pattern });
    await this.store.put(ruleKey(rule.eventBusName, rule.name), rule);
    return this.ruleArn(rule.eventBusName, rule.name);
  }

  describeRule(bus: string, name: string): RuleView {
    const rule = this.rules.get(ruleKey(bus, name));
    if (rule === undefined) throw new ResourceNotFoundException(`Rule ${name} does not exist on EventBus ${bus}.`);
    return this.view(rule.stored);
  }

  listRules(bus: string, namePrefix: string | undefined): RuleView[] {
    return [...this.rules.values()]
      .map(({ stored }) => stored)
      .filter(
        (stored) => stored.eventBusName === bus && (namePrefix === undefined || stored.name.startsWith(namePrefix)),
      )
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .map((stored) => this.view(stored));
  }

  /** Deleting a rule that does not exist succeeds, as on AWS. */
  async deleteRule(bus: string, name: string): Promise<void> {
    this.rules.delete(ruleKey(bus, name));
    await this.store.delete(ruleKey(bus, name));
  }

  private ruleArn(bus: string, name: string): string {
    const path = bus === DEFAULT_BUS ? name : `${bus}/${name}`;
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:rule/${path}`;
  }

  private view(stored: StoredRule): RuleView {
    return {
      Name: stored.name,
      Arn: this.ruleArn(stored.eventBusName, stored.name),
      EventPattern: stored.eventPattern,
      State: stored.state,
      ...(stored.description === undefined ? {} : { Description: stored.description }),
      ...(stored.roleArn === undefined ? {} : { RoleArn: stored.roleArn }),
      EventBusName: stored.eventBusName,
      CreatedBy: this.options.accountId,
    };
  }
}
