/** Types of deploy/runs-table.js (see there), for local/start.ts and the tests. */

export interface TableResource {
  Type: 'AWS::DynamoDB::Table';
  DeletionPolicy: 'Delete' | 'Retain';
  UpdateReplacePolicy: 'Delete' | 'Retain';
  Properties: Record<string, unknown> & { TableName: string };
}

export function runsTable(names: { service: string; stage: string }): TableResource;
export function runsTableName(service: string, stage: string): string;
export function ruleNamePrefix(service: string, stage: string): string;
export const DEAD_LETTER_QUEUE: string;
export function resources(context: {
  resolveVariable: (name: string) => Promise<unknown>;
}): Promise<Record<string, unknown>>;
