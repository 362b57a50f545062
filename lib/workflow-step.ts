/**
 * The middy stack of the Lambdas a state machine calls: structured logs with the request id, and the
 * failure classification the state machine's Retry matches on.
 *
 * A thrown error fails the Task state with the error's name as its `Error` (Lambda reports the handler's
 * `errorType`, which the Node.js runtime takes from `error.name`; `arn:aws:states:::lambda:invoke` passes
 * it on: https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html). The workflow's Lambdas
 * are idempotent, so what failed for a passing reason is worth running again, and what the request itself
 * caused is not. So an error from an AWS call leaves the function as one of two kinds:
 * - `Berth.TransientAwsError`: throttling, a 5xx or the network outlasted the SDK's own retries
 *   (lib/clients/config.ts); the state's Retry runs the function again after a backoff;
 * - `<Service>.<ExceptionName>` (`ECS.ClientException`, `ECS.InvalidParameterException`, ...): the service
 *   refused the request, deterministically; nothing retries it and the run ends with that code, the message
 *   naming the call that was refused. Step Functions names ECS's own refusals of RunTask the same way.
 * Errors of Berth's own (a state that fails validation, a cluster that is gone) keep their name.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { awsCallOf } from './clients/config';
import { awsErrorKind } from './clients/errors';
import { logger } from './http';

/** The error name of a transient AWS failure, which the workflow's Lambda states retry. */
export const TRANSIENT_AWS_ERROR = 'Berth.TransientAwsError';

/** A failure of a workflow step, named for the state machine's Retry and Catch. */
export class WorkflowStepError extends Error {
  constructor(name: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = name;
  }
}

const KIND_WORDS = {
  THROTTLING: 'throttled',
  SERVER: 'failed on its side (a server error)',
  NETWORK: 'could not be reached',
} as const;

/**
 * The error a workflow step fails with for `err`: an AWS SDK error classified (see the module comment),
 * anything else as it is.
 */
export function classifyStepError(err: unknown): unknown {
  const kind = awsErrorKind(err);
  if (kind === undefined) return err;
  const e = err as Error & { $metadata?: { attempts?: number } };
  const call = awsCallOf(err) ?? { service: 'AWS', operation: 'a call' };
  const code = typeof e.name === 'string' && e.name !== '' && e.name !== 'Error' ? e.name : undefined;
  const what = code === undefined ? '' : ` (${code})`;
  const said = sentence(e.message || 'no message');
  if (kind === 'REFUSED') {
    return new WorkflowStepError(
      `${call.service}.${code ?? 'UnknownError'}`,
      `${call.service} refused ${call.operation}${what}: ${said} The request is at fault, so it is not retried.`,
      { cause: err },
    );
  }
  const attempts = e.$metadata?.attempts;
  const tries = attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return new WorkflowStepError(
    TRANSIENT_AWS_ERROR,
    `${call.service} ${call.operation} ${KIND_WORDS[kind]}${tries}${what}: ${said}`,
    {
      cause: err,
    },
  );
}

const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

export function workflowStep<T>(fn: (event: unknown) => Promise<T>) {
  return middy<unknown, T>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      try {
        return await fn(event);
      } catch (err) {
        const classified = classifyStepError(err);
        if (classified !== err)
          logger.warn('An AWS call failed', { error: err as Error, as: (classified as Error).name });
        throw classified;
      }
    });
}
