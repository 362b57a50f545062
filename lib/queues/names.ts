/** Queue names and share identifiers, on their own so routes and the run request check them without the queue file's schema. */

/** AWS Batch's job queue names: "up to 128 letters (uppercase and lowercase), numbers, hyphens, and underscores". */
export const QUEUE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** The queue a run without `queue` waits in: no limit unless the file says otherwise. */
export const DEFAULT_QUEUE = 'default';

/** A run's shareIdentifier (AWS Batch's SubmitJob: letters, digits and underscores; hyphens too, as Berth's names take them). */
export const RUN_SHARE_IDENTIFIER = /^[A-Za-z0-9_-]{1,255}$/;

/** A run's priority in its queue: 0 to 9999 (AWS Batch's schedulingPriority range), higher first. */
export const MAX_PRIORITY = 9999;
