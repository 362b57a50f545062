/**
 * Which queued run is admitted next: pure, so the order is tested without a table.
 *
 * Order: priority (higher first), then fair share, then first come. The entries come from the queue's partition
 * sorted by their key (priority, then enqueuedAt: lib/queues/store.ts entryKey), so the first entry is the first
 * come of the highest priority. Without a fair-share policy that entry is next. With one, among the entries of the
 * highest priority the next comes from the share whose running slots, weighted, are lowest: the share furthest
 * below its weighted share of the slots. AWS Batch's fair-share scheduling gives each share identifier a
 * weightFactor, and "a share identifier with a weight factor of 0.5 is allocated twice the resources of one with
 * 1" (https://docs.aws.amazon.com/batch/latest/userguide/job_scheduling.html): the target of share i is
 * proportional to 1/weight_i, so usage_i * weight_i is how far above its target a share is. Ties go to the first
 * come. Batch's usage decays over shareDecaySeconds; Berth counts only the slots held now (config.ts says what is left out).
 */
import type { Queue, Share } from './config';

/**
 * The share a run's shareIdentifier belongs to: an exact entry first, else the longest matching prefix (`etl*`),
 * as Batch matches them; undefined when no entry matches.
 */
export function shareOf(queue: Queue, shareIdentifier: string): Share | undefined {
  const shares = queue.fairShare?.shareDistribution ?? [];
  const exact = shares.find((s) => s.shareIdentifier === shareIdentifier);
  if (exact !== undefined) return exact;
  return shares
    .filter((s) => s.shareIdentifier.endsWith('*') && shareIdentifier.startsWith(s.shareIdentifier.slice(0, -1)))
    .sort((a, b) => b.shareIdentifier.length - a.shareIdentifier.length)[0];
}

export interface QueuedEntry {
  runId: string;
  priority: number;
  enqueuedAt: string;
  shareIdentifier?: string | undefined;
}

/** The weight of a share identifier in a queue: its entry's weightFactor, 1 when no entry matches (Batch's default). */
export function weightOf(queue: Queue, shareIdentifier: string | undefined): number {
  if (shareIdentifier === undefined) return 1;
  return shareOf(queue, shareIdentifier)?.weightFactor ?? 1;
}

/**
 * The entry to admit next from `entries` (in key order), given the running slots per share identifier; undefined
 * when there is none.
 */
export function nextToAdmit<E extends QueuedEntry>(
  queue: Queue,
  entries: readonly E[],
  runningByShare: Readonly<Record<string, number>>,
): E | undefined {
  const first = entries[0];
  if (first === undefined || queue.fairShare === undefined) return first;
  let best = first;
  let bestUsage = Number.POSITIVE_INFINITY;
  for (const entry of entries) {
    if (entry.priority !== first.priority) break;
    const share = entry.shareIdentifier ?? '';
    const usage = (runningByShare[share] ?? 0) * weightOf(queue, entry.shareIdentifier);
    if (usage < bestUsage) {
      best = entry;
      bestUsage = usage;
    }
  }
  return best;
}
