/** Types of lib/runs/table-keys.js (see there). */

export interface IndexKeys {
  name: string;
  partitionKey: string;
}

export const TABLE_KEY: 'runId';
export const SORT_KEY: 'createdAt';
export const INDEXES: Readonly<
  Record<'all' | 'status' | 'family' | 'triggerType' | 'triggerName' | 'queue', IndexKeys>
>;
export const SUMMARY_ATTRIBUTES: readonly string[];
export const EXPIRY_ATTRIBUTE: 'expiresAt';
