/**
 * `berth console`: the console page (console/) for a deployed stage, served on 127.0.0.1, with its API calls
 * forwarded to the stage and signed with SigV4 by the typed client's signer (the user's credentials from the default
 * chain). The page calls relative paths on its own origin, exactly as under `npm start`; no credential reaches it.
 *
 * Because this server signs whatever reaches it with the user's credentials, no other web page may reach it: the
 * local stack's browser guard (local/endpoint/browser-guard.ts) stands in front, so only loopback Host names and the
 * page's own origin are answered (a DNS-rebinding page or a cross-origin form gets 403 before anything is signed).
 * Only the API's methods are forwarded, bodies up to the API's own limit.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Asset, consoleAssets } from '../console/assets';
import { browserGuardPolicy, guardServer } from '../local/endpoint/browser-guard';
import type { BerthClient } from './client';

const MAX_BODY_BYTES = 64 * 1024;
const FORWARDED_METHODS = new Set(['GET', 'POST', 'DELETE']);
const FORWARDED_REQUEST_HEADERS = ['content-type', 'accept', 'idempotency-key'];
const FORWARDED_RESPONSE_HEADERS = ['content-type', 'location', 'retry-after'];
const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

export interface ConsoleServer {
  url: string;
  close: () => Promise<void>;
}

export async function startConsoleServer(client: BerthClient, port = 0): Promise<ConsoleServer> {
  const assets = await consoleAssets();
  const server = http.createServer((req, res) => {
    handle(client, assets, req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        problem(res, 502, 'Bad gateway', `The console could not reach the API: ${(err as Error).message}`);
      } else res.destroy();
    });
  });
  guardServer(server, browserGuardPolicy({}, '127.0.0.1'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/console`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(
  client: BerthClient,
  assets: Map<string, Asset>,
  req: http.IncomingMessage,
  res: http.ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === '/' && req.method === 'GET') {
    res.writeHead(302, { location: '/console' }).end();
    return;
  }
  const page = url.pathname === '/console' ? 'index.html' : /^\/console\/([^/]+)$/.exec(url.pathname)?.[1];
  if (page !== undefined) {
    const asset = assets.get(page);
    if (asset === undefined || req.method !== 'GET')
      return problem(res, 404, 'Not found', `No console file ${url.pathname}.`);
    res
      .writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache', ...SECURITY_HEADERS })
      .end(asset.body);
    return;
  }
  const method = req.method ?? 'GET';
  if (!FORWARDED_METHODS.has(method)) return problem(res, 405, 'Method not allowed', `${method} is not an API method.`);
  const body = await readBody(req);
  if (body === undefined) return problem(res, 413, 'Payload too large', `The body is over ${MAX_BODY_BYTES} bytes.`);

  const target = client.url(url.pathname);
  target.search = url.search;
  const headers: Record<string, string> = {};
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const text = body.byteLength > 0 ? body.toString('utf8') : undefined;
  const { host: _host, ...signed } = await client.sign(method, target, headers, text);
  const answer = await fetch(target, { method, headers: signed, ...(text !== undefined && { body: text }) });
  const out: Record<string, string> = {};
  for (const name of FORWARDED_RESPONSE_HEADERS) {
    const value = answer.headers.get(name);
    if (value !== null) out[name] = value;
  }
  res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.once('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function problem(res: http.ServerResponse, status: number, title: string, detail: string): void {
  res
    .writeHead(status, { 'content-type': 'application/problem+json' })
    .end(JSON.stringify({ type: 'about:blank', title, status, detail }));
}
