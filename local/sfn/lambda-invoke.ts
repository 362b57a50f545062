/**
 * The `arn:aws:states:::lambda:invoke` optimized integration, run locally through a pluggable invoker.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html
 * - Parameters are Lambda Invoke's, PascalCase: FunctionName (required), Payload, InvocationType, Qualifier,
 *   ClientContext, LogType.
 * - The result is Invoke's response with the Payload parsed from JSON: `{ExecutedVersion, Payload,
 *   SdkHttpMetadata, SdkResponseMetadata, StatusCode}`.
 * - A function error fails the state with the handler's `errorType` as the error name and the error
 *   payload (`{"errorMessage", "errorType", "trace"}`) as the cause, as AWS reports it.
 * - An invoke that fails in the Lambda service fails the state with `Lambda.<ExceptionName>` (the names
 *   AWS's best practices say to retry: Lambda.ServiceException, Lambda.AWSLambdaException,
 *   Lambda.SdkClientException, Lambda.TooManyRequestsException).
 *   https://docs.aws.amazon.com/step-functions/latest/dg/sfn-best-practices.html#bp-lambda-serviceexception
 * - A function that ran past its timeout fails the state with `Sandbox.Timedout`: Lambda answers such an
 *   invoke as an Unhandled function error `{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: <id>
 *   Error: Task timed out after 10.00 seconds"}` and the integration takes the errorType as the error (older
 *   runtimes reported no type, which Step Functions names `Lambda.Unknown`, as it does an out-of-memory end).
 *   https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html
 * Invokers: `lambdaClientInvoker` (the default for `npm start`: @aws-sdk/client-lambda against
 * serverless-offline's Lambda port, so the real handlers run) and `inProcessInvoker` (tests: a map of
 * function name -> handler).
 *
 * serverless-offline 13 reports every function error as `errorType: "Error"` (its worker thread's
 * structured clone keeps an error's stack but not its name, and its invoke route writes "Error" anyway), and
 * a timed-out invoke as `"[504] - Lambda timeout."`. `lambdaClientInvoker` gives them the names Lambda gives
 * them (`asLambdaReports`): the handler's error name, from the first line of its stack (`Name: message`),
 * and `Sandbox.Timedout`; so a Retry on `Berth.TransientAwsError` or `Sandbox.Timedout` matches locally as on AWS.
 */
import { randomUUID } from 'node:crypto';
import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import type { TaskContext, TaskDriver } from './task-driver';
import { TaskError } from './task-error';

export interface LambdaInvocation {
  functionName: string;
  /** The JSON text sent as the event. */
  payload: string;
  qualifier?: string;
  invocationType?: string;
  clientContext?: string;
}

export interface LambdaInvokeResult {
  statusCode: number;
  /** The function's response (or error object) as JSON text; absent for an empty response. */
  payload?: string;
  /** `Unhandled` (or `Handled`) when the function failed; `payload` holds the error. */
  functionError?: string;
  executedVersion: string;
  requestId: string;
}

export type LambdaInvoker = (invocation: LambdaInvocation) => Promise<LambdaInvokeResult>;

/** The Lambda service refused or failed the invoke: `name` is its exception (ResourceNotFoundException, ...). */
export class LambdaServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/** `arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]` or `name[:qualifier]` -> name and qualifier. */
export function parseFunctionName(functionName: string): { name: string; qualifier?: string } {
  const arn = /^arn:aws[a-z-]*:lambda:[^:]*:[0-9]*:function:([^:]+)(?::(.+))?$/.exec(functionName);
  if (arn) return arn[2] === undefined ? { name: arn[1]! } : { name: arn[1]!, qualifier: arn[2] };
  const partial = /^([^:]+)(?::(.+))?$/.exec(functionName);
  if (partial && !functionName.includes(':function:')) {
    return partial[2] === undefined ? { name: partial[1]! } : { name: partial[1]!, qualifier: partial[2] };
  }
  return { name: functionName };
}

export type InProcessHandler = (event: unknown, context: Record<string, unknown>) => unknown;

/**
 * Runs handlers in this process, as Lambda would run them: the payload is parsed into the event, a Lambda
 * context is passed, a thrown error becomes an `Unhandled` function error with Lambda's error payload. An
 * `Event` invocation answers 202 with no payload at once and runs the handler after (its error is only logged,
 * as Lambda's asynchronous invocation reports none to the caller); `DryRun` answers 204 and runs nothing.
 */
export function inProcessInvoker(
  handlers: Record<string, InProcessHandler>,
  { region = 'us-east-1', accountId = '123456789012' } = {},
): LambdaInvoker {
  return async (invocation) => {
    const { name } = parseFunctionName(invocation.functionName);
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    const functionArn = `arn:aws:lambda:${region}:${accountId}:function:${name}`;
    if (handler === undefined) {
      throw new LambdaServiceError('ResourceNotFoundException', `Function not found: ${functionArn}`);
    }
    const requestId = randomUUID();
    const deadline = Date.now() + 900_000;
    const context = {
      functionName: name,
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn,
      memoryLimitInMB: '1024',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: requestId,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    const base = { statusCode: 200, executedVersion: '$LATEST', requestId };
    if (invocation.invocationType === 'DryRun') return { ...base, statusCode: 204 };
    if (invocation.invocationType === 'Event') {
      const event = JSON.parse(invocation.payload);
      setImmediate(() => {
        Promise.resolve()
          .then(() => handler(event, context))
          .catch((err: unknown) => console.error(`[berth] ${name} (Event invocation) failed:`, err));
      });
      return { ...base, statusCode: 202 };
    }
    try {
      const result = await handler(JSON.parse(invocation.payload), context);
      return result === undefined ? base : { ...base, payload: JSON.stringify(result) };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      const payload = {
        errorType: error.name,
        errorMessage: error.message,
        trace: (error.stack ?? '').split('\n'),
      };
      return { ...base, functionError: 'Unhandled', payload: JSON.stringify(payload) };
    }
  };
}

/** serverless-offline's message for an invoke that ran past the function's timeout (its HTTP API answers it 504). */
export const OFFLINE_TIMEOUT_MESSAGE = '[504] - Lambda timeout.';

function timedOutPayload(requestId: string): string {
  return JSON.stringify({
    errorType: 'Sandbox.Timedout',
    errorMessage: `RequestId: ${requestId} Error: Task timed out (serverless-offline: ${OFFLINE_TIMEOUT_MESSAGE})`,
  });
}

/**
 * A function error payload from serverless-offline as Lambda would have reported it (see the module
 * comment); anything else, and anything already named, is returned unchanged.
 */
export function asLambdaReports(payload: string, requestId: string): string {
  let error: unknown;
  try {
    error = JSON.parse(payload);
  } catch {
    return payload;
  }
  if (typeof error !== 'object' || error === null || Array.isArray(error)) return payload;
  const { errorType, errorMessage, trace } = error as { errorType?: unknown; errorMessage?: unknown; trace?: unknown };
  if (errorType !== 'Error') return payload;
  if (errorMessage === OFFLINE_TIMEOUT_MESSAGE) return timedOutPayload(requestId);
  const header = Array.isArray(trace) && typeof trace[0] === 'string' ? trace[0] : undefined;
  const named = header === undefined ? null : /^([A-Za-z_$][\w$.]*)(?:: (.*))?$/.exec(header);
  const firstLine = typeof errorMessage === 'string' ? (errorMessage.split('\n')[0] ?? '') : '';
  // Only a header that is exactly `Name: <the message's first line>` names the error.
  if (named === null || named[1] === 'Error' || (named[2] ?? '') !== firstLine) return payload;
  return JSON.stringify({ ...(error as object), errorType: named[1] });
}

/** Invokes through the Lambda API at `endpoint` (serverless-offline's Lambda port locally). */
export function lambdaClientInvoker(endpoint: string, region: string): LambdaInvoker {
  let client: LambdaClient | undefined;
  return async (invocation) => {
    client ??= new LambdaClient({
      endpoint,
      region,
      credentials: { accessKeyId: 'berth-local', secretAccessKey: 'berth-local' },
      maxAttempts: 1,
    });
    const { name, qualifier } = parseFunctionName(invocation.functionName);
    let response: InvokeCommandOutput;
    try {
      response = await client.send(
        new InvokeCommand({
          FunctionName: name,
          Qualifier: invocation.qualifier ?? qualifier,
          Payload: new TextEncoder().encode(invocation.payload),
          InvocationType: invocation.invocationType as 'RequestResponse' | 'Event' | 'DryRun' | undefined,
          ClientContext: invocation.clientContext,
        }),
      );
    } catch (err) {
      const error = err as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
      if (error.$metadata?.httpStatusCode === 504) {
        // A gateway timeout from the local Lambda port: the function ran past its timeout.
        const requestId = error.$metadata.requestId ?? randomUUID();
        return {
          statusCode: 200,
          functionError: 'Unhandled',
          payload: timedOutPayload(requestId),
          executedVersion: '$LATEST',
          requestId,
        };
      }
      // The Lambda service answered with an error (ResourceNotFoundException, ...). Without an HTTP answer (the
      // connection refused or reset: the SDK names those TimeoutError too) it is the client's failure, which Step
      // Functions reports as Lambda.SdkClientException, one of the errors a workflow retries.
      if (error.$metadata?.httpStatusCode !== undefined && error.name !== 'Error')
        throw new LambdaServiceError(error.name, error.message);
      throw new LambdaServiceError('SdkClientException', `Unable to execute HTTP request: ${error.message}`);
    }
    const payloadBytes = response.Payload;
    const result: LambdaInvokeResult = {
      statusCode: response.StatusCode ?? 200,
      executedVersion: response.ExecutedVersion ?? '$LATEST',
      requestId: response.$metadata.requestId ?? randomUUID(),
    };
    if (payloadBytes !== undefined && payloadBytes.length > 0) result.payload = new TextDecoder().decode(payloadBytes);
    if (typeof response.FunctionError === 'string') {
      result.functionError = response.FunctionError;
      if (result.payload !== undefined) result.payload = asLambdaReports(result.payload, result.requestId);
    }
    return result;
  };
}

const PARAMETERS = new Set(['FunctionName', 'Payload', 'InvocationType', 'Qualifier', 'ClientContext', 'LogType']);

function parseJsonOr(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function lambdaInvokeDriver(invoker: LambdaInvoker): TaskDriver {
  return {
    resourceType: 'lambda',
    resource: 'invoke',
    async run(input: unknown, _context: TaskContext) {
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        throw new TaskError('States.Runtime', 'The Parameters of a lambda:invoke Task must be an object.');
      }
      const params = input as Record<string, unknown>;
      for (const key of Object.keys(params)) {
        if (!PARAMETERS.has(key)) {
          throw new TaskError(
            'States.Runtime',
            `The field '${key}' is not supported by Step Functions for lambda:invoke.`,
          );
        }
      }
      const functionName = params.FunctionName;
      if (typeof functionName !== 'string' || functionName === '') {
        throw new TaskError(
          'States.Runtime',
          "The lambda:invoke Task needs 'FunctionName' (a string) in its Parameters.",
        );
      }
      const invocation: LambdaInvocation = {
        functionName,
        payload: typeof params.Payload === 'string' ? params.Payload : JSON.stringify(params.Payload ?? {}),
      };
      for (const [key, member] of [
        ['Qualifier', 'qualifier'],
        ['InvocationType', 'invocationType'],
        ['ClientContext', 'clientContext'],
      ] as const) {
        if (typeof params[key] === 'string') invocation[member] = params[key] as string;
      }
      let result: LambdaInvokeResult;
      try {
        result = await invoker(invocation);
      } catch (err) {
        if (err instanceof LambdaServiceError) throw new TaskError(`Lambda.${err.name}`, err.message);
        throw new TaskError('Lambda.SdkClientException', (err as Error).message);
      }
      if (result.functionError !== undefined) {
        const payload = parseJsonOr(result.payload) as { errorType?: unknown } | null;
        const errorType = typeof payload?.errorType === 'string' ? payload.errorType : 'Lambda.Unknown';
        throw new TaskError(errorType, result.payload ?? '');
      }
      const headers = {
        'Content-Type': 'application/json',
        'X-Amz-Executed-Version': result.executedVersion,
        'x-amzn-RequestId': result.requestId,
      };
      return {
        ExecutedVersion: result.executedVersion,
        Payload: parseJsonOr(result.payload),
        SdkHttpMetadata: {
          AllHttpHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
          HttpHeaders: headers,
          HttpStatusCode: result.statusCode,
        },
        SdkResponseMetadata: { RequestId: result.requestId },
        StatusCode: result.statusCode,
      };
    },
  };
}
