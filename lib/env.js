/**
 * Readers of settings from the environment, for every place that has them: the handlers' stage configuration
 * (lib/config.ts, lib/runs/config.ts, functions/), the local stack (local/) and packaging (deploy/iam.js reads
 * stage params with `commaList`). Modelled on powertools' commons/src/envUtils.ts: a value is trimmed, an unset
 * or blank one takes the default, and a malformed one throws an Error naming the variable and the value, so a
 * cold start or `npm start` fails loudly instead of guessing.
 *
 * Plain CommonJS with its types in env.d.ts, because deploy/*.js load it as serverless runs them: with no
 * TypeScript loader (tsx's require, which deploy/triggers.js uses, does not work inside jest, which tests
 * deploy/iam.js). TypeScript, esbuild and jest all take it as it is.
 */

/** A comma-separated setting as a list: items trimmed, empty ones dropped (`""` is the empty list). */
function commaList(raw) {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** The variable's value, trimmed; undefined when it is unset or blank. */
function stringFromEnv(env, name) {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The variable's value, trimmed; throws when it is unset or blank. */
function requiredStringFromEnv(env, name) {
  const value = stringFromEnv(env, name);
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
}

/**
 * A comma-separated list (see commaList); `fallback` only when the variable is unset: set to `""`, it is the
 * empty list, so a stage can turn an allowlist off.
 */
function listFromEnv(env, name, fallback = []) {
  const raw = env[name];
  return raw === undefined ? [...fallback] : commaList(raw);
}

/** `true`/`1` or `false`/`0`, any case; unset or blank is `fallback`. */
function booleanFromEnv(env, name, fallback) {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got "${env[name]}"`);
}

/** A whole number (digits only) from `min` (default 1) to `max`; unset or blank is `fallback`. */
function integerFromEnv(env, name, { fallback, min = 1, max }) {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^[0-9]+$/.test(raw) || value < min || (max !== undefined && value > max)) {
    const range =
      max !== undefined
        ? `a whole number from ${min} to ${max}`
        : min === 1
          ? 'a positive integer'
          : `a whole number of at least ${min}`;
    throw new Error(`${name} must be ${range}, got "${raw}"`);
  }
  return value;
}

/** A number greater than 0 (a time scale, a rate); unset or blank is `fallback`. */
function positiveNumberFromEnv(env, name, fallback) {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

module.exports = {
  commaList,
  stringFromEnv,
  requiredStringFromEnv,
  listFromEnv,
  booleanFromEnv,
  integerFromEnv,
  positiveNumberFromEnv,
};
