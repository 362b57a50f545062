import type { RunSummary, RunView } from '../../lib/runs/types';

/** The API's shapes, taken from the server's own declarations (types only: nothing of them is bundled). */
export type { ClusterCapacity, PlacementPlan } from '../../lib/capacity/views';
export type { RunLogEvent, RunLogPage } from '../../lib/logs/get-run-logs';
export type { RunSummary, RunView } from '../../lib/runs/types';
export type { FamilySummary } from '../../lib/task-definitions';

export interface TaskDefinition {
  family: string;
  revision: number;
  status: string;
  taskDefinitionArn: string;
  networkMode?: string;
  requiresCompatibilities?: string[];
  cpu?: string;
  memory?: string;
  containerDefinitions: Array<{
    name: string;
    image: string;
    cpu?: number;
    memory?: number;
    memoryReservation?: number;
    command?: string[];
  }>;
}

// ---- queues: the API's contract (GET /queues, the run view's `queue`), until the server declares them ----

export interface QueueShare {
  shareIdentifier: string;
  weightFactor: number;
  running: number;
  queued: number;
}

export interface Queue {
  name: string;
  description?: string;
  /** Absent: no limit. */
  maxConcurrentRuns?: number;
  maxQueuedSeconds?: number;
  paused: boolean;
  running: number;
  queued: number;
  oldestQueuedAt?: string;
  shares?: QueueShare[];
}

/** A run's place in its queue. */
export interface RunQueue {
  name: string;
  priority: number;
  shareIdentifier?: string;
  enqueuedAt: string;
  admittedAt?: string;
  /** 1 = next. */
  position?: number;
  waitingFor?: string;
}

/** Why a trigger's firing started nothing (concurrencyPolicy Forbid): the run that was still going. */
export interface RunSkipped {
  reason: string;
  overlappedRunId: string;
}

/** The run view with what the queues (and skipped firings) add; statuses the page does not know yet still show. */
export type RunPageView = Omit<RunView, 'status'> & {
  status: string;
  queue?: RunQueue;
  skipped?: RunSkipped;
  /** The runs of its trigger this run cancelled before it started (concurrencyPolicy Replace). */
  replaced?: string[];
};
export type RunListItem = Omit<RunSummary, 'status'> & { status: string; queue?: string };
