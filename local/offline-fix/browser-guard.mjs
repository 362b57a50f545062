// `node --import ./local/offline-fix/browser-guard.mjs serverless.js offline start`, as `npm start` runs it.
// Puts local/endpoint/browser-guard.ts in front of serverless-offline's servers (the API and the Lambda invoke
// port), so no web page can drive them: see that module for the rules. serverless-offline builds both servers
// with `new Server(options)` from @hapi/hapi; this wraps that factory before serverless-offline loads, and
// guards each server's Node listener as soon as Hapi has made it. The Lambda port also requires a SigV4
// Authorization header: its only callers are AWS SDK clients (the local Step Functions engine, the triggers).
// The worker threads that run the handlers create no servers and skip this.
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  // tsx's CommonJS API (an in-thread require hook for these files only: its ESM API would add a loader thread that
  // every later import of serverless-offline goes through), registered once for the process (./tsx-require.mjs).
  const { tsxRequire } = await import('./tsx-require.mjs');
  const { browserGuardPolicy, guardServer } = tsxRequire('../endpoint/browser-guard.ts', import.meta.url);
  const require = createRequire(import.meta.url);
  const hapi = createRequire(require.resolve('serverless-offline'))('@hapi/hapi');
  const createServer = hapi.Server;
  const lambdaPort = String(process.env.BERTH_LAMBDA_PORT ?? '3002');
  const needsSignature = (req) =>
    /^AWS4-HMAC-SHA256 /.test(req.headers.authorization ?? '')
      ? undefined
      : {
          status: 403,
          message:
            "serverless-offline's Lambda port takes only AWS SDK invocations, signed with SigV4 (an Authorization header).",
        };
  function GuardedServer(options) {
    const server = createServer(options);
    const isLambdaPort = String(options?.port) === lambdaPort;
    guardServer(
      server.listener,
      browserGuardPolicy(process.env, options?.host),
      undefined,
      isLambdaPort ? needsSignature : undefined,
    );
    return server;
  }
  hapi.Server = GuardedServer;
  hapi.server = GuardedServer;
}
