/**
 * The queue file (`queues.yml` at the repo root, BERTH_QUEUES_FILE for another):
 * named queues a run waits in for a slot. Validated whole, every problem reported with the name of the queue it is
 * in, by `serverless package` and by `npm start` alike, so an invalid queue can be neither
 * deployed nor run.
 *
 *   queues:
 *     nightly:                           # a job queue name: 1 to 128 letters, digits, hyphens and underscores
 *       description: The nightly batch   # optional, at most 512 characters
 *       maxConcurrentRuns: 2             # optional: runs holding a slot from admission to their end; no limit if absent
 *       maxQueuedSeconds: 3600           # optional: a run QUEUED longer than this ends, saying what it waited for
 *       cluster: batch                   # optional: the cluster its runs default to (else the stage's)
 *       capacity: { waitSeconds: 600, checkIntervalSeconds: 30 }   # optional: its runs' capacity defaults
 *       fairShare:                       # optional: AWS Batch's fair-share scheduling (see below)
 *         shareDistribution:
 *           - { shareIdentifier: team-a, weightFactor: 1 }
 *           - { shareIdentifier: "etl*", weightFactor: 0.5 }
 *
 * A `default` queue with no limit exists unless the file defines one. The field names and ranges of the fair-share
 * policy are AWS Batch's (SchedulingPolicy FairsharePolicy and ShareAttributes:
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_ShareAttributes.html): a share identifier is letters,
 * digits and underscores (hyphens too here, as Berth's names allow them), at most 255, and may end in `*` to match
 * identifiers by prefix; a weightFactor is 0.0001 to 999.9999, default 1, and a lower one gets more of the queue;
 * at most 500 shares. Left out of Batch: shareDecaySeconds (usage is counted over the running slots only) and computeReservation.
 */
import * as z from 'zod/mini';
import { CapacitySchema, CLUSTER, int } from '../runs/request';
import { fallbackMessage, toViolations } from '../task-definition/issues';

import { DEFAULT_QUEUE, QUEUE_NAME } from './names';

export { shareOf } from './admission';
export { DEFAULT_QUEUE, QUEUE_NAME };

/** ShareAttributes.shareIdentifier, with hyphens as Berth's other names take them and an optional trailing `*`. */
export const SHARE_IDENTIFIER = /^[A-Za-z0-9_-]{1,255}$|^[A-Za-z0-9_-]{0,254}\*$/;

const MAX_CONCURRENT_RUNS = 10_000;
const MAX_QUEUED_SECONDS = 604_800;
const MAX_SHARES = 500;

const ShareSchema = z.strictObject({
  shareIdentifier: z
    .string({ error: 'shareIdentifier is required.' })
    .check(
      z.regex(
        SHARE_IDENTIFIER,
        'A shareIdentifier is 1 to 255 letters, digits, hyphens and underscores, and may end with * to match a prefix.',
      ),
    ),
  weightFactor: z._default(
    z
      .number({ error: 'weightFactor must be a number from 0.0001 to 999.9999.' })
      .check(
        z.gte(0.0001, 'weightFactor must be a number from 0.0001 to 999.9999.'),
        z.lte(999.9999, 'weightFactor must be a number from 0.0001 to 999.9999.'),
      ),
    1,
  ),
});

const QueueSchema = z.strictObject({
  description: z.optional(z.string().check(z.maxLength(512, 'A description is at most 512 characters.'))),
  maxConcurrentRuns: z.optional(
    int(1, MAX_CONCURRENT_RUNS, `maxConcurrentRuns must be an integer from 1 to ${MAX_CONCURRENT_RUNS}.`),
  ),
  maxQueuedSeconds: z.optional(
    int(1, MAX_QUEUED_SECONDS, `maxQueuedSeconds must be an integer from 1 to ${MAX_QUEUED_SECONDS}.`),
  ),
  cluster: z.optional(
    z
      .string()
      .check(z.regex(CLUSTER, 'cluster must be a cluster name (letters, numbers, hyphens and underscores) or ARN.')),
  ),
  capacity: z.optional(CapacitySchema),
  fairShare: z.optional(
    z.strictObject({
      shareDistribution: z
        .array(ShareSchema, { error: 'fairShare.shareDistribution is required: a list of shares.' })
        .check(
          z.minLength(1, 'fairShare.shareDistribution needs at least one share.'),
          z.maxLength(MAX_SHARES, `At most ${MAX_SHARES} shares are allowed.`),
        ),
    }),
  ),
});

const QueueFileSchema = z.strictObject(
  {
    queues: z._default(z.nullable(z.record(z.string(), z.unknown())), {}),
  },
  {
    error: (issue) => (issue.code === 'invalid_type' ? 'The queue file must be a mapping with `queues:`.' : undefined),
  },
);

export type Share = z.output<typeof ShareSchema>;

/** A queue as the file declares it, with its name; `maxConcurrentRuns` absent means no limit. */
export type Queue = { name: string } & z.output<typeof QueueSchema>;

export interface QueueProblem {
  /** The queue it is in; absent for a problem with the file itself. */
  queue?: string;
  /** JSONPath inside the queue (or the file). */
  path: string;
  message: string;
}

export type QueueFileResult = { ok: true; queues: Queue[] } | { ok: false; problems: QueueProblem[] };

function checkQueue(name: string, raw: unknown): { queue?: Queue; problems: QueueProblem[] } {
  const problems: QueueProblem[] = [];
  const add = (path: string, message: string) => problems.push({ queue: name, path, message });
  if (!QUEUE_NAME.test(name)) {
    add('$', 'A queue name is 1 to 128 letters, digits, hyphens and underscores, starting with a letter or digit.');
  }
  const parsed = QueueSchema.safeParse(raw ?? {}, { error: fallbackMessage });
  if (!parsed.success) {
    for (const v of toViolations(parsed.error.issues)) add(v.path, v.message);
    return { problems };
  }
  const settings = parsed.data;
  const seen = new Map<string, number>();
  settings.fairShare?.shareDistribution.forEach((share, i) => {
    const first = seen.get(share.shareIdentifier);
    if (first !== undefined) {
      add(
        `$.fairShare.shareDistribution[${i}].shareIdentifier`,
        `shareIdentifier ${share.shareIdentifier} is already in shareDistribution[${first}].`,
      );
    } else seen.set(share.shareIdentifier, i);
  });
  if (problems.length > 0) return { problems };
  return { queue: { name, ...settings }, problems };
}

/** Validates a parsed queue file (YAML or JSON); every problem at once, each naming its queue. */
export function parseQueueFile(document: unknown): QueueFileResult {
  const parsed = QueueFileSchema.safeParse(document ?? {}, { error: fallbackMessage });
  if (!parsed.success) {
    return {
      ok: false,
      problems: toViolations(parsed.error.issues).map((v) => ({ path: v.path, message: v.message })),
    };
  }
  const queues: Queue[] = [];
  const problems: QueueProblem[] = [];
  for (const [name, raw] of Object.entries(parsed.data.queues ?? {})) {
    const checked = checkQueue(name, raw);
    problems.push(...checked.problems);
    if (checked.queue !== undefined) queues.push(checked.queue);
  }
  if (problems.length > 0) return { ok: false, problems };
  if (!queues.some((q) => q.name === DEFAULT_QUEUE)) queues.unshift({ name: DEFAULT_QUEUE });
  return { ok: true, queues };
}

/** One line per problem: `queue "nightly" at $.maxConcurrentRuns: ...`. */
export function formatQueueProblems(problems: readonly QueueProblem[]): string {
  return problems
    .map((p) => `${p.queue === undefined ? 'queue file' : `queue "${p.queue}"`} at ${p.path}: ${p.message}`)
    .join('\n');
}
