/**
 * What an AWS SDK error means for whoever called: try again later (throttling, a server fault, the network)
 * or not (the request itself is refused). The rules follow the SDK's standard retry strategy
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html: "transient errors" are
 * throttling, 5xx and connection errors; ECS reports throttling as ThrottlingException, HTTP 400,
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/CommonErrors.html). The SDK already retried
 * what it could: an error that reaches the caller has outlasted those retries.
 */

export type AwsErrorKind = 'THROTTLING' | 'SERVER' | 'NETWORK' | 'REFUSED';

/**
 * Error codes AWS services use for "slow down" (the SDK's list, and ECS's ThrottlingException). Not
 * LimitExceededException: for ECS and EventBridge it is a quota, which asking again does not lift.
 */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** Codes of a request that timed out or lost its connection before an answer (the SDK's and Node's). */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface SdkError {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/** Whether `err` came out of an AWS SDK call (the SDK attaches `$metadata` to every error it lets through). */
export function isAwsSdkError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && typeof (err as SdkError).$metadata === 'object';
}

/** The kind of an AWS SDK error; undefined for anything that did not come from an AWS call. */
export function awsErrorKind(err: unknown): AwsErrorKind | undefined {
  if (!isAwsSdkError(err)) return undefined;
  const e = err as SdkError;
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const status = e.$metadata?.httpStatusCode;
  if (e.$retryable?.throttling === true || status === 429) return 'THROTTLING';
  if (THROTTLING_CODES.has(name)) return 'THROTTLING';
  if (status === undefined) {
    // No HTTP answer at all: the request never got through (or its answer never came back).
    return 'NETWORK';
  }
  if (NETWORK_CODES.has(name) || NETWORK_CODES.has(code)) return 'NETWORK';
  if (status >= 500 || e.$fault === 'server') return 'SERVER';
  if (e.$retryable !== undefined) return 'SERVER';
  return 'REFUSED';
}

/** Throttling, a server fault or the network: asking again later can succeed. */
export function isTransientAwsError(err: unknown): boolean {
  const kind = awsErrorKind(err);
  return kind !== undefined && kind !== 'REFUSED';
}
