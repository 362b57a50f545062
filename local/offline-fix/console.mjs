// `node --import ./local/offline-fix/console.mjs serverless.js offline start`, as `npm start` runs it.
// Serves the console (console/) at /console on serverless-offline's API server, so the page and the API share one
// origin: the browser guard (./browser-guard.mjs, imported before this) lets a page the server served itself call
// it, and refuses every other origin as before. The page is built from the source when serverless-offline starts
// (esbuild, in memory: about 50 ms), so `npm start` always serves the current console. On AWS nothing changes: the
// console of a deployed stage is `npx berth console`, which serves the same files and signs the API calls.
// A route added here, not a function in serverless.yml, so the stage's API Gateway gets no static files.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';

if (isMainThread) {
  // tsx's CommonJS API, as ./browser-guard.mjs loads its module (./tsx-require.mjs).
  const { tsxRequire } = await import('./tsx-require.mjs');
  const { buildConsole } = tsxRequire('../../console/assets.ts', import.meta.url);
  const assets = await buildConsole(fileURLToPath(new URL('../../console/', import.meta.url)));
  const require = createRequire(import.meta.url);
  const hapi = createRequire(require.resolve('serverless-offline'))('@hapi/hapi');
  const createServer = hapi.Server;
  const apiPort = String(process.env.BERTH_API_PORT ?? '3000');
  function ServerWithConsole(options) {
    const server = createServer(options);
    if (String(options?.port) !== apiPort) return server;
    const serve = (name) => (_request, h) => {
      const asset = assets.get(name);
      if (asset === undefined) return h.response('Not found').code(404);
      return h
        .response(asset.body)
        .type(asset.type)
        .header('Cache-Control', 'no-cache')
        .header('X-Content-Type-Options', 'nosniff')
        .header(
          'Content-Security-Policy',
          "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
        );
    };
    server.route({ method: 'GET', path: '/console', handler: serve('index.html') });
    server.route({
      method: 'GET',
      path: '/console/{file}',
      handler: (request, h) => serve(request.params.file)(request, h),
    });
    return server;
  }
  hapi.Server = ServerWithConsole;
  hapi.server = ServerWithConsole;
}
