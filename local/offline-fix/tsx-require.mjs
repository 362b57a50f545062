// `node --import ./local/offline-fix/tsx-require.mjs serverless.js offline start`, as `npm start` runs it, before
// the preloads and configuration files that load TypeScript (./browser-guard.mjs, ./console.mjs, deploy/*.js).
//
// tsx's CommonJS API (`require('tsx/cjs/api').require(id, from)`) registers its hook under a namespace made of
// Date.now(), and the namespace is part of each file's transform cache key: every start missed tsx's disk cache
// and ran esbuild again over every TypeScript file those load (lib/queues, lib/triggers, the browser guard...).
// Here one hook is registered, under a fixed namespace, and the API's `require` (what deploy/*.js call) uses it;
// the preloads import `tsxRequire` from this module. The transforms are then served from tsx's cache while the
// files are unchanged, as for the launcher's `node --import tsx`.
//
// Registering also turns on Node's source maps for the whole process (tsx does so for its stack traces), and
// then every CommonJS module loaded afterwards with a sourceMappingURL comment has its map read and parsed, the
// Framework's plugins among them (serverless-esbuild's `effect`: hundreds of modules). They are turned off again:
// a stack trace through these few TypeScript files in this process points into tsx's output instead (esbuild
// keeps the lines). The handlers' workers are not concerned: they take --enable-source-maps from NODE_OPTIONS
// (serverless.yml). The workers load no TypeScript through tsx and skip this.
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';

const require = createRequire(import.meta.url);

let registered;
/** `require(id)` from `from` (a file path or URL) with tsx's hook, registered once under a fixed namespace. */
export function tsxRequire(id, from) {
  if (registered === undefined) {
    const sourceMaps = process.sourceMapsEnabled;
    registered = require('tsx/cjs/api').register({ namespace: 'berth-offline' });
    if (!sourceMaps) process.setSourceMapsEnabled(false);
  }
  return registered.require(id, from);
}

if (isMainThread) {
  // The CommonJS API's exports are what `require('tsx/cjs/api')` gives deploy/*.js.
  require('tsx/cjs/api').require = tsxRequire;
}
