/**
 * Run use cases. Each takes its dependencies first ({ sfn, ecs, config }) so tests pass mocked
 * clients and local mode changes only the endpoints the clients talk to.
 *
 * A run is one execution of the run-task state machine, named by the run id: there is no table.
 * Step Functions' rules that shape these use cases
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html):
 * an execution name is 1..80 characters without whitespace, brackets, wildcards, `"#%\^|~`$&,;:/`
 * or control characters, unique per state machine for 90 days; a StartExecution with the name of an
 * open execution and the same input returns it, any other reuse is ExecutionAlreadyExists.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  type Cluster,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mapLimited } from '../concurrency';
import { ConflictError, NotFoundError, PolicyError, ServiceUnavailableError, ValidationError } from '../errors';
import { checkGuardrails } from '../guardrails';
import type { Violation } from '../task-definition/validate';
import { clusterName, type RunsConfig } from './config';
import { canonicalJson, parseRunRequest, toExecutionInput } from './request';
import { readSyncTask } from './sync-task';
import {
  type ExecutionInput,
  RUN_STATUSES,
  type RunRequest,
  type RunStatus,
  type RunTrigger,
  type RunView,
} from './types';
import { runView } from './view';

export interface RunsDeps {
  sfn: SFNClient;
  ecs: ECSClient;
  config: RunsConfig;
  /** Injectable for tests. */
  now?: () => Date;
  newRunId?: () => string;
}

export interface RunRef {
  runId: string;
  status: RunStatus;
}

export const locationOfRun = (runId: string) => `/runs/${encodeURIComponent(runId)}`;

// ---------------------------------------------------------------------------------------------
// Run ids and idempotency keys
// ---------------------------------------------------------------------------------------------

// \p{Cc} is exactly the control characters Step Functions refuses (U+0000-001F, U+007F-009F).
const RUN_ID = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]{1,80}$/u;
const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,64}$/;

function checkRunId(runId: string | undefined): string {
  if (runId === undefined || !RUN_ID.test(runId)) {
    throw new ValidationError([
      { path: '$.runId', message: 'A run id is 1 to 80 characters, without spaces, brackets or ?*"#%\\^|~`$&,;:/.' },
    ]);
  }
  return runId;
}

/** What is wrong with the Idempotency-Key header (at most 64 printable ASCII characters), if anything. */
export function idempotencyKeyViolations(key: string | undefined): Violation[] {
  if (key === undefined || IDEMPOTENCY_KEY.test(key)) return [];
  return [
    {
      path: "$.headers['Idempotency-Key']",
      message: 'Idempotency-Key must be 1 to 64 printable ASCII characters.',
    },
  ];
}

const ASSUMED_ROLE = /^arn:([\w-]+):sts::(\d{12}):assumed-role\/([^/]+)\/[^/]+$/;

/**
 * The principal an Idempotency-Key belongs to: the caller's ARN, with an assumed role's session name dropped
 * (`arn:aws:sts::123456789012:assumed-role/orders/i-0abc` -> `arn:aws:iam::123456789012:role/orders`). A service
 * retrying from another instance or container of itself has another session name and must find its run again.
 */
export function idempotencyScope(caller: string): string {
  const role = ASSUMED_ROLE.exec(caller);
  return role === null ? caller : `arn:${role[1]}:iam::${role[2]}:role/${role[3]}`;
}

/**
 * The run id a key maps to: a UUID (version 8, RFC 9562) from the SHA-256 of the key and its caller's scope
 * (idempotencyScope), so a repeat finds the same execution name with no table, and keyed ids look like the
 * random (version 4) ones.
 */
export function runIdForKey(key: string, caller?: string): string {
  const scope = caller === undefined ? '' : idempotencyScope(caller);
  const hex = createHash('sha256').update(`berth:idempotency-key:${scope}\n${key}`).digest('hex');
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function requestHash(request: RunRequest): string {
  return createHash('sha256').update(canonicalJson(request)).digest('base64url');
}

function executionArnOf(config: RunsConfig, runId: string): string {
  return `${config.stateMachineArn.replace(':stateMachine:', ':execution:')}:${runId}`;
}

const errorName = (err: unknown) => (err as { name?: string } | undefined)?.name;

async function describeExecution(
  deps: Pick<RunsDeps, 'sfn' | 'config'>,
  runId: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await deps.sfn.send(new DescribeExecutionCommand({ executionArn: executionArnOf(deps.config, runId) }));
  } catch (err) {
    if (errorName(err) === 'ExecutionDoesNotExist') return undefined;
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// POST /runs
// ---------------------------------------------------------------------------------------------

export interface StartRunInput {
  body: unknown;
  idempotencyKey?: string | undefined;
  /**
   * Who asks (the IAM principal of a signed API call): an Idempotency-Key is scoped to it, so two services that
   * happen to pick the same key start two runs and never see each other's (idempotencyScope).
   */
  caller?: string | undefined;
  /** What started the run (a schedule, an event: lib/triggers); absent for POST /runs, recorded as `api`. */
  trigger?: RunTrigger;
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
function checkRunCluster(cluster: string, config: RunsConfig): void {
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
async function repeated(
  deps: RunsDeps,
  runId: string,
  key: string,
  hash: string,
  execution: DescribeExecutionCommandOutput,
): Promise<StartRunResult> {
  let stored: Partial<ExecutionInput> | undefined;
  try {
    stored = JSON.parse(execution.input ?? '{}') as Partial<ExecutionInput>;
  } catch {
    stored = undefined;
  }
  if (stored?.idempotency?.key !== key || stored.idempotency.requestHash !== hash) {
    throw new ConflictError(
      `Idempotency-Key ${JSON.stringify(key)} was already used for another request (run ${runId}); use a new key for a new run.`,
    );
  }
  const view = await getRun(deps, runId, execution);
  return { runId, status: view.status, created: false };
}

/**
 * Starts a run.
 * 1. Validate the body and the Idempotency-Key header (every violation of both at once: 400).
 * 2. With a key, the run id is derived from it: if that execution exists, answer it (same request)
 *    or 409 (another request), whatever has changed since.
 * 3. The cluster must be one of the stage's runClusters (403). Resolve the task definition (404 unknown, 400
 *    INACTIVE) and the cluster (404 unknown or deleted), and check the request against them (container names,
 *    launch type, network mode, capacity providers associated with the cluster; stage defaults for cluster and
 *    awsvpc network), then the stage's runFamilies and size limits (403): a mistake is refused now, not as a
 *    failed execution later.
 * 4. Start the execution named by the run id. A key racing with itself lands on
 *    ExecutionAlreadyExists: then it is step 2 again.
 */
export async function startRun(deps: RunsDeps, input: StartRunInput): Promise<StartRunResult> {
  const { config } = deps;
  const key = input.idempotencyKey;
  const parsed = parseRunRequest(input.body, config);
  const invalid = [...idempotencyKeyViolations(key), ...(parsed.ok ? [] : parsed.violations)];
  if (!parsed.ok || invalid.length > 0) throw new ValidationError(invalid);
  const request = parsed.value;

  const runId = key === undefined ? (deps.newRunId ?? randomUUID)() : runIdForKey(key, input.caller);
  const hash = key === undefined ? undefined : requestHash(request);
  if (key !== undefined && hash !== undefined) {
    const existing = await describeExecution(deps, runId);
    if (existing !== undefined) return repeated(deps, runId, key, hash, existing);
  }

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

  const executionInput = toExecutionInput({
    runId,
    submittedAt: (deps.now ?? (() => new Date()))(),
    request,
    taskDefinitionArn: td.taskDefinitionArn ?? request.taskDefinition,
    cluster: clusterNamed,
    ...(network !== undefined && { networkConfiguration: network }),
    trigger: input.trigger ?? { type: 'api', ...(request.startedBy !== undefined && { name: request.startedBy }) },
    ...(key !== undefined && hash !== undefined && { idempotency: { key, requestHash: hash } }),
  });
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: config.stateMachineArn,
        name: runId,
        input: JSON.stringify(executionInput),
      }),
    );
  } catch (err) {
    if (errorName(err) === 'ExecutionAlreadyExists' && key !== undefined && hash !== undefined) {
      const existing = await describeExecution(deps, runId);
      if (existing !== undefined) return repeated(deps, runId, key, hash, existing);
    }
    if (errorName(err) === 'ExecutionLimitExceeded') {
      throw new ServiceUnavailableError('Too many runs are in progress on this stage; retry once some have finished.');
    }
    throw err;
  }
  return { runId, status: 'PENDING', created: true };
}

// ---------------------------------------------------------------------------------------------
// GET /runs/{runId}
// ---------------------------------------------------------------------------------------------

async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * A cancelled attempt as ECS tells it. Stopping an execution records nothing about its `.sync`
 * task in the history (the abort ends the state with no TaskFailed/TaskSucceeded), so the stop
 * code, reason and exit codes of the task the cancel stopped are read from ECS itself
 * (DescribeTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html;
 * stopped tasks stay describable for at least an hour). Best effort: a task still stopping, gone,
 * or a failed call leaves the attempt as the history has it rather than failing the GET.
 */
async function fillCancelledAttempts(ecs: ECSClient, view: RunView): Promise<void> {
  const pending = view.attempts.filter((a) => a.outcome === 'CANCELLED' && a.stopCode === undefined);
  const arns = pending.flatMap((a) => a.taskArns).slice(0, 100);
  if (arns.length === 0) return;
  let tasks: unknown[];
  try {
    tasks = (await ecs.send(new DescribeTasksCommand({ cluster: view.cluster, tasks: arns }))).tasks ?? [];
  } catch {
    return;
  }
  const byArn = new Map(
    tasks.map(readSyncTask).flatMap((t) => (t !== undefined && t.lastStatus === 'STOPPED' ? [[t.taskArn, t]] : [])),
  );
  for (const attempt of pending) {
    const task = attempt.taskArns.map((arn) => byArn.get(arn)).find((t) => t !== undefined);
    if (task === undefined) continue;
    if (task.stopCode !== undefined) attempt.stopCode = task.stopCode;
    if (task.stoppedReason !== undefined) attempt.stoppedReason = task.stoppedReason;
    if (task.stoppedAt !== undefined) attempt.stoppedAt = task.stoppedAt;
    if (attempt.containers.length === 0) attempt.containers = task.containers;
  }
}

/**
 * One run as the execution and its history tell it (lib/runs/view.ts).
 * 1. Describe the execution named by the run id (404 when there is none).
 * 2. Read its whole history, page by page, and build the view.
 * 3. With an ECS client, complete a cancelled attempt from its stopped task (fillCancelledAttempts).
 */
export async function getRun(
  deps: Pick<RunsDeps, 'sfn' | 'config'> & { ecs?: ECSClient },
  runId: string | undefined,
  described?: DescribeExecutionCommandOutput,
): Promise<RunView> {
  const id = checkRunId(runId);
  const execution = described ?? (await describeExecution(deps, id));
  if (execution === undefined) throw new NotFoundError(`Run ${id} does not exist.`);
  const events = await historyOf(deps.sfn, execution.executionArn ?? executionArnOf(deps.config, id));
  const view = runView(execution, events);
  if (deps.ecs !== undefined && view.status === 'CANCELLED') await fillCancelledAttempts(deps.ecs, view);
  return view;
}

// ---------------------------------------------------------------------------------------------
// GET /runs?status=&limit=&nextToken=
// ---------------------------------------------------------------------------------------------

export interface ListRunsQuery {
  status?: string;
  limit?: string;
  nextToken?: string;
}

export interface RunSummary {
  runId: string;
  status: RunStatus;
  /** ISO-8601. */
  createdAt: string;
  stoppedAt?: string;
}

/** The execution status each run status lives under: the ListExecutions filter for it. */
const EXECUTION_STATUS_OF: Readonly<Record<RunStatus, ExecutionStatus | undefined>> = {
  PENDING: 'RUNNING',
  WAITING_FOR_CAPACITY: 'RUNNING',
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  CANCELLED: 'ABORTED',
  // An attempt's timeout fails the execution; an execution-level timeout is TIMED_OUT: both qualify.
  TIMED_OUT: undefined,
};

/** Run statuses an execution in this status can have; only these need a look at its history. */
function possibleStatuses(status: ExecutionStatus | string | undefined): readonly RunStatus[] {
  switch (status) {
    case 'SUCCEEDED':
      return ['SUCCEEDED'];
    case 'ABORTED':
      return ['CANCELLED'];
    case 'TIMED_OUT':
      return ['TIMED_OUT'];
    case 'RUNNING':
      return ['PENDING', 'WAITING_FOR_CAPACITY', 'RUNNING'];
    default:
      return ['FAILED', 'TIMED_OUT', 'CANCELLED'];
  }
}

interface PageToken {
  /** The status filter the token was issued for: Step Functions refuses a token with another filter. */
  s: string;
  t: string;
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeToken(raw: string, status: string): string {
  const invalid = () =>
    new ValidationError([
      { path: '$.nextToken', message: 'nextToken must be the token a previous page with the same status returned.' },
    ]);
  if (raw.length === 0 || raw.length > 8192 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw invalid();
  let token: Partial<PageToken>;
  try {
    token = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<PageToken>;
  } catch {
    throw invalid();
  }
  if (typeof token?.t !== 'string' || token.t === '' || token.s !== status) throw invalid();
  return token.t;
}

/**
 * Runs, newest first, one page at a time.
 * 1. Validate the query; the status maps to a ListExecutions status filter where one execution
 *    status holds it (TIMED_OUT lives in two, so it lists unfiltered).
 * 2. List one page of executions. Succeeded, aborted and timed-out executions say their run status
 *    themselves; a running or failed one is looked into (history) only when the filter could match it.
 * A page can therefore hold fewer than `limit` runs and still have a nextToken: follow it until it is absent.
 */
export async function listRuns(deps: Pick<RunsDeps, 'sfn' | 'config'>, query: ListRunsQuery) {
  const violations: Violation[] = [];
  const wanted = query.status?.toUpperCase() as RunStatus | undefined;
  if (wanted !== undefined && !RUN_STATUSES.includes(wanted)) {
    violations.push({ path: '$.status', message: `Status must be one of ${RUN_STATUSES.join(', ')}.` });
  }
  const limit = query.limit === undefined ? 20 : Number(query.limit);
  if (!/^[0-9]+$/.test(query.limit ?? '20') || limit < 1 || limit > 100) {
    violations.push({ path: '$.limit', message: 'Limit must be an integer from 1 to 100.' });
  }
  let sfnToken: string | undefined;
  try {
    if (query.nextToken !== undefined) sfnToken = decodeToken(query.nextToken, wanted ?? '');
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    violations.push(...err.violations);
  }
  if (violations.length > 0) throw new ValidationError(violations);

  const statusFilter = wanted === undefined ? undefined : EXECUTION_STATUS_OF[wanted];
  let page: { executions?: ExecutionListItem[]; nextToken?: string };
  try {
    page = await deps.sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: deps.config.stateMachineArn,
        maxResults: limit,
        ...(statusFilter !== undefined && { statusFilter }),
        ...(sfnToken !== undefined && { nextToken: sfnToken }),
      }),
    );
  } catch (err) {
    if (errorName(err) === 'InvalidToken') {
      throw new ValidationError([
        { path: '$.nextToken', message: 'nextToken has expired or is not valid; list again from the first page.' },
      ]);
    }
    throw err;
  }

  const summaries = await mapLimited(page.executions ?? [], 4, async (execution): Promise<RunSummary | undefined> => {
    const possible = possibleStatuses(execution.status);
    if (wanted !== undefined && !possible.includes(wanted)) return undefined;
    const runId = execution.name ?? '';
    let status: RunStatus | undefined = possible.length === 1 ? possible[0] : undefined;
    if (status === undefined) {
      status = await getRun(deps, runId).then(
        (view) => view.status,
        (err) => {
          if (err instanceof NotFoundError) return undefined; // expired between the two calls
          throw err;
        },
      );
    }
    if (status === undefined || (wanted !== undefined && status !== wanted)) return undefined;
    return {
      runId,
      status,
      createdAt: (execution.startDate ?? new Date(0)).toISOString(),
      ...(execution.stopDate !== undefined && { stoppedAt: execution.stopDate.toISOString() }),
    };
  });
  return {
    items: summaries.filter((s): s is RunSummary => s !== undefined),
    ...(page.nextToken ? { nextToken: encodeToken({ s: wanted ?? '', t: page.nextToken }) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// POST /runs/{runId}/cancel
// ---------------------------------------------------------------------------------------------

export const CANCEL_ERROR = 'Berth.Cancelled';

/**
 * Cancels a run.
 * 1. Describe the execution (404 when there is none, 409 when it has already finished).
 * 2. Stop it with a cause naming the cancel. Stopping the execution stops its ECS task (Step
 *    Functions does it for `.sync` tasks; the local engine does the same), asynchronously: 202.
 */
export async function cancelRun(
  deps: Pick<RunsDeps, 'sfn' | 'config'> & { now?: () => Date },
  runId: string | undefined,
  requestId: string,
) {
  const id = checkRunId(runId);
  const execution = await describeExecution(deps, id);
  if (execution === undefined) throw new NotFoundError(`Run ${id} does not exist.`);
  if (execution.status !== 'RUNNING') {
    throw new ConflictError(
      `Run ${id} has already finished (execution ${execution.status}); there is nothing to cancel.`,
    );
  }
  const out = await deps.sfn.send(
    new StopExecutionCommand({
      executionArn: execution.executionArn ?? executionArnOf(deps.config, id),
      error: CANCEL_ERROR,
      cause: `Run ${id} was cancelled through POST /runs/${id}/cancel${requestId ? ` (request ${requestId})` : ''}.`,
    }),
  );
  return {
    runId: id,
    status: 'CANCELLED' as RunStatus,
    stoppedAt: (out.stopDate ?? (deps.now ?? (() => new Date()))()).toISOString(),
  };
}
