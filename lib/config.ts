/**
 * Stage configuration, read once at cold start from the environment that serverless.yml
 * (on AWS) or the local launcher (npm start) sets. A malformed value fails the cold start
 * loudly instead of being guessed at (lib/env.ts).
 */
import { booleanFromEnv, type Env, integerFromEnv, listFromEnv } from './env';

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

export function loadConfig(env: Env = process.env): Config {
  return {
    guardrails: {
      allowedRoleArns: listFromEnv(env, 'BERTH_ALLOWED_ROLE_ARNS'),
      allowedImages: listFromEnv(env, 'BERTH_ALLOWED_IMAGES', ['*']),
      allowPrivileged: booleanFromEnv(env, 'BERTH_ALLOW_PRIVILEGED', false),
      allowHostNetwork: booleanFromEnv(env, 'BERTH_ALLOW_HOST_NETWORK', false),
      maxTaskCpu: integerFromEnv(env, 'BERTH_MAX_TASK_CPU', { fallback: 4096 }),
      maxTaskMemory: integerFromEnv(env, 'BERTH_MAX_TASK_MEMORY', { fallback: 30720 }),
      runFamilies: listFromEnv(env, 'BERTH_RUN_FAMILIES', ['*']),
    },
  };
}
