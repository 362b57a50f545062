/**
 * esbuild plugins for the Lambda bundles (serverless.yml custom.esbuild.plugins, and
 * bench/cold-start, which bundles as serverless does).
 *
 * openApiAtBuildTime: lib/openapi/served.ts generates the OpenAPI document from the zod schemas
 * when it loads. In a bundle it is replaced by the document itself, generated here at build time,
 * so the getOpenApi Lambda ships a JSON literal instead of zod and every schema of the API.
 */
const Module = require('node:module');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SERVED = path.join(ROOT, 'lib', 'openapi', 'served.ts');
const GENERATOR = path.join(ROOT, 'lib', 'openapi', 'document.ts');
const DEPLOYED_QUEUES = path.join(ROOT, 'lib', 'queues', 'deployed.ts');

/** Bundles the generator to CommonJS in memory and runs it in this process. */
async function generateOpenApiDocument(esbuild) {
  const out = await esbuild.build({
    entryPoints: [GENERATOR],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const file = out.outputFiles[0];
  if (file === undefined) throw new Error('esbuild produced no output for the OpenAPI generator');
  const generator = new Module(GENERATOR);
  generator.filename = GENERATOR;
  generator.paths = Module._nodeModulePaths(path.dirname(GENERATOR));
  generator._compile(file.text, GENERATOR);
  return {
    document: generator.exports.buildOpenApiDocument(),
    inputs: Object.keys(out.metafile.inputs).map((input) => path.resolve(ROOT, input)),
  };
}

const openApiAtBuildTime = {
  name: 'berth-openapi-at-build-time',
  setup(build) {
    const esbuild = build.esbuild ?? require('esbuild');
    const filter = new RegExp(`^${SERVED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    build.onLoad({ filter }, async () => {
      const { document, inputs } = await generateOpenApiDocument(esbuild);
      return {
        contents: `export const openApiDocument = ${JSON.stringify(document)};\n`,
        loader: 'js',
        watchFiles: inputs.filter((input) => !input.includes(`${path.sep}node_modules${path.sep}`)),
      };
    });
  },
};

/** The queue file (BERTH_QUEUES_FILE, else queues.yml), as deploy/queues.js validates it for the template. */
function queueFile() {
  return path.resolve(ROOT, process.env.BERTH_QUEUES_FILE || 'queues.yml');
}

/**
 * queuesAtBuildTime: lib/queues/deployed.ts reads and validates the queue file when it loads. In a bundle it is
 * replaced by the validated queues themselves, so a function knows the queues the template was packaged with
 * and ships neither the YAML parser nor the file.
 */
const queuesAtBuildTime = {
  name: 'berth-queues-at-build-time',
  setup(build) {
    const filter = new RegExp(`^${DEPLOYED_QUEUES.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    build.onLoad({ filter }, async () => {
      const { loadQueueDefinitions } = require('./queues');
      return {
        contents: `export const deployedQueues = ${JSON.stringify(loadQueueDefinitions())};\n`,
        loader: 'js',
        watchFiles: [queueFile()],
      };
    });
  },
};

// Which file is read (BERTH_QUEUES_FILE): the bundle cache (local/offline-fix/bundle-cache.mjs) keys on it, as it
// keys on the file's content through watchFiles. Not enumerable: esbuild refuses a plugin with members it does not know.
Object.defineProperty(queuesAtBuildTime, 'cacheKey', { value: () => queueFile(), enumerable: false });

module.exports = [openApiAtBuildTime, queuesAtBuildTime];
module.exports.queuesAtBuildTime = queuesAtBuildTime;
module.exports.openApiAtBuildTime = openApiAtBuildTime;
module.exports.generateOpenApiDocument = generateOpenApiDocument;
