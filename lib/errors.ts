/**
 * Domain errors that map to an HTTP status. 4xx messages are shown to callers as they are;
 * anything that is not an HttpError becomes a 500 with a generic message (see lib/http.ts).
 */
import type { Violation } from './task-definition/validate';

export abstract class HttpError extends Error {
  abstract readonly statusCode: number;
  /** Short, stable summary for the problem's `title`. */
  abstract readonly title: string;
  /** Last path segment of the problem `type` URI. */
  abstract readonly problemType: string;
  /** Extra members of the problem+json body. */
  extensions(): Record<string, unknown> {
    return {};
  }
  /** Extra response headers. */
  headers(): Record<string, string> {
    return {};
  }
}

export class ValidationError extends HttpError {
  readonly statusCode = 400;
  readonly title = 'Request validation failed';
  readonly problemType = 'validation-failed';
  constructor(readonly violations: Violation[]) {
    super(violations.map((v) => `${v.path}: ${v.message}`).join('; '));
  }
  override extensions() {
    return { errors: this.violations };
  }
}

export class MalformedRequestError extends HttpError {
  readonly statusCode = 400;
  readonly title = 'Malformed request';
  readonly problemType = 'malformed-request';
}

/** A guardrail refused the request: names the rule so the caller knows which stage setting applies. */
export class PolicyError extends HttpError {
  readonly statusCode = 403;
  readonly title = 'Refused by policy';
  readonly problemType = 'policy-violation';
  constructor(readonly violations: Array<Violation & { rule: string }>) {
    super(violations.map((v) => `${v.rule}: ${v.message}`).join('; '));
  }
  override extensions() {
    return { rule: this.violations[0]?.rule, errors: this.violations };
  }
}

export class NotFoundError extends HttpError {
  readonly statusCode = 404;
  readonly title = 'Not found';
  readonly problemType = 'not-found';
  /** `path`: the request member that names what does not exist (`$.cluster`), reported as `errors`. */
  constructor(
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
  override extensions(): Record<string, unknown> {
    return this.path === undefined ? {} : { errors: [{ path: this.path, message: this.message }] };
  }
}

export class ConflictError extends HttpError {
  readonly statusCode = 409;
  readonly title = 'Conflict';
  readonly problemType = 'conflict';
}

export class PayloadTooLargeError extends HttpError {
  readonly statusCode = 413;
  readonly title = 'Payload too large';
  readonly problemType = 'payload-too-large';
}

export class UnsupportedMediaTypeError extends HttpError {
  readonly statusCode = 415;
  readonly title = 'Unsupported media type';
  readonly problemType = 'unsupported-media-type';
}

/** ECS or Step Functions is throttling or briefly unavailable: the caller may retry. */
export class ServiceUnavailableError extends HttpError {
  readonly statusCode = 503;
  readonly title = 'Service unavailable';
  readonly problemType = 'service-unavailable';
  override headers() {
    return { 'Retry-After': '1' };
  }
}

/** The API call ran out of time waiting on AWS (throttled or slow): the caller may retry (see lib/http.ts). */
export class DeadlineExceededError extends ServiceUnavailableError {
  constructor() {
    super('AWS answered too slowly (throttling or a slow service) for this request to finish in time; retry it.');
  }
}
