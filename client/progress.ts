/**
 * What the CLI prints as a run progresses: one line per thing that changed between two views of
 * the run (status, capacity checks while waiting, attempts starting and ending with their exit
 * codes, retry decisions, the error). Pure, so it is tested with tables of views.
 */
import type { AttemptView, RunView } from '../lib/runs/types';

const shortArn = (arn: string) => arn.split('/').pop() ?? arn;
const lowerFirst = (text: string) => text.charAt(0).toLowerCase() + text.slice(1);

function exits(attempt: AttemptView): string {
  const codes = attempt.containers.map((c) => {
    const code = c.exitCode === undefined ? 'no exit code' : `exit ${c.exitCode}`;
    return `${c.name} ${code}${c.reason ? ` (${c.reason})` : ''}`;
  });
  return codes.length > 0 ? codes.join(', ') : 'no containers reported';
}

function attemptLines(before: AttemptView | undefined, now: AttemptView): string[] {
  const out: string[] = [];
  const tasks = now.taskArns.map(shortArn).join(', ');
  if ((before?.taskArns.length ?? 0) === 0 && now.taskArns.length > 0) {
    out.push(`attempt ${now.attempt}: started task ${tasks}`);
  } else if (before === undefined) {
    out.push(`attempt ${now.attempt}: starting`);
  }
  if (now.outcome !== 'RUNNING' && before?.outcome !== now.outcome) {
    const why = [now.stopCode, now.stoppedReason].filter(Boolean).join(': ');
    out.push(`attempt ${now.attempt}: ${now.outcome}, ${exits(now)}${why ? ` [${why}]` : ''}`);
  }
  if (now.retry !== undefined && before?.retry?.decision !== now.retry.decision) {
    out.push(
      `attempt ${now.attempt}: ${now.retry.decision === 'RETRY' ? 'will retry' : 'no retry'} (${now.retry.why})`,
    );
  }
  return out;
}

/** Lines describing how `now` differs from `before` (everything worth saying when `before` is undefined). */
export function progressLines(before: RunView | undefined, now: RunView): string[] {
  const out: string[] = [];
  if (before === undefined) {
    out.push(`run ${now.runId}: ${now.status} (${now.taskDefinitionArn} on ${now.cluster})`);
  } else if (before.status !== now.status) {
    out.push(`status: ${before.status} -> ${now.status}`);
  }
  const queue = now.queue;
  if (
    now.status === 'QUEUED' &&
    queue !== undefined &&
    (before?.status !== 'QUEUED' ||
      before.queue?.position !== queue.position ||
      before.queue?.waitingFor !== queue.waitingFor)
  ) {
    const position = queue.position === undefined ? '' : `, position ${queue.position}`;
    out.push(`queue ${queue.name}${position}: waiting for ${lowerFirst(queue.waitingFor ?? 'a slot')}`);
  }
  if (queue?.admittedAt !== undefined && before?.queue?.admittedAt === undefined && before !== undefined) {
    out.push(`queue ${queue.name}: admitted`);
  }
  if (now.replaced !== undefined && before?.replaced === undefined) {
    out.push(`replaced: ${now.replaced.join(', ')} (cancelled before this run started)`);
  }
  const capacity = now.capacity;
  if (capacity !== undefined && capacity.checkedAt !== before?.capacity?.checkedAt && !capacity.fits) {
    const short = capacity.shortfall;
    const detail = [
      short?.cpu !== undefined ? `${short.cpu} CPU units short` : undefined,
      short?.memory !== undefined ? `${short.memory} MiB short` : undefined,
      short?.reason,
    ].filter(Boolean);
    out.push(
      `capacity: no room yet, ${capacity.placeableCount} placeable on ${capacity.instanceCount} instance(s)${detail.length ? ` (${detail.join('; ')})` : ''}`,
    );
  }
  for (const attempt of now.attempts) {
    out.push(
      ...attemptLines(
        before?.attempts.find((a) => a.attempt === attempt.attempt),
        attempt,
      ),
    );
  }
  if (now.error !== undefined && before?.error?.code !== now.error.code) {
    out.push(`error: ${now.error.code}: ${now.error.message}`);
  }
  return out;
}

/** The last line: the outcome, and why when it is not a success. */
export function outcomeLine(run: RunView): string {
  if (run.skipped !== undefined) return `run ${run.runId} ${run.status}: ${run.skipped.reason}`;
  return `run ${run.runId} ${run.status}${run.error ? `: ${run.error.code}: ${run.error.message}` : ''}`;
}
