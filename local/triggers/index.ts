/**
 * Triggers under `npm start`, through the same Lambda as on AWS:
 * - the trigger file (BERTH_TRIGGERS_FILE, default triggers.yml, as serverless.yml custom.triggersFile) is
 *   validated at start by lib/triggers/file.ts, as `serverless package` validates it: an invalid trigger stops
 *   `npm start`, naming it;
 * - schedules fire on the local clock (scheduler.ts, clock.ts), event triggers on events put on the local bus
 *   (`aws events put-events --endpoint-url ...`, delivered through local/events' onEvent); each invokes the real
 *   `startTriggeredRun` handler through serverless-offline's Lambda port with the input its AWS target would send
 *   (lib/triggers/targets.ts), like local Step Functions invokes its Lambda tasks (local/sfn/lambda-invoke.ts);
 * (Run events are put by the run record's writer, recordRunEvent, as on AWS: lib/events/run-events.ts.)
 * Invocations are retried as EventBridge retries a target: when the Lambda service cannot be reached (serverless-
 * offline still starting) or the function fails; a refusal (the handler answers `refused`) is logged, not retried.
 */
import path from 'node:path';
import { stringFromEnv } from '../../lib/env';
import type { EventTrigger, ScheduleTrigger, Trigger } from '../../lib/triggers/config';
import { loadTriggerFile } from '../../lib/triggers/file';
import { eventInvocation, scheduleInvocation } from '../../lib/triggers/targets';
import { DEFAULT_BUS } from '../events/models';
import { type EventSubscribers, localEventSubscribers } from '../events/subscribers';
import type { LambdaInvoker } from '../sfn/lambda-invoke';
import { DurableStore } from '../store';
import { type Clock, clockFromEnv } from './clock';
import { LocalScheduler } from './scheduler';

export const DEFAULT_TRIGGERS_FILE = 'triggers.yml';

export interface LocalTriggersOptions {
  /** The trigger file (relative to the working directory). */
  file: string;
  stateDir: string;
  region: string;
  accountId: string;
  /** The Lambda name serverless-offline serves a serverless.yml function under (`berth-dev-startTriggeredRun`). */
  functionName: (key: 'startTriggeredRun') => string;
  invoke: LambdaInvoker;
  /** Made when the triggers start, so a clock set to a time reads it then, whatever the boot took. */
  clock: () => Clock;
  subscribers?: EventSubscribers;
  log?: (line: string) => void;
  /** The stage's runFamilies, checked against the enabled triggers' families when the file is loaded. */
  runFamilies?: readonly string[];
  /** Attempts per invocation and the first delay (doubling), default 6 and 500 ms. */
  retry?: { attempts: number; delayMs: number };
}

export class LocalTriggers {
  private readonly log: (line: string) => void;
  private readonly unsubscribe: Array<() => void> = [];
  private scheduler: LocalScheduler | undefined;
  private closed = false;

  private constructor(
    readonly triggers: readonly Trigger[],
    private readonly store: DurableStore<unknown>,
    private readonly options: LocalTriggersOptions,
  ) {
    this.log = options.log ?? ((line) => process.stdout.write(`[berth] ${line}\n`));
  }

  /** Validates the trigger file (throws naming each invalid trigger) and opens the triggers' state. */
  static async open(options: LocalTriggersOptions): Promise<LocalTriggers> {
    const triggers = loadTriggerFile(
      options.file,
      options.runFamilies === undefined ? {} : { runFamilies: options.runFamilies },
    );
    const store = await DurableStore.open<unknown>(options.stateDir, 'triggers');
    return new LocalTriggers(triggers, store, options);
  }

  /** Starts the schedules and subscribes the event triggers. */
  async start(): Promise<void> {
    if (this.scheduler !== undefined || this.closed) return;
    const schedules = this.triggers.filter((t): t is ScheduleTrigger => t.type === 'schedule');
    const events = this.triggers.filter((t): t is EventTrigger => t.type === 'event' && t.enabled);
    this.scheduler = new LocalScheduler({
      triggers: schedules,
      clock: this.options.clock(),
      store: this.store,
      log: this.log,
      fire: (firing) =>
        this.invoke(
          'startTriggeredRun',
          scheduleInvocation(firing.trigger, firing.executionId, firing.scheduledTime),
          `schedule ${firing.trigger.name}`,
        ),
    });
    await this.scheduler.start();
    for (const trigger of events) {
      const bus = trigger.eventBusName ?? DEFAULT_BUS;
      this.unsubscribe.push(
        (this.options.subscribers ?? localEventSubscribers).onEvent(
          trigger.pattern,
          (event, delivery) => {
            if (delivery.eventBusName !== bus) return;
            this.log(`Event trigger ${trigger.name} matched event ${event.id}`);
            return this.invoke('startTriggeredRun', eventInvocation(trigger, event), `event trigger ${trigger.name}`);
          },
          `trigger ${trigger.name}`,
        ),
      );
    }
    const enabled = schedules.filter((s) => s.enabled).length;
    this.log(
      `Triggers from ${path.relative(process.cwd(), this.options.file) || this.options.file}: ${enabled} schedule(s) running, ${events.length} event trigger(s) listening` +
        `${this.triggers.length > enabled + events.length ? `, ${this.triggers.length - enabled - events.length} disabled` : ''}`,
    );
  }

  /**
   * Starts once `url` (serverless-offline's Lambda port) answers HTTP at all: a schedule due at boot, or an event
   * put while the handlers load, then reaches a live handler. Polls every `intervalMs` until closed.
   */
  async startWhenServing(url: string, intervalMs = 250): Promise<void> {
    while (!this.closed) {
      const up = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
        () => true,
        () => false,
      );
      if (up) return this.start();
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await this.scheduler?.close();
    await this.store.close();
  }

  private async invoke(key: 'startTriggeredRun', payload: string, what: string): Promise<void> {
    const { attempts, delayMs } = this.options.retry ?? { attempts: 6, delayMs: 500 };
    let lastError = '';
    for (let attempt = 1; attempt <= attempts && !this.closed; attempt++) {
      try {
        const result = await this.options.invoke({ functionName: this.options.functionName(key), payload });
        const body = parse(result.payload);
        if (result.functionError === undefined) {
          this.log(`${what}: ${describe(body)}`);
          return;
        }
        lastError = `the function failed: ${(body as { errorMessage?: string })?.errorMessage ?? result.payload}`;
      } catch (err) {
        lastError = (err as Error)?.message ?? String(err);
      }
      if (attempt < attempts) await new Promise((resolve) => setTimeout(resolve, delayMs * 2 ** (attempt - 1)));
    }
    throw new Error(`${what}: gave up after ${attempts} attempts: ${lastError}`);
  }
}

function parse(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(body: unknown): string {
  const b = body as Record<string, unknown> | undefined;
  if (b?.refused === true) return `refused (${b.status}): ${b.detail}`;
  if (typeof b?.runId === 'string' && 'created' in b) {
    if (!b.created) return `run ${b.runId} was already recorded for this firing (${b.status})`;
    return b.status === 'SKIPPED' ? `skipped: recorded as run ${b.runId} (SKIPPED)` : `started run ${b.runId}`;
  }
  return JSON.stringify(body);
}

/**
 * The local triggers `npm start` runs: the trigger file from BERTH_TRIGGERS_FILE (default triggers.yml), the
 * clock from BERTH_TRIGGERS_CLOCK_START / BERTH_TRIGGERS_TIME_SCALE, the Lambdas as serverless-offline names them.
 */
export function openLocalTriggers(options: {
  settings: { region: string; accountId: string; stateDir: string };
  stage: string;
  service?: string;
  invoke: LambdaInvoker;
  env?: NodeJS.ProcessEnv;
  /** The stage's runFamilies: an enabled trigger for another family is refused (lib/triggers/config.ts). */
  runFamilies?: readonly string[];
}): Promise<LocalTriggers> {
  const env = options.env ?? process.env;
  const service = options.service ?? 'berth';
  clockFromEnv(env); // a malformed clock setting stops `npm start` now, not when the triggers start
  return LocalTriggers.open({
    file: path.resolve(stringFromEnv(env, 'BERTH_TRIGGERS_FILE') ?? DEFAULT_TRIGGERS_FILE),
    stateDir: options.settings.stateDir,
    region: options.settings.region,
    accountId: options.settings.accountId,
    functionName: (key) => `${service}-${options.stage}-${key}`,
    invoke: options.invoke,
    clock: () => clockFromEnv(env),
    ...(options.runFamilies !== undefined && { runFamilies: options.runFamilies }),
  });
}
