/**
 * EventBridge Scheduler on this machine: each enabled schedule trigger fires on the clock (clock.ts) at the
 * times lib/triggers/schedule-expression.ts computes, and sends its target what Scheduler would
 * (lib/triggers/targets.ts scheduleInvocation: a fresh execution id, the scheduled time to the second).
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 *
 * A rate schedule starts when it is first seen ("If you do not provide a StartDate ... your schedule starts
 * invoking its target immediately"), and that start is kept in the state directory, so restarting `npm start`
 * does not fire it again out of turn; a changed expression starts it anew. Times missed while the stack was
 * down are not made up (the stack was the schedule's host, and it was gone).
 */
import { randomBytes } from 'node:crypto';
import type { ScheduleTrigger } from '../../lib/triggers/config';
import { nextFireTime, parseScheduleExpression, type ScheduleExpression } from '../../lib/triggers/schedule-expression';
import type { DurableStore } from '../store';
import type { Clock } from './clock';

/** What the scheduler reads of a schedule: a trigger file's schedule, or a function's schedule event. */
export type ScheduleSpec = Pick<ScheduleTrigger, 'name' | 'enabled' | 'expression' | 'timeZone'>;

export interface Firing<T extends ScheduleSpec = ScheduleTrigger> {
  trigger: T;
  /** 16 hex digits, as Scheduler's execution ids look. */
  executionId: string;
  /** `2024-05-01T02:00:00Z`. */
  scheduledTime: string;
}

export interface LocalSchedulerOptions<T extends ScheduleSpec = ScheduleTrigger> {
  triggers: readonly T[];
  clock: Clock;
  /** Where rate schedules' starts are kept (key `schedule-start/<name>`). */
  store: DurableStore<unknown>;
  /** Sends the target its input; may reject (logged, not retried here: see local/triggers/index.ts). */
  fire: (firing: Firing<T>) => Promise<void>;
  log: (line: string) => void;
}

interface StoredStart {
  expression: string;
  startMs: number;
}

const scheduledTime = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export class LocalScheduler<T extends ScheduleSpec = ScheduleTrigger> {
  private readonly controller = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(private readonly options: LocalSchedulerOptions<T>) {}

  /** Starts every enabled schedule; resolves once their starts are on disk. */
  async start(): Promise<void> {
    const starts: Promise<void>[] = [];
    for (const trigger of this.options.triggers) {
      if (!trigger.enabled) continue;
      const expression = parseScheduleExpression(trigger.expression);
      const now = this.options.clock.now();
      let startMs: number | undefined;
      if (expression.kind === 'rate') {
        const key = `schedule-start/${trigger.name}`;
        const stored = this.options.store.get(key) as StoredStart | undefined;
        if (stored !== undefined && stored.expression === trigger.expression) {
          startMs = stored.startMs;
        } else {
          startMs = now;
          starts.push(this.options.store.put(key, { expression: trigger.expression, startMs } satisfies StoredStart));
        }
      }
      this.loops.push(this.run(trigger, expression, startMs, now));
    }
    await Promise.all(starts);
  }

  async close(): Promise<void> {
    this.controller.abort(new Error('the scheduler is closing'));
    await Promise.allSettled(this.loops);
  }

  private async run(trigger: T, expression: ScheduleExpression, startMs: number | undefined, startedAt: number) {
    const { clock, log } = this.options;
    const options = {
      ...(trigger.timeZone !== undefined && { timeZone: trigger.timeZone }),
      ...(startMs !== undefined && { anchorMs: startMs }),
    };
    // Strictly after "just before the start": a schedule due then (a new rate schedule) fires at once, however
    // far the clock has moved since (a scaled clock moves many milliseconds per real one).
    let after = startedAt - 1;
    for (;;) {
      const at = nextFireTime(expression, after, options);
      if (at === undefined) {
        log(`Schedule ${trigger.name} (${trigger.expression}) has no future fire time; it is done.`);
        return;
      }
      try {
        await clock.sleepUntil(at, this.controller.signal);
      } catch {
        return; // closing
      }
      after = at;
      const firing: Firing<T> = {
        trigger,
        executionId: randomBytes(8).toString('hex'),
        scheduledTime: scheduledTime(at),
      };
      log(`Schedule ${trigger.name} fired for ${firing.scheduledTime} (execution ${firing.executionId})`);
      this.options.fire(firing).catch((err: unknown) => {
        log(
          `Schedule ${trigger.name}: the firing for ${firing.scheduledTime} failed: ${(err as Error)?.message ?? err}`,
        );
      });
    }
  }
}
