/**
 * The middy stack of the Lambdas that EventBridge rules and EventBridge Scheduler invoke (asynchronously):
 * structured logs with the request id, and the one decision an async target must make about an error.
 * - A refusal (an HttpError with a 4xx status: the request is invalid, the task definition unknown, a guardrail
 *   says no) will be refused again: it is logged as an error with every violation and answered, not thrown, so
 *   Lambda does not retry it.
 * - Anything else (throttling, an AWS outage, a bug) is thrown: Lambda retries the async invocation and then
 *   hands it to the function's on-failure destination (deploy/triggers.js).
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { HttpError } from './errors';
import { logger } from './http';

export interface Refusal {
  refused: true;
  status: number;
  title: string;
  detail: string;
  extensions: Record<string, unknown>;
}

export function eventTarget<T>(name: string, fn: (event: unknown) => Promise<T>) {
  return middy<unknown, T | Refusal>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      try {
        return await fn(event);
      } catch (err) {
        if (!(err instanceof HttpError) || err.statusCode >= 500) throw err;
        const refusal: Refusal = {
          refused: true,
          status: err.statusCode,
          title: err.title,
          detail: err.message,
          extensions: err.extensions(),
        };
        logger.error(`${name} refused`, { ...refusal });
        return refusal;
      }
    });
}
