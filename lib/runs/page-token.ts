/**
 * GET /runs page tokens: Berth's own, carrying Step Functions' ListExecutions token and the status filter it was
 * issued for, since Step Functions refuses a token with another filter.
 */
import * as z from 'zod/mini';
import type { Violation } from '../task-definition/validate';

export interface PageToken {
  /** The status filter the token was issued for ('' for none). */
  s: string;
  t: string;
}

const RULE = 'nextToken must be the token a previous page with the same status returned.';

export function encodePageToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decode(raw: string): PageToken | undefined {
  try {
    const token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PageToken> | null;
    return typeof token?.t === 'string' && token.t !== '' && typeof token.s === 'string'
      ? { s: token.s, t: token.t }
      : undefined;
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
      z.describe('The token the previous page returned (valid for the same status only).'),
    ),
  z.transform((raw: string, ctx) => {
    const token = decode(raw);
    if (token !== undefined) return token;
    ctx.issues.push({ code: 'custom', message: RULE, input: raw });
    return z.NEVER;
  }),
);

/** A token answers only the status filter it was issued for. */
export function pageTokenStatusViolations(query: { status?: string | undefined; nextToken?: PageToken | undefined }) {
  const out: Violation[] = [];
  if (query.nextToken !== undefined && query.nextToken.s !== (query.status ?? '')) {
    out.push({ path: '$.nextToken', message: RULE });
  }
  return out;
}
