/**
 * Run ids and Idempotency-Keys. A run id is the execution name (Step Functions' StartExecution:
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html, 1..80 characters, unique
 * per state machine for 90 days). With a key, the id is derived from the key and its caller, so a repeat finds the
 * same execution with no table; the request's hash, stored in the execution input, tells a repeat from a reuse.
 */
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import * as z from 'zod/mini';
import type { RunRequest } from './request';

const IDEMPOTENCY_KEY_RULE = 'Idempotency-Key must be 1 to 64 printable ASCII characters.';

export const IdempotencyKeySchema = z
  .string({ error: IDEMPOTENCY_KEY_RULE })
  .check(
    z.regex(/^[\x20-\x7e]{1,64}$/, IDEMPOTENCY_KEY_RULE),
    z.describe('At most 64 printable ASCII characters: the same key with the same body returns the same run.'),
  );

const ASSUMED_ROLE = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * The principal an Idempotency-Key belongs to: the caller's ARN, with an assumed role's session name dropped
 * (`arn:aws:sts::123456789012:assumed-role/orders/i-0abc` -> `arn:aws:iam::123456789012:role/orders`). A service
 * retrying from another instance or container of itself has another session name and must find its run again.
 */
export function idempotencyScope(caller: string): string {
  const role = ASSUMED_ROLE.exec(caller);
  return role === null ? caller : `arn:${role[1]}:iam::${role[2]}:role/${role[3]}`;
}

/**
 * The run id a key maps to: a UUID (version 8, RFC 9562) from the SHA-256 of the key and its caller's scope
 * (idempotencyScope), so a repeat finds the same execution name with no table, and keyed ids look like the
 * random (version 4) ones.
 */
export function runIdForKey(key: string, caller?: string): string {
  const scope = caller === undefined ? '' : idempotencyScope(caller);
  const hex = createHash('sha256').update(`berth:idempotency-key:${scope}\n${key}`).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Equal for two requests that ask for the same run, whatever the order of their members (RFC 8785 JSON). */
export function requestHash(request: RunRequest): string {
  return createHash('sha256')
    .update(canonicalize(request) ?? '')
    .digest('base64url');
}
