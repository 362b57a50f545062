/**
 * POST /runs: start a run. A run is a record in the runs table (lib/runs/record.ts), written first, and one
 * execution of the run-task state machine, named by the run id (lib/runs/run-id.ts). Step Functions' rules that shape it
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html): an execution name is
 * unique per state machine for 90 days; a StartExecution with the name of an open execution and the same input
 * returns it, any other reuse is ExecutionAlreadyExists.
 */
import { randomUUID } from 'node:crypto';
import {
  type Cluster,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ConflictError, NotFoundError, PolicyError, ServiceUnavailableError, ValidationError } from '../errors';
import { checkGuardrails } from '../guardrails';
import { admitAtStart, releaseAtStart } from '../queues/admit';
import type { Queue } from '../queues/config';
import { DEFAULT_QUEUE } from '../queues/names';
import { executionQueue, resolveRunQueue, withQueueDefaults } from '../queues/run-queue';
import type { QueueStore } from '../queues/store';
import type { Violation } from '../task-definition/validate';
import { clusterName, type RunsConfig } from './config';
import { errorName } from './execution';
import type { RunRecord, RunSkip } from './record';
import { newRecord, runEnded, skippedRecord } from './record-updates';
import {
  historyBoundViolationOf,
  type RunRequest,
  type RunRequestBody,
  toExecutionInput,
  withStageDefaults,
} from './request';
import { requestHash, runIdForKey } from './run-id';
import { changeRecord, createRecord, getRecord, type RunStore } from './run-store';
import type { RunRef, RunTrigger } from './types';

export interface RunsDeps {
  sfn: SFNClient;
  ecs: ECSClient;
  config: RunsConfig;
  store: RunStore;
  /** The stage's queues (lib/queues/deployed.ts); the `default` queue alone when absent. */
  queues?: readonly Queue[];
  /**
   * The queues table: with it, a run of a queue with no limit is admitted here, before its execution starts
   * (lib/queues/admit.ts admitAtStart), and skips Enter Queue. Without it every run enters its queue in the workflow.
   */
  queueStore?: QueueStore;
  /** Injectable for tests. */
  now?: () => Date;
  newRunId?: () => string;
}

export interface StartRunInput {
  /** The POST /runs body, validated (lib/runs/request.ts RunRequestSchema). */
  request: RunRequestBody;
  idempotencyKey?: string | undefined;
  /**
   * Who asks (the IAM principal of a signed API call): an Idempotency-Key is scoped to it, so two services that
   * happen to pick the same key start two runs and never see each other's (idempotencyScope).
   */
  caller?: string | undefined;
  /** What started the run (a schedule, an event: lib/triggers); absent for POST /runs, recorded as `api`. */
  trigger?: RunTrigger;
  /**
   * Decides whether the run starts, once the request has passed every check and before anything is written (a
   * trigger's concurrencyPolicy, lib/triggers/concurrency-policy.ts): skipped, the run is recorded SKIPPED and
   * not started; `replaced` is recorded on the run. Not called for a repeat of an earlier request's key.
   */
  admit?: (runId: string) => Promise<Admission>;
}

export interface Admission {
  skipped?: RunSkip;
  replaced?: string[];
}

export interface StartRunResult extends RunRef {
  /** False when an earlier request with the same Idempotency-Key started this run. */
  created: boolean;
}

const isUnknownTaskDefinition = (err: unknown) =>
  errorName(err) === 'ClientException' && /unable to describe task definition/i.test((err as Error).message ?? '');

async function resolveTaskDefinition(ecs: ECSClient, taskDefinition: string): Promise<TaskDefinition> {
  try {
    const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
    if (out.taskDefinition === undefined) throw new Error('ECS answered without a task definition');
    return out.taskDefinition;
  } catch (err) {
    if (!isUnknownTaskDefinition(err)) throw err;
    const hasRevision = /:[0-9]+$/.test(taskDefinition);
    throw new NotFoundError(
      hasRevision
        ? `Task definition ${taskDefinition} does not exist.`
        : `Task definition family ${taskDefinition} has no ACTIVE revision.`,
    );
  }
}

/** The stage's runClusters (403): checked before any ECS call, since the stage's roles reach no other cluster. */
export function checkRunCluster(cluster: string, config: RunsConfig): void {
  if (config.runClusters.includes(clusterName(cluster))) return;
  throw new PolicyError([
    {
      rule: 'runClusters',
      path: '$.cluster',
      message: `Cluster ${clusterName(cluster)} is not one of this stage's runClusters (${config.runClusters.join(', ')}): its run-task workflow may not run tasks there.`,
    },
  ]);
}

/**
 * The run's cluster as ECS describes it (DescribeClusters:
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeClusters.html answers an unknown one in
 * `failures[]` with reason MISSING): 404 naming `$.cluster` when it does not exist or was deleted (INACTIVE), as
 * RunTask would answer ClusterNotFoundException after the run was acknowledged.
 */
async function resolveCluster(ecs: ECSClient, cluster: string, fromRequest: boolean): Promise<Cluster> {
  const out = await ecs.send(new DescribeClustersCommand({ clusters: [cluster] }));
  const found = out.clusters?.find((c) => c.status !== 'INACTIVE');
  if (found === undefined) {
    throw new NotFoundError(
      `Cluster ${cluster} does not exist${fromRequest ? '' : " (it is this stage's default cluster)"}.`,
      '$.cluster',
    );
  }
  return found;
}

/**
 * Capacity providers the request names that are not associated with the cluster: RunTask refuses them with this
 * InvalidParameterException, FARGATE and FARGATE_SPOT included (they must be associated like any other).
 */
function checkAgainstCluster(request: RunRequest, cluster: Cluster): Violation[] {
  const associated = new Set(cluster.capacityProviders ?? []);
  return (request.capacityProviderStrategy ?? []).flatMap((item, i) =>
    associated.has(item.capacityProvider)
      ? []
      : [
          {
            path: `$.capacityProviderStrategy[${i}].capacityProvider`,
            message: `Capacity provider ${item.capacityProvider} is not associated with cluster ${cluster.clusterName}: the specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`,
          },
        ],
  );
}

/** What ECS's RunTask would refuse about this request on this task definition, found before anything starts. */
function checkAgainstTaskDefinition(
  request: RunRequest,
  td: TaskDefinition,
  config: RunsConfig,
): { violations: Violation[]; network?: RunRequest['networkConfiguration'] } {
  const violations: Violation[] = [];
  if (td.status === 'INACTIVE') {
    // RunTask answers ClientException "TaskDefinition is inactive": a 400 to AWS users, not a conflict.
    violations.push({
      path: '$.taskDefinition',
      message: `TaskDefinition is inactive: ${td.taskDefinitionArn} was deregistered; run an ACTIVE revision.`,
    });
  }
  const containers = new Set((td.containerDefinitions ?? []).map((c) => c.name));
  request.overrides?.containerOverrides?.forEach((o, i) => {
    if (!containers.has(o.name)) {
      violations.push({
        path: `$.overrides.containerOverrides[${i}].name`,
        message: `Override for container named ${o.name} is not a container in the TaskDefinition.`,
      });
    }
  });
  if (
    request.launchType !== undefined &&
    td.compatibilities !== undefined &&
    !td.compatibilities.includes(request.launchType)
  ) {
    violations.push({
      path: '$.launchType',
      message: `Task definition does not support launch_type ${request.launchType}.`,
    });
  }
  const constraints = (td.placementConstraints?.length ?? 0) + (request.placementConstraints?.length ?? 0);
  if (constraints > 10) {
    violations.push({
      path: '$.placementConstraints',
      message: `Too many placement constraints: ${constraints} (at most 10, counting the task definition's).`,
    });
  }
  let network: RunRequest['networkConfiguration'];
  if (td.networkMode === 'awsvpc') {
    network = request.networkConfiguration ?? config.defaultNetwork;
    if (network === undefined) {
      violations.push({
        path: '$.networkConfiguration',
        message:
          "Network Configuration must be provided when networkMode 'awsvpc' is specified (this stage has no default subnets).",
      });
    }
  } else if (request.networkConfiguration !== undefined) {
    violations.push({
      path: '$.networkConfiguration',
      message: 'Network Configuration is not valid for the given networkMode of this task definition.',
    });
  }
  return { violations, ...(network !== undefined && { network }) };
}

/** The stage's rules for a run: its family in runFamilies, and the task size limits on the task as the overrides make it. */
function checkStageRules(request: RunRequest, td: TaskDefinition, config: RunsConfig) {
  const overrides = request.overrides;
  const byName = new Map((overrides?.containerOverrides ?? []).map((o) => [o.name, o]));
  const refused = checkGuardrails(
    {
      family: td.family,
      cpu: overrides?.cpu ?? td.cpu,
      memory: overrides?.memory ?? td.memory,
      containerDefinitions: (td.containerDefinitions ?? []).map((c) => {
        const o = c.name === undefined ? undefined : byName.get(c.name);
        return {
          cpu: o?.cpu ?? c.cpu,
          memory: o?.memory ?? c.memory,
          memoryReservation: o?.memoryReservation ?? c.memoryReservation,
        };
      }),
    },
    {
      ...config.guardrails,
      allowedRoleArns: ['*'],
      allowedImages: ['*'],
      allowPrivileged: true,
      allowHostNetwork: true,
    },
  ).map((v) => ({
    ...v,
    path: overrides === undefined || v.rule === 'runFamilies' ? '$.taskDefinition' : '$.overrides',
  }));
  if (refused.length > 0) throw new PolicyError(refused);
}

/** An earlier request with the same key: the same run if it asked for the same thing, else 409. */
async function repeated(deps: RunsDeps, record: RunRecord, key: string, hash: string): Promise<StartRunResult> {
  if (record.idempotency?.key !== key || record.idempotency.requestHash !== hash) {
    throw new ConflictError(
      `Idempotency-Key ${JSON.stringify(key)} was already used for another request (run ${record.runId}); use a new key for a new run.`,
    );
  }
  // The first request may have died between its write and StartExecution: this one completes the start.
  if (record.status === 'PENDING') await startExecution(deps, record);
  return { runId: record.runId, status: record.status, created: false };
}

/**
 * Starts the execution of a recorded run, named by its run id, with the input the record holds. Already started
 * (by the first request, a repeat or the reconciler) is success: the input comes from the record, so it is the
 * same execution.
 */
export async function startExecution(
  deps: { sfn: SFNClient; config: Pick<RunsConfig, 'stateMachineArn'> },
  record: RunRecord,
): Promise<void> {
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: deps.config.stateMachineArn,
        name: record.runId,
        input: JSON.stringify(record.executionInput),
      }),
    );
  } catch (err) {
    if (errorName(err) === 'ExecutionAlreadyExists') return;
    if (errorName(err) === 'ExecutionLimitExceeded') {
      throw new ServiceUnavailableError('Too many runs are in progress on this stage; retry once some have finished.');
    }
    throw err;
  }
}

/** A run request checked against the stage, its task definition and its cluster: what a run would start with. */
export interface CheckedRunRequest {
  td: TaskDefinition;
  cluster: Cluster;
  clusterNamed: string;
  network?: RunRequest['networkConfiguration'];
}

/**
 * Step 3 of startRun, shared with the placement plan (lib/runs/plan-run.ts) so that a plan is refused exactly
 * when the run would be: runClusters (403), the task definition and cluster (404, 400), the stage's rules (403).
 */
export async function checkRunRequest(
  deps: Pick<RunsDeps, 'ecs' | 'config'>,
  request: RunRequest,
): Promise<CheckedRunRequest> {
  const { config } = deps;
  const clusterNamed = request.cluster ?? config.defaultCluster;
  checkRunCluster(clusterNamed, config);
  // Both looked up at once; an unknown task definition is reported before an unknown cluster.
  const [tdLookup, clusterLookup] = await Promise.allSettled([
    resolveTaskDefinition(deps.ecs, request.taskDefinition),
    resolveCluster(deps.ecs, clusterNamed, request.cluster !== undefined),
  ]);
  if (tdLookup.status === 'rejected') throw tdLookup.reason;
  if (clusterLookup.status === 'rejected') throw clusterLookup.reason;
  const td = tdLookup.value;
  const cluster = clusterLookup.value;
  const { violations, network } = checkAgainstTaskDefinition(request, td, config);
  violations.push(...checkAgainstCluster(request, cluster));
  if (violations.length > 0) throw new ValidationError(violations);
  checkStageRules(request, td, config);
  return { td, cluster, clusterNamed, ...(network !== undefined && { network }) };
}

/**
 * Starts a run (the body and the Idempotency-Key were validated at the boundary: lib/routes/start-run.ts).
 * 1. Resolve the run's queue (400 for an unknown queue, or a shareIdentifier the queue does not take); apply the
 *    queue's defaults (cluster, capacity), then the stage's; refuse a run whose worst case would outgrow its
 *    execution history.
 * 2. With a key, the run id is derived from it: if that run's record exists, answer it (same request; a record
 *    still PENDING gets its execution started, in case the first request died before) or 409 (another request).
 * 3. The cluster must be one of the stage's runClusters (403). Resolve the task definition (404 unknown, 400
 *    INACTIVE) and the cluster (404 unknown or deleted), and check the request against them (container names,
 *    launch type, network mode, capacity providers associated with the cluster; stage defaults for cluster and
 *    awsvpc network), then the stage's runFamilies and size limits (403): a mistake is refused now, not as a
 *    failed execution later.
 * 4. Admit the run (input.admit: a trigger's concurrencyPolicy). Write the PENDING record, or the SKIPPED one
 *    when it is not admitted, which ends there (only if none has the id: a key racing with itself finds the
 *    winner's, step 2).
 * 5. Start the execution named by the run id. A crash between 4 and 5 leaves a PENDING record and no execution,
 *    never the reverse, and no 202 was sent: a repeat with the key (step 2) or the reconciler
 *    (lib/runs/reconcile-runs.ts) completes or fails it. A StartExecution that fails here fails a run without a
 *    key at once (nobody can complete it); with a key the record waits for the repeat.
 */
export async function startRun(deps: RunsDeps, input: StartRunInput): Promise<StartRunResult> {
  const { config } = deps;
  const key = input.idempotencyKey;
  const queue = resolveRunQueue(input.request, deps.queues ?? [{ name: DEFAULT_QUEUE }]);
  const request = withStageDefaults(withQueueDefaults(input.request, queue), config);
  const historyBound = historyBoundViolationOf(request);
  if (historyBound !== undefined) throw new ValidationError([historyBound]);
  const now = (deps.now ?? (() => new Date()))();

  const runId = key === undefined ? (deps.newRunId ?? randomUUID)() : runIdForKey(key, input.caller);
  const hash = key === undefined ? undefined : requestHash(request);
  if (key !== undefined && hash !== undefined) {
    const existing = await getRecord(deps.store, runId);
    if (existing !== undefined) return repeated(deps, existing, key, hash);
  }

  const { td, clusterNamed, network } = await checkRunRequest(deps, request);

  const trigger = input.trigger ?? { type: 'api', ...(request.startedBy !== undefined && { name: request.startedBy }) };
  const taskDefinitionArn = td.taskDefinitionArn ?? request.taskDefinition;
  const idempotency = key !== undefined && hash !== undefined ? { key, requestHash: hash } : undefined;
  const executionInput = toExecutionInput({
    runId,
    submittedAt: now,
    request,
    taskDefinitionArn,
    cluster: clusterNamed,
    ...(network !== undefined && { networkConfiguration: network }),
    trigger,
    ...(idempotency !== undefined && { idempotency }),
    queue: executionQueue(queue, request, now),
  });
  const admission: Admission = input.admit === undefined ? {} : await input.admit(runId);
  const place = {
    name: queue.name,
    priority: request.priority ?? 0,
    ...(request.shareIdentifier !== undefined && { shareIdentifier: request.shareIdentifier }),
    enqueuedAt: now.toISOString(),
  };
  const admittedAt =
    admission.skipped === undefined && deps.queueStore !== undefined
      ? await admitAtStart({ store: deps.queueStore, queues: deps.queues ?? [] }, runId, place, now)
      : undefined;
  if (admittedAt !== undefined && executionInput.queue !== undefined) executionInput.queue.admittedAt = admittedAt;
  const run = {
    runId,
    family: td.family ?? familyOf(taskDefinitionArn),
    taskDefinitionArn,
    cluster: clusterNamed,
    trigger,
    request: request as unknown as Record<string, unknown>,
    executionInput: executionInput as unknown as Record<string, unknown>,
    principal: input.caller,
    idempotency,
    createdAt: now,
    retentionDays: deps.store.config.retentionDays,
    queue: { ...place, ...(admittedAt !== undefined && { admittedAt }) },
    // Where each container logs, so GET /runs/{id} and its logs name the streams without reading ECS.
    logging: (td.containerDefinitions ?? []).map((c) => ({
      name: c.name ?? '',
      essential: c.essential !== false,
      ...(c.logConfiguration?.logDriver !== undefined && {
        logConfiguration: {
          logDriver: c.logConfiguration.logDriver,
          ...(c.logConfiguration.options !== undefined && { options: c.logConfiguration.options }),
        },
      }),
    })),
    replaced: admission.replaced,
  };
  const record = admission.skipped === undefined ? newRecord(run) : skippedRecord(run, admission.skipped);
  if (!(await createRecord(deps.store, record))) {
    // A fresh run id that exists already gives back the slot just taken; a key's run id is the winner's run, whose
    // slot this is.
    if (admittedAt !== undefined && key === undefined && deps.queueStore !== undefined) {
      await releaseAtStart({ store: deps.queueStore }, runId, place);
    }
    const winner = await getRecord(deps.store, runId);
    if (winner !== undefined && key !== undefined && hash !== undefined) return repeated(deps, winner, key, hash);
    throw new ConflictError(`Run ${runId} exists already.`);
  }
  if (record.status === 'SKIPPED') return { runId, status: record.status, created: true };
  try {
    await startExecution(deps, record);
  } catch (err) {
    if (key === undefined) {
      await changeRecord(
        deps.store,
        runId,
        runEnded({
          status: 'FAILED',
          stoppedAt: new Date().toISOString(),
          error: {
            code: 'StartExecutionFailed',
            message: `The run's execution could not be started: ${(err as Error).message}`,
          },
          source: 'reconciler',
        }),
      ).catch(() => undefined); // The reconciler fails it later if this write fails too.
      // No execution will end to release its slot (the queue reconciler would, once the record says FAILED).
      if (admittedAt !== undefined && deps.queueStore !== undefined) {
        await releaseAtStart({ store: deps.queueStore }, runId, place).catch(() => undefined);
      }
    }
    throw err;
  }
  return { runId, status: 'PENDING', created: true };
}

/** `arn:aws:ecs:...:task-definition/family:3` -> `family`. */
function familyOf(taskDefinitionArn: string): string {
  return /task-definition\/([^:]+)/.exec(taskDefinitionArn)?.[1] ?? taskDefinitionArn;
}
