/**
 * What runs a Task state locally. Every Task state is overridden (the engine would otherwise invoke a real
 * Lambda named after the Resource): the Resource picks a driver, which does the service's work through
 * Berth's local services and reports the service-specific events (TaskSubmitted) as AWS would.
 */
import type { NewEvent } from './history';

/**
 * The reason a Task's signal is aborted with when the endpoint closes under it: the driver stops waiting and
 * leaves what it started (an ECS task) as it is, since the next start resumes the execution and re-attaches.
 */
export class EngineShutdown {
  toString(): string {
    return "Berth's local Step Functions is shutting down";
  }
}

export interface TaskContext {
  /**
   * Aborted when the execution is stopped or the state times out (`signal.reason` says which, for StopTask), or
   * with an EngineShutdown when the endpoint closes.
   */
  signal: AbortSignal;
  /** Records an event in the execution's history (in order with the engine's events). */
  emit(event: NewEvent): Promise<void>;
  stateName: string;
  executionArn: string;
  region: string;
  /** This invocation's task token: what `$$.Task.Token` gave its Parameters (task-tokens.ts). */
  taskToken: string;
  /** The state's HeartbeatSeconds (or HeartbeatSecondsPath's value), for drivers that wait on heartbeats. */
  heartbeatSeconds?: number;
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
