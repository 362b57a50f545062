/**
 * Shapes shared by the /runs API (POST /runs builds an ExecutionInput, GET /runs/{runId} returns
 * a RunView) and the run-task workflow (reads the ExecutionInput). The run view and statuses are the
 * run record's (lib/runs/record.ts, where they are declared once); the request's types come from its
 * schema (lib/runs/request.ts). Imported as types, so the Lambdas the workflow calls bundle no schema.
 */

// ---------------------------------------------------------------------------------------------
// POST /runs body: its types come from its schema (lib/runs/request.ts), declared once.
// ---------------------------------------------------------------------------------------------

import type { RunStatus, RunTrigger } from './record';
import type { EvaluateOnExitRule, LaunchType, PropagateTags } from './request';

export type {
  EvaluateOnExitRule,
  LaunchType,
  NetworkConfigurationRequest,
  PropagateTags,
  RetryAction,
  RunRequest,
} from './request';

export interface RunCapacity {
  /** How long to wait for room on the cluster before failing with InsufficientCapacity. */
  waitSeconds: number;
  /** How often to check again while waiting. */
  checkIntervalSeconds: number;
}

// ---------------------------------------------------------------------------------------------
// The execution input: what POST /runs starts the run-task state machine with. The execution
// name is the run id.
// ---------------------------------------------------------------------------------------------

export type TriggerType = RunTrigger['type'];

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

/** The Enter Queue state's part of the input (workflows/run-task.asl.yaml). */
export interface ExecutionQueue {
  name: string;
  priority: number;
  shareIdentifier?: string;
  /** The run's creation time: its place among runs of its priority. */
  enqueuedAt: string;
  /** Enter Queue's TimeoutSecondsPath: the queue's maxQueuedSeconds, else Step Functions' "no timeout". */
  maxQueuedSeconds: number;
  /** The cause of the run's failure when it waited longer (Queue Wait Expired's CausePath). */
  timeoutMessage: string;
  /** Set when POST /runs admitted the run (a queue with no limit): the execution skips Enter Queue. */
  admittedAt?: string;
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
  /** The queue the run waits in for a slot before its first capacity check (lib/queues/); absent on older runs. */
  queue?: ExecutionQueue;
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

export type {
  AttemptOutcome,
  AttemptView,
  CapacityView,
  ContainerView,
  RunStatus,
  RunSummary,
  RunTrigger,
  RunView,
} from './record';
// Declared once with the run record (lib/runs/record.ts), which the views derive from.
export { RUN_STATUSES } from './record';

/** POST /runs answers this. */
export interface RunRef {
  runId: string;
  status: RunStatus;
}
