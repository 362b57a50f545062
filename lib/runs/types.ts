/**
 * Shapes shared by the /runs API (POST /runs builds an ExecutionInput, GET /runs/{runId} returns
 * a RunView) and the run-task workflow (reads the ExecutionInput; `runView` builds the RunView
 * from the execution and its history). Plain structural types, no SDK or zod imports, so both
 * sides and the Lambdas the workflow calls can import them without bundling anything.
 */

// ---------------------------------------------------------------------------------------------
// POST /runs body, validated (lib/runs/request.ts), defaults applied. camelCase as ECS RunTask's
// `--cli-input-json` takes it.
// ---------------------------------------------------------------------------------------------

export type RetryAction = 'RETRY' | 'EXIT';

/**
 * One AWS Batch `evaluateOnExit` rule: exactly one of the three conditions, a glob (`*` matches
 * any run of characters); `action` normalised to upper case (Batch takes it case-insensitively).
 */
export interface EvaluateOnExitRule {
  onExitCode?: string;
  onStatusReason?: string;
  onReason?: string;
  action: RetryAction;
}

export interface RunRetryRequest {
  /** 1..10, default 1 (no retry), as AWS Batch's `retryStrategy.attempts`. */
  attempts: number;
  /** Seconds before the first retry; the conversion fills a default. */
  backoffSeconds?: number;
  /** Multiplier applied to the wait before each further retry; the conversion fills a default. */
  backoffRate?: number;
  /** Up to 5 rules, first match wins; default []. */
  evaluateOnExit: EvaluateOnExitRule[];
}

export interface RunCapacity {
  /** How long to wait for room on the cluster before failing with InsufficientCapacity. */
  waitSeconds: number;
  /** How often to check again while waiting. */
  checkIntervalSeconds: number;
}

export interface KeyValuePair {
  name: string;
  value: string;
}

export interface ContainerOverrideRequest {
  name: string;
  command?: string[];
  environment?: KeyValuePair[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

export interface TaskOverrideRequest {
  containerOverrides?: ContainerOverrideRequest[];
  /** Task-level CPU units, as ECS takes it: a string. */
  cpu?: string;
  /** Task-level MiB, as ECS takes it: a string. */
  memory?: string;
}

export interface CapacityProviderStrategyItemRequest {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

export interface NetworkConfigurationRequest {
  awsvpcConfiguration: {
    subnets: string[];
    securityGroups?: string[];
    assignPublicIp?: 'ENABLED' | 'DISABLED';
  };
}

export interface PlacementConstraintRequest {
  type: 'distinctInstance' | 'memberOf';
  expression?: string;
}

export interface PlacementStrategyRequest {
  type: 'random' | 'spread' | 'binpack';
  field?: string;
}

export interface TagRequest {
  key: string;
  value?: string;
}

export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL';

export type PropagateTags = 'TASK_DEFINITION' | 'SERVICE' | 'NONE';

export interface RunRequest {
  /** family, family:revision or a task definition ARN. */
  taskDefinition: string;
  /** Cluster name or ARN; absent: the stage's default cluster. */
  cluster?: string;
  /** 1..10, default 1. */
  count: number;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItemRequest[];
  networkConfiguration?: NetworkConfigurationRequest;
  overrides?: TaskOverrideRequest;
  placementConstraints?: PlacementConstraintRequest[];
  placementStrategy?: PlacementStrategyRequest[];
  retry: RunRetryRequest;
  /** Per attempt. */
  timeoutSeconds?: number;
  capacity: RunCapacity;
  tags?: TagRequest[];
  propagateTags?: PropagateTags;
  /** Who or what asked for the run (recorded as the trigger's name). */
  startedBy?: string;
}

// ---------------------------------------------------------------------------------------------
// The execution input: what POST /runs starts the run-task state machine with. The execution
// name is the run id.
// ---------------------------------------------------------------------------------------------

export type TriggerType = 'api' | 'schedule' | 'event';

export interface RunTrigger {
  type: TriggerType;
  name?: string;
  eventId?: string;
}

/** The RunTask Parameters of the `ecs:runTask.sync` state, PascalCase exactly as Step Functions takes them. */
export interface RunTaskParameters {
  Cluster: string;
  TaskDefinition: string;
  Count: number;
  LaunchType?: LaunchType;
  CapacityProviderStrategy?: { CapacityProvider: string; Weight?: number; Base?: number }[];
  NetworkConfiguration?: {
    AwsvpcConfiguration: {
      Subnets: string[];
      SecurityGroups?: string[];
      AssignPublicIp?: 'ENABLED' | 'DISABLED';
    };
  };
  Overrides?: {
    ContainerOverrides?: {
      Name: string;
      Command?: string[];
      Environment?: { Name: string; Value: string }[];
      Cpu?: number;
      Memory?: number;
      MemoryReservation?: number;
    }[];
    Cpu?: string;
    Memory?: string;
  };
  PlacementConstraints?: { Type: string; Expression?: string }[];
  PlacementStrategy?: { Type: string; Field?: string }[];
  Tags?: { Key: string; Value?: string }[];
  PropagateTags?: PropagateTags;
}

export interface ExecutionRetry {
  attempts: number;
  backoffSeconds: number;
  backoffRate: number;
  evaluateOnExit: EvaluateOnExitRule[];
}

export interface ExecutionInput {
  runId: string;
  /** ISO-8601. */
  submittedAt: string;
  trigger?: RunTrigger;
  /** Resolved by POST /runs (DescribeTaskDefinition): always a full ARN with its revision. */
  taskDefinitionArn: string;
  /** StartedBy, Group and ClientToken are added by the ASL. */
  runTask: RunTaskParameters;
  retry: ExecutionRetry;
  /** Per attempt. */
  timeoutSeconds?: number;
  capacity: RunCapacity;
  /**
   * Set when POST /runs got an `Idempotency-Key`: the run id is derived from the key, and a repeat
   * with the same key is compared with this hash of the validated request (same: the same run;
   * another: 409). The workflow ignores it.
   */
  idempotency?: { key: string; requestHash: string };
}

// ---------------------------------------------------------------------------------------------
// GET /runs/{runId}
// ---------------------------------------------------------------------------------------------

export const RUN_STATUSES = [
  'PENDING',
  'WAITING_FOR_CAPACITY',
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'CANCELLED',
  'TIMED_OUT',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export type AttemptOutcome = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CANCELLED' | 'RUNNING';

export interface ContainerView {
  name: string;
  exitCode?: number;
  reason?: string;
}

export interface AttemptView {
  /** 1-based. */
  attempt: number;
  taskArns: string[];
  /** ISO-8601. */
  startedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerView[];
  outcome: AttemptOutcome;
  retry?: { decision: RetryAction; why: string };
}

export interface CapacityView {
  /** ISO-8601. */
  checkedAt: string;
  fits: boolean;
  placeableCount: number;
  instanceCount: number;
  shortfall?: { tasks: number; cpu?: number; memory?: number; reason?: string };
}

export interface RunView {
  runId: string;
  status: RunStatus;
  taskDefinitionArn: string;
  cluster: string;
  trigger?: RunTrigger;
  /** ISO-8601 timestamps. */
  createdAt: string;
  startedAt?: string;
  stoppedAt?: string;
  attempts: AttemptView[];
  capacity?: CapacityView;
  error?: { code: string; message: string };
}
