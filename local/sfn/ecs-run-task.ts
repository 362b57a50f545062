/**
 * The `arn:aws:states:::ecs:runTask.sync` (Run a Job) and `ecs:runTask` (Request Response) optimized
 * integrations, run locally through an ECSClient pointed at Berth's local ECS endpoint.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-ecs.html
 * - Parameters are RunTask's in PascalCase (as ASL writes them); they are mapped to RunTask's camelCase
 *   members. A member RunTask does not have fails the state with States.Runtime. `StartedBy` defaults to
 *   `AWS Step Functions`, as the tasks Step Functions starts show it.
 * - `.sync`: RunTask, a TaskSubmitted event with the RunTask response, then a wait until every task is STOPPED.
 *   As on AWS, where the integration is driven by ECS's task state change events, the wait ends on the local ECS's
 *   own task state changes (`taskStops`, the STOPPED events the local endpoint's ECS puts on its bus), followed by
 *   one DescribeTasks to read the stopped tasks; DescribeTasks is also polled every `fallbackPollMs` in case an
 *   event is missed (an ECS on another endpoint, whose events never reach this one). Without `taskStops` it polls
 *   every `pollIntervalMs`. The output is the (first) task object with PascalCase keys
 *   (`Containers[].ExitCode`, `StopCode`, `StoppedReason`, `LastStatus`, `TaskArn`, ...), timestamps as epoch
 *   milliseconds. A clean exit still has `StopCode: EssentialContainerExited`.
 * - It fails with States.TaskFailed, cause = the task object as JSON, when a task failed to start
 *   (`StopCode: TaskFailedToStart`) or an essential container (per the task definition) exited non-zero or
 *   has no exit code.
 * - A non-empty `failures[]` from RunTask fails the state with `AmazonECS.Unknown`, the name the
 *   integration's documentation gives (connect-ecs.html: "If a non-empty Failures field is encountered, the
 *   task is failed with an AmazonECS.Unknown error"); the cause is the RunTask response (Tasks and Failures)
 *   as JSON. Users also report `ECS.AmazonECSException`: that is what AWS reports for ECS errors its SDK
 *   does not model, such as ThrottlingException ("Rate exceeded. (Service: AmazonECS; Status Code: 400;
 *   Error Code: ThrottlingException; ...)"), and that is what this driver reports for them too.
 * - ECS exceptions that ECS models surface as `ECS.<ExceptionName>` (ECS.InvalidParameterException,
 *   ECS.ClusterNotFoundException, ...); the cause is the message followed by the AWS SDK's details, in the
 *   form AWS shows them. A request that never got an answer is `ECS.SdkClientException`.
 * - When the execution is stopped or the state times out, the running tasks are stopped (StopTask, best
 *   effort) with a reason naming why.
 * - A DescribeTasks poll that is throttled, meets a server error or loses its connection does not fail the
 *   state: Step Functions watches the task on its side, and a throttle there is not the run's concern. The
 *   driver backs off (exponentially, with jitter, up to `maxPollBackoffMs`) and keeps polling for as long as
 *   the task runs; only other errors count towards `maxPollErrors`. Reading the task definition's essential
 *   containers retries the same way, a few times.
 */
import {
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  RunTaskCommand,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { isTransientAwsError } from '../../lib/clients/errors';
import { json } from './history';
import { EngineShutdown, type TaskContext, type TaskDriver } from './task-driver';
import { sleep, TaskCancelledError, TaskError } from './task-error';

/** RunTask's members, PascalCase. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html */
export const RUN_TASK_PARAMETERS: ReadonlySet<string> = new Set([
  'CapacityProviderStrategy',
  'ClientToken',
  'Cluster',
  'Count',
  'EnableECSManagedTags',
  'EnableExecuteCommand',
  'Group',
  'LaunchType',
  'NetworkConfiguration',
  'Overrides',
  'PlacementConstraints',
  'PlacementStrategy',
  'PlatformVersion',
  'PropagateTags',
  'ReferenceId',
  'StartedBy',
  'Tags',
  'TaskDefinition',
  'VolumeConfigurations',
]);

/** The exceptions ECS's API models (its CommonErrors and operations' Errors sections). */
const MODELLED_ECS_EXCEPTIONS: ReadonlySet<string> = new Set([
  'AccessDeniedException',
  'BlockedException',
  'ClientException',
  'ClusterNotFoundException',
  'ConflictException',
  'InvalidParameterException',
  'LimitExceededException',
  'PlatformTaskDefinitionIncompatibilityException',
  'PlatformUnknownException',
  'ResourceNotFoundException',
  'ServerException',
  'ServiceNotActiveException',
  'ServiceNotFoundException',
  'TargetNotFoundException',
  'UnsupportedFeatureException',
]);

const STOP_REASON_MAX = 255;

function mapKeys(value: unknown, key: (k: string) => string): unknown {
  if (value instanceof Date) return value.getTime();
  if (Array.isArray(value)) return value.map((item) => mapKeys(item, key));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[key(k)] = mapKeys(v, key);
    }
    return out;
  }
  return value;
}

/** ASL's PascalCase parameters -> the API's camelCase members (values are left alone). */
export function toCamelCase(value: unknown): unknown {
  return mapKeys(value, (k) => k.charAt(0).toLowerCase() + k.slice(1));
}

/** The API's camelCase output -> Step Functions' PascalCase, Dates as epoch milliseconds. */
export function toPascalCase(value: unknown): unknown {
  return mapKeys(value, (k) => k.charAt(0).toUpperCase() + k.slice(1));
}

/** The error an ECS call's failure fails the state with (see the module comment). */
export function ecsTaskError(err: unknown): TaskError {
  const error = err as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
  if (error.$metadata?.httpStatusCode !== undefined) {
    const name = error.name;
    const cause = `${error.message} (Service: AmazonECS; Status Code: ${error.$metadata.httpStatusCode}; Error Code: ${name}; Request ID: ${error.$metadata.requestId ?? 'unknown'}; Proxy: null)`;
    return new TaskError(MODELLED_ECS_EXCEPTIONS.has(name) ? `ECS.${name}` : 'ECS.AmazonECSException', cause);
  }
  return new TaskError('ECS.SdkClientException', `Unable to execute HTTP request: ${error.message}`);
}

/**
 * Whether a STOPPED task failed, by Step Functions' rule: it failed to start, or an essential container
 * exited non-zero or has no exit code. `essential` names the essential containers (all, if unknown).
 */
export function stoppedTaskFailed(task: Task, essential?: ReadonlySet<string>): boolean {
  if (task.stopCode === 'TaskFailedToStart') return true;
  const containers = task.containers ?? [];
  if (containers.length === 0) return true;
  return containers.some(
    (container) => (essential === undefined || essential.has(container.name ?? '')) && container.exitCode !== 0,
  );
}

export interface EcsRunTaskOptions {
  /** The client for Berth's local ECS endpoint (resolved when first needed: the endpoint's URL comes late). */
  ecs: () => Promise<ECSClient>;
  /** How often DescribeTasks is called while waiting when no `taskStops` is given. */
  pollIntervalMs: number;
  /**
   * Subscribes to the local ECS's task stops (each task ARN that reached STOPPED), returning an unsubscribe:
   * the wait then ends on the event, and DescribeTasks is polled only every `fallbackPollMs`.
   */
  taskStops?: (listener: (taskArn: string) => void) => () => void;
  /** The fallback poll interval while `taskStops` is given (default 5 s). */
  fallbackPollMs?: number;
  /** Consecutive DescribeTasks errors (other than throttling, 5xx and network errors) tolerated before the state fails. */
  maxPollErrors?: number;
  /** The longest wait between two polls while DescribeTasks is throttled or failing on ECS's side (default 10 s). */
  maxPollBackoffMs?: number;
}

/** Transient failures of the essential-containers lookup tolerated before every container counts as essential. */
const DESCRIBE_DEFINITION_TRIES = 5;

/**
 * The wait before the next poll after `failures` transient failures in a row: the poll interval, plus an
 * exponential backoff with full jitter (so tasks throttled together do not poll again together), capped.
 */
export function pollBackoffMs(pollIntervalMs: number, failures: number, capMs: number, random = Math.random): number {
  if (failures <= 0) return pollIntervalMs;
  const ceiling = Math.min(capMs, pollIntervalMs * 2 ** Math.min(failures, 30));
  return Math.min(capMs, pollIntervalMs + Math.floor(random() * ceiling));
}

/** The STOPPED tasks seen so far, and who to wake when one is seen. */
interface StopWatch {
  stopped: Set<string>;
  wake?: () => void;
}

/**
 * Waits `ms`, or less: until every task of `arns` has been seen STOPPED. Rejects with TaskCancelledError when
 * `signal` aborts, as sleep does.
 */
async function waitForStops(ms: number, signal: AbortSignal, watch: StopWatch, arns: readonly string[]) {
  const allStopped = () => arns.every((arn) => watch.stopped.has(arn));
  if (allStopped()) return;
  const woken = new AbortController();
  watch.wake = () => {
    if (allStopped()) woken.abort();
  };
  try {
    await sleep(ms, AbortSignal.any([signal, woken.signal]));
  } catch (err) {
    if (signal.aborted || !woken.signal.aborted) throw err;
  } finally {
    watch.wake = undefined;
  }
}

function parseParameters(input: unknown): RunTaskCommandInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new TaskError('States.Runtime', 'The Parameters of an ecs:runTask Task must be an object.');
  }
  for (const key of Object.keys(input)) {
    if (!RUN_TASK_PARAMETERS.has(key)) {
      throw new TaskError('States.Runtime', `The field '${key}' is not supported by Step Functions for ecs:runTask.`);
    }
  }
  const params = input as Record<string, unknown>;
  if (typeof params.TaskDefinition !== 'string' || params.TaskDefinition === '') {
    throw new TaskError('States.Runtime', "The ecs:runTask Task needs 'TaskDefinition' (a string) in its Parameters.");
  }
  const request = toCamelCase(params) as RunTaskCommandInput;
  request.startedBy ??= 'AWS Step Functions';
  return request;
}

export function ecsRunTaskDriver(options: EcsRunTaskOptions, sync: boolean): TaskDriver {
  const essentialByDefinition = new Map<string, ReadonlySet<string>>();
  const maxPollErrors = options.maxPollErrors ?? 5;
  const maxPollBackoffMs = Math.max(options.maxPollBackoffMs ?? 10_000, options.pollIntervalMs);
  const fallbackPollMs = options.fallbackPollMs ?? 5_000;

  async function essentialContainers(ecs: ECSClient, taskDefinitionArn: string | undefined, signal: AbortSignal) {
    if (taskDefinitionArn === undefined) return undefined;
    const cached = essentialByDefinition.get(taskDefinitionArn);
    if (cached) return cached;
    for (let failures = 0; ; ) {
      try {
        const { taskDefinition } = await ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: taskDefinitionArn }),
        );
        const names = new Set(
          (taskDefinition?.containerDefinitions ?? []).filter((c) => c.essential !== false).map((c) => c.name ?? ''),
        );
        essentialByDefinition.set(taskDefinitionArn, names); // a revision's containers never change
        return names;
      } catch (err) {
        if (!isTransientAwsError(err) || ++failures >= DESCRIBE_DEFINITION_TRIES) return undefined; // all essential
        await sleep(pollBackoffMs(options.pollIntervalMs, failures, maxPollBackoffMs), signal);
      }
    }
  }

  async function stopTasks(ecs: ECSClient, cluster: string | undefined, arns: string[], reason: string) {
    await Promise.allSettled(
      arns.map((task) => ecs.send(new StopTaskCommand({ cluster, task, reason: reason.slice(0, STOP_REASON_MAX) }))),
    );
  }

  return {
    resourceType: 'ecs',
    resource: sync ? 'runTask.sync' : 'runTask',
    async run(input: unknown, context: TaskContext) {
      const request = parseParameters(input);
      const ecs = await options.ecs();
      // Watching starts before RunTask: a task may stop before its answer is read.
      const watch: StopWatch = { stopped: new Set() };
      const unwatch = sync
        ? options.taskStops?.((arn) => {
            watch.stopped.add(arn);
            watch.wake?.();
          })
        : undefined;
      try {
        return await runTask(ecs, request, context, watch, unwatch !== undefined);
      } finally {
        unwatch?.();
      }
    },
  };

  async function runTask(
    ecs: ECSClient,
    request: RunTaskCommandInput,
    context: TaskContext,
    watch: StopWatch,
    watching: boolean,
  ): Promise<unknown> {
    let response: RunTaskCommandOutput;
    try {
      response = await ecs.send(new RunTaskCommand(request));
    } catch (err) {
      throw ecsTaskError(err);
    }
    const tasks = response.tasks ?? [];
    const failures = response.failures ?? [];
    const submitted = toPascalCase({ Tasks: tasks, Failures: failures });
    if (!sync) return submitted;

    const cluster = tasks[0]?.clusterArn ?? request.cluster;
    const arns = tasks.map((task) => task.taskArn).filter((arn): arn is string => arn !== undefined);
    if (failures.length > 0 || arns.length === 0) {
      // Tasks placed beside the failures would run unobserved: stop them.
      if (arns.length > 0) await stopTasks(ecs, cluster, arns, 'Step Functions: RunTask reported failures');
      throw new TaskError('AmazonECS.Unknown', JSON.stringify(submitted));
    }
    await context.emit({
      type: 'TaskSubmitted',
      details: {
        resourceType: 'ecs',
        resource: 'runTask.sync',
        output: json(submitted),
        outputDetails: { truncated: false },
      },
    });

    let latest: Task[] = tasks;
    let pollErrors = 0;
    let transientFailures = 0;
    let describedAfterStops = false;
    try {
      while (!latest.every((task) => task.lastStatus === 'STOPPED')) {
        // Events said every task stopped, yet DescribeTasks does not: poll as without events rather than spin.
        const eventsLagging = watching && describedAfterStops;
        const interval = watching && !eventsLagging ? fallbackPollMs : options.pollIntervalMs;
        const wait = pollBackoffMs(interval, transientFailures, Math.max(maxPollBackoffMs, interval));
        if (watching && !eventsLagging && transientFailures === 0) {
          await waitForStops(wait, context.signal, watch, arns);
        } else {
          await sleep(wait, context.signal);
        }
        describedAfterStops = arns.every((arn) => watch.stopped.has(arn));
        try {
          const described = await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }));
          pollErrors = 0;
          transientFailures = 0;
          const missing = described.failures ?? [];
          if (missing.length > 0) {
            throw new TaskError('States.TaskFailed', JSON.stringify(toPascalCase({ Failures: missing })));
          }
          latest = described.tasks ?? latest;
        } catch (err) {
          if (err instanceof TaskError) throw err;
          if (isTransientAwsError(err)) {
            transientFailures++; // never fails the state: the task is still running
            continue;
          }
          if (++pollErrors >= maxPollErrors) throw ecsTaskError(err);
        }
      }
    } catch (err) {
      // The endpoint is closing: the tasks go on, and the resumed execution re-attaches to them.
      if (context.signal.reason instanceof EngineShutdown) throw new TaskCancelledError(String(context.signal.reason));
      if (err instanceof TaskCancelledError || context.signal.aborted) {
        const stillRunning = latest.filter((task) => task.lastStatus !== 'STOPPED').map((task) => task.taskArn!);
        await stopTasks(ecs, cluster, stillRunning.length > 0 ? stillRunning : arns, String(context.signal.reason));
        throw new TaskCancelledError(String(context.signal.reason));
      }
      throw err;
    }

    for (const task of latest) {
      const essential = await essentialContainers(ecs, task.taskDefinitionArn, context.signal);
      if (stoppedTaskFailed(task, essential))
        throw new TaskError('States.TaskFailed', JSON.stringify(toPascalCase(task)));
    }
    return toPascalCase(latest[0]);
  }
}
