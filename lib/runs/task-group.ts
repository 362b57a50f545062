/**
 * The RunTask `group` of Berth's tasks: `berth:<run id>:<attempt>` (workflows/run-task.asl.yaml sets it, and
 * StartedBy to the run id), read by the run record's event writer and by the cluster capacity view. Its own module
 * so neither bundles the other.
 */

/** The prefix of the RunTask `group` of Berth's tasks. */
export const TASK_GROUP_PREFIX = 'berth:';

/** `berth:<run id>:<attempt>` -> the run id and attempt; anything else is not a task of Berth's. */
export function parseTaskGroup(group: string | undefined): { runId: string; attempt?: number } | undefined {
  if (group === undefined || !group.startsWith(TASK_GROUP_PREFIX)) return undefined;
  const rest = group.slice(TASK_GROUP_PREFIX.length);
  const match = /^(.+):([1-9][0-9]*)$/.exec(rest);
  if (match === null) return rest === '' ? undefined : { runId: rest };
  return { runId: match[1]!, attempt: Number(match[2]) };
}
