/**
 * A trigger's concurrencyPolicy, applied when it fires (lib/triggers/start-triggered-run.ts), with Kubernetes
 * CronJob's meanings (https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#concurrency-policy):
 * - Allow: every firing starts a run;
 * - Forbid: a firing while a run of the same trigger is not terminal is skipped, and recorded SKIPPED with the run
 *   it would have overlapped;
 * - Replace: the trigger's runs that are not terminal are cancelled (their cancel names the new run), then the new
 *   run starts and records what it replaced.
 *
 * Finding the trigger's live runs reads the byTriggerName index newest first (deploy/runs-table.js), then confirms
 * each candidate with a consistent GetItem: the index is eventually consistent, but only in one direction that
 * matters here. A terminal status is final (lib/runs/record-updates.ts), so a run the index shows terminal is
 * terminal; one it shows live may have ended since, which the GetItem tells. What the index cannot show is a run
 * created within its replication lag: two firings that close together can both start (docs/triggers.md).
 */
import { ConflictError, NotFoundError } from '../errors';
import { cancelRun } from '../runs/cancel-run';
import { isTerminal, type RunRecord, type RunStatus } from '../runs/record';
import { getRecord, queryIndex } from '../runs/run-store';
import type { Admission, RunsDeps } from '../runs/start-run';
import type { RunTrigger } from '../runs/types';
import type { ConcurrencyPolicy } from './names';

/**
 * How many of the trigger's newest started runs are looked at. A live run older than that many ended ones would
 * mean they all started while it ran, which Forbid (skips) and Replace (cancels) never let happen; only runs started
 * while the trigger was Allow could be missed.
 */
export const LOOKBACK_RUNS = 10;
/** Index items per Query page, and the most pages read per firing (SKIPPED records are passed over). */
const PAGE_SIZE = 100;
const MAX_PAGES = 20;

type IndexItem = { runId: string; status: RunStatus; trigger?: RunTrigger };

/** The trigger's runs as the index lists them, newest first. */
async function* indexedRuns(deps: Pick<RunsDeps, 'store'>, name: string): AsyncGenerator<IndexItem> {
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await queryIndex(deps.store, { index: 'triggerName', partition: name, limit: PAGE_SIZE, startKey });
    for (const item of out.Items ?? []) yield item as IndexItem;
    startKey = out.LastEvaluatedKey;
    if (startKey === undefined) return;
  }
}

/** The record of a run if it is not terminal, read consistently. */
async function liveRecord(deps: Pick<RunsDeps, 'store'>, runId: string): Promise<RunRecord | undefined> {
  const record = await getRecord(deps.store, runId);
  return record !== undefined && !isTerminal(record.status) ? record : undefined;
}

/**
 * The runs of a trigger that are not terminal, newest first (all of them, or the first found).
 * 1. Walk the byTriggerName index newest first: runs another kind of caller named alike (POST /runs `startedBy`)
 *    and the firing's own run are passed over.
 * 2. SKIPPED records never started anything; the newest one names the run it overlapped, which is read first (a
 *    long run under Forbid leaves a SKIPPED record per firing in front of it; this finds it without paging).
 * 3. A run the index shows live is read with a consistent GetItem; it counts if it is still live.
 * 4. Stop after LOOKBACK_RUNS started runs, when the index ends, or at the first live run if one is enough.
 */
export async function liveRunsOf(
  deps: Pick<RunsDeps, 'store'>,
  trigger: { type: RunTrigger['type']; name: string },
  options: { except: string; firstOnly: boolean },
): Promise<RunRecord[]> {
  const live = new Map<string, RunRecord>();
  let followedSkip = false;
  let started = 0;
  const add = (record: RunRecord | undefined) => {
    if (record !== undefined && record.runId !== options.except) live.set(record.runId, record);
  };
  for await (const item of indexedRuns(deps, trigger.name)) {
    if (item.runId === options.except || item.trigger?.type !== trigger.type || live.has(item.runId)) continue;
    if (item.status === 'SKIPPED') {
      if (followedSkip) continue;
      followedSkip = true;
      const overlapped = (await getRecord(deps.store, item.runId))?.skipped?.overlappedRunId;
      if (overlapped !== undefined && !live.has(overlapped)) add(await liveRecord(deps, overlapped));
    } else {
      started++;
      if (!isTerminal(item.status)) add(await liveRecord(deps, item.runId));
    }
    if ((options.firstOnly && live.size > 0) || started >= LOOKBACK_RUNS) break;
  }
  return [...live.values()];
}

/**
 * The admission of a firing (lib/runs/start-run.ts `admit`) under its trigger's policy; undefined for Allow.
 * - Forbid: skipped, naming the newest live run of the trigger, if there is one.
 * - Replace: every live run of the trigger is cancelled with a cause naming the new run and the trigger (one that
 *   ended meanwhile is left as it ended), and the new run records the ones it cancelled.
 */
export function admitFiring(
  deps: RunsDeps,
  policy: ConcurrencyPolicy,
  trigger: { type: 'schedule' | 'event'; name: string },
): ((runId: string) => Promise<Admission>) | undefined {
  if (policy === 'Allow') return undefined;
  return async (runId) => {
    if (policy === 'Forbid') {
      const [overlapped] = await liveRunsOf(deps, trigger, { except: runId, firstOnly: true });
      if (overlapped === undefined) return {};
      return {
        skipped: {
          reason: `Trigger ${trigger.name} has concurrencyPolicy Forbid and its run ${overlapped.runId} is ${overlapped.status}: this firing was skipped.`,
          overlappedRunId: overlapped.runId,
        },
      };
    }
    const replaced: string[] = [];
    for (const previous of await liveRunsOf(deps, trigger, { except: runId, firstOnly: false })) {
      const cause = `Run ${previous.runId} was replaced by run ${runId} of trigger ${trigger.name} (concurrencyPolicy Replace).`;
      try {
        await cancelRun(deps, { runId: previous.runId, requestId: '', cause });
        replaced.push(previous.runId);
      } catch (err) {
        // Ended (or expired) between the read and the cancel: there is nothing left to replace.
        if (!(err instanceof ConflictError || err instanceof NotFoundError)) throw err;
      }
    }
    return { replaced };
  };
}
