/**
 * The typed client of Berth's REST API (`berth/client`), for internal services and the CLI.
 *
 * - Every request is signed with SigV4 for the `execute-api` service, as API Gateway's AWS_IAM
 *   authorization requires (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html),
 *   with credentials from the default Node.js chain (environment, shared files, SSO, process, web
 *   identity, ECS/EC2 roles) unless given. Locally serverless-offline does not check signatures, so
 *   any credentials (even dummy ones) work.
 * - Each method is one route; its name is the route's operationId in the OpenAPI document.
 * - Non-2xx answers become typed errors (./errors.ts). Reads (GET) are retried on throttling, 502,
 *   503, 504 and connection failures with exponential backoff and full jitter, as the AWS SDKs retry
 *   (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html); so is POST /runs
 *   when it carries an Idempotency-Key, which makes a repeat harmless.
 * - `waitForRun` polls GET /runs/{runId} with backoff until the run finishes.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type * as z from 'zod/mini';
import type { ClusterCapacity, PlacementPlan } from '../lib/capacity/views';
import type { RunLogEvent, RunLogPage } from '../lib/logs/get-run-logs';
import type { QueueView } from '../lib/queues/views';
import type { RunRequestSchema } from '../lib/runs/request';
import type { RunRef, RunStatus, RunSummary, RunView } from '../lib/runs/types';
import type { TaskDefinitionInputSchema } from '../lib/task-definition/schema';
import type { FamilySummary, TaskDefinitionView } from '../lib/task-definitions';
import {
  BerthConnectionError,
  BerthError,
  errorFromResponse,
  ServiceUnavailableError,
  WaitTimeoutError,
} from './errors';

export type { QueueView } from '../lib/queues/views';
export type { AttemptView, CapacityView, ContainerView, RunStatus, RunTrigger, RunView } from '../lib/runs/types';
export type {
  ClusterCapacity,
  FamilySummary,
  PlacementPlan,
  RunLogEvent,
  RunLogPage,
  RunRef,
  RunSummary,
  TaskDefinitionView,
};

/** Credentials, or a function that resolves them (as the AWS SDK takes them). */
export type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/** The POST /task-definitions body: ECS RegisterTaskDefinition input, numbers also as strings. */
export type TaskDefinitionInput = z.input<typeof TaskDefinitionInputSchema>;
/** The POST /runs body, defaults optional. */
export type RunRequestInput = z.input<typeof RunRequestSchema>;

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export interface ListTaskDefinitionsQuery {
  familyPrefix?: string;
  status?: 'ACTIVE' | 'INACTIVE' | 'ALL';
  limit?: number;
  nextToken?: string;
}

export interface ListRunsQuery {
  /** At most one of status, family, trigger (a trigger type or name) and queue. */
  status?: RunStatus;
  family?: string;
  trigger?: string;
  queue?: string;
  /** ISO-8601, inclusive. */
  createdAfter?: string;
  createdBefore?: string;
  limit?: number;
  nextToken?: string;
}

export interface StartRunOptions {
  /** At most 64 printable ASCII characters: the same key with the same body returns the same run. */
  idempotencyKey?: string;
}

export interface StartedRun extends RunRef {
  /** False when an earlier request with the same Idempotency-Key had started this run. */
  created: boolean;
  location: string;
}

export interface CancelledRun {
  runId: string;
  status: RunStatus;
  stoppedAt: string;
}

export interface WaitForRunOptions {
  /** Milliseconds to wait at most (default one hour); then WaitTimeoutError. */
  timeout?: number;
  /** Called with the first view read and with every view that differs from the one before. */
  onChange?: (run: RunView, previous: RunView | undefined) => void;
  /** First delay between polls in ms (default 1000); it grows while nothing changes. */
  minDelay?: number;
  /** Longest delay between polls in ms (default 15000). */
  maxDelay?: number;
  signal?: AbortSignal;
}

export interface RunLogsQuery {
  /** The attempt (default the last; a follower moves on to later attempts). */
  attempt?: number;
  /** One container (default every essential one). */
  container?: string;
  /** Epoch milliseconds: the first page starts there. */
  startTime?: number;
  /** Events per page, 1 to 10,000 (default 1000). */
  limit?: number;
  nextToken?: string;
}

export interface FollowLogsOptions extends Omit<RunLogsQuery, 'nextToken'> {
  /** First delay in ms between reads that found nothing new (default 1000); it grows while nothing comes. */
  minDelay?: number;
  /** Longest delay between reads in ms (default 5000). */
  maxDelay?: number;
  signal?: AbortSignal;
}

export interface BerthClientOptions {
  /** The API's base URL: `https://{id}.execute-api.{region}.amazonaws.com/{stage}`, or `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** Signing region; default: from an execute-api URL, else AWS_REGION, else AWS_DEFAULT_REGION, else us-east-1. */
  region?: string;
  /** Default: the default credential chain of the AWS SDK for JavaScript v3. */
  credentials?: Credentials;
  /** Attempts for retryable requests, first included (default 3). */
  maxAttempts?: number;
  /** Injectable for tests and custom agents. */
  fetch?: typeof fetch;
}

export const TERMINAL_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED'];
export const isFinished = (status: RunStatus) => TERMINAL_STATUSES.includes(status);

/** GET /runs/{runId}/logs' default page size. */
const DEFAULT_LOG_PAGE = 1000;
const EXECUTE_API_HOST = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/;
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const BASE_RETRY_DELAY_MS = 100;
const MAX_RETRY_DELAY_MS = 20_000;

export function signingRegion(baseUrl: URL, env: NodeJS.ProcessEnv = process.env): string {
  return EXECUTE_API_HOST.exec(baseUrl.hostname)?.[1] ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

interface Call {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  headers?: Record<string, string>;
  retryable: boolean;
}

interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

const segment = (value: string | number) => encodeURIComponent(String(value));

export class BerthClient {
  readonly baseUrl: URL;
  readonly region: string;
  private readonly signer: SignatureV4;
  private readonly maxAttempts: number;
  private readonly fetch: typeof fetch;

  constructor(options: BerthClientOptions) {
    let base: URL;
    try {
      base = new URL(options.baseUrl);
    } catch {
      throw new BerthError(`The API URL "${options.baseUrl}" is not a URL.`);
    }
    if (base.protocol !== 'https:' && base.protocol !== 'http:') {
      throw new BerthError(`The API URL must be http or https, not ${base.protocol}`);
    }
    if (base.search !== '' || base.hash !== '') throw new BerthError('The API URL must not have a query or fragment.');
    this.baseUrl = base;
    this.region = options.region ?? signingRegion(base);
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 3);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.signer = new SignatureV4({
      service: 'execute-api',
      region: this.region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: Hash.bind(null, 'sha256'),
    });
  }

  // ---- task definitions ----------------------------------------------------------------------

  /** POST /task-definitions: validate and register a new revision (201). */
  async registerTaskDefinition(input: TaskDefinitionInput): Promise<TaskDefinitionView> {
    return (
      await this.call<TaskDefinitionView>({ method: 'POST', path: '/task-definitions', body: input, retryable: false })
    ).body;
  }

  /** GET /task-definitions: one page of families with their latest revision. */
  async listTaskDefinitions(query: ListTaskDefinitionsQuery = {}): Promise<Page<FamilySummary>> {
    return (
      await this.call<Page<FamilySummary>>({
        method: 'GET',
        path: '/task-definitions',
        query: { ...query },
        retryable: true,
      })
    ).body;
  }

  /** Every family, page after page. */
  async *paginateTaskDefinitions(
    query: Omit<ListTaskDefinitionsQuery, 'nextToken'> = {},
  ): AsyncGenerator<FamilySummary> {
    let nextToken: string | undefined;
    do {
      const page = await this.listTaskDefinitions({ ...query, ...(nextToken !== undefined && { nextToken }) });
      yield* page.items;
      nextToken = page.nextToken;
    } while (nextToken);
  }

  /** GET /task-definitions/{family}: the latest ACTIVE revision. */
  async getLatestTaskDefinition(family: string): Promise<TaskDefinitionView> {
    return (
      await this.call<TaskDefinitionView>({
        method: 'GET',
        path: `/task-definitions/${segment(family)}`,
        retryable: true,
      })
    ).body;
  }

  /** GET /task-definitions/{family}/{revision}: one revision, ACTIVE or INACTIVE. */
  async getTaskDefinition(family: string, revision: number | string): Promise<TaskDefinitionView> {
    return (
      await this.call<TaskDefinitionView>({
        method: 'GET',
        path: `/task-definitions/${segment(family)}/${segment(revision)}`,
        retryable: true,
      })
    ).body;
  }

  /** DELETE /task-definitions/{family}/{revision}: the revision becomes INACTIVE. */
  async deregisterTaskDefinition(family: string, revision: number | string): Promise<TaskDefinitionView> {
    return (
      await this.call<TaskDefinitionView>({
        method: 'DELETE',
        path: `/task-definitions/${segment(family)}/${segment(revision)}`,
        retryable: false,
      })
    ).body;
  }

  // ---- runs ----------------------------------------------------------------------------------

  /** POST /runs: 202 for a new run; 200 and `created: false` for a repeat of an Idempotency-Key. */
  async startRun(request: RunRequestInput, options: StartRunOptions = {}): Promise<StartedRun> {
    const answer = await this.call<RunRef>({
      method: 'POST',
      path: '/runs',
      body: request,
      ...(options.idempotencyKey !== undefined && { headers: { 'idempotency-key': options.idempotencyKey } }),
      retryable: options.idempotencyKey !== undefined,
    });
    return {
      ...answer.body,
      created: answer.status === 202,
      location: answer.headers.get('location') ?? `/runs/${segment(answer.body.runId)}`,
    };
  }

  /** POST /runs/plan: where the run's tasks would land now, or why not; starts nothing (so it is retried like a read). */
  async planRun(request: RunRequestInput): Promise<PlacementPlan> {
    return (await this.call<PlacementPlan>({ method: 'POST', path: '/runs/plan', body: request, retryable: true }))
      .body;
  }

  /** GET /clusters/{cluster}/capacity: each ACTIVE container instance's room and the runs on it. */
  async getClusterCapacity(cluster: string): Promise<ClusterCapacity> {
    return (
      await this.call<ClusterCapacity>({
        method: 'GET',
        path: `/clusters/${segment(cluster)}/capacity`,
        retryable: true,
      })
    ).body;
  }

  // ---- queues --------------------------------------------------------------------------------

  /** GET /queues: every queue, with its slots held, runs waiting and the oldest wait. */
  async listQueues(): Promise<QueueView[]> {
    return (await this.call<{ queues: QueueView[] }>({ method: 'GET', path: '/queues', retryable: true })).body.queues;
  }

  /** GET /queues/{name}. */
  async getQueue(name: string): Promise<QueueView> {
    return (await this.call<QueueView>({ method: 'GET', path: `/queues/${segment(name)}`, retryable: true })).body;
  }

  /** POST /queues/{name}/pause: the queue admits nothing until resumed; runs holding a slot go on. Idempotent. */
  async pauseQueue(name: string): Promise<QueueView> {
    return (await this.call<QueueView>({ method: 'POST', path: `/queues/${segment(name)}/pause`, retryable: true }))
      .body;
  }

  /** POST /queues/{name}/resume: the queue admits what it has slots for at once. Idempotent. */
  async resumeQueue(name: string): Promise<QueueView> {
    return (await this.call<QueueView>({ method: 'POST', path: `/queues/${segment(name)}/resume`, retryable: true }))
      .body;
  }

  /** GET /runs: one page, newest first; follow nextToken until it is absent. */
  async listRuns(query: ListRunsQuery = {}): Promise<Page<RunSummary>> {
    return (await this.call<Page<RunSummary>>({ method: 'GET', path: '/runs', query: { ...query }, retryable: true }))
      .body;
  }

  /** Every run (with the status, if given), page after page. */
  async *paginateRuns(query: Omit<ListRunsQuery, 'nextToken'> = {}): AsyncGenerator<RunSummary> {
    let nextToken: string | undefined;
    do {
      const page = await this.listRuns({ ...query, ...(nextToken !== undefined && { nextToken }) });
      yield* page.items;
      nextToken = page.nextToken;
    } while (nextToken);
  }

  /** GET /runs/{runId}. */
  async getRun(runId: string): Promise<RunView> {
    return (await this.call<RunView>({ method: 'GET', path: `/runs/${segment(runId)}`, retryable: true })).body;
  }

  /** POST /runs/{runId}/cancel: stops the run and its ECS task (409 once it has finished). */
  async cancelRun(runId: string): Promise<CancelledRun> {
    return (await this.call<CancelledRun>({ method: 'POST', path: `/runs/${segment(runId)}/cancel`, retryable: false }))
      .body;
  }

  /**
   * Polls the run until it finishes and returns its last view. Between polls the delay starts at
   * `minDelay` and grows by half each time nothing changed, up to `maxDelay`, with jitter; a change
   * resets it. Throws WaitTimeoutError (carrying the last view) once `timeout` ms have passed.
   */
  async waitForRun(runId: string, options: WaitForRunOptions = {}): Promise<RunView> {
    const timeout = options.timeout ?? 3_600_000;
    const minDelay = Math.max(1, options.minDelay ?? 1000);
    const maxDelay = Math.max(minDelay, options.maxDelay ?? 15_000);
    const deadline = Date.now() + timeout;
    let previous: RunView | undefined;
    let previousJson = '';
    let delay = minDelay;
    for (;;) {
      options.signal?.throwIfAborted();
      const run = await this.getRun(runId);
      const json = JSON.stringify(run);
      if (json !== previousJson) {
        options.onChange?.(run, previous);
        delay = minDelay;
      } else {
        delay = Math.min(maxDelay, delay * 1.5);
      }
      previous = run;
      previousJson = json;
      if (isFinished(run.status)) return run;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new WaitTimeoutError(`Run ${runId} is still ${run.status} after ${timeout} ms.`, run);
      }
      // Equal jitter: at least half the delay, so polling never degenerates into a busy loop.
      await sleep(Math.min(remaining, delay / 2 + (Math.random() * delay) / 2), options.signal);
    }
  }

  /** GET /runs/{runId}/logs: one page of the run's container output, oldest first. */
  async getRunLogs(runId: string, query: RunLogsQuery = {}): Promise<RunLogPage> {
    return (
      await this.call<RunLogPage>({
        method: 'GET',
        path: `/runs/${segment(runId)}/logs`,
        query: { ...query },
        retryable: true,
      })
    ).body;
  }

  /** The same as getRunLogs. */
  logs(runId: string, query: RunLogsQuery = {}): Promise<RunLogPage> {
    return this.getRunLogs(runId, query);
  }

  /**
   * Every event of the run's output as it is written, until the run has finished and nothing more is left to
   * read; returns the run's last status. Between reads that find nothing new the delay grows from `minDelay` to
   * `maxDelay`; a 503 waits its Retry-After (at least) and goes on.
   */
  async *followLogs(runId: string, options: FollowLogsOptions = {}): AsyncGenerator<RunLogEvent, RunStatus> {
    const { minDelay: min, maxDelay: max, signal, ...query } = options;
    const minDelay = Math.max(1, min ?? 1000);
    const maxDelay = Math.max(minDelay, max ?? 5000);
    let delay = minDelay;
    let nextToken: string | undefined;
    for (;;) {
      signal?.throwIfAborted();
      let page: RunLogPage;
      try {
        page = await this.getRunLogs(runId, { ...query, ...(nextToken !== undefined && { nextToken }) });
      } catch (err) {
        if (!(err instanceof ServiceUnavailableError)) throw err;
        delay = Math.min(maxDelay * 4, Math.max(delay * 2, (err.retryAfterSeconds ?? 1) * 1000));
        await sleep(delay, signal);
        continue;
      }
      yield* page.events;
      nextToken = page.nextToken;
      // A full page: more is waiting now. Some events: the run is talking, ask again soon. None: back off.
      if (page.events.length >= (query.limit ?? DEFAULT_LOG_PAGE)) continue;
      if (page.events.length === 0 && isFinished(page.status)) return page.status;
      delay = page.events.length > 0 ? minDelay : Math.min(maxDelay, delay * 1.5);
      await sleep(delay / 2 + (Math.random() * delay) / 2, signal);
    }
  }

  // ---- the document --------------------------------------------------------------------------

  /** GET /openapi.json: the API's OpenAPI 3.1 document. */
  async getOpenApiDocument(): Promise<Record<string, unknown>> {
    return (await this.call<Record<string, unknown>>({ method: 'GET', path: '/openapi.json', retryable: true })).body;
  }

  // ---- transport -----------------------------------------------------------------------------

  /** The URL of a route under the base URL (which may carry a stage path, `/prod`). */
  url(path: string, query: Call['query'] = {}): URL {
    const url = new URL(this.baseUrl.href);
    url.pathname = `${this.baseUrl.pathname.replace(/\/+$/, '')}${path}`;
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) url.searchParams.append(key, String(value));
    }
    return url;
  }

  /** Signs the request: Authorization, X-Amz-Date, X-Amz-Content-Sha256 and, with a session, X-Amz-Security-Token. */
  async sign(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Record<string, string>> {
    const query: Record<string, string | string[]> = {};
    for (const [key, value] of url.searchParams) {
      const seen = query[key];
      query[key] = seen === undefined ? value : [...(Array.isArray(seen) ? seen : [seen]), value];
    }
    const signed = await this.signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' && { port: Number(url.port) }),
      // Already percent-encoded once: the signer encodes it again, as SigV4 wants for every service but S3.
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      ...(body !== undefined && { body }),
    });
    return signed.headers;
  }

  private async call<T>(call: Call): Promise<Answer<T>> {
    const url = this.url(call.path, call.query);
    const body = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...call.headers,
    };
    const attempts = call.retryable ? this.maxAttempts : 1;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        const signed = await this.sign(call.method, url, headers, body);
        // fetch sets Host itself, to the same value that was signed.
        const { host: _host, ...sent } = signed;
        response = await this.fetch(url, { method: call.method, headers: sent, ...(body !== undefined && { body }) });
      } catch (err) {
        if (err instanceof BerthError || !isConnectionFailure(err)) throw err;
        if (attempt >= attempts) {
          throw new BerthConnectionError(`Cannot reach the Berth API at ${this.baseUrl.origin}: ${causeOf(err)}`, {
            cause: err,
          });
        }
        await sleep(backoff(attempt));
        continue;
      }
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = text === '' ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      if (response.ok) {
        if (parsed === undefined) throw new BerthError(`The API answered ${response.status} without a JSON body.`);
        return { status: response.status, body: parsed as T, headers: response.headers };
      }
      const error = errorFromResponse(response.status, parsed, response.headers.get('retry-after'));
      if (attempt >= attempts || !RETRYABLE_STATUS.has(response.status)) throw error;
      const retryAfter = error instanceof ServiceUnavailableError ? error.retryAfterSeconds : undefined;
      await sleep(Math.min(MAX_RETRY_DELAY_MS, retryAfter !== undefined ? retryAfter * 1000 : backoff(attempt)));
    }
  }
}

/** Full jitter over an exponential ceiling. */
function backoff(attempt: number): number {
  return Math.random() * Math.min(MAX_RETRY_DELAY_MS, BASE_RETRY_DELAY_MS * 2 ** attempt);
}

/**
 * fetch rejects with a TypeError whose cause is the socket error when the network fails (checked by
 * name: the TypeError may come from another realm).
 */
function isConnectionFailure(err: unknown): boolean {
  const e = err as { name?: unknown; cause?: unknown } | undefined;
  return e?.name === 'TypeError' && e.cause !== undefined;
}

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? String(err);
}
