/**
 * Berth's local EventBridge: the service the local AWS endpoint serves on the awsJson1_1 protocol with
 * `X-Amz-Target: AWSEvents.<Operation>`, so `aws events put-events --endpoint-url ...` and the SDK's
 * EventBridgeClient work unmodified. https://docs.aws.amazon.com/eventbridge/latest/APIReference/Welcome.html
 * Its state is one DurableStore, `<stateDir>/events.jsonl` (recorded events and rules, see models.ts). The
 * endpoint's own ECS and Step Functions put their service events on it through the endpoint's AwsEventChannel.
 * Operations it does not implement answer UnknownOperationException (see local/endpoint/server.ts).
 */
import type { ServiceFactory } from '../endpoint/service';
import { DurableStore } from '../store';
import { eventBridgeOperations } from './api';
import { EVENTS_STORE_OPTIONS, LocalEventBus } from './models';
import { type EventSubscribers, localEventSubscribers } from './subscribers';

export const EVENTS_TARGET_PREFIX = 'AWSEvents';
export const DEFAULT_MAX_RECORDED_EVENTS = 10_000;

export interface EventBridgeServiceOptions {
  /** Who reacts to events in this process; `npm start` uses localEventSubscribers (the default). */
  subscribers?: EventSubscribers;
  /** One line per recorded event; default stdout with the `[berth]` prefix. */
  log?: (line: string) => void;
  /** How many recorded events are kept, oldest dropped first. */
  maxRecordedEvents?: number;
  /** Epoch milliseconds; tests pass a fixed clock. */
  now?: () => number;
}

export function eventBridgeService(options: EventBridgeServiceOptions = {}): ServiceFactory {
  const maxRecordedEvents = options.maxRecordedEvents ?? DEFAULT_MAX_RECORDED_EVENTS;
  if (!Number.isInteger(maxRecordedEvents) || maxRecordedEvents < 1) {
    throw new Error(`maxRecordedEvents must be a positive integer, got ${maxRecordedEvents}`);
  }
  return async ({ stateDir, region, accountId, awsEvents }) => {
    const store = await DurableStore.open<unknown>(stateDir, 'events', EVENTS_STORE_OPTIONS);
    const now = options.now ?? Date.now;
    const bus = LocalEventBus.load(store, {
      region,
      accountId,
      subscribers: options.subscribers ?? localEventSubscribers,
      log: options.log ?? ((line) => process.stdout.write(`[berth] ${line}\n`)),
      maxRecordedEvents,
      now,
    });
    // The endpoint's ECS and Step Functions put their events on this bus (aws-events.ts).
    awsEvents?.attach(bus);
    return {
      name: 'EventBridge',
      targetPrefix: EVENTS_TARGET_PREFIX,
      jsonVersion: '1.1',
      internalErrorCode: 'InternalException',
      operations: new Map(Object.entries(eventBridgeOperations(bus, now))),
      async close() {
        await awsEvents?.close();
        await store.close();
      },
    };
  };
}

/** The local endpoint's EventBridge, delivering to the process-wide subscribers (`onEvent`). */
export const eventsService: ServiceFactory = eventBridgeService();
