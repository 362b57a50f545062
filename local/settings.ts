/**
 * Settings of the local stack, from the environment (all optional):
 *   BERTH_HOST        interface to bind (default 127.0.0.1)
 *   BERTH_API_PORT    REST API port (default 3000)
 *   BERTH_AWS_PORT    local AWS endpoint port: ECS, Step Functions (default 4566)
 *   BERTH_LAMBDA_PORT serverless-offline's Lambda invoke port (default 3002)
 *   BERTH_REGION      region in ARNs and for the handlers (default AWS_REGION, else us-east-1)
 *   BERTH_ACCOUNT_ID  account id in ARNs (default 000000000000)
 *   BERTH_STATE_DIR   where the endpoint keeps its state (default .berth/state, git-ignored)
 *   BERTH_BUNDLE_CACHE_DIR  where the functions' bundles are kept between starts (default .berth/cache/bundles;
 *                     BERTH_BUNDLE_CACHE=off builds them all at each start: local/offline-fix/bundle-cache.mjs)
 *   BERTH_CORS_ORIGINS, BERTH_ALLOWED_HOSTS  which browser requests the local servers take (endpoint/browser-guard.ts)
 *   BERTH_LAMBDA_IDLE_SECONDS  how long a function's idle worker stays warm (default 600; see lambdaIdleSeconds)
 * and every stage setting serverless.yml gives the handlers from a param (`BERTH_MAX_TASK_CPU: ${param:maxTaskCpu}`):
 * set in the environment, it overrides the param (paramsFromEnvironment).
 */
import path from 'node:path';
import YAML from 'yaml';
import { integerFromEnv } from '../lib/env';

export interface LocalSettings {
  host: string;
  apiPort: number;
  awsPort: number;
  lambdaPort: number;
  region: string;
  accountId: string;
  stateDir: string;
  bundleCacheDir: string;
  /** serverless-offline's terminateIdleLambdaTime: seconds a function's worker may stay idle before it is ended. */
  lambdaIdleSeconds: number;
}

/**
 * How long an idle Lambda worker stays warm. serverless-offline ends a worker idle for 60 s by default, so a run
 * started a minute or more after the last one paid every function's cold start again (about 1 s against 0.4 s warm
 * at 1 in flight: bench/runs/README.md). Lambda keeps an execution environment for a while after an invocation to
 * reuse it; 10 minutes covers the pauses between a developer's runs, and memory stays bounded by
 * BERTH_LAMBDA_WORKERS workers per function (local/offline-fix/lambda-pool.mjs) meanwhile.
 */
export const DEFAULT_LAMBDA_IDLE_SECONDS = 600;

/** A port from the environment, 0 (any free one) to 65535. */
const port = (env: NodeJS.ProcessEnv, name: string, fallback: number) =>
  integerFromEnv(env, name, { fallback, min: 0, max: 65535 });

export function localSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): LocalSettings {
  const accountId = env.BERTH_ACCOUNT_ID ?? '000000000000';
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`BERTH_ACCOUNT_ID must be 12 digits, got "${accountId}"`);
  return {
    host: env.BERTH_HOST ?? '127.0.0.1',
    apiPort: port(env, 'BERTH_API_PORT', 3000),
    awsPort: port(env, 'BERTH_AWS_PORT', 4566),
    lambdaPort: port(env, 'BERTH_LAMBDA_PORT', 3002),
    region: env.BERTH_REGION ?? env.AWS_REGION ?? 'us-east-1',
    accountId,
    stateDir: path.resolve(cwd, env.BERTH_STATE_DIR ?? '.berth/state'),
    bundleCacheDir: path.resolve(cwd, env.BERTH_BUNDLE_CACHE_DIR || '.berth/cache/bundles'),
    lambdaIdleSeconds: integerFromEnv(env, 'BERTH_LAMBDA_IDLE_SECONDS', {
      fallback: DEFAULT_LAMBDA_IDLE_SECONDS,
      min: 1,
      max: 86_400,
    }),
  };
}

/**
 * A stage param as the local handlers get it: from the environment variable serverless.yml gives it to them
 * under, if set, else serverless.yml's default (`params.default`). Undefined if it has neither.
 */
export function localStageParam(serverlessYml: string, env: NodeJS.ProcessEnv, name: string): string | undefined {
  const document = YAML.parse(serverlessYml) as ServerlessYml | null;
  const fromEnv = paramValuesFromEnvironment(document, env).find(([param]) => param === name);
  if (fromEnv !== undefined) return fromEnv[1];
  const value = document?.params?.default?.[name];
  return value === undefined || value === null ? undefined : String(value);
}

interface ServerlessYml {
  params?: { default?: Record<string, unknown> };
  provider?: { environment?: Record<string, unknown> };
}

/** [param, value] for each param serverless.yml hands the functions as a BERTH_* variable that `env` sets. */
function paramValuesFromEnvironment(document: ServerlessYml | null, env: NodeJS.ProcessEnv): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [variable, value] of Object.entries(document?.provider?.environment ?? {})) {
    const param = typeof value === 'string' ? /^\$\{param:(\w+)\}$/.exec(value)?.[1] : undefined;
    const set = env[variable];
    if (param !== undefined && set !== undefined) out.push([param, set]);
  }
  return out;
}

/**
 * `name=value` for each stage param that serverless.yml hands the functions as a BERTH_* variable
 * (`provider.environment`, `BERTH_X: ${param:name}`) and that `env` sets: serverless-offline gives functions
 * provider.environment over the process's own variables, so the launcher passes these as `--param` instead.
 * Params in `except` are left out (the launcher sets those itself).
 */
export function paramsFromEnvironment(
  serverlessYml: string,
  env: NodeJS.ProcessEnv,
  except: readonly string[] = [],
): string[] {
  return (
    paramValuesFromEnvironment(YAML.parse(serverlessYml) as ServerlessYml | null, env)
      .filter(([param]) => !except.includes(param))
      // serverless refuses `--param=name=` (a value must have a character): an empty value goes as one space,
      // which the handlers' settings trim back to empty.
      .map(([param, value]) => `${param}=${value === '' ? ' ' : value}`)
  );
}
