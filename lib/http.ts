/**
 * The one middy stack every API handler uses: structured logs with the request id, JSON body
 * parsing with its limits, the request parsed against its route (lib/routes/), and error mapping to RFC 9457
 * problem+json. Handlers return a Reply
 * and throw HttpErrors; they never build API Gateway results or catch errors themselves.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { isTransientAwsError } from './clients/errors';
import {
  DeadlineExceededError,
  HttpError,
  MalformedRequestError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './errors';
import { parseRequest, type Route, type RouteInput, type RouteRequest } from './routes/route';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'berth' });

/** Request bodies above this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 64 * 1024;

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
export const created = (body: unknown, location: string): Reply => ({
  status: 201,
  body,
  headers: { Location: location },
});
export const accepted = (body: unknown, location: string): Reply => ({
  status: 202,
  body,
  headers: { Location: location },
});

type Event = APIGatewayProxyEvent;
type Result = APIGatewayProxyResult;

function lowerCaseHeaders(event: Event): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.headers ?? {})) if (v !== undefined) out[k.toLowerCase()] = v;
  return out;
}

function compact(record: Record<string, string | undefined> | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Reads the body: 413 over MAX_BODY_BYTES, 415 when it is not JSON, 400 when it does not parse. API Gateway always
 * hands the body over as a string; serverless-offline hands over a JSON scalar body (`false`, `0.0`) already
 * parsed, which is read back as the JSON text it was.
 */
export function parseJsonBody(event: Event, headers: Record<string, string>): unknown {
  const body: unknown = event.body;
  if (body === null || body === undefined || body === '') return undefined;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const raw =
    event.isBase64Encoded && typeof body === 'string' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new PayloadTooLargeError(
      `The body is ${raw.byteLength} bytes; the limit is ${MAX_BODY_BYTES} bytes (64 KiB).`,
    );
  }
  const mediaType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (mediaType !== 'application/json' && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be application/json${mediaType ? `, not ${mediaType}` : ' (the header is missing)'}.`,
    );
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw new MalformedRequestError(`The body is not valid JSON: ${(err as Error).message}`);
  }
}

const json = (status: number, body: unknown, contentType: string, headers: Record<string, string> = {}): Result => ({
  statusCode: status,
  headers: { 'Content-Type': contentType, ...headers },
  body: body === undefined ? '' : JSON.stringify(body),
});

/**
 * The AWS errors that mean "the request, as the caller gave it, is not valid" (ECS's ClientException and
 * InvalidParameterException, Step Functions' Invalid* exceptions): a 400 with AWS's own message, not a 500.
 * A use case that knows which member caused it maps it with that member's path first (e.g. `$.nextToken`).
 */
const REFUSED_REQUEST = new Set([
  'ClientException',
  'InvalidParameterException',
  'InvalidToken',
  'InvalidArn',
  'InvalidName',
  'InvalidExecutionInput',
  'ValidationException',
]);

function asRefusedAwsRequest(err: unknown): HttpError | undefined {
  const e = err as { name?: string; message?: string; $fault?: string };
  if (typeof e?.name !== 'string' || !REFUSED_REQUEST.has(e.name) || e.$fault !== 'client') return undefined;
  return new ValidationError([{ path: '$', message: `AWS refused the request (${e.name}): ${e.message ?? ''}` }]);
}

/**
 * An AWS SDK error that means "try again shortly" rather than "Berth is broken": throttling, an AWS server fault
 * or the network, after the SDK's own retries (lib/clients/errors.ts).
 */
function asRetryableAwsError(err: unknown): HttpError | undefined {
  if (isTransientAwsError(err)) {
    return new ServiceUnavailableError('AWS is throttling or briefly unavailable; retry the request.');
  }
  return undefined;
}

export function toProblem(err: unknown, event: Event): Result {
  const known = err instanceof HttpError ? err : (asRefusedAwsRequest(err) ?? asRetryableAwsError(err));
  if (known === undefined) {
    // The problem body's requestId is API Gateway's: logged with the cause, so the caller's id finds it.
    logger.error('Unhandled error', { requestId: event.requestContext?.requestId, error: err as Error });
    return json(
      500,
      {
        type: 'urn:berth:problem:internal-error',
        title: 'Internal error',
        status: 500,
        detail: 'Something went wrong on our side; the request id identifies it in the logs.',
        instance: event.path,
        requestId: event.requestContext?.requestId,
      },
      'application/problem+json',
    );
  }
  if (known instanceof DeadlineExceededError)
    logger.error('Ran out of time, answered 503', { requestId: event.requestContext?.requestId });
  else if (known !== err) logger.warn('AWS call failed, answered as a 4xx or 503', err as Error);
  else logger.info('Request refused', { status: known.statusCode, detail: known.message });
  return json(
    known.statusCode,
    {
      type: `urn:berth:problem:${known.problemType}`,
      title: known.title,
      status: known.statusCode,
      detail: known.message,
      instance: event.path,
      requestId: event.requestContext?.requestId,
      ...known.extensions(),
    },
    'application/problem+json',
    known.headers(),
  );
}

const problemJson = (): MiddlewareObj<Event, Result> => ({
  name: 'problemJson',
  onError: (request) => {
    request.response = toProblem(request.error, request.event);
  },
});

/**
 * How long before the function's timeout an API call gives up: a use case still waiting then is waiting on AWS
 * (throttled calls in the SDK's backoff, a slow answer), so the caller gets a 503 to retry, answered by this
 * stack with its problem body, instead of the runtime cutting the invocation off (a 500 or 504 with no body).
 */
export const API_DEADLINE_MARGIN_MS = 1000;

/**
 * An API Gateway (REST, proxy integration) handler for a route: the request is parsed against the route's schemas
 * (lib/routes/route.ts: one 400 with every violation) before the use case sees it, and the use case gets the
 * typed parts. Powertools' parser middleware replaces the event with the parsed one; here the event stays API
 * Gateway's, so the stack hands the parsed request to the use case instead.
 */
export function httpApi<R extends RouteRequest>(route: Route<R>, fn: (input: RouteInput<R>) => Promise<Reply>) {
  return middy<Event, Result>({
    timeoutEarlyInMillis: API_DEADLINE_MARGIN_MS,
    timeoutEarlyResponse: () => {
      throw new DeadlineExceededError();
    },
  })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(problemJson())
    .handler(async (event) => {
      // Every log line of the invocation carries the id the caller sees in a problem body.
      logger.appendKeys({ requestId: event.requestContext?.requestId });
      const headers = lowerCaseHeaders(event);
      const input = parseRequest(route, {
        body: parseJsonBody(event, headers),
        path: compact(event.pathParameters),
        query: compact(event.queryStringParameters),
        headers,
        requestId: event.requestContext?.requestId ?? '',
        caller: event.requestContext?.identity?.userArn ?? undefined,
      });
      const reply = await fn(input);
      return json(reply.status, reply.body, 'application/json', reply.headers);
    });
}
