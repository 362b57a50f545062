/**
 * How the local endpoint's own services put AWS service events on the local default bus, as ECS and Step
 * Functions put theirs on an account's default bus (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html):
 * the local ECS its "ECS Task State Change" events, the local Step Functions its "Step Functions Execution Status
 * Change" events. Such events cannot go through PutEvents (it refuses an `aws.*` source to callers, as AWS does),
 * so the services hand them to this channel in-process; the EventBridge service attaches its bus to it.
 *
 * Why a queue: a service emits from inside its own work (a task's lifecycle step, an execution's end), which must
 * not wait for the event to be matched, recorded and delivered. `put` only queues; the queue is flushed on a later
 * turn, in order, so events of one task (or execution) are recorded and delivered in the order they were emitted.
 * The bus writes them with its journal's next batch and hands them to the subscribers on a later turn; no
 * subscriber is ever awaited by the emitter (subscribers.ts). Events put before the bus attaches (a task recovered while the endpoint opens) wait
 * for it; an endpoint serving no EventBridge drops them (`seal`).
 */
import type { NewEvent } from './models';

/** Where the channel delivers: the local bus (models.ts LocalEventBus.recordServiceEvents). */
export interface AwsEventSink {
  recordServiceEvents(entries: readonly NewEvent[]): unknown;
}

/** An event as a service emits it; it goes to the default bus. */
export type AwsServiceEvent = Omit<NewEvent, 'eventBusName'>;

/** Events held while no bus is attached; older ones are dropped past it (an endpoint without EventBridge). */
const MAX_WAITING = 10_000;
/** Events recorded per call; in-process, PutEvents' 10-entry bound does not apply. */
const BATCH = 500;

export class AwsEventChannel {
  private sink: AwsEventSink | undefined;
  private readonly queue: NewEvent[] = [];
  private flushed: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`[berth] ${line}\n`)) {}

  /** Queues an AWS service event for the default bus; never throws, never waits. */
  put(event: AwsServiceEvent): void {
    if (this.closed) return;
    this.queue.push({ ...event, eventBusName: 'default' });
    if (this.sink === undefined && this.queue.length > MAX_WAITING) this.queue.shift();
    this.schedule();
  }

  /** The bus events go to from now on (and those waiting for one). */
  attach(sink: AwsEventSink): void {
    this.sink = sink;
    this.schedule();
  }

  /**
   * Called once every service of the endpoint is made: with no bus attached, nothing will ever take the events,
   * so those waiting are dropped and later ones are not kept.
   */
  seal(): void {
    if (this.sink !== undefined) return;
    this.closed = true;
    this.queue.length = 0;
  }

  /** Resolves once every event put so far has been handed to the bus. */
  async drained(): Promise<void> {
    while (this.flushed !== undefined) await this.flushed;
  }

  /** Hands what is queued to the bus, then stops taking events. */
  async close(): Promise<void> {
    await this.drained();
    this.closed = true;
    this.sink = undefined;
  }

  private schedule(): void {
    if (this.flushed !== undefined || this.sink === undefined || this.queue.length === 0) return;
    this.flushed = new Promise((resolve) =>
      setImmediate(() => {
        this.flushed = undefined;
        this.flush();
        resolve();
      }),
    );
  }

  private flush(): void {
    const sink = this.sink;
    if (sink === undefined) return;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH);
      try {
        sink.recordServiceEvents(batch);
      } catch (err) {
        this.log(
          `${batch.length} AWS service event(s) (${batch[0]!.detailType}) could not be recorded: ${(err as Error)?.message ?? err}`,
        );
      }
    }
  }
}
