/** The API's shapes, taken from the server's own declarations (types only: nothing of them is bundled). */
export type { ClusterCapacity, PlacementPlan } from '../../lib/capacity/views';
export type { RunLogEvent, RunLogPage } from '../../lib/logs/get-run-logs';
export type { QueueView as Queue } from '../../lib/queues/views';
export type { RunStatus, RunSummary, RunView } from '../../lib/runs/types';
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
