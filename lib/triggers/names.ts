/**
 * A trigger's name and concurrency policy: both travel in its target's input to the trigger Lambda. The name is
 * recorded on every run it starts (`trigger.name`) and is part of its AWS resources' names. Their own module so
 * the trigger Lambda does not bundle the trigger file's schemas.
 */
export const TRIGGER_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * Kubernetes CronJob's `concurrencyPolicy`
 * (https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#concurrency-policy), for schedules and
 * event triggers alike: Allow starts every firing; Forbid skips a firing while a run of the trigger is not
 * terminal; Replace cancels those runs, then starts the new one.
 */
export const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];
export const DEFAULT_CONCURRENCY_POLICY: ConcurrencyPolicy = 'Allow';
