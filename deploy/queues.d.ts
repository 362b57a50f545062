/** Types of deploy/queues.js (see there), for local/start.ts and the tests. */
import type { TableResource } from './runs-table';

export function queuesTableName(service: string, stage: string): string;
export function queuesTable(names: { service: string; stage: string }): TableResource;
export function loadQueueDefinitions(): unknown[];
export function resources(context: {
  resolveVariable: (name: string) => Promise<unknown>;
}): Promise<Record<string, unknown>>;
