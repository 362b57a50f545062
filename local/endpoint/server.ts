/**
 * Berth's local AWS endpoint: one HTTP server speaking the AWS JSON protocols, so unmodified SDKs and the
 * AWS CLI work against it (`--endpoint-url`, or AWS_ENDPOINT_URL).
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html
 * A request is `POST /` with `X-Amz-Target: <prefix>.<Operation>`; the prefix picks the service (see
 * services.ts), the operation one of its functions. Deliberate deviations from AWS:
 * - SigV4 signatures are accepted without being checked, and any credentials will do.
 * - An operation a service does not implement answers UnknownOperationException (400) naming it, so a
 *   missing feature fails loudly instead of answering `{}`.
 * - No web page can drive it (./browser-guard.ts): a Host that is not loopback, or an Origin the user did not
 *   allow (BERTH_CORS_ORIGINS), is refused with AccessDeniedException (403) before anything runs; a request
 *   without the protocol's Content-Type (`application/x-amz-json-1.0` or `1.1`) is refused with 415. Both the
 *   content type and X-Amz-Target need a CORS preflight from a browser, and a preflight from an origin that is
 *   not allowed gets no Access-Control-Allow-* header. An allowed origin gets the CORS headers the SDK needs.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsEventChannel } from '../events/aws-events';
import { type BrowserGuardPolicy, browserGuardPolicy, type Refusal, refusal } from './browser-guard';
import {
  AwsError,
  MethodNotAllowedException,
  RequestEntityTooLargeException,
  SerializationException,
  UnknownOperationException,
  UnsupportedMediaTypeException,
} from './errors';
import { parseJsonObject } from './members';
import type { AwsJsonService, JsonObject, ServiceFactory } from './service';
import { DEFAULT_SERVICES } from './services';

export interface AwsEndpointOptions {
  host: string;
  /** 0 picks a free port; `url` says which. */
  port: number;
  region: string;
  accountId: string;
  /** Where services keep their state, one journal each (see local/store.ts). */
  stateDir: string;
  /** Defaults to every service Berth emulates. */
  services?: readonly ServiceFactory[];
  /** Which browser requests it takes; defaults to BERTH_CORS_ORIGINS and BERTH_ALLOWED_HOSTS (./browser-guard.ts). */
  browserGuard?: BrowserGuardPolicy;
}

export interface AwsEndpoint {
  /** `http://host:port`, for `endpoint`, `--endpoint-url` or AWS_ENDPOINT_URL. */
  url: string;
  close(): Promise<void>;
}

/** The media types of the AWS JSON protocols (awsJson1_0, awsJson1_1), which no browser sends without a preflight. */
const AWS_JSON_MEDIA_TYPE = /^application\/x-amz-json-1\.[01]$/;

/** Far above any request the emulated APIs accept; only there to bound memory. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Reply {
  status: number;
  body: string;
  contentType: string;
  errorType?: string;
  headers?: Record<string, string>;
}

function serviceReply(service: AwsJsonService | undefined, status: number, body: string, errorType?: string): Reply {
  return {
    status,
    body,
    contentType: contentTypeOf(service),
    ...(errorType === undefined ? {} : { errorType }),
    ...(service?.replyHeaders === undefined ? {} : { headers: service.replyHeaders(body) }),
  };
}

function errorReply(error: AwsError, service?: AwsJsonService): Reply {
  return serviceReply(service, error.statusCode, JSON.stringify(error.wireBody()), error.code);
}

function contentTypeOf(service: AwsJsonService | undefined): string {
  return `application/x-amz-json-${service?.jsonVersion ?? '1.1'}`;
}

function parseInput(body: string): JsonObject {
  if (body.trim() === '') return {};
  const input = parseJsonObject(body);
  if (!input.ok) {
    throw new SerializationException(
      input.reason === 'json' ? 'The request body is not valid JSON.' : 'The request body must be a JSON object.',
    );
  }
  return input.value;
}

export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  let listening!: (url: string) => void;
  const endpointUrl = new Promise<string>((resolve) => {
    listening = resolve;
  });
  // One channel per endpoint: its ECS and Step Functions emit events, its EventBridge records and delivers them.
  const awsEvents = new AwsEventChannel();
  const context = {
    region: options.region,
    accountId: options.accountId,
    stateDir: options.stateDir,
    endpointUrl,
    awsEvents,
  };
  const services: AwsJsonService[] = [];
  try {
    for (const factory of options.services ?? DEFAULT_SERVICES) services.push(await factory(context));
    awsEvents.seal();
  } catch (err) {
    await Promise.allSettled(services.map((s) => s.close()));
    throw err;
  }
  const byPrefix = new Map(services.map((s) => [s.targetPrefix, s]));
  const served = services.map((s) => `${s.targetPrefix} (${s.name})`).join(', ');

  async function dispatch(target: string | undefined, body: string, requestId: string): Promise<Reply> {
    if (target === undefined) {
      throw new UnknownOperationException(
        `Missing X-Amz-Target header. Berth's local endpoint speaks the AWS JSON protocols: POST / with X-Amz-Target: <service>.<Operation>, for ${served}.`,
      );
    }
    const dot = target.indexOf('.');
    const prefix = dot < 0 ? target : target.slice(0, dot);
    const operationName = dot < 0 ? '' : target.slice(dot + 1);
    const service = byPrefix.get(prefix);
    if (service === undefined) {
      throw new UnknownOperationException(
        `Berth's local endpoint does not serve X-Amz-Target "${target}": it serves ${served}.`,
      );
    }
    const operation = service.operations.get(operationName);
    if (operation === undefined) {
      return errorReply(
        new UnknownOperationException(
          `Berth's local endpoint does not implement ${service.name} operation ${operationName || '(none)'}.`,
        ),
        service,
      );
    }
    try {
      const output = await operation(parseInput(body), { requestId });
      return serviceReply(service, 200, JSON.stringify(output ?? {}));
    } catch (err) {
      if (err instanceof AwsError) return errorReply(err, service);
      console.error(`[berth] ${service.name} ${operationName} failed (request ${requestId}):`, err);
      return errorReply(
        new AwsError(service.internalErrorCode, "An internal error occurred in Berth's local endpoint.", 500),
        service,
      );
    }
  }

  function send(res: http.ServerResponse, requestId: string, reply: Reply) {
    const headers: http.OutgoingHttpHeaders = {
      'content-type': reply.contentType,
      'content-length': Buffer.byteLength(reply.body),
      'x-amzn-RequestId': requestId,
    };
    if (reply.errorType !== undefined) headers['x-amzn-errortype'] = reply.errorType;
    Object.assign(headers, reply.headers);
    res.writeHead(reply.status, headers);
    res.end(reply.body);
  }

  function fail(res: http.ServerResponse, requestId: string, err: unknown) {
    if (err instanceof AwsError) {
      send(res, requestId, errorReply(err));
      return;
    }
    console.error(`[berth] request ${requestId} failed:`, err);
    send(
      res,
      requestId,
      errorReply(new AwsError('InternalFailure', "An internal error occurred in Berth's local endpoint.", 500)),
    );
  }

  const guard = options.browserGuard ?? browserGuardPolicy(process.env, options.host);

  /** The CORS headers for an origin the user allowed (the browser guard has refused every other Origin). */
  function corsHeaders(req: http.IncomingMessage): http.OutgoingHttpHeaders {
    const origin = req.headers.origin;
    if (origin === undefined) return {};
    return {
      'access-control-allow-origin': origin,
      'access-control-expose-headers': 'x-amzn-RequestId, x-amzn-errortype, x-amz-id-2',
      vary: 'Origin',
    };
  }

  function preflight(req: http.IncomingMessage, res: http.ServerResponse) {
    req.resume();
    res.writeHead(204, {
      ...corsHeaders(req),
      'access-control-allow-methods': 'POST',
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type, x-amz-target',
      'access-control-max-age': '600',
    });
    res.end();
  }

  function refuse(req: http.IncomingMessage, res: http.ServerResponse, requestId: string, refused: Refusal) {
    req.resume();
    send(res, requestId, errorReply(new AwsError('AccessDeniedException', refused.message, refused.status)));
  }

  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    const refused = refusal(req, guard);
    if (refused !== undefined) {
      refuse(req, res, requestId, refused);
      return;
    }
    for (const [name, value] of Object.entries(corsHeaders(req))) res.setHeader(name, value as string);
    if (req.method === 'OPTIONS' && req.headers.origin !== undefined) {
      preflight(req, res);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      fail(
        res,
        requestId,
        new MethodNotAllowedException(`Berth's local endpoint takes POST / with X-Amz-Target, for ${served}.`),
      );
      return;
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!AWS_JSON_MEDIA_TYPE.test(mediaType)) {
      req.resume();
      fail(
        res,
        requestId,
        new UnsupportedMediaTypeException(
          `Content-Type must be application/x-amz-json-1.0 or application/x-amz-json-1.1 (the AWS JSON protocols), not ${mediaType || 'absent'}.`,
        ),
      );
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        fail(res, requestId, new RequestEntityTooLargeException(`The request body is over ${MAX_BODY_BYTES} bytes.`));
        return;
      }
      const body = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      dispatch(Array.isArray(target) ? target[0] : target, body, requestId).then(
        (reply) => send(res, requestId, reply),
        (err) => fail(res, requestId, err),
      );
    });
    req.on('error', () => res.destroy());
  });
  server.keepAliveTimeout = 65_000; // longer than the SDK's idle sockets, so it never reuses one being closed

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await Promise.allSettled(services.map((s) => s.close()));
    throw err;
  }
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  listening(`http://${host}:${port}`);

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await Promise.all(services.map((s) => s.close()));
      })();
      return closing;
    },
  };
}
