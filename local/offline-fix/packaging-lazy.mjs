// `node --import ./local/offline-fix/packaging-lazy.mjs serverless.js offline start`, as `npm start` runs it.
//
// serverless-esbuild's dist/utils.js requires, when the Framework loads the plugin, what it zips and spawns with
// when packaging: @effect/platform-node and bestzip, a few hundred modules, about a third of a second of every start
// on two cores (more under load). `serverless offline start` never packages. Here the two are loaded on first use
// instead (import-lazy: a proxy that requires the module at its first property access), so `npx serverless
// package` run through this preload would still zip; `npm start` just never pays for them. Both are only reached
// through properties (`platform_node_1.NodeFileSystem`, `bestzip_1.bestzip`), never through __importDefault, whose
// `__esModule` probe would load them at once. A module something already loaded is left alone. The workers skip
// this.
import { createRequire, Module } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import importLazy from 'import-lazy';

/** The modules, as serverless-esbuild's dist/utils.js names them. */
const PACKAGING_ONLY = ['@effect/platform-node', 'bestzip'];

if (isMainThread) {
  const require = createRequire(import.meta.url);
  const fromUtils = createRequire(path.join(path.dirname(require.resolve('serverless-esbuild')), 'utils.js'));
  for (const name of PACKAGING_ONLY) {
    const file = fromUtils.resolve(name);
    if (require.cache[file] !== undefined) continue;
    const entry = new Module(file);
    entry.filename = file;
    entry.loaded = true;
    // On first use the real module replaces this entry, so later requires get it directly.
    entry.exports = importLazy(() => {
      if (require.cache[file] === entry) delete require.cache[file];
      return fromUtils(file);
    })(name);
    require.cache[file] = entry;
  }
}
