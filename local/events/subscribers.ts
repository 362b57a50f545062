/**
 * In-process subscribers to the local event bus: code running beside the local endpoint (event triggers,
 * run-finished listeners) reacts to the events PutEvents records, as an EventBridge rule's target would.
 * A subscriber is an event pattern (validated as PutRule validates one) and a handler. Handlers run after the
 * event is on disk and after PutEvents has its answer: a handler that throws or rejects is logged and never
 * fails the PutEvents call, nor stops the other handlers.
 */
import { compileEventPattern, type EventPattern, matchesEventPattern } from '../../lib/events/pattern';

/** An event as EventBridge delivers it to a target. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html */
export interface EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO 8601, seconds precision, UTC: `2017-12-22T18:43:48Z`. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface DeliveredEvent {
  event: EventBridgeEvent;
  eventBusName: string;
}

export type EventHandler = (event: EventBridgeEvent, delivery: { eventBusName: string }) => void | Promise<void>;

interface Subscriber {
  pattern: EventPattern;
  handler: EventHandler;
  label: string;
}

export class EventSubscribers {
  private readonly subscribers = new Set<Subscriber>();

  constructor(
    /** Where handler failures are reported (one line each). */
    private readonly log: (line: string) => void = (line) => process.stderr.write(`[berth] ${line}\n`),
  ) {}

  /**
   * Calls `handler` for every event put on the bus from now on that matches `pattern` (an EventBridge event
   * pattern, as an object or a JSON string). Throws InvalidEventPatternError for a bad pattern.
   * Returns a function that unsubscribes.
   */
  onEvent(pattern: unknown, handler: EventHandler, label = handler.name || 'handler'): () => void {
    const subscriber: Subscriber = { pattern: compileEventPattern(pattern), handler, label };
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
    };
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Hands each event to the subscribers whose pattern it matches; never throws. */
  deliver(events: readonly DeliveredEvent[]): void {
    for (const { event, eventBusName } of events) {
      for (const subscriber of this.subscribers) {
        let matched: boolean;
        try {
          matched = matchesEventPattern(subscriber.pattern, event);
        } catch (err) {
          this.fail(subscriber, event, err);
          continue;
        }
        if (!matched) continue;
        try {
          const result = subscriber.handler(event, { eventBusName });
          if (result instanceof Promise) result.catch((err: unknown) => this.fail(subscriber, event, err));
        } catch (err) {
          this.fail(subscriber, event, err);
        }
      }
    }
  }

  private fail(subscriber: Subscriber, event: EventBridgeEvent, err: unknown) {
    const reason = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.log(`EventBridge subscriber ${subscriber.label} failed on event ${event.id}: ${reason}`);
  }
}

/**
 * The subscribers of the local endpoint `npm start` runs (local/endpoint/services.ts serves the bus with
 * them). Code in the same process subscribes with `onEvent`.
 */
export const localEventSubscribers = new EventSubscribers();

export function onEvent(pattern: unknown, handler: EventHandler, label?: string): () => void {
  return localEventSubscribers.onEvent(pattern, handler, label);
}
