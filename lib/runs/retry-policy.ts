/**
 * Whether a failed attempt is tried again, with AWS Batch's retry strategy rules
 * (https://docs.aws.amazon.com/batch/latest/APIReference/API_RetryStrategy.html and
 * https://docs.aws.amazon.com/batch/latest/APIReference/API_EvaluateOnExit.html):
 * - `attempts` (1..10) counts every try, the first included: attempts 3 means up to 2 retries;
 * - `evaluateOnExit` rules are tried in order and the first whose conditions all match decides
 *   RETRY or EXIT; a RETRY with no attempt left ends the run;
 * - "If none of the EvaluateOnExit conditions in a RetryStrategy match, then the job is retried"
 *   (while attempts remain);
 * - `onExitCode` matches the decimal exit code, `onStatusReason` the status reason (ECS's task
 *   `stoppedReason`), `onReason` the container's `reason` (e.g. "CannotPullContainerError: ...");
 *   a condition on something the attempt does not have (no exit code when the task never started)
 *   does not match. Patterns are globs where `*` matches any run of characters (Batch only allows
 *   a trailing `*`, which means the same thing).
 *
 * Pure: the workflow's Decide Retry Lambda gathers the facts and calls `decideRetry`.
 */
import { globToRegExp } from '../glob';
import type { EvaluateOnExitRule, ExecutionRetry, RetryAction } from './types';

/** What Batch's conditions look at, for the container that decided the attempt's failure. */
export interface ExitFacts {
  exitCode?: number;
  /** The container's `reason`. */
  reason?: string;
  /** The task's `stoppedReason`. */
  statusReason?: string;
}

export interface RetryDecision {
  decision: RetryAction;
  /** One sentence a user reads in GET /runs/{id}. */
  why: string;
  /** Index of the rule that decided, when one matched. */
  rule?: number;
}

/** Longest wait between attempts: a day (a Wait state allows far more; a run should not sleep that long). */
export const MAX_BACKOFF_SECONDS = 86_400;

export function matchesRule(rule: EvaluateOnExitRule, facts: ExitFacts): boolean {
  const conditions: Array<[string | undefined, string | undefined]> = [
    [rule.onExitCode, facts.exitCode === undefined ? undefined : String(facts.exitCode)],
    [rule.onStatusReason, facts.statusReason],
    [rule.onReason, facts.reason],
  ];
  let any = false;
  for (const [pattern, value] of conditions) {
    if (pattern === undefined) continue;
    any = true;
    if (value === undefined || !globToRegExp(pattern).test(value)) return false;
  }
  return any;
}

/** `attempt` is the 1-based attempt that just failed. */
export function decideRetry(policy: ExecutionRetry, attempt: number, facts: ExitFacts): RetryDecision {
  const left = policy.attempts - attempt;
  const used = `${attempt} of ${policy.attempts} attempt${policy.attempts === 1 ? '' : 's'} used`;
  const index = policy.evaluateOnExit.findIndex((rule) => matchesRule(rule, facts));
  const rule = policy.evaluateOnExit[index];
  if (rule !== undefined) {
    const matched = `evaluateOnExit[${index}] (${describeRule(rule)}) matched ${describeFacts(facts)}`;
    if (rule.action === 'EXIT') return { decision: 'EXIT', why: `${matched}: EXIT.`, rule: index };
    if (left > 0) return { decision: 'RETRY', why: `${matched}: RETRY (${used}).`, rule: index };
    return { decision: 'EXIT', why: `${matched}: RETRY, but ${used}.`, rule: index };
  }
  const none =
    policy.evaluateOnExit.length === 0
      ? 'No evaluateOnExit rules'
      : `No evaluateOnExit rule matched ${describeFacts(facts)}`;
  if (left > 0) return { decision: 'RETRY', why: `${none}: retried while attempts remain (${used}).` };
  if (policy.attempts === 1) return { decision: 'EXIT', why: `${none} and attempts is 1: not retried.` };
  return { decision: 'EXIT', why: `${none}; ${used}.` };
}

/** Seconds to wait before attempt `attempt + 1`: backoffSeconds x backoffRate^(attempt - 1), whole seconds. */
export function backoffSeconds(policy: ExecutionRetry, attempt: number): number {
  const seconds = policy.backoffSeconds * policy.backoffRate ** Math.max(0, attempt - 1);
  if (!Number.isFinite(seconds)) return MAX_BACKOFF_SECONDS;
  return Math.min(MAX_BACKOFF_SECONDS, Math.max(0, Math.round(seconds)));
}

function describeRule(rule: EvaluateOnExitRule): string {
  return [
    rule.onExitCode === undefined ? undefined : `onExitCode "${rule.onExitCode}"`,
    rule.onStatusReason === undefined ? undefined : `onStatusReason "${rule.onStatusReason}"`,
    rule.onReason === undefined ? undefined : `onReason "${rule.onReason}"`,
  ]
    .filter(Boolean)
    .join(', ');
}

function describeFacts(facts: ExitFacts): string {
  const parts = [
    facts.exitCode === undefined ? 'no exit code' : `exit code ${facts.exitCode}`,
    facts.reason === undefined ? undefined : `reason "${facts.reason}"`,
    facts.statusReason === undefined ? undefined : `status reason "${facts.statusReason}"`,
  ].filter(Boolean);
  return `(${parts.join(', ')})`;
}
