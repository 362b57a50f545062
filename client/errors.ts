/**
 * What the client throws. An API refusal is a BerthApiError subclass chosen by the problem+json
 * `type` the API answered with (lib/errors.ts is the server side of the same list), falling back on
 * the HTTP status for answers that are not Berth's own (API Gateway's 403 for a bad signature is
 * `{"message": ...}`). `instanceof` works across the hierarchy: a PolicyError is a BerthApiError.
 */

export interface Violation {
  /** JSONPath of the offending value: `$.containerDefinitions[0].memory`. */
  path: string;
  message: string;
  /** On a policy violation: the stage setting that refused it. */
  rule?: string;
}

/** RFC 9457 problem details as Berth writes them. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  requestId?: string;
  errors?: Violation[];
  rule?: string;
  [extension: string]: unknown;
}

export class BerthError extends Error {
  override name = 'BerthError';
}

/** The API answered with a status that is not a success. */
export class BerthApiError extends BerthError {
  override name = 'BerthApiError';
  readonly status: number;
  readonly problem: Problem;
  readonly requestId?: string;
  constructor(status: number, problem: Problem, message?: string) {
    super(message ?? problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    if (problem.requestId !== undefined) this.requestId = problem.requestId;
  }
}

/** 400: the body or a parameter breaks a rule; `violations` lists every one with its JSONPath. */
export class ValidationError extends BerthApiError {
  override name = 'ValidationError';
  readonly violations: Violation[];
  constructor(status: number, problem: Problem) {
    super(status, problem);
    this.violations = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

/** 400: the body is not JSON. */
export class MalformedRequestError extends BerthApiError {
  override name = 'MalformedRequestError';
}

/** 403 from Berth: a stage guardrail refused the request; `rule` names the setting. */
export class PolicyError extends BerthApiError {
  override name = 'PolicyError';
  readonly rule: string;
  readonly violations: Violation[];
  constructor(status: number, problem: Problem) {
    super(status, problem);
    this.violations = Array.isArray(problem.errors) ? problem.errors : [];
    this.rule = typeof problem.rule === 'string' ? problem.rule : (this.violations[0]?.rule ?? '');
  }
}

/** 403 from API Gateway: the signature or the caller's IAM policy does not allow the call. */
export class AccessDeniedError extends BerthApiError {
  override name = 'AccessDeniedError';
}

export class NotFoundError extends BerthApiError {
  override name = 'NotFoundError';
}

/** 409: an Idempotency-Key reused with another body, or a run that has already finished. */
export class ConflictError extends BerthApiError {
  override name = 'ConflictError';
}

export class PayloadTooLargeError extends BerthApiError {
  override name = 'PayloadTooLargeError';
}

export class UnsupportedMediaTypeError extends BerthApiError {
  override name = 'UnsupportedMediaTypeError';
}

/** 429 or 503: AWS or API Gateway is throttling; the client has already retried safe requests. */
export class ServiceUnavailableError extends BerthApiError {
  override name = 'ServiceUnavailableError';
  /** Seconds, from Retry-After when the API sent one. */
  readonly retryAfterSeconds?: number;
  constructor(status: number, problem: Problem, retryAfterSeconds?: number) {
    super(status, problem);
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** 500 and other 5xx: the request id identifies it in the API's logs. */
export class InternalServerError extends BerthApiError {
  override name = 'InternalServerError';
}

/** The API could not be reached (connection refused, DNS, TLS, reset). */
export class BerthConnectionError extends BerthError {
  override name = 'BerthConnectionError';
}

/** waitForRun's timeout elapsed before the run finished; `run` is the last view read. */
export class WaitTimeoutError extends BerthError {
  override name = 'WaitTimeoutError';
  constructor(
    message: string,
    readonly run: unknown,
  ) {
    super(message);
  }
}

type ApiErrorClass = new (status: number, problem: Problem) => BerthApiError;

/** Berth's problem types (lib/errors.ts `problemType`), each with its class. */
const BY_TYPE: Readonly<Record<string, ApiErrorClass>> = {
  'validation-failed': ValidationError,
  'malformed-request': MalformedRequestError,
  'policy-violation': PolicyError,
  'not-found': NotFoundError,
  conflict: ConflictError,
  'payload-too-large': PayloadTooLargeError,
  'unsupported-media-type': UnsupportedMediaTypeError,
  'service-unavailable': ServiceUnavailableError,
  'internal-error': InternalServerError,
};

const BY_STATUS: Readonly<Record<number, ApiErrorClass>> = {
  400: ValidationError,
  403: AccessDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  429: ServiceUnavailableError,
  503: ServiceUnavailableError,
};

const PROBLEM_TYPE = /^urn:berth:problem:([a-z-]+)$/;

/**
 * The error for a non-2xx answer. `body` is the parsed JSON (or undefined when it was not JSON);
 * an answer that is not problem+json keeps its `message` (API Gateway's shape) as the detail.
 */
export function errorFromResponse(status: number, body: unknown, retryAfter?: string | null): BerthApiError {
  const raw =
    typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const problem: Problem = { ...raw };
  if (typeof problem.detail !== 'string') {
    const message = typeof raw.message === 'string' ? raw.message : typeof raw.Message === 'string' ? raw.Message : '';
    problem.detail = message || `The API answered HTTP ${status}.`;
  }
  const berthType = typeof raw.type === 'string' ? PROBLEM_TYPE.exec(raw.type)?.[1] : undefined;
  const Class =
    (berthType && BY_TYPE[berthType]) || BY_STATUS[status] || (status >= 500 ? InternalServerError : BerthApiError);
  if (Class === ServiceUnavailableError) {
    const seconds = retryAfter != null && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
    return new ServiceUnavailableError(status, problem, seconds);
  }
  return new Class(status, problem);
}
