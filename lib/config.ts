/**
 * Stage configuration, read once at cold start from the environment that serverless.yml
 * (on AWS) or the local launcher (npm start) sets. A malformed value fails the cold start
 * loudly instead of being guessed at (lib/env.ts).
 */
import { booleanFromEnv, type Env, integerFromEnv, listFromEnv, requiredStringFromEnv } from './env';
import type { RunLogDefaults } from './task-definition/log-defaults';

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
  /**
   * The stage's run logs (serverless.yml params runLogsByDefault, runLogGroupName, runLogExecutionRoleArn): what
   * registration gives a container with no logConfiguration; undefined when the stage turns the default off.
   */
  runLogs: RunLogDefaults | undefined;
}

/**
 * The run-log defaults when BERTH_DEFAULT_RUN_LOGS is true; then the group, the role and the region must be set.
 * The stage's default execution role is allowed by the guardrails as an allowlisted role is (deploy/iam.js lets the
 * API and the workflow pass it, as it lets them pass the roles of allowedRoleArns).
 */
function runLogsFromEnv(env: Env): RunLogDefaults | undefined {
  if (!booleanFromEnv(env, 'BERTH_DEFAULT_RUN_LOGS', false)) return undefined;
  return {
    logGroup: requiredStringFromEnv(env, 'BERTH_RUN_LOG_GROUP'),
    executionRoleArn: requiredStringFromEnv(env, 'BERTH_RUN_LOG_EXECUTION_ROLE_ARN'),
    region: requiredStringFromEnv(env, 'AWS_REGION'),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const runLogs = runLogsFromEnv(env);
  return {
    runLogs,
    guardrails: {
      allowedRoleArns: [
        ...listFromEnv(env, 'BERTH_ALLOWED_ROLE_ARNS'),
        ...(runLogs === undefined ? [] : [runLogs.executionRoleArn]),
      ],
      allowedImages: listFromEnv(env, 'BERTH_ALLOWED_IMAGES', ['*']),
      allowPrivileged: booleanFromEnv(env, 'BERTH_ALLOW_PRIVILEGED', false),
      allowHostNetwork: booleanFromEnv(env, 'BERTH_ALLOW_HOST_NETWORK', false),
      maxTaskCpu: integerFromEnv(env, 'BERTH_MAX_TASK_CPU', { fallback: 4096 }),
      maxTaskMemory: integerFromEnv(env, 'BERTH_MAX_TASK_MEMORY', { fallback: 30720 }),
      runFamilies: listFromEnv(env, 'BERTH_RUN_FAMILIES', ['*']),
    },
  };
}
