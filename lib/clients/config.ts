/**
 * How every AWS client of the handlers retries, in one place (lib/clients/*.ts create their client with
 * `awsClientConfig` and pass it through `withCallNames`).
 *
 * The SDK's standard retry strategy (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html):
 * throttling, 5xx and connection errors are retried with exponential backoff and full jitter (a longer base
 * for throttling), drawing on a client-wide retry quota so a failing service is not hammered. The default of
 * 3 attempts lets about 3% of calls fail when 30% of them are throttled, and a capacity check makes four ECS
 * calls; 5 attempts lets 0.2% through, and keeps the worst case of the backoff (about 1 + 2 + 4 + 8 s for
 * throttling) near the functions' 10 s timeout. What still fails reaches the caller: the API answers it 503
 * (lib/http.ts), the workflow's Lambdas classify it for the state machine's Retry (lib/workflow-step.ts).
 * Adaptive mode would also rate-limit the client after a throttle; one invocation makes a handful of calls,
 * so there is nothing to smooth and it would only add waits.
 */
import { awsErrorKind } from './errors';

export const AWS_MAX_ATTEMPTS = 5;

export const awsClientConfig = { retryMode: 'standard', maxAttempts: AWS_MAX_ATTEMPTS } as const;

/** Which call an error came from: set on every error a client made by `withCallNames` lets through. */
export interface AwsCall {
  /** `ECS`, `SFN`, `EventBridge`: the client's name without `Client`. */
  service: string;
  /** The API operation, `DescribeClusters`. */
  operation: string;
}

const CALLS = new WeakMap<object, AwsCall>();

/** The call an AWS SDK error came from, if a client configured here made it. */
export function awsCallOf(err: unknown): AwsCall | undefined {
  return typeof err === 'object' && err !== null ? CALLS.get(err) : undefined;
}

type InitializeMiddleware = (
  next: (args: unknown) => Promise<unknown>,
  context: { clientName?: string; commandName?: string },
) => (args: unknown) => Promise<unknown>;

/** Any SDK v3 client (its middleware stack is typed per client; only `add` at the initialize step is used). */
interface MiddlewareClient {
  middlewareStack: { add(middleware: never, options: { step: 'initialize'; name: string }): void };
}

/**
 * Remembers, for each error the client lets through, the service and operation it came from, so that a
 * failure can say "ECS throttled ListContainerInstances" rather than only "Rate exceeded". The error itself
 * is not changed: the API's error mapping reads it as the SDK made it.
 */
export function withCallNames<C extends MiddlewareClient>(client: C): C {
  const middleware: InitializeMiddleware = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (err) {
      if (typeof err === 'object' && err !== null && awsErrorKind(err) !== undefined) {
        CALLS.set(err, {
          service: (context.clientName ?? 'AWS').replace(/Client$/, ''),
          operation: (context.commandName ?? 'call').replace(/Command$/, ''),
        });
      }
      throw err;
    }
  };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'berthCallNames' });
  return client;
}
