/**
 * The API, as the page reaches it: same origin, relative paths. Under `npm start` that is serverless-offline itself;
 * under `berth console` a local server that signs each call with the user's AWS credentials and forwards it, so no
 * credential reaches the page. Errors are RFC 9457 problem+json; ApiProblem keeps their words and violations.
 */
export interface Violation {
  path: string;
  message: string;
  rule?: string;
}

export class ApiProblem extends Error {
  override name = 'ApiProblem';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly violations: Violation[],
    /** A 503's Retry-After, when it gave one in seconds. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`${title}: ${detail}`);
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        accept: 'application/json, application/problem+json',
        ...(body !== undefined && { 'content-type': 'application/json' }),
      },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });
  } catch (err) {
    throw new ApiProblem(0, 'The API cannot be reached', (err as Error).message, []);
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (response.ok) return parsed as T;
  const problem = (parsed ?? {}) as { title?: string; detail?: string; errors?: Violation[]; message?: string };
  throw new ApiProblem(
    response.status,
    problem.title ?? `HTTP ${response.status}`,
    problem.detail ?? problem.message ?? (text.slice(0, 200) || response.statusText),
    Array.isArray(problem.errors) ? problem.errors : [],
    retryAfter(response.headers.get('retry-after')),
  );
}

export const enc = encodeURIComponent;

const retryAfter = (value: string | null) => (value !== null && /^\d+$/.test(value) ? Number(value) : undefined);
