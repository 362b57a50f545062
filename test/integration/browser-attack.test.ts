/**
 * Issue 8's attack, as a browser makes it, against the real local stack: a page on https://evil.example
 * preflights, then POSTs a task definition whose container writes a file on the host and a run of it; a DNS
 * rebinding page reaches every local port under its own Host name; a `<script src>` reads a GET route. Each
 * request carries exactly the headers the browser sends (Host, Origin, Sec-Fetch-*), which fetch() cannot set,
 * hence raw node:http requests. Before the browser guard the preflights were allowed (the Origin echoed), the
 * POSTs answered 201 and 202 and the file appeared.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type Stack, startStack } from './stack';

jest.setTimeout(120_000);

const EVIL = 'https://evil.example';
const ALLOWED = 'http://localhost:5173';
const pwned = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-attack-')), 'pwned');
let stack: Stack;

interface RawReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function raw(url: string, method: string, headers: Record<string, string>, body?: string): Promise<RawReply> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname + target.search, method, headers },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The headers Chromium sends on a cross-origin fetch() from a page at `origin` to 127.0.0.1:`port`. */
const fromPage = (origin: string, port: string | number, mode = 'cors') => ({
  host: `127.0.0.1:${port}`,
  origin,
  'sec-fetch-site': 'cross-site',
  'sec-fetch-mode': mode,
  'sec-fetch-dest': 'empty',
});

const definition = JSON.stringify({
  family: 'pwned',
  containerDefinitions: [{ name: 'x', image: 'busybox', memory: 64, command: ['sh', '-c', `id > ${pwned}`] }],
});

const noAllowHeaders = (reply: RawReply) =>
  Object.keys(reply.headers).filter((name) => name.startsWith('access-control-'));

beforeAll(async () => {
  stack = await startStack({ env: { BERTH_CORS_ORIGINS: ALLOWED } });
});

afterAll(async () => {
  await stack?.kill();
});

const apiPort = () => new URL(stack.api).port;
const awsPort = () => new URL(stack.aws).port;
const lambdaPort = () => new URL(stack.lambda).port;

it('refuses the preflight from a page on another origin, with no Access-Control-Allow-* header', async () => {
  for (const route of ['/task-definitions', '/runs']) {
    const reply = await raw(`${stack.api}${route}`, 'OPTIONS', {
      ...fromPage(EVIL, apiPort()),
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(reply.status).toBe(403);
    expect(noAllowHeaders(reply)).toEqual([]);
  }
});

it('refuses the POSTs themselves, with or without a preflight, so nothing runs on the host', async () => {
  for (const contentType of ['application/json', 'text/plain']) {
    const registered = await raw(
      `${stack.api}/task-definitions`,
      'POST',
      { ...fromPage(EVIL, apiPort()), 'content-type': contentType },
      definition,
    );
    expect(registered.status).toBe(403);
    expect(noAllowHeaders(registered)).toEqual([]);
    expect(JSON.parse(registered.body)).toMatchObject({
      status: 403,
      detail: expect.stringContaining('Requests from the web origin "https://evil.example" are refused'),
    });
    const run = await raw(
      `${stack.api}/runs`,
      'POST',
      { ...fromPage(EVIL, apiPort()), 'content-type': contentType },
      JSON.stringify({ taskDefinition: 'pwned' }),
    );
    expect(run.status).toBe(403);
  }
  // The definition never reached the local ECS, so no run of it can exist either.
  const family = await fetch(`${stack.api}/task-definitions/pwned`);
  expect(family.status).toBe(404);
  expect(existsSync(pwned)).toBe(false);
});

it('refuses a rebinding Host on the API, the Lambda port and the AWS endpoint', async () => {
  const api = await raw(`${stack.api}/task-definitions`, 'GET', { host: `evil.example:${apiPort()}` });
  expect(api.status).toBe(403);
  expect(api.body).toContain('is not a loopback name or address');
  const lambda = await raw(
    `http://127.0.0.1:${lambdaPort()}/2015-03-31/functions/berth-dev-checkCapacity/invocations`,
    'POST',
    { host: `evil.example:${lambdaPort()}`, 'content-type': 'text/plain' },
    '{}',
  );
  expect(lambda.status).toBe(403);
  const aws = await raw(
    stack.aws,
    'POST',
    {
      host: `evil.example:${awsPort()}`,
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters',
    },
    '{}',
  );
  expect(aws.status).toBe(403);
  expect(JSON.parse(aws.body)).toMatchObject({ __type: 'AccessDeniedException' });
});

it('refuses what a page can send to the AWS endpoint and the Lambda port without a preflight', async () => {
  // A form or a text/plain fetch cannot carry X-Amz-Target or an x-amz-json body without a preflight.
  const simple = await raw(stack.aws, 'POST', { host: `127.0.0.1:${awsPort()}`, 'content-type': 'text/plain' }, '{}');
  expect(simple.status).toBe(415);
  const fromEvil = await raw(
    stack.aws,
    'POST',
    { ...fromPage(EVIL, awsPort()), 'content-type': 'text/plain' },
    JSON.stringify({ cluster: 'default', taskDefinition: 'pwned' }),
  );
  expect(fromEvil.status).toBe(403);
  expect(noAllowHeaders(fromEvil)).toEqual([]);
  const preflight = await raw(stack.aws, 'OPTIONS', {
    ...fromPage(EVIL, awsPort()),
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type,x-amz-target',
  });
  expect(preflight.status).toBe(403);
  expect(noAllowHeaders(preflight)).toEqual([]);
  // The Lambda port runs the workflow's functions: a page's simple POST, or any unsigned call, does nothing.
  const invoke = `http://127.0.0.1:${lambdaPort()}/2015-03-31/functions/berth-dev-startTriggeredRun/invocations`;
  const pagePost = await raw(invoke, 'POST', { ...fromPage(EVIL, lambdaPort()), 'content-type': 'text/plain' }, '{}');
  expect(pagePost.status).toBe(403);
  const unsigned = await raw(invoke, 'POST', { host: `127.0.0.1:${lambdaPort()}`, 'content-type': 'text/plain' }, '{}');
  expect(unsigned.status).toBe(403);
  expect(unsigned.body).toContain('signed with SigV4');
});

it('refuses a cross-site <script src> at a GET route, and answers a top-level navigation', async () => {
  const script = await raw(`${stack.api}/runs`, 'GET', {
    host: `127.0.0.1:${apiPort()}`,
    'sec-fetch-site': 'cross-site',
    'sec-fetch-mode': 'no-cors',
    'sec-fetch-dest': 'script',
  });
  expect(script.status).toBe(403);
  const navigation = await raw(`${stack.api}/openapi.json`, 'GET', {
    host: `127.0.0.1:${apiPort()}`,
    'sec-fetch-site': 'cross-site',
    'sec-fetch-mode': 'navigate',
    'sec-fetch-dest': 'document',
  });
  expect(navigation.status).toBe(200);
});

it('lets an origin the user allowed (BERTH_CORS_ORIGINS) through, with CORS headers for it alone', async () => {
  const preflight = await raw(`${stack.api}/task-definitions`, 'OPTIONS', {
    ...fromPage(ALLOWED, apiPort()),
    'sec-fetch-site': 'same-site',
    'access-control-request-method': 'GET',
  });
  expect(preflight.status).toBeLessThan(300);
  expect(preflight.headers['access-control-allow-origin']).toBe(ALLOWED);
  const list = await raw(`${stack.api}/task-definitions`, 'GET', fromPage(ALLOWED, apiPort()));
  expect(list.status).toBe(200);
  expect(list.headers['access-control-allow-origin']).toBe(ALLOWED);
  const aws = await raw(
    stack.aws,
    'POST',
    {
      ...fromPage(ALLOWED, awsPort()),
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters',
    },
    '{}',
  );
  expect(aws.status).toBe(200);
  expect(aws.headers['access-control-allow-origin']).toBe(ALLOWED);
});
