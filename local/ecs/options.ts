/**
 * Settings of the local ECS cluster, read once when the endpoint starts (all optional):
 *   BERTH_CLUSTER_CONFIG          the cluster config file (default local/cluster.json; see cluster-config.ts)
 *   BERTH_ECS_STEP_MS             milliseconds between two lifecycle steps of a task (default 20)
 *   BERTH_ECS_SIMULATE_SECONDS    how long a simulated container runs unless steered (default 0.2)
 *   BERTH_ECS_RUNTIME             auto (default), docker, process or simulate: what runs containers (runtime/runtime.ts)
 *   BERTH_FARGATE_MAX_TASKS       FARGATE tasks that may be unstopped at once, standing in for the Fargate quota (default 100)
 *   BERTH_ECS_STOPPED_TASK_SECONDS  how long a STOPPED task stays (DescribeTasks, ListTasks, its log) before it is
 *                                 forgotten, as ECS forgets stopped tasks after about an hour (default 3600)
 *   BERTH_FAULT_THROTTLE_RATE     share of ECS calls answered ThrottlingException, 0..1 (default 0: off)
 *   BERTH_FAULT_THROTTLE_OPERATIONS  comma-separated ECS operations the throttle applies to (default all)
 *   BERTH_FAULT_PLACEMENT_REASON  every RunTask placement fails with this reason, e.g. RESOURCE:CPU (default off)
 * Bad values fail the start with the variable's name.
 */
import { type ClusterConfig, DEFAULT_CLUSTER_CONFIG_PATH, loadClusterConfig } from './cluster-config';
import type { FaultSettings } from './faults';
import type { RuntimeSetting } from './runtime/types';

const RUNTIME_SETTINGS: readonly RuntimeSetting[] = ['auto', 'docker', 'process', 'simulate'];

export interface EcsOptions {
  clusterConfig: ClusterConfig;
  stepMs: number;
  simulateSeconds: number;
  /** BERTH_ECS_RUNTIME; absent means auto. */
  runtime?: RuntimeSetting;
  fargateMaxTasks: number;
  /** Seconds a STOPPED task is kept before it is purged (ECS: stopped tasks appear for at least an hour). */
  stoppedTaskSeconds: number;
  faults: FaultSettings;
  /** Uniform in [0, 1): placement ties and throttling draws; tests inject one. */
  random: () => number;
  /** Epoch milliseconds; tests may pass a clock. */
  now: () => number;
}

function number(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

export function ecsOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EcsOptions {
  const faults: FaultSettings = {};
  const rate = number(env, 'BERTH_FAULT_THROTTLE_RATE', 0, 0, 1);
  if (rate > 0) {
    const operations = env.BERTH_FAULT_THROTTLE_OPERATIONS?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    faults.throttle = { rate, ...(operations?.length ? { operations } : {}) };
  }
  const reason = env.BERTH_FAULT_PLACEMENT_REASON?.trim();
  if (reason) faults.placementFailure = { reason };
  const runtime = env.BERTH_ECS_RUNTIME?.trim() || 'auto';
  if (!RUNTIME_SETTINGS.includes(runtime as RuntimeSetting)) {
    throw new Error(`BERTH_ECS_RUNTIME must be one of ${RUNTIME_SETTINGS.join(', ')}, got "${runtime}"`);
  }
  return {
    runtime: runtime as RuntimeSetting,
    clusterConfig: loadClusterConfig(env.BERTH_CLUSTER_CONFIG || DEFAULT_CLUSTER_CONFIG_PATH),
    stepMs: number(env, 'BERTH_ECS_STEP_MS', 20, 0, 600_000),
    simulateSeconds: number(env, 'BERTH_ECS_SIMULATE_SECONDS', 0.2, 0, 2_147_483),
    fargateMaxTasks: number(env, 'BERTH_FARGATE_MAX_TASKS', 100, 0, 1_000_000),
    stoppedTaskSeconds: number(env, 'BERTH_ECS_STOPPED_TASK_SECONDS', 3600, 0.01, 31_536_000),
    faults,
    random: Math.random,
    now: Date.now,
  };
}
