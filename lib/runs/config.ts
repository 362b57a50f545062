/**
 * Stage configuration of the /runs functions, read once at cold start from the environment that
 * serverless.yml sets from its stage params (on AWS and under `npm start` alike). A missing or
 * malformed value fails the cold start loudly instead of being guessed at.
 *
 * Finding the state machine without an `if (local)` branch: serverless-offline does not resolve
 * CloudFormation intrinsics in environment values (a `Ref` or `Fn::Sub` reaches the handler as
 * "[object Object]"), and on AWS the ARN's account is only known to CloudFormation. So the ARN is a
 * stage param, `runTaskStateMachineArn`: its default in serverless.yml is an `Fn::Join` that
 * CloudFormation resolves on deploy, and `npm start` passes the local state machine's ARN with
 * `--param`, which serverless gives precedence over the file's params. Either way the handler reads
 * one plain string, BERTH_RUN_STATE_MACHINE_ARN, and calls no STS.
 */
import type { Config } from '../config';
import { loadConfig } from '../config';
import { type Env, integerFromEnv, listFromEnv, requiredStringFromEnv } from '../env';
import type { NetworkConfigurationRequest, RunCapacity } from './types';

export interface RunsConfig extends Config {
  /** The run-task state machine: executions are started under it and named by run id. */
  stateMachineArn: string;
  /** The cluster a request without `cluster` runs on. */
  defaultCluster: string;
  /**
   * The clusters (names) the run-task state machine's role may RunTask on (param runClusters, else the default
   * cluster): a run on any other would fail with AccessDenied, so POST /runs refuses it (403, rule runClusters).
   */
  runClusters: string[];
  /** For tasks in awsvpc mode when the request has no networkConfiguration; undefined when the stage has no subnets. */
  defaultNetwork?: NetworkConfigurationRequest;
  capacity: RunCapacity;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

/** `arn:aws:ecs:us-east-1:123456789012:cluster/jobs` -> `jobs`; a name stays as it is. */
export function clusterName(cluster: string): string {
  const arn = /^arn:aws[a-z-]*:ecs:[^:]*:[0-9]*:cluster\/(.+)$/.exec(cluster);
  return arn ? arn[1]! : cluster;
}

export function loadRunsConfig(env: Env = process.env): RunsConfig {
  const stateMachineArn = requiredStringFromEnv(env, 'BERTH_RUN_STATE_MACHINE_ARN');
  if (!STATE_MACHINE_ARN.test(stateMachineArn)) {
    throw new Error(`BERTH_RUN_STATE_MACHINE_ARN must be a state machine ARN, got "${stateMachineArn}"`);
  }
  const subnets = listFromEnv(env, 'BERTH_SUBNETS');
  const securityGroups = listFromEnv(env, 'BERTH_SECURITY_GROUPS');
  const assignPublicIp = (env.BERTH_ASSIGN_PUBLIC_IP?.trim() || 'DISABLED').toUpperCase();
  if (assignPublicIp !== 'ENABLED' && assignPublicIp !== 'DISABLED') {
    throw new Error(`BERTH_ASSIGN_PUBLIC_IP must be ENABLED or DISABLED, got "${env.BERTH_ASSIGN_PUBLIC_IP}"`);
  }
  const defaultCluster = env.BERTH_CLUSTER?.trim() || 'default';
  const runClusters = listFromEnv(env, 'BERTH_RUN_CLUSTERS').map(clusterName);
  return {
    ...loadConfig(env),
    stateMachineArn,
    defaultCluster,
    runClusters: runClusters.length > 0 ? runClusters : [clusterName(defaultCluster)],
    ...(subnets.length > 0 && {
      defaultNetwork: {
        awsvpcConfiguration: {
          subnets,
          ...(securityGroups.length > 0 && { securityGroups }),
          assignPublicIp,
        },
      },
    }),
    capacity: {
      waitSeconds: integerFromEnv(env, 'BERTH_CAPACITY_WAIT_SECONDS', { fallback: 600, min: 0, max: 604_800 }),
      checkIntervalSeconds: integerFromEnv(env, 'BERTH_CAPACITY_CHECK_INTERVAL_SECONDS', {
        fallback: 30,
        min: 1,
        max: 3_600,
      }),
    },
  };
}
