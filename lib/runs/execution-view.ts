/**
 * A run as its execution and history tell it (lib/runs/view.ts): what GET /runs/{runId} answered before runs were
 * records (lib/runs/get-run.ts). Kept as the benchmark's baseline for the read path (bench/runs). Up to
 * 1 + N/1000 Step Functions calls a view, under the account's GetExecutionHistory quota.
 */
import { DescribeTasksCommand, type ECSClient } from '@aws-sdk/client-ecs';
import {
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { NotFoundError } from '../errors';
import type { RunsConfig } from './config';
import { describeExecution, executionArnOf } from './execution';
import { readSyncTask } from './sync-task';
import type { RunView } from './types';
import { runView } from './view';

async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, includeExecutionData: true, nextToken }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/**
 * A cancelled attempt as ECS tells it. Stopping an execution records nothing about its `.sync`
 * task in the history (the abort ends the state with no TaskFailed/TaskSucceeded), so the stop
 * code, reason and exit codes of the task the cancel stopped are read from ECS itself
 * (DescribeTasks: https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeTasks.html;
 * stopped tasks stay describable for at least an hour). Best effort: a task still stopping, gone,
 * or a failed call leaves the attempt as the history has it rather than failing the GET.
 */
async function fillCancelledAttempts(ecs: ECSClient, view: RunView): Promise<void> {
  const pending = view.attempts.filter((a) => a.outcome === 'CANCELLED' && a.stopCode === undefined);
  const arns = pending.flatMap((a) => a.taskArns).slice(0, 100);
  if (arns.length === 0) return;
  let tasks: unknown[];
  try {
    tasks = (await ecs.send(new DescribeTasksCommand({ cluster: view.cluster, tasks: arns }))).tasks ?? [];
  } catch {
    return;
  }
  const byArn = new Map(
    tasks.map(readSyncTask).flatMap((t) => (t !== undefined && t.lastStatus === 'STOPPED' ? [[t.taskArn, t]] : [])),
  );
  for (const attempt of pending) {
    const task = attempt.taskArns.map((arn) => byArn.get(arn)).find((t) => t !== undefined);
    if (task === undefined) continue;
    if (task.stopCode !== undefined) attempt.stopCode = task.stopCode;
    if (task.stoppedReason !== undefined) attempt.stoppedReason = task.stoppedReason;
    if (task.stoppedAt !== undefined) attempt.stoppedAt = task.stoppedAt;
    if (attempt.containers.length === 0) attempt.containers = task.containers;
  }
}

/**
 * One run as the execution and its history tell it (lib/runs/view.ts).
 * 1. Describe the execution named by the run id (404 when there is none).
 * 2. Read its whole history, page by page, and build the view.
 * 3. With an ECS client, complete a cancelled attempt from its stopped task (fillCancelledAttempts).
 */
export async function getRunFromExecution(
  deps: { sfn: SFNClient; config: Pick<RunsConfig, 'stateMachineArn'>; ecs?: ECSClient },
  id: string,
  described?: DescribeExecutionCommandOutput,
): Promise<RunView> {
  const execution = described ?? (await describeExecution(deps, id));
  if (execution === undefined) throw new NotFoundError(`Run ${id} does not exist.`);
  const events = await historyOf(deps.sfn, execution.executionArn ?? executionArnOf(deps.config, id));
  const view = runView(execution, events);
  if (deps.ecs !== undefined && view.status === 'CANCELLED') await fillCancelledAttempts(deps.ecs, view);
  return view;
}
