/**
 * What runs a Task state locally. Every Task state is overridden (the engine would otherwise invoke a real
 * Lambda named after the Resource): the Resource picks a driver, which does the service's work through
 * Berth's local services and reports the service-specific events (TaskSubmitted) as AWS would.
 */
import type { NewEvent } from './history';

export interface TaskContext {
  /** Aborted when the execution is stopped or the state times out; `signal.reason` says which, for StopTask. */
  signal: AbortSignal;
  /** Records an event in the execution's history (in order with the engine's events). */
  emit(event: NewEvent): Promise<void>;
  stateName: string;
  executionArn: string;
  region: string;
}

export interface TaskDriver {
  /** As TaskScheduled and the other Task events name it: `lambda`, `ecs`. */
  resourceType: string;
  /** The API action with its pattern: `invoke`, `runTask.sync`. */
  resource: string;
  /** The state's effective input (after InputPath and Parameters) -> its result; throws TaskError to fail. */
  run(input: unknown, context: TaskContext): Promise<unknown>;
}

/** `arn:aws:states:::ecs:runTask.sync` -> `{service: 'ecs', action: 'runTask.sync'}`. */
export function parseIntegrationResource(resource: string): { service: string; action: string } | undefined {
  const match = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:([a-z0-9-]+):([A-Za-z0-9.]+)$/.exec(resource);
  if (!match) return undefined;
  return { service: match[1]!, action: match[2]! };
}
