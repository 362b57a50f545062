/**
 * Container dependencies (`dependsOn`, https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ContainerDependency.html):
 * which container starts when, as the ECS agent resolves them (aws/amazon-ecs-agent
 * `agent/engine/dependencygraph/graph.go`): START waits for the dependency to have started, COMPLETE for it to
 * have exited, SUCCESS for it to have exited 0, HEALTHY for its health check to pass. A dependency that can no
 * longer be met (a SUCCESS one that exited non-zero, a HEALTHY one that exited or turned unhealthy, the dependent's
 * `startTimeout` spent) fails the dependent's start with the agent's own words, so the task stops
 * TaskFailedToStart. HEALTHY needs a health check, which only the docker runtime runs: on the other runtimes it
 * fails at once rather than wait for ever.
 */
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { CannotStartContainerError } from './errors';
import type { ContainerHandle } from './types';

/** Names in the order to start them: each after what it depends on, otherwise in definition order. */
export function startOrder(definitions: readonly ContainerDefinition[]): string[] {
  const names = definitions.map((d) => d.name ?? '');
  const byName = new Map(definitions.map((d) => [d.name ?? '', d]));
  const order: string[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const visit = (name: string) => {
    if (placed.has(name) || visiting.has(name) || !byName.has(name)) return; // a cycle keeps definition order
    visiting.add(name);
    for (const dependency of byName.get(name)?.dependsOn ?? []) visit(dependency.containerName ?? '');
    visiting.delete(name);
    placed.add(name);
    order.push(name);
  };
  for (const name of names) visit(name);
  return order;
}

/** Thrown when the task is stopped while a container waits for its dependencies. */
export class StartAbandonedError extends Error {}

const notMet = (dependency: string, target: string, why: string) =>
  new CannotStartContainerError(
    `dependency graph: failed to resolve container ordering dependency [${dependency}] for target [${target}] ${why}`,
  );

/**
 * Resolves once every dependency of `definition` is met; rejects with CannotStartContainerError when one cannot be,
 * and with StartAbandonedError once `stopped` resolves.
 */
export async function dependenciesMet(
  definition: ContainerDefinition,
  handles: ReadonlyMap<string, ContainerHandle>,
  stopped: Promise<void>,
): Promise<void> {
  const target = definition.name ?? '';
  const waits = (definition.dependsOn ?? []).map(async ({ containerName = '', condition }) => {
    const handle = handles.get(containerName);
    if (handle === undefined) throw notMet(containerName, target, 'because dependency will never start');
    if (condition === 'COMPLETE') await handle.exited;
    else if (condition === 'SUCCESS') {
      const exit = await handle.exited;
      if (exit.exitCode !== 0) throw notMet(containerName, target, 'as dependency did not exit successfully.');
    } else if (condition === 'HEALTHY') await healthy(handle, containerName, target);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout =
    definition.startTimeout === undefined
      ? new Promise<never>(() => {})
      : new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new CannotStartContainerError(
                  `dependency graph: container ordering dependency for target [${target}] has timed out.`,
                ),
              ),
            definition.startTimeout! * 1000,
          );
        });
  try {
    await Promise.race([
      Promise.all(waits),
      timeout,
      stopped.then(() => {
        throw new StartAbandonedError(`the task stopped while ${target} waited for its dependencies`);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function healthy(handle: ContainerHandle, dependency: string, target: string): Promise<void> {
  const health = handle.health;
  if (health === undefined) {
    return Promise.reject(notMet(dependency, target, 'as dependency has no health check the docker runtime runs'));
  }
  return new Promise<void>((resolve, reject) => {
    const check = (status: string) => {
      if (status === 'HEALTHY') resolve();
      else if (status === 'UNHEALTHY') reject(notMet(dependency, target, 'as dependency is unhealthy.'));
    };
    health.onChange(check);
    check(health.current);
    void handle.exited.then(() =>
      reject(notMet(dependency, target, 'because dependency exited before it was healthy.')),
    );
  });
}
