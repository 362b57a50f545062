/**
 * A route declares its request once: method, path, and the zod schemas of its path parameters, query, headers and
 * body. lib/http.ts parses every API Gateway event against its route's schemas before the use case runs (the way
 * powertools' parser middleware parses an event against its schema) and hands over `z.output` of each part;
 * lib/openapi/document.ts documents the route from the same schemas. A change to a route is a change here, and
 * the handler's types, the 400 and /openapi.json follow.
 *
 * Violation paths are the ones callers already know: path and query members and body members at the top
 * (`$.runId`, `$.limit`, `$.count`), headers under `$.headers` with the name as declared
 * (`$.headers['Idempotency-Key']`).
 */
import type * as z from 'zod/mini';
import { ValidationError } from '../errors';
import { type Parsed, parsePart } from '../parse';

type Schema = z.core.$ZodType;
/** An object of members: API Gateway hands path parameters, query parameters and headers over as strings. */
type Members = z.ZodMiniObject;

export type HttpMethod = 'get' | 'post' | 'delete';

export interface ResponseDoc {
  description: string;
  /** A component of lib/openapi/document.ts (COMPONENT_SCHEMAS). */
  body?: string;
  headers?: Record<string, string>;
}

export interface RouteRequest {
  path?: Members;
  query?: Members;
  /** Keys as the API documents them (`Idempotency-Key`); matched without regard to case, as HTTP does. */
  headers?: Members;
  body?: Schema;
}

export interface Route<R extends RouteRequest = RouteRequest> {
  method: HttpMethod;
  /** As API Gateway writes it: `/runs/{runId}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: 'Task definitions' | 'Runs' | 'Clusters' | 'Queues' | 'API';
  request: R;
  responses: Record<string, ResponseDoc>;
}

/** Declares a route, keeping its schemas' types for the handler. */
export const route = <const R extends RouteRequest>(declaration: Route<R>): Route<R> => declaration;

type Out<S> = S extends Schema ? z.output<S> : undefined;

/** What the use case gets: every part parsed, plus who asks. */
export interface RouteInput<R extends RouteRequest> {
  path: Out<R['path']>;
  query: Out<R['query']>;
  headers: Out<R['headers']>;
  body: Out<R['body']>;
  requestId: string;
  /**
   * The IAM principal API Gateway authenticated (AWS_IAM authorization): `requestContext.identity.userArn`, e.g.
   * `arn:aws:sts::123456789012:assumed-role/orders/i-0abc`. Undefined when there is none (locally, unsigned).
   */
  caller: string | undefined;
}

/** The raw request as lib/http.ts reads it from the event (body already JSON-parsed). */
export interface RawRequest {
  path: Record<string, string>;
  query: Record<string, string>;
  /** Names in lower case. */
  headers: Record<string, string>;
  body: unknown;
  requestId: string;
  caller: string | undefined;
}

/** The declared headers, found by name without regard to case. */
function declaredHeaders(schema: Members, headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(schema.def.shape)) {
    const value = headers[name.toLowerCase()];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Every part of the request against its route: one 400 with every violation of every part, in that order. */
export function parseRequest<R extends RouteRequest>(declared: Route<R>, raw: RawRequest): RouteInput<R> {
  const { request } = declared;
  const parts = {
    path: request.path && parsePart(request.path, raw.path),
    query: request.query && parsePart(request.query, raw.query),
    headers: request.headers && parsePart(request.headers, declaredHeaders(request.headers, raw.headers), ['headers']),
    body: request.body && parsePart(request.body, raw.body),
  };
  const violations = Object.values(parts).flatMap((p) => (p === undefined || p.ok ? [] : p.violations));
  if (violations.length > 0) throw new ValidationError(violations);
  const value = (p: Parsed | undefined) => (p?.ok ? p.value : undefined);
  return {
    path: value(parts.path),
    query: value(parts.query),
    headers: value(parts.headers),
    body: value(parts.body),
    requestId: raw.requestId,
    caller: raw.caller,
  } as RouteInput<R>;
}
