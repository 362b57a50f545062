/**
 * The run-task workflow's state (workflows/run-task.asl.yaml) and the pure steps its Lambdas take.
 *
 * The state is the ExecutionInput plus what the Lambda states add:
 * - `check`: the last Check Capacity result (written by functions/check-capacity.ts), which also
 *   carries everything the Run Task state needs that ASL's JSONPath cannot compute: the attempt
 *   number, a fresh ClientToken, the per-attempt timeout and which Run Task state to use;
 * - `failure`: `{Error, Cause}` as a Run Task Catch wrote it;
 * - `outcome`: the verdict on the failed attempt (written by functions/decide-retry.ts).
 *
 * Both Lambdas take the whole state as their payload and return it with their part replaced
 * (the Task states use `Payload.$: $` and `OutputPath: $.Payload`), so the state stays flat and
 * the Choice states read plain paths.
 */
import { createHash } from 'node:crypto';
import type { Shortfall } from '../placement/types';
import type {
  AttemptOutcome,
  CapacityView,
  ContainerView,
  ExecutionInput,
  RetryAction,
  RunTaskParameters,
} from './types';

/** Names of the states, shared by the ASL (checked by the workflow tests) and the run view. */
export const States = {
  AdmittedAtStart: 'Admitted At Start',
  EnterQueue: 'Enter Queue',
  QueueWaitExpired: 'Queue Wait Expired',
  CheckCapacity: 'Check Capacity',
  IsThereRoom: 'Is There Room',
  WaitForCapacity: 'Wait For Capacity',
  InsufficientCapacity: 'Insufficient Capacity',
  RunTask: 'Run Task',
  RunTaskInVpc: 'Run Task In VPC',
  RunTaskOnProviders: 'Run Task On Capacity Providers',
  RunTaskOnProvidersInVpc: 'Run Task On Capacity Providers In VPC',
  DecideRetry: 'Decide Retry',
  ShouldRetry: 'Should Retry',
  BackOff: 'Back Off',
  RunFailed: 'Run Failed',
} as const;

/**
 * ASL's JSONPath cannot leave a member out of Parameters when the input lacks it (a missing path
 * is a States.Runtime error), and ECS refuses a NetworkConfiguration for bridge/host tasks and a
 * launchType together with a capacityProviderStrategy. So there is one Run Task state per shape,
 * and Check Capacity names the one to use.
 */
export const RunTaskTargets = {
  LAUNCH_TYPE: States.RunTask,
  LAUNCH_TYPE_VPC: States.RunTaskInVpc,
  CAPACITY_PROVIDERS: States.RunTaskOnProviders,
  CAPACITY_PROVIDERS_VPC: States.RunTaskOnProvidersInVpc,
} as const;
export type RunTaskTarget = keyof typeof RunTaskTargets;

export const RUN_TASK_STATES: readonly string[] = Object.values(RunTaskTargets);

export type CapacityDecision = 'RUN' | 'WAIT' | 'GIVE_UP';

/**
 * Step Functions' "no timeout" for a Task state: TimeoutSecondsPath must resolve to a number, and
 * the 99999999 s ceiling is the documented default ("Task" state, TimeoutSeconds).
 */
export const NO_TIMEOUT_SECONDS = 99_999_999;

export interface CapacityCheck {
  /** 1-based attempt this check clears the way for. */
  attempt: number;
  /** ISO-8601. */
  checkedAt: string;
  /** False when the check was skipped (Fargate has no container instances to look at). */
  checked: boolean;
  fits: boolean;
  placeableCount: number;
  instanceCount: number;
  shortfall?: Shortfall;
  /** Seconds spent in Wait For Capacity for this attempt so far. */
  waitedSeconds: number;
  /** Checks made for this attempt, this one included. */
  checks: number;
  decision: CapacityDecision;
  target: RunTaskTarget;
  /** RunTask's ClientToken: unique per RunTask call, so a re-check after a placement failure is a new request. */
  clientToken: string;
  /** The Run Task state's TimeoutSecondsPath. */
  timeoutSeconds: number;
  /** One sentence for the run view and, on GIVE_UP, the failure's cause. */
  message: string;
}

export interface CatchResult {
  Error: string;
  Cause?: string;
}

export interface AttemptVerdict {
  attempt: number;
  outcome: Exclude<AttemptOutcome, 'RUNNING' | 'SUCCEEDED'>;
  decision: RetryAction;
  why: string;
  /** Present when decision is RETRY: seconds to wait before the next capacity check. */
  backoffSeconds?: number;
  nextAttempt?: number;
  /** How the run fails if this is the last word. */
  error: { code: string; message: string };
  /** What the history says about the attempt's tasks (from the failed task in the Cause, or ListTasks on a timeout). */
  taskArns: string[];
  startedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerView[];
}

/** The RunTask parameters after Check Capacity has filled every member the Run Task states read. */
export type CompleteRunTask = RunTaskParameters &
  Required<
    Pick<RunTaskParameters, 'Overrides' | 'PlacementConstraints' | 'PlacementStrategy' | 'Tags' | 'PropagateTags'>
  >;

export interface WorkflowState extends ExecutionInput {
  check?: CapacityCheck;
  failure?: CatchResult;
  outcome?: AttemptVerdict;
}

/** The attempt the next check is for: the next one after a RETRY verdict, else the current one. */
export function currentAttempt(state: WorkflowState): number {
  if (state.outcome?.decision === 'RETRY' && state.outcome.nextAttempt !== undefined) {
    if (state.check === undefined || state.check.attempt < state.outcome.nextAttempt) return state.outcome.nextAttempt;
  }
  return state.check?.attempt ?? 1;
}

/**
 * Every member the Run Task states name, filled with ECS's own "nothing" where the run gave none:
 * `{}` overrides, empty lists, PropagateTags NONE. Members with no neutral value (LaunchType,
 * CapacityProviderStrategy, NetworkConfiguration) are chosen by the Run Task state instead.
 */
export function completeRunTask(runTask: RunTaskParameters): CompleteRunTask {
  return {
    ...runTask,
    Overrides: runTask.Overrides ?? {},
    PlacementConstraints: runTask.PlacementConstraints ?? [],
    PlacementStrategy: runTask.PlacementStrategy ?? [],
    Tags: runTask.Tags ?? [],
    PropagateTags: runTask.PropagateTags ?? 'NONE',
  };
}

export function runTaskTarget(runTask: RunTaskParameters): RunTaskTarget {
  const vpc = runTask.NetworkConfiguration !== undefined;
  if (runTask.CapacityProviderStrategy !== undefined && runTask.CapacityProviderStrategy.length > 0) {
    return vpc ? 'CAPACITY_PROVIDERS_VPC' : 'CAPACITY_PROVIDERS';
  }
  return vpc ? 'LAUNCH_TYPE_VPC' : 'LAUNCH_TYPE';
}

/**
 * RunTask failures that the Run Task states' Catch sends back to the capacity check after their Retry gave up
 * (workflows/run-task.asl.yaml) and after which the next RunTask keeps the ClientToken: a throttled call
 * started nothing, and a server or network error may have started a task that the same token finds again
 * instead of starting a second. After a placement failure (AmazonECS.Unknown) the token is new: the retry is
 * a new request, which ECS must place afresh.
 */
const SAME_TOKEN_AFTER: ReadonlySet<string> = new Set([
  'ECS.AmazonECSException',
  'ECS.ThrottlingException',
  'ECS.ServerException',
  'ECS.SdkClientException',
]);

/** ECS allows 64 characters in a ClientToken; a longer run id is hashed so the token stays unique. */
export function clientToken(runId: string, attempt: number, check: number): string {
  const suffix = `-${attempt}-${check}`;
  const room = 64 - suffix.length;
  const base = runId.length <= room ? runId : createHash('sha256').update(runId).digest('hex').slice(0, room);
  return base + suffix;
}

export interface CheckFindings {
  checked: boolean;
  fits: boolean;
  placeableCount: number;
  instanceCount: number;
  shortfall?: Shortfall;
}

/**
 * The capacity decision. The waiting budget is counted in the Wait For Capacity intervals this
 * attempt has gone through (not wall-clock time), so it means the same on AWS and under the local
 * engine's time scale. A placement failure after a good check also goes through the wait, so a
 * RunTask that keeps failing to place stops once the budget is spent, even if checks say "fits".
 */
export function decideCapacity(
  state: WorkflowState,
  findings: CheckFindings,
  now: Date,
): Omit<CapacityCheck, 'target' | 'timeoutSeconds'> {
  const attempt = currentAttempt(state);
  const previous = state.check !== undefined && state.check.attempt === attempt ? state.check : undefined;
  const { waitSeconds, checkIntervalSeconds } = state.capacity;
  const waitedSeconds = previous === undefined ? 0 : previous.waitedSeconds + checkIntervalSeconds;
  const checks = (previous?.checks ?? 0) + 1;
  const decision: CapacityDecision =
    findings.fits && waitedSeconds <= waitSeconds ? 'RUN' : waitedSeconds >= waitSeconds ? 'GIVE_UP' : 'WAIT';
  const placementKeptFailing = findings.fits && decision === 'GIVE_UP';
  return {
    attempt,
    checkedAt: now.toISOString(),
    ...findings,
    waitedSeconds,
    checks,
    decision,
    clientToken:
      previous !== undefined && state.failure !== undefined && SAME_TOKEN_AFTER.has(state.failure.Error)
        ? previous.clientToken
        : clientToken(state.runId, attempt, checks),
    message: describe(state, findings, decision, waitedSeconds, placementKeptFailing),
  };
}

function describe(
  state: WorkflowState,
  findings: CheckFindings,
  decision: CapacityDecision,
  waitedSeconds: number,
  placementKeptFailing: boolean,
): string {
  const count = state.runTask.Count;
  const cluster = state.runTask.Cluster;
  if (!findings.checked)
    return `Capacity check skipped: ${launchDescription(state.runTask)} has no container instances to check.`;
  if (placementKeptFailing) {
    const why = state.failure ? ` (last: ${state.failure.Error})` : '';
    return `RunTask kept failing to place the task on cluster ${cluster} for ${waitedSeconds} s although checks found room${why}.`;
  }
  const where = `${findings.instanceCount} container instance${findings.instanceCount === 1 ? '' : 's'} of cluster ${cluster}`;
  if (findings.fits) return `${count} of ${count} task${count === 1 ? '' : 's'} fit on the ${where}.`;
  const s = findings.shortfall;
  const missing = [
    s?.cpu !== undefined ? `${s.cpu} CPU units` : undefined,
    s?.memory !== undefined ? `${s.memory} MiB` : undefined,
  ].filter(Boolean);
  const unplaced = s?.tasks ?? count;
  const short = `${unplaced} of ${count} task${count === 1 ? '' : 's'} ${unplaced === 1 ? 'does' : 'do'} not fit on the ${where}`;
  // The shortfall is what the unplaced copies would reserve (lib/placement Shortfall), not what is missing.
  const need = missing.length > 0 ? `: ${unplaced === 1 ? 'it needs' : 'they need'} ${missing.join(' and ')}` : '';
  const detail = `${need}${s?.reason ? ` (closest instance: ${s.reason})` : ''}`;
  if (decision === 'GIVE_UP') return `${short} after waiting ${waitedSeconds} s${detail}.`;
  return `${short}${detail}; waited ${waitedSeconds} of ${state.capacity.waitSeconds} s.`;
}

function launchDescription(runTask: RunTaskParameters): string {
  if (runTask.LaunchType) return `launch type ${runTask.LaunchType}`;
  const providers = (runTask.CapacityProviderStrategy ?? []).map((p) => p.CapacityProvider).join(', ');
  return `capacity provider strategy ${providers}`;
}

/**
 * Whether placement happens on container instances Berth can see: the EC2 launch type, or a
 * capacity provider strategy with any provider other than FARGATE / FARGATE_SPOT (those are
 * Auto Scaling group providers, whose instances register in the cluster).
 */
export function runsOnContainerInstances(runTask: RunTaskParameters): boolean {
  if (runTask.LaunchType !== undefined) return runTask.LaunchType === 'EC2';
  const providers = runTask.CapacityProviderStrategy ?? [];
  return providers.some((p) => p.CapacityProvider !== 'FARGATE' && p.CapacityProvider !== 'FARGATE_SPOT');
}

/** A capacity check as the run view shows it (`capacity`): what it found, without the workflow's bookkeeping. */
export function capacityView(check: CapacityCheck): CapacityView {
  const view: CapacityView = {
    checkedAt: check.checkedAt,
    fits: check.fits,
    placeableCount: check.placeableCount,
    instanceCount: check.instanceCount,
  };
  if (check.shortfall !== undefined) {
    const { tasks, cpu, memory, reason } = check.shortfall;
    view.shortfall = {
      tasks,
      ...(cpu === undefined ? {} : { cpu }),
      ...(memory === undefined ? {} : { memory }),
      ...(reason === undefined ? {} : { reason }),
    };
  }
  return view;
}
