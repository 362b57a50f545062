/**
 * What keeps a web page from driving the local stack. Every local server (the AWS endpoint on :4566, and
 * serverless-offline's API on :3000 and Lambda invoke port on :3002, through local/offline-fix/browser-guard.mjs)
 * answers a request only when it passes `refusal()`:
 *
 * - Host must be a loopback name or address (`localhost`, `*.localhost`, 127.0.0.0/8, `[::1]`), the address the
 *   server is bound to, or one the user lists in BERTH_ALLOWED_HOSTS. A DNS rebinding page reaches 127.0.0.1
 *   under its own name (`Host: evil.example:3000`) and is refused; this is the check webpack-dev-server
 *   (`allowedHosts`) and Vite (`server.allowedHosts`, after CVE-2025-24010) added for the same attack.
 * - Origin, which a browser sends on every cross-origin request and on every POST, must be the server's own
 *   (`http://<its loopback Host>`, a page it served itself) or one the user lists in BERTH_CORS_ORIGINS (none by
 *   default). Any other Origin, `null` included, is refused with 403 before the request reaches a handler: a
 *   "simple" cross-origin POST (text/plain, no preflight) does nothing, and a refused preflight gets no
 *   `Access-Control-Allow-*` header at all. LocalStack refuses requests "from forbidden origin" the same way,
 *   with EXTRA_CORS_ALLOWED_ORIGINS to widen it.
 * - Sec-Fetch-Site `cross-site` or `same-site` without an allowed Origin is refused unless it is a top-level
 *   navigation (Sec-Fetch-Mode `navigate`, whose answer the page that started it cannot read): a
 *   `<script src>` or `<img src>` pointed at a GET route gets nothing.
 * The AWS endpoint also requires the AWS JSON protocol's own headers (X-Amz-Target and an
 * `application/x-amz-json-1.x` body), which a browser cannot send cross-origin without a preflight; the Lambda
 * port requires a SigV4 Authorization header, which the SDK always sends and a page cannot without a preflight.
 */
import type http from 'node:http';
import { isIP } from 'node:net';
import { listFromEnv } from '../../lib/env';

export interface BrowserGuardPolicy {
  /** Origins allowed to call the server from a browser, exactly as the browser sends them (`http://host:port`). */
  allowedOrigins: readonly string[];
  /** Host names (without port) accepted besides the loopback ones and the bound address. */
  allowedHosts: readonly string[];
  /** The address the server listens on; accepted as a Host when it is not a wildcard. */
  boundHost?: string;
}

export interface Refusal {
  status: 403;
  message: string;
}

/** The policy the local stack's servers share, from BERTH_CORS_ORIGINS and BERTH_ALLOWED_HOSTS (comma lists). */
export function browserGuardPolicy(env: NodeJS.ProcessEnv = process.env, boundHost?: string): BrowserGuardPolicy {
  return {
    allowedOrigins: listFromEnv(env, 'BERTH_CORS_ORIGINS').map((origin) => origin.replace(/\/+$/, '')),
    allowedHosts: listFromEnv(env, 'BERTH_ALLOWED_HOSTS').map((host) => host.toLowerCase()),
    ...(boundHost === undefined ? {} : { boundHost }),
  };
}

/** `example.com:3000` -> `example.com`; `[::1]:3000` -> `::1`; undefined when the header is not a host. */
export function hostnameOf(hostHeader: string): string | undefined {
  const bracketed = /^\[([0-9a-fA-F:.]+)\](?::\d{1,5})?$/.exec(hostHeader);
  if (bracketed) return bracketed[1]!.toLowerCase();
  const plain = /^([A-Za-z0-9.-]+)(?::\d{1,5})?$/.exec(hostHeader);
  return plain ? plain[1]!.toLowerCase().replace(/\.$/, '') : undefined;
}

function isLoopback(hostname: string): boolean {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return true;
  if (isIP(hostname) === 4) return hostname.startsWith('127.');
  if (isIP(hostname) === 6) return hostname === '::1' || hostname === '0:0:0:0:0:0:0:1';
  return false;
}

const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

function hostAllowed(hostname: string, policy: BrowserGuardPolicy): boolean {
  if (isLoopback(hostname) || policy.allowedHosts.includes(hostname)) return true;
  const bound = policy.boundHost?.toLowerCase().replace(/^\[|\]$/g, '');
  return bound !== undefined && !WILDCARD_ADDRESSES.has(bound) && bound === hostname;
}

function header(req: Pick<http.IncomingMessage, 'headers'>, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Why the request is refused, or undefined when it may be served. */
export function refusal(req: Pick<http.IncomingMessage, 'headers'>, policy: BrowserGuardPolicy): Refusal | undefined {
  const host = header(req, 'host');
  const hostname = host === undefined ? undefined : hostnameOf(host);
  if (hostname === undefined || !hostAllowed(hostname, policy)) {
    return {
      status: 403,
      message: `Host ${JSON.stringify(host ?? '')} is not a loopback name or address: Berth's local stack answers only requests sent to localhost, 127.0.0.1 or [::1] (set BERTH_ALLOWED_HOSTS to add a name).`,
    };
  }
  const origin = header(req, 'origin');
  if (origin !== undefined) {
    const own = `http://${host}`.toLowerCase();
    if (origin.toLowerCase() === own || policy.allowedOrigins.includes(origin)) return undefined;
    return {
      status: 403,
      message: `Requests from the web origin ${JSON.stringify(origin)} are refused: Berth's local stack takes browser requests only from origins listed in BERTH_CORS_ORIGINS (none by default).`,
    };
  }
  const site = header(req, 'sec-fetch-site');
  if ((site === 'cross-site' || site === 'same-site') && header(req, 'sec-fetch-mode') !== 'navigate') {
    return {
      status: 403,
      message: `A ${site} ${header(req, 'sec-fetch-dest') ?? 'request'} from a web page is refused: Berth's local stack takes browser requests only from origins listed in BERTH_CORS_ORIGINS.`,
    };
  }
  return undefined;
}

export type RefusalWriter = (res: http.ServerResponse, refused: Refusal) => void;

/** A 403 in problem+json, as the Berth API answers its own refusals. */
export const problemRefusal: RefusalWriter = (res, refused) => {
  const body = JSON.stringify({
    type: 'urn:berth:problem:forbidden-origin',
    title: 'Forbidden',
    status: refused.status,
    detail: refused.message,
  });
  res.writeHead(refused.status, {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    // The refusal must not be reused for another Host or Origin by a cache between the browser and the server.
    vary: 'Host, Origin',
  });
  res.end(body);
};

/**
 * Puts the guard in front of the 'request' and 'checkContinue' listeners `server` has now (a framework's
 * dispatcher): a refused request is answered by `write` and never reaches them. `extra` adds a check of the
 * server's own.
 */
export function guardServer(
  server: http.Server,
  policy: BrowserGuardPolicy,
  write: RefusalWriter = problemRefusal,
  extra?: (req: http.IncomingMessage) => Refusal | undefined,
): void {
  for (const event of ['request', 'checkContinue'] as const) {
    const listeners = server.listeners(event) as Array<(req: http.IncomingMessage, res: http.ServerResponse) => void>;
    if (listeners.length === 0) continue;
    server.removeAllListeners(event);
    server.on(event, (req: http.IncomingMessage, res: http.ServerResponse) => {
      const refused = refusal(req, policy) ?? extra?.(req);
      if (refused !== undefined) {
        req.resume();
        write(res, refused);
        return;
      }
      for (const listener of listeners) listener.call(server, req, res);
    });
  }
}
