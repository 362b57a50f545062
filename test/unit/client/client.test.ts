/**
 * The typed client against a local HTTP server on 127.0.0.1 that plays the API: it checks that
 * every request carries a well-formed SigV4 signature for execute-api (and recomputes it), records
 * what it was asked, and answers from a script.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  AccessDeniedError,
  BerthApiError,
  BerthClient,
  BerthConnectionError,
  ConflictError,
  InternalServerError,
  MalformedRequestError,
  NotFoundError,
  PayloadTooLargeError,
  PolicyError,
  type RunView,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
  WaitTimeoutError,
} from '../../../client';
import { startConsoleServer } from '../../../client/console-server';
import { API_ROUTES } from '../../../lib/openapi/document';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface Seen {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  signatureProblems: string[];
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  contentType?: string;
}

let server: http.Server;
let base: string;
let seen: Seen[] = [];
let answer: (req: Seen) => Reply = () => ({ status: 200, body: {} });

const AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/execute-api\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/;

/** What is wrong with the request's signature, recomputed with the secret the client was given. */
async function checkSignature(req: http.IncomingMessage, url: URL, body: string): Promise<string[]> {
  const problems: string[] = [];
  const auth = req.headers.authorization ?? '';
  const m = AUTHORIZATION.exec(auth);
  if (m === null) return [`malformed Authorization: ${auth}`];
  const [, keyId, day, region, signedHeaders, signature] = m;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!/^\d{8}T\d{6}Z$/.test(amzDate)) problems.push(`malformed X-Amz-Date: ${amzDate}`);
  if (!amzDate.startsWith(day ?? '-')) problems.push('the credential scope date is not the X-Amz-Date day');
  if (keyId !== CREDENTIALS.accessKeyId) problems.push(`signed by ${keyId}`);
  const names = (signedHeaders ?? '').split(';');
  for (const required of ['host', 'x-amz-date']) if (!names.includes(required)) problems.push(`${required} not signed`);
  if (req.headers['x-amz-security-token'] !== undefined && !names.includes('x-amz-security-token')) {
    problems.push('the session token is not signed');
  }
  const payloadHash = createHash('sha256').update(body).digest('hex');
  if (req.headers['x-amz-content-sha256'] !== undefined && req.headers['x-amz-content-sha256'] !== payloadHash) {
    problems.push('X-Amz-Content-Sha256 is not the hash of the body');
  }
  const headers: Record<string, string> = {};
  for (const name of names) headers[name] = String(req.headers[name] ?? '');
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) {
    const prev = query[k];
    query[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  const verifier = new SignatureV4({
    service: 'execute-api',
    region: region ?? '',
    credentials: {
      ...CREDENTIALS,
      ...(req.headers['x-amz-security-token'] && { sessionToken: String(req.headers['x-amz-security-token']) }),
    },
    sha256: Hash.bind(null, 'sha256'),
  });
  const expected = await verifier.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers,
      body,
    },
    {
      signingDate: new Date(
        `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
      ),
      unsignableHeaders: new Set(),
    },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1];
  if (expectedSignature !== signature) problems.push('the signature does not verify');
  return problems;
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
      const entry: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: url.search,
        headers: req.headers,
        body,
        signatureProblems: await checkSignature(req, url, body),
      };
      seen.push(entry);
      const reply = answer(entry);
      res.writeHead(reply.status, {
        'content-type': reply.contentType ?? (reply.status >= 400 ? 'application/problem+json' : 'application/json'),
        ...reply.headers,
      });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  answer = () => ({ status: 200, body: {} });
});

const client = (over: Partial<ConstructorParameters<typeof BerthClient>[0]> = {}) =>
  new BerthClient({ baseUrl: base, region: 'eu-west-1', credentials: CREDENTIALS, ...over });

const problem = (status: number, type: string, extra: object = {}) => ({
  status,
  body: {
    type: `urn:berth:problem:${type}`,
    title: type,
    status,
    detail: `${type} detail`,
    requestId: 'req-1',
    ...extra,
  },
});

describe('routes', () => {
  // One call per operationId of the OpenAPI document, with the request it must make.
  const calls: Record<string, [(c: BerthClient) => Promise<unknown>, string, string, string?]> = {
    registerTaskDefinition: [
      (c) => c.registerTaskDefinition({ family: 'f', containerDefinitions: [{ name: 'a', image: 'i' }] }),
      'POST',
      '/task-definitions',
    ],
    listTaskDefinitions: [
      (c) => c.listTaskDefinitions({ familyPrefix: 'an', status: 'ALL', limit: 5 }),
      'GET',
      '/task-definitions',
      '?familyPrefix=an&status=ALL&limit=5',
    ],
    getLatestTaskDefinition: [
      (c) => c.getLatestTaskDefinition('anjana-educative'),
      'GET',
      '/task-definitions/anjana-educative',
    ],
    getTaskDefinition: [
      (c) => c.getTaskDefinition('anjana-educative', 2),
      'GET',
      '/task-definitions/anjana-educative/2',
    ],
    deregisterTaskDefinition: [
      (c) => c.deregisterTaskDefinition('anjana-educative', '2'),
      'DELETE',
      '/task-definitions/anjana-educative/2',
    ],
    startRun: [(c) => c.startRun({ taskDefinition: 'anjana-educative:1', count: 2 }), 'POST', '/runs'],
    listRuns: [
      (c) => c.listRuns({ status: 'FAILED', limit: 10, nextToken: 'a+b/c=' }),
      'GET',
      '/runs',
      '?status=FAILED&limit=10&nextToken=a%2Bb%2Fc%3D',
    ],
    getRun: [(c) => c.getRun('run 1/x'), 'GET', '/runs/run%201%2Fx'],
    getRunLogs: [
      (c) => c.getRunLogs('r1', { container: 'app', attempt: 2, limit: 5, nextToken: 'e30' }),
      'GET',
      '/runs/r1/logs',
      '?container=app&attempt=2&limit=5&nextToken=e30',
    ],
    cancelRun: [(c) => c.cancelRun('r1'), 'POST', '/runs/r1/cancel'],
    getOpenApiDocument: [(c) => c.getOpenApiDocument(), 'GET', '/openapi.json'],
    planRun: [(c) => c.planRun({ taskDefinition: 'anjana-educative:1', count: 4 }), 'POST', '/runs/plan'],
    getClusterCapacity: [(c) => c.getClusterCapacity('default'), 'GET', '/clusters/default/capacity'],
    listQueues: [(c) => c.listQueues(), 'GET', '/queues'],
    getQueue: [(c) => c.getQueue('nightly'), 'GET', '/queues/nightly'],
    pauseQueue: [(c) => c.pauseQueue('nightly'), 'POST', '/queues/nightly/pause'],
    resumeQueue: [(c) => c.resumeQueue('nightly'), 'POST', '/queues/nightly/resume'],
  };

  it('has a method for every route of the OpenAPI document, named by its operationId', () => {
    const ids = API_ROUTES.map((r) => r.operationId).sort();
    expect(Object.keys(calls).sort()).toEqual(ids);
    for (const id of ids)
      expect(typeof (BerthClient.prototype as unknown as Record<string, unknown>)[id]).toBe('function');
  });

  it.each(API_ROUTES.map((r) => [r.operationId, r] as const))(
    '%s: method, path and a verifiable signature',
    async (id, route) => {
      answer = () => ({
        status: route.method === 'post' && id === 'startRun' ? 202 : 200,
        body: { runId: 'r1', status: 'PENDING' },
      });
      const [call, method, path, query] = calls[id] ?? [];
      await call?.(client());
      expect(seen).toHaveLength(1);
      const req = seen[0] as Seen;
      expect([req.method, req.path, req.query]).toEqual([method, path, query ?? '']);
      expect(method).toBe(route.method.toUpperCase());
      expect(req.signatureProblems).toEqual([]);
      expect(req.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request/,
      );
      if (req.body !== '') expect(req.headers['content-type']).toBe('application/json');
    },
  );

  it('is caught by the checking server when signed with another secret', async () => {
    await client({ credentials: { ...CREDENTIALS, secretAccessKey: 'another-secret' } }).getRun('r1');
    expect(seen[0]?.signatureProblems).toEqual(['the signature does not verify']);
  });

  it('keeps a stage path in the base URL', async () => {
    await client({ baseUrl: `${base}/prod/` }).getRun('r1');
    expect(seen[0]?.path).toBe('/prod/runs/r1');
    expect(seen[0]?.signatureProblems).toEqual([]);
  });

  it('signs the session token of temporary credentials', async () => {
    await client({ credentials: async () => ({ ...CREDENTIALS, sessionToken: 'token-1' }) }).listRuns();
    expect(seen[0]?.headers['x-amz-security-token']).toBe('token-1');
    expect(seen[0]?.signatureProblems).toEqual([]);
  });

  it('takes the region from an execute-api URL', () => {
    const c = new BerthClient({
      baseUrl: 'https://abc123.execute-api.ap-south-1.amazonaws.com/prod',
      credentials: CREDENTIALS,
    });
    expect(c.region).toBe('ap-south-1');
  });

  it.each([['ftp://x'], ['not a url'], ['http://127.0.0.1:3000/?a=1']])('refuses the base URL %s', (url) => {
    expect(() => client({ baseUrl: url })).toThrow(/API URL/);
  });
});

describe('startRun', () => {
  it('sends the Idempotency-Key and says whether the run is new', async () => {
    answer = () => ({ status: 202, body: { runId: 'r1', status: 'PENDING' }, headers: { location: '/runs/r1' } });
    expect(await client().startRun({ taskDefinition: 'f:1' }, { idempotencyKey: 'nightly-1' })).toEqual({
      runId: 'r1',
      status: 'PENDING',
      created: true,
      location: '/runs/r1',
    });
    expect(seen[0]?.headers['idempotency-key']).toBe('nightly-1');
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ taskDefinition: 'f:1' });
    answer = () => ({ status: 200, body: { runId: 'r1', status: 'RUNNING' } });
    expect(await client().startRun({ taskDefinition: 'f:1' }, { idempotencyKey: 'nightly-1' })).toMatchObject({
      created: false,
    });
    expect(seen[1]?.signatureProblems).toEqual([]);
  });
});

describe('errors', () => {
  it.each<[string, Reply, new (...args: never[]) => BerthApiError, object]>([
    [
      'validation-failed',
      problem(400, 'validation-failed', {
        errors: [{ path: '$.count', message: "'count' must be an integer from 1 to 10." }],
      }),
      ValidationError,
      { status: 400, violations: [{ path: '$.count', message: "'count' must be an integer from 1 to 10." }] },
    ],
    ['malformed-request', problem(400, 'malformed-request'), MalformedRequestError, { status: 400 }],
    [
      'policy-violation',
      problem(403, 'policy-violation', {
        rule: 'allowPrivileged',
        errors: [{ rule: 'allowPrivileged', path: '$.containerDefinitions[0].privileged', message: 'no' }],
      }),
      PolicyError,
      { status: 403, rule: 'allowPrivileged' },
    ],
    [
      'not-found',
      problem(404, 'not-found'),
      NotFoundError,
      { status: 404, message: 'not-found detail', requestId: 'req-1' },
    ],
    ['conflict', problem(409, 'conflict'), ConflictError, { status: 409 }],
    ['payload-too-large', problem(413, 'payload-too-large'), PayloadTooLargeError, { status: 413 }],
    ['unsupported-media-type', problem(415, 'unsupported-media-type'), UnsupportedMediaTypeError, { status: 415 }],
    ['internal-error', problem(500, 'internal-error'), InternalServerError, { status: 500 }],
    [
      "API Gateway's 403 for a bad signature",
      {
        status: 403,
        body: { message: 'The request signature we calculated does not match' },
        contentType: 'application/json',
      },
      AccessDeniedError,
      { status: 403, message: 'The request signature we calculated does not match' },
    ],
    [
      'a 502 that is not JSON',
      { status: 502, body: undefined, contentType: 'text/html' },
      InternalServerError,
      { status: 502 },
    ],
    [
      'a 418 nobody expected',
      { status: 418, body: { detail: 'teapot' } },
      BerthApiError,
      { status: 418, message: 'teapot' },
    ],
  ])('maps %s', async (_name, reply, Class, fields) => {
    answer = () => reply;
    const err = await client({ maxAttempts: 1 })
      .getRun('r1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Class);
    expect(err).toBeInstanceOf(BerthApiError);
    expect(err).toMatchObject(fields);
    expect((err as Error).name).toBe(Class.name);
  });

  it('retries a read on 503 and succeeds', async () => {
    let n = 0;
    answer = () =>
      ++n === 1
        ? { ...problem(503, 'service-unavailable'), headers: { 'retry-after': '0' } }
        : { status: 200, body: { items: [] } };
    expect(await client().listRuns()).toEqual({ items: [] });
    expect(seen).toHaveLength(2);
    expect(seen[1]?.signatureProblems).toEqual([]);
  });

  it('gives up after maxAttempts with the typed error and Retry-After', async () => {
    answer = () => ({ ...problem(503, 'service-unavailable'), headers: { 'retry-after': '0' } });
    const err = await client({ maxAttempts: 2 })
      .listRuns()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err).toMatchObject({ retryAfterSeconds: 0 });
    expect(seen).toHaveLength(2);
  });

  it('does not repeat a POST /runs without an Idempotency-Key', async () => {
    answer = () => ({ ...problem(503, 'service-unavailable'), headers: { 'retry-after': '0' } });
    await expect(client().startRun({ taskDefinition: 'f:1' })).rejects.toBeInstanceOf(ServiceUnavailableError);
    expect(seen).toHaveLength(1);
    await expect(client().startRun({ taskDefinition: 'f:1' }, { idempotencyKey: 'k' })).rejects.toBeInstanceOf(
      ServiceUnavailableError,
    );
    expect(seen).toHaveLength(4);
  });

  it('says when the API cannot be reached', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await client({ baseUrl: `http://127.0.0.1:${port}`, maxAttempts: 2 })
      .listRuns()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BerthConnectionError);
    expect((err as Error).message).toMatch(/Cannot reach the Berth API at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/);
  });
});

describe('waitForRun', () => {
  const view = (status: RunView['status'], attempts: RunView['attempts'] = []): RunView => ({
    runId: 'r1',
    status,
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:000000000000:task-definition/f:1',
    cluster: 'default',
    createdAt: '2025-01-01T00:00:00.000Z',
    attempts,
  });
  const attempt = (outcome: 'RUNNING' | 'SUCCEEDED', exitCode?: number) => ({
    attempt: 1,
    taskArns: ['arn:aws:ecs:us-east-1:000000000000:task/default/abc'],
    containers: [{ name: 'a', ...(exitCode !== undefined && { exitCode }) }],
    outcome,
  });

  it('polls until the run finishes, reporting each change once', async () => {
    const script = [
      view('PENDING'),
      view('RUNNING', [attempt('RUNNING')]),
      view('RUNNING', [attempt('RUNNING')]),
      view('RUNNING', [attempt('RUNNING')]),
      view('SUCCEEDED', [attempt('SUCCEEDED', 0)]),
    ];
    let n = 0;
    answer = () => ({ status: 200, body: script[Math.min(n++, script.length - 1)] });
    const changes: Array<[string, string | undefined]> = [];
    const final = await client().waitForRun('r1', {
      minDelay: 2,
      maxDelay: 5,
      onChange: (run, previous) => changes.push([run.status, previous?.status]),
    });
    expect(final.status).toBe('SUCCEEDED');
    expect(final.attempts[0]?.containers[0]?.exitCode).toBe(0);
    expect(seen).toHaveLength(5);
    expect(changes).toEqual([
      ['PENDING', undefined],
      ['RUNNING', 'PENDING'],
      ['SUCCEEDED', 'RUNNING'],
    ]);
  });

  it('gives up after its timeout with the last view', async () => {
    answer = () => ({ status: 200, body: view('WAITING_FOR_CAPACITY') });
    const err = await client()
      .waitForRun('r1', { timeout: 30, minDelay: 5 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as WaitTimeoutError).run).toMatchObject({ status: 'WAITING_FOR_CAPACITY' });
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('passes API errors through', async () => {
    answer = () => problem(404, 'not-found');
    await expect(client().waitForRun('nope', { minDelay: 1 })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('stops when its signal aborts', async () => {
    answer = () => ({ status: 200, body: view('RUNNING') });
    const controller = new AbortController();
    const waiting = client().waitForRun('r1', { minDelay: 1000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(waiting).rejects.toThrow('stop');
  });
});

describe('followLogs', () => {
  const event = (message: string) => ({
    timestamp: 1,
    message,
    container: 'app',
    taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/abc',
    attempt: 1,
  });
  const page = (status: RunView['status'], messages: string[], token: string) => ({
    runId: 'r1',
    status,
    attempt: 1,
    events: messages.map(event),
    nextToken: token,
  });

  it('yields every event, passing each page its token, until the run has finished and nothing is left', async () => {
    const script = [
      page('RUNNING', ['line 1'], 't1'),
      page('RUNNING', [], 't1'),
      problem(503, 'service-unavailable'),
      page('RUNNING', ['line 2', 'line 3'], 't2'),
      page('SUCCEEDED', ['line 4'], 't3'),
      page('SUCCEEDED', [], 't3'),
    ];
    let n = 0;
    answer = () => {
      const next = script[Math.min(n++, script.length - 1)]!;
      return 'events' in next ? { status: 200, body: next } : { ...next, headers: { 'retry-after': '0' } };
    };
    const messages: string[] = [];
    const follower = client({ maxAttempts: 1 }).followLogs('r1', { minDelay: 1, maxDelay: 2 });
    let result = await follower.next();
    while (!result.done) {
      messages.push(result.value.message);
      result = await follower.next();
    }
    expect(messages).toEqual(['line 1', 'line 2', 'line 3', 'line 4']);
    expect(result.value).toBe('SUCCEEDED');
    expect(seen.map((req) => new URLSearchParams(req.query).get('nextToken'))).toEqual([
      null,
      't1',
      't1',
      't1',
      't2',
      't3',
    ]);
  });
});

describe('berth console: the page and a signing forwarder on 127.0.0.1', () => {
  it('forwards the page’s calls to the API signed, with their answers, and serves the page itself', async () => {
    const served = await startConsoleServer(client());
    try {
      const origin = new URL(served.url).origin;
      answer = () => ({
        status: 400,
        body: { type: 'urn:berth:problem:validation-failed', title: 'Invalid', status: 400, detail: 'no' },
        headers: { 'retry-after': '3' },
      });
      const res = await fetch(`${origin}/runs/plan?limit=5`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, cookie: 'a=b' },
        body: '{"taskDefinition":"a"}',
      });
      expect([res.status, res.headers.get('content-type'), res.headers.get('retry-after')]).toEqual([
        400,
        'application/problem+json',
        '3',
      ]);
      expect((await res.json()) as unknown).toMatchObject({ detail: 'no' });
      const forwarded = seen[0] as Seen;
      expect([forwarded.method, forwarded.path, forwarded.query, forwarded.body]).toEqual([
        'POST',
        '/runs/plan',
        '?limit=5',
        '{"taskDefinition":"a"}',
      ]);
      expect(forwarded.signatureProblems).toEqual([]);
      // What the browser sent about itself stays on this machine.
      expect([forwarded.headers.origin, forwarded.headers.cookie]).toEqual([undefined, undefined]);

      const page = await fetch(served.url);
      expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
      expect(await page.text()).toContain('<script type="module" src="/console/app.js">');
      expect((await fetch(`${origin}/console/app.js`)).status).toBe(200);
      expect(seen).toHaveLength(1);
    } finally {
      await served.close();
    }
  });

  it('signs nothing for another web origin, a foreign Host or a method the API does not have', async () => {
    const served = await startConsoleServer(client());
    try {
      const origin = new URL(served.url).origin;
      expect((await fetch(`${origin}/runs`, { headers: { origin: 'http://evil.example' } })).status).toBe(403);
      expect((await fetch(`${origin}/runs`, { method: 'PUT' })).status).toBe(405);
      const big = await fetch(`${origin}/runs`, { method: 'POST', body: 'x'.repeat(70 * 1024) });
      expect(big.status).toBe(413);
      expect(seen).toHaveLength(0);
    } finally {
      await served.close();
    }
  });
});
