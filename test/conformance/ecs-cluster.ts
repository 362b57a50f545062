/**
 * The local endpoint with the local ECS cluster set up for tests: fast lifecycle steps, a cluster config given
 * inline, and helpers to wait for a task's state and to call the BerthLocal admin service.
 */
import { DescribeTasksCommand, type ECSClient, type Task } from '@aws-sdk/client-ecs';
import { type ClusterConfig, loadClusterConfig, parseClusterConfig } from '../../local/ecs/cluster-config';
import type { EcsOptions } from '../../local/ecs/options';
import { localEcsServices } from '../../local/ecs/service';
import { type LocalEndpoint, startLocalEndpoint, tempStateDir } from './endpoint';

export const FAST: Partial<EcsOptions> = { stepMs: 2, simulateSeconds: 0.02 };

/** The repository's default config: three m5.large-like instances of 2048 CPU / 3840 MiB in two zones. */
export const DEFAULT_CONFIG: ClusterConfig = loadClusterConfig();

export function clusterConfig(value: unknown): ClusterConfig {
  return parseClusterConfig(value);
}

export function startEcsEndpoint(options: Partial<EcsOptions> = {}, stateDir = tempStateDir()): Promise<LocalEndpoint> {
  return startLocalEndpoint(stateDir, {
    services: localEcsServices({ clusterConfig: DEFAULT_CONFIG, ...FAST, ...options }),
  });
}

/** Describes the task until `done` holds; the test's own timeout bounds the wait. */
export async function waitForTask(
  ecs: ECSClient,
  taskArn: string,
  done: (task: Task) => boolean = (t) => t.lastStatus === 'STOPPED',
  cluster?: string,
): Promise<Task> {
  for (;;) {
    const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
    const task = out.tasks?.[0];
    if (task !== undefined && done(task)) return task;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface AdminReply {
  status: number;
  body: Record<string, unknown>;
}

/**
 * A task's log without the runtime's note saying which runtime ran each container and why (present when Docker
 * was considered, so it depends on the machine): what the containers themselves wrote.
 */
export function withoutRuntimeNotes(log: unknown): string {
  return String(log).replace(/^\[berth\] container \S+ runs in \w+: .*\n/gm, '');
}

/** One BerthLocal call, as curl would make it. */
export async function admin(url: string, operation: string, input: unknown = {}): Promise<AdminReply> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `BerthLocal.${operation}` },
    body: JSON.stringify(input),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The value of one resource (CPU, MEMORY: integer; PORTS: string set) of a describe-container-instances entry. */
export function resource(
  resources: ReadonlyArray<{ name?: string; integerValue?: number; stringSetValue?: string[] }> | undefined,
  name: string,
): number | string[] | undefined {
  const found = resources?.find((r) => r.name === name);
  return name.startsWith('PORTS') || name === 'GPU' ? found?.stringSetValue : found?.integerValue;
}

/** An EC2 instance identity document, as the agent reads it from the metadata service, for RegisterContainerInstance. */
export const identityDocument = (fields: Record<string, string> = {}) =>
  JSON.stringify({
    instanceId: 'i-0123456789abcdef0',
    instanceType: 'm5.large',
    availabilityZone: 'us-east-1c',
    region: 'us-east-1',
    architecture: 'x86_64',
    imageId: 'ami-0abcdef1234567890',
    ...fields,
  });
