/**
 * GET /runs page tokens: Berth's own, opaque to callers, carrying DynamoDB's LastEvaluatedKey and the filter the
 * token was issued for. A token is refused with another filter: its key would start the Query at a place that
 * means nothing in another index partition.
 */
import * as z from 'zod/mini';
import type { Violation } from '../task-definition/validate';

export interface PageToken {
  /** The filter the token was issued for (listFilterKey). */
  f: string;
  /** The Query's LastEvaluatedKey: the index's keys and the table's, all strings. */
  k: Record<string, string>;
}

const RULE = 'nextToken must be the token a previous page with the same filters returned.';

export function encodePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

const KEY_NAMES = /^(runId|createdAt|listKey|status|family|triggerType|triggerName|queueName)$/;

function decode(raw: string): PageToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PageToken> | null;
    if (typeof token?.f !== 'string' || typeof token.k !== 'object' || token.k === null) return undefined;
    const entries = Object.entries(token.k);
    if (entries.length === 0 || !entries.every(([name, v]) => KEY_NAMES.test(name) && typeof v === 'string')) {
      return undefined;
    }
    return { f: token.f, k: token.k };
  } catch {
    return undefined;
  }
}

/** The query's nextToken, decoded. */
export const PageTokenSchema = z.pipe(
  z
    .string({ error: RULE })
    .check(
      z.regex(/^[A-Za-z0-9_-]{1,8192}$/, RULE),
      z.describe('The token the previous page returned (valid for the same filters only).'),
    ),
  z.transform((raw: string, ctx) => {
    const token = decode(raw);
    if (token !== undefined) return token;
    ctx.issues.push({ code: 'custom', message: RULE, input: raw });
    return z.NEVER;
  }),
);

export interface ListFilter {
  status?: string | undefined;
  family?: string | undefined;
  trigger?: string | undefined;
  queue?: string | undefined;
  createdAfter?: string | undefined;
  createdBefore?: string | undefined;
}

/** The filter as one string: what a token is tied to. */
export function listFilterKey(filter: ListFilter): string {
  return JSON.stringify([
    filter.status ?? '',
    filter.family ?? '',
    filter.trigger ?? '',
    filter.createdAfter ?? '',
    filter.createdBefore ?? '',
    ...(filter.queue !== undefined ? [filter.queue] : []),
  ]);
}

/** A token answers only the filter it was issued for. */
export function pageTokenFilterViolations(query: ListFilter & { nextToken?: PageToken | undefined }): Violation[] {
  if (query.nextToken !== undefined && query.nextToken.f !== listFilterKey(query)) {
    return [{ path: '$.nextToken', message: RULE }];
  }
  return [];
}
