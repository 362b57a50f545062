/**
 * Reads the task object of the `ecs:runTask.sync` integration: the output of a successful Run Task
 * state and the `Cause` (a JSON string) of a failed one. Step Functions gives it with PascalCase
 * keys (`TaskArn`, `Containers[].ExitCode`, `StopCode`, `StoppedReason`, ...) and timestamps as
 * epoch milliseconds; camelCase and ISO strings are read too, so a hand-written or recorded event
 * works the same. Anything that is not a task object reads as undefined.
 */
import type { ContainerView } from './types';

export interface TaskSummary {
  taskArn: string;
  lastStatus?: string;
  startedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  containers: ContainerView[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function pick(o: Json, name: string): unknown {
  return o[name] ?? o[name.charAt(0).toLowerCase() + name.slice(1)];
}

function text(o: Json, name: string): string | undefined {
  const v = pick(o, name);
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Epoch milliseconds, epoch seconds (the AWS CLI's form) or an ISO string, as ISO-8601. */
export function isoTime(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return new Date(v < 1e11 ? v * 1000 : v).toISOString();
  if (typeof v === 'string' && v !== '') {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : new Date(t).toISOString();
  }
  if (v instanceof Date) return v.toISOString();
  return undefined;
}

export function parseJson(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

/** A task object, or the first task of a `{Tasks: [...]}` envelope. */
export function readSyncTask(value: unknown): TaskSummary | undefined {
  if (!isObject(value)) return undefined;
  const tasks = pick(value, 'Tasks');
  if (Array.isArray(tasks)) return readSyncTask(tasks[0]);
  const taskArn = text(value, 'TaskArn');
  if (taskArn === undefined) return undefined;
  const containers = pick(value, 'Containers');
  const summary: TaskSummary = {
    taskArn,
    containers: (Array.isArray(containers) ? containers : []).filter(isObject).map((c) => {
      const view: ContainerView = { name: text(c, 'Name') ?? '' };
      const exitCode = pick(c, 'ExitCode');
      if (typeof exitCode === 'number') view.exitCode = exitCode;
      const reason = text(c, 'Reason');
      if (reason !== undefined) view.reason = reason;
      return view;
    }),
  };
  const set = (key: 'lastStatus' | 'stopCode' | 'stoppedReason', name: string) => {
    const v = text(value, name);
    if (v !== undefined) summary[key] = v;
  };
  set('lastStatus', 'LastStatus');
  set('stopCode', 'StopCode');
  set('stoppedReason', 'StoppedReason');
  const startedAt = isoTime(pick(value, 'StartedAt')) ?? isoTime(pick(value, 'CreatedAt'));
  if (startedAt !== undefined) summary.startedAt = startedAt;
  const stoppedAt = isoTime(pick(value, 'StoppedAt'));
  if (stoppedAt !== undefined) summary.stoppedAt = stoppedAt;
  return summary;
}

/** The task ARNs of a RunTask response (`{Tasks: [{TaskArn}], Failures: []}`). */
export function readRunTaskArns(value: unknown): string[] {
  if (!isObject(value)) return [];
  const tasks = pick(value, 'Tasks');
  if (!Array.isArray(tasks)) return [];
  return tasks.filter(isObject).flatMap((t) => {
    const arn = text(t, 'TaskArn');
    return arn === undefined ? [] : [arn];
  });
}

/**
 * The container whose exit decides the attempt, for the retry rules: the first with a non-zero
 * exit code, else the first with none (it never ran, or its host went away), else the first.
 */
export function decidingContainer(containers: readonly ContainerView[]): ContainerView | undefined {
  return (
    containers.find((c) => c.exitCode !== undefined && c.exitCode !== 0) ??
    containers.find((c) => c.exitCode === undefined) ??
    containers[0]
  );
}
