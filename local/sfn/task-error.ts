/**
 * How a task driver fails its Task state: the engine (aws-local-stepfunctions) takes the error's `name` as
 * the ASL error name (`States.TaskFailed`, `Lambda.ServiceException`, `ECS.InvalidParameterException`) and
 * its `message` as the cause, for Retry and Catch and for the execution's own error and cause.
 * `States.Runtime` is neither retried nor caught, as in AWS:
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation
 */
export class TaskError extends Error {
  constructor(
    readonly error: string,
    readonly causeText: string,
  ) {
    super(causeText);
    this.name = error;
  }

  /** Read by the engine's retrier. */
  get isRetryable(): boolean {
    return this.error !== 'States.Runtime';
  }

  /** Read by the engine's catcher. */
  get isCatchable(): boolean {
    return this.error !== 'States.Runtime';
  }
}

/** The task was cancelled (execution stopped, or the state timed out): no event of its own. */
export class TaskCancelledError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'TaskCancelled';
  }
}

/**
 * A callback task sent no heartbeat within its HeartbeatSeconds (task-tokens.ts). execution.ts records TaskTimedOut
 * and fails the state with States.HeartbeatTimeout as the engine's own timeout error, so that, as the ASL
 * specification has it (a heartbeat timeout is a States.Timeout), States.TaskFailed does not match it.
 */
export class HeartbeatTimeoutError extends Error {
  constructor() {
    super('The task did not send a heartbeat within its HeartbeatSeconds.');
    this.name = 'States.HeartbeatTimeout';
  }
}

/** The longest delay one Node timer holds; longer sleeps take several. */
const MAX_TIMER_MS = 2_147_483_647;

/** Resolves after `ms`, or at once when `signal` aborts (then rejects with TaskCancelledError). */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  for (let left = ms; left > MAX_TIMER_MS; left -= MAX_TIMER_MS) await sleepOnce(MAX_TIMER_MS, signal);
  await sleepOnce(ms > MAX_TIMER_MS ? ms % MAX_TIMER_MS : ms, signal);
}

function sleepOnce(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new TaskCancelledError(String(signal.reason)));
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new TaskCancelledError(String(signal?.reason)));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
