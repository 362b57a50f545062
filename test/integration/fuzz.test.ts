/**
 * Every API route fuzzed over HTTP against the real local stack: generated and mutated requests (paths, query
 * strings, headers, bodies that are valid seeds with members deleted, replaced, retyped, nested or named
 * `__proto__`, arbitrary JSON, and bytes that are not JSON) must never get a 5xx. fast-check generates them and,
 * when one fails, shrinks it to a small request that still fails and prints it with the seed that replays it.
 *
 * Bounded in count and time: BERTH_FUZZ_REQUESTS requests (default 1500) or BERTH_FUZZ_SECONDS (default 90),
 * whichever ends first. BERTH_FUZZ_SEED replays a run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { type Stack, startStack } from './stack';

const REQUESTS = Number(process.env.BERTH_FUZZ_REQUESTS ?? 1500);
const SECONDS = Number(process.env.BERTH_FUZZ_SECONDS ?? 90);
const SEED = process.env.BERTH_FUZZ_SEED === undefined ? Date.now() % 2 ** 31 : Number(process.env.BERTH_FUZZ_SEED);

jest.setTimeout((SECONDS + 120) * 1000);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const example = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'examples', 'anjana-educative.json'), 'utf8'));

/** Valid bodies to mutate: what callers really send, nested members included. */
const TASK_DEFINITION_SEEDS: Json[] = [
  example,
  {
    family: 'fuzz-rich',
    networkMode: 'bridge',
    requiresCompatibilities: ['EC2'],
    tags: [{ key: 'team', value: 'data' }],
    containerDefinitions: [
      {
        name: 'app',
        image: 'public.ecr.aws/docker/library/busybox:1.36',
        cpu: 128,
        memory: 256,
        memoryReservation: 128,
        essential: true,
        command: ['sh', '-c', 'echo hi'],
        environment: [{ name: 'MODE', value: 'batch' }],
        portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
        dockerLabels: { 'com.example.team': 'data' },
        logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/berth/fuzz' } },
        healthCheck: { command: ['CMD-SHELL', 'true'], interval: 30, retries: 3 },
        ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 2048 }],
        dependsOn: [],
      },
    ],
  },
];

const RUN_SEEDS: Json[] = [
  { taskDefinition: 'anjana-educative' },
  {
    taskDefinition: 'anjana-educative:1',
    cluster: 'default',
    count: 2,
    launchType: 'FARGATE',
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' } },
    overrides: {
      containerOverrides: [{ name: 'anjana', command: ['true'], environment: [{ name: 'A', value: 'b' }] }],
    },
    retry: { attempts: 2, backoffSeconds: 1, evaluateOnExit: [{ onExitCode: '1', action: 'RETRY' }] },
    timeoutSeconds: 60,
    capacity: { waitSeconds: 1, checkIntervalSeconds: 1 },
    tags: [{ key: 'k', value: 'v' }],
    startedBy: 'fuzz',
  },
  { taskDefinition: 'anjana-educative:1', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] },
];

/** Every path to a member or element of a JSON value, the root included. */
function pathsOf(value: Json, prefix: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...prefix, i]));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...prefix, k]));
  }
  return out;
}

type Mutation = { at: number; op: 'delete' | 'replace' | 'insert' | 'wrap'; key: string; value: Json };

function mutate(seed: Json, mutations: Mutation[]): Json {
  let doc = structuredClone(seed);
  for (const m of mutations) {
    const paths = pathsOf(doc);
    const target = paths[m.at % paths.length]!;
    if (target.length === 0) {
      doc = m.op === 'wrap' ? [doc] : m.op === 'replace' ? m.value : doc;
      continue;
    }
    let parent = doc as Record<string | number, Json>;
    for (const step of target.slice(0, -1)) parent = parent[step] as Record<string | number, Json>;
    const last = target[target.length - 1]!;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (m.op === 'replace') parent[last] = m.value;
    else if (m.op === 'wrap') parent[last] = { [m.key]: parent[last] ?? null };
    else if (parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
      // An own member named as given, `__proto__` included (JSON.parse on the server makes it an own key).
      Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
    }
  }
  return doc;
}

const keyArb = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'family', 'name', 'cpu', 'memory', 'image', 'options'),
  fc.string({ maxLength: 12 }),
);
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'insert', 'wrap'),
  key: keyArb,
  value: fc.oneof(
    fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
    fc.constantFrom<Json>('', ' ', '0', '-1', '1e309', 'a'.repeat(300), 'x'.repeat(70_000), 2 ** 53, -0.5, 1e308),
  ),
});

const mutatedArb = (seeds: Json[]) =>
  fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutationArb, { minLength: 0, maxLength: 4 }))
    .map(([seed, mutations]) => JSON.stringify(mutate(seed, mutations)));

const bodyArb = (seeds: Json[]) =>
  fc.oneof(
    { weight: 6, arbitrary: mutatedArb(seeds) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom('', '{', '{"a":', 'false', '0.0', 'null', '[]', '"x"', '\u0000', '{}'.repeat(50)),
    },
  );

const segmentArb = fc
  .oneof(
    fc.constantFrom('anjana-educative', '1', '0', '-1', '99999999999', 'a'.repeat(300), '..', 'latest', 'fuzz-rich'),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/),
    fc.string({ minLength: 1, maxLength: 30 }),
  )
  .map(encodeURIComponent);

const queryArb = fc
  .dictionary(
    fc.oneof(
      fc.constantFrom('familyPrefix', 'status', 'limit', 'nextToken', 'createdAfter', 'createdBefore', 'family'),
      fc.string({ maxLength: 8 }),
    ),
    fc.oneof(
      fc.constantFrom('ACTIVE', 'inactive', 'ALL', 'RUNNING', 'succeeded', '0', '101', '20', '-1', '1.5', 'garbage'),
      fc.string({ maxLength: 40 }),
      fc.base64String({ maxLength: 200 }),
    ),
    { maxKeys: 4 },
  )
  .map((q) => {
    const params = new URLSearchParams(q).toString();
    return params === '' ? '' : `?${params}`;
  });

const contentTypeArb = fc.constantFrom(
  'application/json',
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/problem+json',
  'application/jsonx',
  '',
);

/** Printable ASCII, which every HTTP client can put in a header (the route must refuse what is wrong with it). */
const headerValueArb = fc.oneof(
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 80 }),
  fc.constantFrom('nightly-2025-01-01', 'same-key'),
);

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const withBody = (method: string, route: fc.Arbitrary<string>, seeds: Json[], extraHeaders = fc.constant({})) =>
  fc.record({ route, body: bodyArb(seeds), contentType: contentTypeArb, extra: extraHeaders }).map(
    ({ route: p, body, contentType, extra }): FuzzRequest => ({
      method,
      path: p,
      headers: { ...(contentType === '' ? {} : { 'content-type': contentType }), ...extra },
      body,
    }),
  );

const get = (route: fc.Arbitrary<string>, method = 'GET') =>
  route.map((p): FuzzRequest => ({ method, path: p, headers: {} }));

const requestArb: fc.Arbitrary<FuzzRequest> = fc.oneof(
  withBody('POST', fc.constant('/task-definitions'), TASK_DEFINITION_SEEDS),
  get(queryArb.map((q) => `/task-definitions${q}`)),
  get(segmentArb.map((f) => `/task-definitions/${f}`)),
  get(fc.tuple(segmentArb, segmentArb).map(([f, r]) => `/task-definitions/${f}/${r}`)),
  get(
    fc.tuple(segmentArb, segmentArb).map(([f, r]) => `/task-definitions/${f}/${r}`),
    'DELETE',
  ),
  withBody(
    'POST',
    fc.constant('/runs'),
    RUN_SEEDS,
    fc.option(headerValueArb, { nil: undefined }).map((key) => (key === undefined ? {} : { 'idempotency-key': key })),
  ),
  get(queryArb.map((q) => `/runs${q}`)),
  get(segmentArb.map((id) => `/runs/${id}`)),
  withBody(
    'POST',
    segmentArb.map((id) => `/runs/${id}/cancel`),
    [{}],
  ),
  get(fc.constant('/openapi.json')),
  // Methods and paths no route has: 404 or 405, never a 5xx.
  fc
    .record({
      method: fc.constantFrom('PUT', 'PATCH', 'DELETE', 'GET', 'POST', 'HEAD', 'OPTIONS'),
      path: fc.oneof(
        fc.constantFrom('/', '/runs/x/y/z', '/task-definitions/a/b/c', '/%2e%2e/', '/openapi.json/x'),
        fc.array(segmentArb, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`),
      ),
    })
    .map(({ method, path: p }): FuzzRequest => ({ method, path: p, headers: {} })),
);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { BERTH_SFN_TIME_SCALE: '0.05' } });
  const registered = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(example),
  });
  expect(registered.status).toBe(201);
});

afterAll(async () => {
  await stack?.kill();
});

it('answers every generated and mutated request to every route without a 5xx', async () => {
  let sent = 0;
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(requestArb, async (request) => {
      sent++;
      const res = await fetch(`${stack.api}${request.path}`, {
        method: request.method,
        headers: request.headers,
        ...(request.body === undefined || request.method === 'GET' || request.method === 'HEAD'
          ? {}
          : { body: request.body }),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 500) {
        throw new Error(`${request.method} ${request.path} answered ${res.status}: ${text.slice(0, 500)}`);
      }
    }),
    { numRuns: REQUESTS, seed: SEED, interruptAfterTimeLimit: SECONDS * 1000, markInterruptAsFailure: false },
  );
  console.log(`fuzz: ${sent} requests (seed ${SEED}), statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
  expect(sent).toBeGreaterThan(Math.min(REQUESTS, 200));
});
