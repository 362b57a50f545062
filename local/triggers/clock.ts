/**
 * The clock local schedules run on. `npm start` uses the machine's clock; tests (and demos) set
 *   BERTH_TRIGGERS_CLOCK_START  ISO-8601: what the clock reads when the triggers start (default: the real time)
 *   BERTH_TRIGGERS_TIME_SCALE   real seconds per clock second (default 1; 0.001 makes a minute pass in 60 ms)
 * so a `rate(1 minute)` or a cron schedule fires without real waiting, as BERTH_SFN_TIME_SCALE does for Waits.
 */
import { positiveNumberFromEnv, stringFromEnv } from '../../lib/env';

export interface Clock {
  /** Epoch milliseconds on this clock. */
  now(): number;
  /** Resolves once the clock reads `at` or later; rejects with the signal's reason when aborted. */
  sleepUntil(at: number, signal: AbortSignal): Promise<void>;
}

/** Node timers hold at most 2^31-1 ms: longer sleeps are taken in steps. */
const MAX_TIMER_MS = 2_147_483_647;

export function scaledClock({ start, scale = 1 }: { start?: number; scale?: number } = {}): Clock {
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`The time scale must be a positive number, got ${scale}`);
  const realStart = Date.now();
  const clockStart = start ?? realStart;
  const now = () => clockStart + (Date.now() - realStart) / scale;
  return {
    now,
    async sleepUntil(at, signal) {
      while (now() < at) {
        signal.throwIfAborted();
        const wait = Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil((at - now()) * scale)));
        await new Promise<void>((resolve, reject) => {
          const onAbort = () => {
            clearTimeout(timer);
            reject(signal.reason);
          };
          const timer = setTimeout(() => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          }, wait);
          signal.addEventListener('abort', onAbort, { once: true });
        });
      }
    },
  };
}

/** The clock from BERTH_TRIGGERS_CLOCK_START and BERTH_TRIGGERS_TIME_SCALE. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env): Clock {
  const rawStart = stringFromEnv(env, 'BERTH_TRIGGERS_CLOCK_START');
  let start: number | undefined;
  if (rawStart !== undefined) {
    start = Date.parse(rawStart);
    if (Number.isNaN(start)) throw new Error(`BERTH_TRIGGERS_CLOCK_START must be an ISO-8601 time, got "${rawStart}"`);
  }
  const scale = positiveNumberFromEnv(env, 'BERTH_TRIGGERS_TIME_SCALE', 1);
  return scaledClock({ ...(start !== undefined && { start }), scale });
}
