/**
 * Stage configuration, read once at cold start from the environment that serverless.yml
 * (on AWS) or the local launcher (npm start) sets. A malformed value fails the cold start
 * loudly instead of being guessed at.
 */

export interface Guardrails {
  /** Task and execution role ARNs a definition may name (`*` globs allowed). Empty: no role may be passed. */
  allowedRoleArns: string[];
  /** Image patterns (`*` globs, e.g. `123456789012.dkr.ecr.*.amazonaws.com/*`). */
  allowedImages: string[];
  allowPrivileged: boolean;
  allowHostNetwork: boolean;
  /** CPU units, for the task (task-level cpu, else the sum over containers). */
  maxTaskCpu: number;
  /** MiB, for the task (task-level memory, else the sum over containers). */
  maxTaskMemory: number;
  /**
   * Task definition families the stage registers and runs (`*` globs, IAM's syntax): the run-task state machine's
   * role may RunTask exactly these (deploy/iam.js), so the API refuses any other family before it reaches ECS.
   */
  runFamilies: string[];
}

export interface Config {
  guardrails: Guardrails;
}

type Env = Record<string, string | undefined>;

/** A comma-separated setting as a list: items trimmed, empty ones dropped (`""` is the empty list). */
export function commaList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  return raw === undefined ? fallback : commaList(raw);
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name} must be true or false, got "${env[name]}"`);
}

function positiveInt(env: Env, name: string, fallback: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9][0-9]*$/.test(raw)) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

export function loadConfig(env: Env = process.env): Config {
  return {
    guardrails: {
      allowedRoleArns: list(env, 'BERTH_ALLOWED_ROLE_ARNS', []),
      allowedImages: list(env, 'BERTH_ALLOWED_IMAGES', ['*']),
      allowPrivileged: bool(env, 'BERTH_ALLOW_PRIVILEGED', false),
      allowHostNetwork: bool(env, 'BERTH_ALLOW_HOST_NETWORK', false),
      maxTaskCpu: positiveInt(env, 'BERTH_MAX_TASK_CPU', 4096),
      maxTaskMemory: positiveInt(env, 'BERTH_MAX_TASK_MEMORY', 30720),
      runFamilies: list(env, 'BERTH_RUN_FAMILIES', ['*']),
    },
  };
}
