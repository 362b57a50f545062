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
 * for it; an endpoint serving no EventBridge keeps none (`seal`). In-process listeners (`listen`) see every event
 * as the bus takes it, whether or not the endpoint serves EventBridge.
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

/** Sees every AWS service event as the bus takes it (local/sfn's ecs:runTask.sync learns of task stops this way). */
export type AwsEventListener = (event: NewEvent) => void;

export class AwsEventChannel {
  private sink: AwsEventSink | undefined;
  private readonly listeners = new Set<AwsEventListener>();
  private readonly queue: NewEvent[] = [];
  private flushed: Promise<void> | undefined;
  private sealed = false;
  private closed = false;

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`[berth] ${line}\n`)) {}

  /** Queues an AWS service event for the default bus (and the listeners); never throws, never waits. */
  put(event: AwsServiceEvent): void {
    if (this.closed) return;
    if (this.sealed && this.sink === undefined && this.listeners.size === 0) return;
    this.queue.push({ ...event, eventBusName: 'default' });
    if (!this.sealed && this.sink === undefined && this.queue.length > MAX_WAITING) this.queue.shift();
    this.schedule();
  }

  /** The bus events go to from now on (and those waiting for one). */
  attach(sink: AwsEventSink): void {
    this.sink = sink;
    this.schedule();
  }

  /**
   * Calls `listener` with every event put from now on, in order, on the turn the bus takes it (before any
   * subscriber of the bus sees it). Returns a function that stops it. A listener that throws is logged.
   */
  listen(listener: AwsEventListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Called once every service of the endpoint is made: events waiting for a bus go now (to the listeners alone when
   * the endpoint serves no EventBridge; then events nobody listens to are not kept).
   */
  seal(): void {
    this.sealed = true;
    this.schedule();
  }

  /** Resolves once every event put so far has been handed to the bus and the listeners. */
  async drained(): Promise<void> {
    while (this.flushed !== undefined) await this.flushed;
  }

  /** Hands what is queued over, then stops taking events. */
  async close(): Promise<void> {
    await this.drained();
    this.closed = true;
    this.sink = undefined;
    this.listeners.clear();
  }

  private schedule(): void {
    if (this.flushed !== undefined || this.queue.length === 0) return;
    if (this.sink === undefined && !this.sealed) return; // wait for the bus the endpoint is still making
    this.flushed = new Promise((resolve) =>
      setImmediate(() => {
        this.flushed = undefined;
        this.flush();
        resolve();
      }),
    );
  }

  private flush(): void {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH);
      for (const listener of this.listeners) {
        for (const event of batch) {
          try {
            listener(event);
          } catch (err) {
            this.log(`An AWS service event listener failed: ${(err as Error)?.message ?? err}`);
          }
        }
      }
      if (this.sink === undefined) continue;
      try {
        this.sink.recordServiceEvents(batch);
      } catch (err) {
        this.log(
          `${batch.length} AWS service event(s) (${batch[0]!.detailType}) could not be recorded: ${(err as Error)?.message ?? err}`,
        );
      }
    }
  }
}
