// `node --import ./local/offline-fix/bundle-cache.mjs serverless.js offline start`, as `npm start` runs it.
//
// serverless-esbuild bundles every function at each start (18 esbuild builds, minified with source maps: 5 to 9 s
// of a 10 to 15 s start on two cores), although between two starts the sources rarely change. This preload keeps
// each bundle in BERTH_BUNDLE_CACHE_DIR and serves it again while everything it was built from is unchanged:
// - the key: esbuild's version, the build options (all of them but the output directory, which holds the
//   launcher's pid; the depth from it to the project, which the source maps' paths depend on, is in), each
//   plugin by name, the source of the module that exports it and its `cacheKey()` if it has one (what it reads
//   besides files, such as which file an environment variable names), and tsconfig.json and package-lock.json
//   (resolution and dependency changes esbuild's metafile does not list). One entry per entry point: a build
//   under a new key replaces it, so the cache holds one set of bundles, however often the lockfile changes;
// - the inputs: the content hash of each input esbuild's metafile lists, and of each file a plugin asked to be
//   watched (`watchFiles`; deploy/esbuild-plugins.js names the sources of the OpenAPI document it generates).
//   A file missing then and present now (or the reverse) is a change too.
// A miss, or any error reading the cache, is a real build, which then replaces the entry. Entries are written
// to a temporary directory and renamed, so stacks starting together from one checkout never read half an entry.
// Not seen: a new file that would change how an import resolves without changing any input (a new `x.ts` beside
// an imported `x/index.ts`); BERTH_BUNDLE_CACHE=off builds everything, as does removing the directory.
//
// How: serverless-esbuild calls `esbuild.context(options)` then `context.rebuild()` per function (and rebuild
// again when its watcher sees a change). esbuild's module exports cannot be reassigned, so the module's cache
// entry gets an object with esbuild's exports and these `context` and `build`; only builds that write one entry
// point under BERTH_BUILD_DIR are cached. The real context is made on the first miss, so a watched change still
// rebuilds incrementally.
import { createHash, randomUUID } from 'node:crypto';
import {
  constants,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** A file's content hash, or null when it cannot be read; remembered while its size and mtime stay the same. */
function fileHasher() {
  const known = new Map();
  return (file) => {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      return null;
    }
    if (!stat.isFile()) return null;
    const seen = known.get(file);
    if (seen !== undefined && seen.mtimeMs === stat.mtimeMs && seen.size === stat.size) return seen.hash;
    let hash;
    try {
      hash = sha256(readFileSync(file));
    } catch {
      return null;
    }
    known.set(file, { mtimeMs: stat.mtimeMs, size: stat.size, hash });
    return hash;
  };
}

/**
 * The source of the loaded module that exports `plugin` (alone, in an array or as a member), else its setup's.
 * Modules that export it alone or in an array are looked for first: looking at every module's members reads
 * getters (lazily loaded exports), which across the thousands of modules the Framework loads took most of a second.
 */
function pluginSource(plugin, requireCache) {
  const modules = Object.values(requireCache);
  const exporting =
    modules.find(
      (module) => module?.exports === plugin || (Array.isArray(module?.exports) && module.exports.includes(plugin)),
    ) ??
    modules.find(
      (module) =>
        typeof module?.exports === 'object' &&
        module.exports !== null &&
        Object.values(module.exports).includes(plugin),
    );
  if (exporting !== undefined) {
    try {
      return sha256(readFileSync(exporting.filename));
    } catch {
      // unreadable: its setup's source below
    }
  }
  return sha256(String(plugin.setup));
}

/** Plugins whose onLoad and onResolve results' `watchFiles` are added to `watched` (the build's other inputs). */
function watchingPlugins(plugins, watched) {
  const record = (result) => {
    for (const file of result?.watchFiles ?? []) watched.add(file);
    return result;
  };
  return plugins.map((plugin) => ({
    ...plugin,
    setup(build) {
      const seen = Object.create(build);
      seen.onLoad = (options, callback) => build.onLoad(options, async (args) => record(await callback(args)));
      seen.onResolve = (options, callback) => build.onResolve(options, async (args) => record(await callback(args)));
      return plugin.setup(seen);
    },
  }));
}

const inside = (dir, file) => {
  const relative = path.relative(dir, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
};

/**
 * esbuild's exports with `build` and `context` serving cached bundles (see above). `applies(options)` says which
 * builds are cached (they must also write one entry point to an outdir); `requireCache` is where the plugins'
 * modules are looked up. Exported for the unit test.
 */
export function cachedEsbuild(esbuild, { cacheDir, applies, requireCache = {}, log = () => {} }) {
  const hashFile = fileHasher();
  // Each function's build passes the same plugin objects: their source is looked up once.
  const pluginSources = new WeakMap();
  const sourceOf = (plugin) => {
    if (!pluginSources.has(plugin)) pluginSources.set(plugin, pluginSource(plugin, requireCache));
    return pluginSources.get(plugin);
  };

  const cacheable = (options) =>
    applies(options) &&
    options.write !== false &&
    typeof options.outdir === 'string' &&
    options.outfile === undefined &&
    Array.isArray(options.entryPoints) &&
    options.entryPoints.length === 1 &&
    typeof options.entryPoints[0] === 'string';

  /** One entry per entry point (and output depth): a new key (options, lockfile...) replaces it, so the cache stays bounded. */
  function entryDirOf(options) {
    const workingDir = options.absWorkingDir ?? process.cwd();
    const toProject = path.relative(path.resolve(workingDir, options.outdir), workingDir);
    return path.join(cacheDir, sha256(JSON.stringify([options.entryPoints[0], toProject])));
  }

  function keyOf(options) {
    const { plugins = [], outdir, ...rest } = options;
    const workingDir = options.absWorkingDir ?? process.cwd();
    return sha256(
      JSON.stringify({
        esbuild: esbuild.version,
        options: rest,
        toProject: path.relative(path.resolve(workingDir, outdir), workingDir),
        // A plugin whose output depends on more than files (an environment variable naming one) says so by its
        // `cacheKey()` (deploy/esbuild-plugins.js queuesAtBuildTime: the queue file it reads).
        plugins: plugins.map((plugin) => [plugin.name, sourceOf(plugin), plugin.cacheKey?.() ?? null]),
        tsconfig: hashFile(path.join(workingDir, 'tsconfig.json')),
        lockfile: hashFile(path.join(workingDir, 'package-lock.json')),
      }),
    );
  }

  /** The cached result for `options` with its files written to the outdir, or undefined. */
  function fromCache(options) {
    try {
      const entryDir = entryDirOf(options);
      const manifest = JSON.parse(readFileSync(path.join(entryDir, 'manifest.json'), 'utf8'));
      if (manifest.key !== keyOf(options)) return undefined;
      for (const [file, hash] of Object.entries(manifest.inputs)) if (hashFile(file) !== hash) return undefined;
      const workingDir = options.absWorkingDir ?? process.cwd();
      const outdir = path.resolve(workingDir, options.outdir);
      const filesDir = path.join(entryDir, manifest.digest);
      // Copies, not links: a watched change makes esbuild write over these files in place.
      for (const output of manifest.outputs) {
        mkdirSync(path.dirname(path.join(outdir, output)), { recursive: true });
        copyFileSync(path.join(filesDir, output), path.join(outdir, output), constants.COPYFILE_FICLONE);
      }
      if (manifest.warnings.length > 0 && !['silent', 'error'].includes(options.logLevel)) {
        for (const text of esbuild.formatMessagesSync(manifest.warnings, { kind: 'warning' }))
          process.stderr.write(text);
      }
      let metafile;
      if (options.metafile) {
        const stored = JSON.parse(readFileSync(path.join(filesDir, 'metafile.json'), 'utf8'));
        metafile = {
          inputs: stored.inputs,
          outputs: Object.fromEntries(
            Object.entries(stored.outputs).map(([output, meta]) => [
              path.relative(workingDir, path.join(outdir, output)),
              meta,
            ]),
          ),
        };
      }
      return { errors: [], warnings: manifest.warnings, outputFiles: undefined, metafile, mangleCache: undefined };
    } catch {
      return undefined;
    }
  }

  /** Keeps the files a successful build wrote, with what they were built from. Failing to is only logged. */
  function toCache(options, result, watched) {
    const workingDir = options.absWorkingDir ?? process.cwd();
    const outdir = path.resolve(workingDir, options.outdir);
    const entryDir = entryDirOf(options);
    const key = keyOf(options);
    const outputs = Object.keys(result.metafile.outputs).map((output) => path.resolve(workingDir, output));
    if (!outputs.every((output) => inside(outdir, output))) return;
    const inputs = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      const file = path.resolve(workingDir, input);
      inputs[file] = hashFile(file);
    }
    for (const file of watched) inputs[file] = hashFile(file);
    const digest = sha256(JSON.stringify([key, inputs]));
    const temporary = path.join(entryDir, `.tmp-${process.pid}-${randomUUID()}`);
    try {
      const relative = outputs.map((output) => path.relative(outdir, output));
      for (const output of relative) {
        mkdirSync(path.dirname(path.join(temporary, output)), { recursive: true });
        copyFileSync(path.join(outdir, output), path.join(temporary, output), constants.COPYFILE_FICLONE);
      }
      const metaOutputs = Object.fromEntries(
        Object.entries(result.metafile.outputs).map(([output, meta]) => [
          path.relative(outdir, path.resolve(workingDir, output)),
          meta,
        ]),
      );
      writeFileSync(
        path.join(temporary, 'metafile.json'),
        JSON.stringify({ inputs: result.metafile.inputs, outputs: metaOutputs }),
      );
      try {
        renameSync(temporary, path.join(entryDir, digest));
      } catch {
        // Another stack stored the same files first.
        rmSync(temporary, { recursive: true, force: true });
      }
      const manifestTemporary = path.join(entryDir, `.manifest-${process.pid}-${randomUUID()}`);
      writeFileSync(
        manifestTemporary,
        JSON.stringify({ key, digest, inputs, outputs: relative, warnings: result.warnings ?? [] }),
      );
      renameSync(manifestTemporary, path.join(entryDir, 'manifest.json'));
      for (const entry of readdirSync(entryDir)) {
        if (entry !== digest && entry !== 'manifest.json' && !entry.startsWith('.')) {
          rmSync(path.join(entryDir, entry), { recursive: true, force: true });
        }
      }
    } catch (err) {
      rmSync(temporary, { recursive: true, force: true });
      log(`bundle cache: could not keep ${options.entryPoints[0]}: ${err?.message ?? err}`);
    }
  }

  /** The options of a real build: a metafile (for the inputs) and plugins that report their watched files. */
  function recording(options, watched) {
    return { ...options, metafile: true, plugins: watchingPlugins(options.plugins ?? [], watched) };
  }

  /** A result as the caller asked for it: no metafile unless asked. */
  const asAsked = (options, result) => (options.metafile ? result : { ...result, metafile: undefined });

  return {
    ...esbuild,
    async build(options) {
      if (!cacheable(options)) return esbuild.build(options);
      const hit = fromCache(options);
      if (hit !== undefined) return hit;
      const watched = new Set();
      const result = await esbuild.build(recording(options, watched));
      toCache(options, result, watched);
      return asAsked(options, result);
    },
    async context(options) {
      if (!cacheable(options)) return esbuild.context(options);
      const watched = new Set();
      let real;
      const realContext = async () => {
        real ??= await esbuild.context(recording(options, watched));
        return real;
      };
      return {
        async rebuild() {
          const hit = fromCache(options);
          if (hit !== undefined) return hit;
          const context = await realContext();
          watched.clear();
          const result = await context.rebuild();
          toCache(options, result, watched);
          return asAsked(options, result);
        },
        watch: async (watchOptions) => (await realContext()).watch(watchOptions),
        serve: async (serveOptions) => (await realContext()).serve(serveOptions),
        cancel: async () => real?.cancel(),
        dispose: async () => real?.dispose(),
      };
    },
  };
}

const buildDir = process.env.BERTH_BUILD_DIR;
const cacheDir = process.env.BERTH_BUNDLE_CACHE_DIR;
if (isMainThread && buildDir && cacheDir && process.env.BERTH_BUNDLE_CACHE !== 'off') {
  const require = createRequire(import.meta.url);
  // The esbuild serverless-esbuild loads: its cached exports are what its `require('esbuild')` returns.
  const esbuildPath = createRequire(require.resolve('serverless-esbuild')).resolve('esbuild');
  const esbuild = require(esbuildPath);
  const buildRoot = path.resolve(buildDir);
  require.cache[esbuildPath].exports = cachedEsbuild(esbuild, {
    cacheDir: path.resolve(cacheDir),
    applies: (options) => typeof options.outdir === 'string' && inside(buildRoot, path.resolve(options.outdir)),
    requireCache: require.cache,
    log: (message) => process.stderr.write(`[berth] ${message}\n`),
  });
}
