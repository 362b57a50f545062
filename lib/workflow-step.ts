/**
 * The middy stack of the Lambdas a state machine calls: structured logs with the request id.
 * Errors are not mapped: a thrown error fails the Task state with the error's name as its
 * `Error`, which the state machine's Retry and Catch match on.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { logger } from './http';

export function workflowStep<T>(fn: (event: unknown) => Promise<T>) {
  return middy<unknown, T>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => fn(event));
}
