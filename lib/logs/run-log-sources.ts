/**
 * Which streams hold a run's logs: for one attempt, each of its tasks' chosen containers and where that
 * container logs (lib/logs/location.ts), or why it cannot be read. All from the run's record (one GetItem): its
 * attempts' task ARNs, and each container's log configuration, kept from the task definition when the run was
 * created. No Step Functions or ECS call.
 */
import { NotFoundError, ValidationError } from '../errors';
import { matchesAny } from '../glob';
import { runView } from '../runs/record';
import { getRecord, type RunStore } from '../runs/run-store';
import type { RunStatus } from '../runs/types';
import type { RunLogsReadConfig } from './config';
import { type LogLocation, logLocation } from './location';

/**
 * `readableGroups` (lib/logs/config.ts): a container logging to a group the stage may not read is reported as
 * unavailable rather than failing the page with AccessDenied.
 */
export interface RunLogSourceDeps extends RunLogsReadConfig {
  /** The runs table. */
  runs: RunStore;
}
export interface RunLogSource {
  attempt: number;
  taskArn: string;
  container: string;
  location: LogLocation;
}

export interface RunLogSources {
  runId: string;
  status: RunStatus;
  /** The attempt read; undefined while the run has none yet. */
  attempt: number | undefined;
  /** How many attempts the run has so far. */
  attempts: number;
  sources: RunLogSource[];
}

function readable(location: LogLocation, groups: readonly string[]): LogLocation {
  if ('reason' in location || matchesAny(location.logGroup, groups)) return location;
  return { reason: `This stage may not read log group ${location.logGroup} (stage param readableLogGroups).` };
}

/**
 * The streams of one attempt of a run (see the module comment).
 * 1. Read the run (404 when there is none) and pick the attempt: the one asked for (404 when the run has no such
 *    attempt), else the last.
 * 2. The containers the record keeps: the one asked for (400 when the definition has no such container), else
 *    every essential one.
 * 3. Name each task's container's stream.
 */
export async function runLogSources(
  deps: RunLogSourceDeps,
  runId: string,
  wanted: { attempt?: number | undefined; container?: string | undefined },
): Promise<RunLogSources> {
  const record = await getRecord(deps.runs, runId);
  if (record === undefined) throw new NotFoundError(`Run ${runId} does not exist.`);
  const run = runView(record);
  const attemptNumber = wanted.attempt ?? (run.attempts.length > 0 ? run.attempts.length : undefined);
  const attempt = run.attempts.find((a) => a.attempt === attemptNumber);
  if (wanted.attempt !== undefined && attempt === undefined) {
    throw new NotFoundError(`Run ${runId} has no attempt ${wanted.attempt}.`);
  }
  const base = { runId, status: run.status, attempt: attemptNumber, attempts: run.attempts.length };
  if (attempt === undefined || attempt.taskArns.length === 0) return { ...base, sources: [] };
  const all = record.logging ?? [];
  const containers =
    wanted.container === undefined ? all.filter((c) => c.essential) : all.filter((c) => c.name === wanted.container);
  if (wanted.container !== undefined && containers.length === 0) {
    throw new ValidationError([
      {
        path: '$.container',
        message: `Container ${wanted.container} is not in ${run.taskDefinitionArn} (it has ${all.map((c) => c.name).join(', ')}).`,
      },
    ]);
  }
  const sources = attempt.taskArns.flatMap((taskArn) =>
    containers.map((container) => ({
      attempt: attempt.attempt,
      taskArn,
      container: container.name,
      location: readable(logLocation(container, taskArn, deps.region), deps.readableGroups),
    })),
  );
  return { ...base, sources };
}
