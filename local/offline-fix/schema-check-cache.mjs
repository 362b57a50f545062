// `node --import ./local/offline-fix/schema-check-cache.mjs serverless.js offline start`, as `npm start` runs it.
//
// The Framework checks the resolved configuration against its JSON schema (the Framework's, every plugin's, the
// AWS provider's) at each start: object-hash over the whole schema to find the compiled validator osls keeps in
// ~/.serverless/artifacts, then reading, compiling and running that 8 MB module: about half a second of a five
// second start, for a serverless.yml that rarely changes between two starts. This preload remembers the verdict
// "valid" under a key made of the exact resolved configuration, the exact schema and the versions of osls, ajv and
// ajv-formats, in BERTH_SCHEMA_CHECK_CACHE_DIR; a start whose key was judged valid before skips running ajv, and
// every other start is checked by ajv as usual (a changed serverless.yml, a plugin upgrade: a new key):
// - only "valid" is remembered: an invalid configuration fails (configValidationMode: error) or warns at every
//   start, with the Framework's own messages;
// - ajv runs with coerceTypes, so a check may change the configuration (a string where an array is expected
//   becomes an array): a check that changed it is not remembered, so no start skips a coercion;
// - a configuration or schema that is not plain JSON (functions, class instances, cycles) is always checked.
// The Framework's bookkeeping is unchanged: its validateConfig still runs and records the result; only the ajv
// validator it asks for is one that passes, when the verdict is known. BERTH_SCHEMA_CHECK_CACHE=off checks always.
//
// How: osls's config-schema-handler requires ./resolve-ajv-validate (the validator for a schema) when first
// loaded, after the preloads: its cached exports are replaced here first, and ConfigSchemaHandler#validateConfig
// is wrapped to decide, per call, whether the validator is the real one.
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire, Module } from 'node:module';
import path from 'node:path';
import { isMainThread } from 'node:worker_threads';

/** How many valid verdicts are kept: a few configurations (stages, settings from the environment) alternate. */
const KEPT = 16;

class NotJsonError extends Error {}

/** The JSON text of `value`; throws NotJsonError for what JSON would drop or change silently. */
function strictJson(value) {
  return JSON.stringify(value, function check(key, converted) {
    const original = this[key];
    if (['function', 'symbol', 'bigint'].includes(typeof original)) throw new NotJsonError(key);
    if (original === undefined && Array.isArray(this)) throw new NotJsonError(key);
    if (typeof original === 'object' && original !== null && !Array.isArray(original)) {
      const prototype = Object.getPrototypeOf(original);
      if (prototype !== Object.prototype && prototype !== null) throw new NotJsonError(key);
    }
    return converted;
  });
}

/** The strict JSON of `value`, or undefined when it is not plain JSON (or is cyclic). */
function jsonOrUndefined(value) {
  try {
    return strictJson(value);
  } catch (err) {
    if (err instanceof NotJsonError || err instanceof TypeError) return undefined;
    throw err;
  }
}

const isPlainObject = (value) =>
  typeof value === 'object' &&
  value !== null &&
  !Array.isArray(value) &&
  Object.getPrototypeOf(value) === Object.prototype;

/** Keywords of the schema's `custom` that constrain no member it does not name. */
const OPEN_OBJECT_KEYWORDS = new Set(['type', 'properties', 'required', 'description', 'title', '$comment']);

/**
 * `configuration` less the members of `custom` the schema says nothing about ("User is free to add any properties
 * for its own purpose", says osls's schema): any value there passes, so the verdict cannot depend on them. Among
 * them is custom.esbuild.outputWorkFolder, the launcher's bundle directory, which holds its pid: with it in the
 * key no verdict would ever be reused. Members a plugin gave a schema (defineCustomProperties) are kept, and so is
 * all of `custom` when its schema constrains more than named members.
 */
export function judgedConfiguration(schema, configuration) {
  const custom = schema?.properties?.custom;
  if (!isPlainObject(configuration) || !isPlainObject(configuration.custom) || !isPlainObject(custom)) {
    return configuration;
  }
  if (custom.type !== 'object' || Object.keys(custom).some((keyword) => !OPEN_OBJECT_KEYWORDS.has(keyword))) {
    return configuration;
  }
  const named = new Set([...Object.keys(custom.properties ?? {}), ...(custom.required ?? [])]);
  return {
    ...configuration,
    custom: Object.fromEntries(Object.entries(configuration.custom).filter(([name]) => named.has(name))),
  };
}

/** The verdict's key: what the validator is (versions, schema) and what it is asked about, or undefined. */
export function verdictKey(versions, schema, configuration) {
  const parts = [versions, schema, judgedConfiguration(schema, configuration)].map(jsonOrUndefined);
  if (parts.includes(undefined)) return undefined;
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part}`);
  return hash.digest('hex');
}

/** The remembered valid verdicts in `dir` (a file read once and rewritten whole, atomically, on each addition). */
export function verdictStore(dir) {
  const file = path.join(dir, 'valid.json');
  let keys;
  const load = () => {
    if (keys !== undefined) return keys;
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8'));
      keys = Array.isArray(stored) ? stored.filter((key) => typeof key === 'string') : [];
    } catch {
      keys = [];
    }
    return keys;
  };
  return {
    has: (key) => load().includes(key),
    add(key) {
      keys = [key, ...load().filter((known) => known !== key)].slice(0, KEPT);
      const temporary = path.join(dir, `.valid-${process.pid}-${randomUUID()}`);
      try {
        mkdirSync(dir, { recursive: true });
        writeFileSync(temporary, JSON.stringify(keys));
        renameSync(temporary, file);
      } catch {
        // Not remembered: the next start checks again.
        rmSync(temporary, { force: true });
      }
    },
  };
}

/**
 * Wraps osls's validator resolution (`resolveAjvValidate`, the module's export) and ConfigSchemaHandler so that a
 * configuration already judged valid against the same schema is not run through ajv again. Returns the new
 * resolver, to be put in place of the module's export. Exported for the unit test.
 */
export function rememberValidConfigurations({ ConfigSchemaHandler, resolveAjvValidate, store, versions }) {
  let known = false;
  let checkedValid;
  const { validateConfig } = ConfigSchemaHandler.prototype;
  ConfigSchemaHandler.prototype.validateConfig = async function validateConfigRemembered(userConfig) {
    // Before the check, which rewrites the schema's $refs in place.
    const key = verdictKey(versions, this.schema, userConfig);
    const asGiven = jsonOrUndefined(userConfig);
    known = key !== undefined && store.has(key);
    checkedValid = undefined;
    try {
      await validateConfig.call(this, userConfig);
    } finally {
      known = false;
    }
    // Remembered only when ajv ran, found nothing, and coerced nothing (the configuration is as it was).
    if (key !== undefined && checkedValid === true && jsonOrUndefined(userConfig) === asGiven) store.add(key);
  };
  return async function resolveRememberedValidate(schema) {
    if (known) return Object.assign(() => true, { errors: null });
    const validate = await resolveAjvValidate(schema);
    const checking = (data) => {
      const valid = validate(data);
      checking.errors = validate.errors;
      checkedValid = valid === true && !validate.errors;
      return valid;
    };
    return checking;
  };
}

const cacheDir = process.env.BERTH_SCHEMA_CHECK_CACHE_DIR;
if (isMainThread && cacheDir && process.env.BERTH_SCHEMA_CHECK_CACHE !== 'off') {
  const require = createRequire(import.meta.url);
  const frameworkDir = path.dirname(require.resolve('serverless/package.json'));
  const handlerDir = path.join(frameworkDir, 'lib', 'classes', 'config-schema-handler');
  const fromFramework = createRequire(path.join(handlerDir, 'index.js'));
  const resolvePath = fromFramework.resolve('./resolve-ajv-validate');
  if (require.cache[fromFramework.resolve('./index.js')] !== undefined) {
    throw new Error(
      'local/offline-fix/schema-check-cache.mjs must be imported before anything loads the Framework (its schema handler is loaded)',
    );
  }
  // In place before the handler's module takes it (at its load, below). The real module (ajv, its code generator,
  // object-hash) is loaded only when a check runs: a known verdict needs none of it.
  let real;
  const resolveAjvValidate = (schema) => {
    if (real === undefined) {
      const entry = require.cache[resolvePath];
      delete require.cache[resolvePath];
      try {
        real = fromFramework(resolvePath);
      } finally {
        require.cache[resolvePath] = entry;
      }
    }
    return real(schema);
  };
  let resolveRemembered;
  const entry = new Module(resolvePath);
  entry.filename = resolvePath;
  entry.loaded = true;
  entry.exports = (schema) => resolveRemembered(schema);
  require.cache[resolvePath] = entry;
  resolveRemembered = rememberValidConfigurations({
    ConfigSchemaHandler: fromFramework('./index.js'),
    resolveAjvValidate,
    store: verdictStore(path.resolve(cacheDir)),
    versions: {
      osls: fromFramework('../../../package.json').version,
      ajv: fromFramework('ajv/package.json').version,
      ajvFormats: fromFramework('ajv-formats/package.json').version,
    },
  });
}
