import { backoffSeconds, decideRetry, MAX_BACKOFF_SECONDS, matchesRule } from '../../../lib/runs/retry-policy';
import type { EvaluateOnExitRule, ExecutionRetry } from '../../../lib/runs/types';

const policy = (attempts: number, evaluateOnExit: EvaluateOnExitRule[] = []): ExecutionRetry => ({
  attempts,
  backoffSeconds: 10,
  backoffRate: 2,
  evaluateOnExit,
});

describe('decideRetry (AWS Batch retry strategy)', () => {
  it.each([
    {
      case: 'attempts 1, no rules: not retried',
      attempts: 1,
      rules: [],
      attempt: 1,
      facts: { exitCode: 1 },
      decision: 'EXIT',
      rule: undefined,
    },
    {
      case: 'no rules: retried while attempts remain',
      attempts: 3,
      rules: [],
      attempt: 1,
      facts: { exitCode: 1 },
      decision: 'RETRY',
      rule: undefined,
    },
    {
      case: 'no rules: the last attempt ends the run',
      attempts: 3,
      rules: [],
      attempt: 3,
      facts: { exitCode: 1 },
      decision: 'EXIT',
      rule: undefined,
    },
    {
      case: 'exact exit code RETRY',
      attempts: 3,
      rules: [{ onExitCode: '3', action: 'RETRY' }],
      attempt: 1,
      facts: { exitCode: 3 },
      decision: 'RETRY',
      rule: 0,
    },
    {
      case: 'exact exit code EXIT',
      attempts: 3,
      rules: [{ onExitCode: '3', action: 'EXIT' }],
      attempt: 1,
      facts: { exitCode: 3 },
      decision: 'EXIT',
      rule: 0,
    },
    {
      case: 'a RETRY rule with no attempt left exits',
      attempts: 2,
      rules: [{ onExitCode: '3', action: 'RETRY' }],
      attempt: 2,
      facts: { exitCode: 3 },
      decision: 'EXIT',
      rule: 0,
    },
    {
      case: 'no rule matches: retried (Batch)',
      attempts: 3,
      rules: [{ onExitCode: '3', action: 'EXIT' }],
      attempt: 1,
      facts: { exitCode: 4 },
      decision: 'RETRY',
      rule: undefined,
    },
    {
      case: 'exit code is matched whole, not as a prefix',
      attempts: 3,
      rules: [{ onExitCode: '1', action: 'EXIT' }],
      attempt: 1,
      facts: { exitCode: 137 },
      decision: 'RETRY',
      rule: undefined,
    },
    {
      case: 'trailing * matches the start',
      attempts: 3,
      rules: [{ onExitCode: '13*', action: 'EXIT' }],
      attempt: 1,
      facts: { exitCode: 137 },
      decision: 'EXIT',
      rule: 0,
    },
    {
      case: 'first match wins',
      attempts: 3,
      rules: [
        { onExitCode: '*', action: 'EXIT' },
        { onExitCode: '3', action: 'RETRY' },
      ],
      attempt: 1,
      facts: { exitCode: 3 },
      decision: 'EXIT',
      rule: 0,
    },
    {
      case: 'first match wins (other order)',
      attempts: 3,
      rules: [
        { onExitCode: '3', action: 'RETRY' },
        { onExitCode: '*', action: 'EXIT' },
      ],
      attempt: 1,
      facts: { exitCode: 3 },
      decision: 'RETRY',
      rule: 0,
    },
    {
      case: 'onReason: image pull failure',
      attempts: 3,
      rules: [
        { onReason: 'CannotPullContainerError:*', action: 'RETRY' },
        { onExitCode: '*', action: 'EXIT' },
      ],
      attempt: 1,
      facts: { reason: 'CannotPullContainerError: pull access denied' },
      decision: 'RETRY',
      rule: 0,
    },
    {
      case: 'onExitCode does not match a container with no exit code',
      attempts: 3,
      rules: [{ onExitCode: '*', action: 'EXIT' }],
      attempt: 1,
      facts: { reason: 'CannotPullContainerError: x' },
      decision: 'RETRY',
      rule: undefined,
    },
    {
      case: 'onStatusReason: host EC2 stopped',
      attempts: 3,
      rules: [
        { onStatusReason: 'Host EC2*', action: 'RETRY' },
        { onReason: '*', action: 'EXIT' },
      ],
      attempt: 1,
      facts: { statusReason: 'Host EC2 (instance i-1) stopped/terminated.', reason: 'x' },
      decision: 'RETRY',
      rule: 0,
    },
    {
      case: 'glob is case-sensitive',
      attempts: 3,
      rules: [{ onStatusReason: 'host*', action: 'EXIT' }],
      attempt: 1,
      facts: { statusReason: 'Host EC2 stopped' },
      decision: 'RETRY',
      rule: undefined,
    },
    {
      case: 'all conditions of a rule must match',
      attempts: 3,
      rules: [{ onExitCode: '1', onStatusReason: 'Essential*', action: 'EXIT' }],
      attempt: 1,
      facts: { exitCode: 1, statusReason: 'Task stopped by user' },
      decision: 'RETRY',
      rule: undefined,
    },
  ] as Array<{
    case: string;
    attempts: number;
    rules: EvaluateOnExitRule[];
    attempt: number;
    facts: object;
    decision: string;
    rule: number | undefined;
  }>)('$case', ({ attempts, rules, attempt, facts, decision, rule }) => {
    const out = decideRetry(policy(attempts, rules), attempt, facts);
    expect(out.decision).toBe(decision);
    expect(out.rule).toBe(rule);
  });

  it('says why, in words a user reads', () => {
    expect(decideRetry(policy(3, [{ onExitCode: '3', action: 'RETRY' }]), 1, { exitCode: 3 }).why).toBe(
      'evaluateOnExit[0] (onExitCode "3") matched (exit code 3): RETRY (1 of 3 attempts used).',
    );
    expect(decideRetry(policy(3, [{ onExitCode: '3', action: 'RETRY' }]), 3, { exitCode: 3 }).why).toBe(
      'evaluateOnExit[0] (onExitCode "3") matched (exit code 3): RETRY, but 3 of 3 attempts used.',
    );
    expect(decideRetry(policy(3, [{ onExitCode: '3', action: 'EXIT' }]), 1, { exitCode: 3 }).why).toBe(
      'evaluateOnExit[0] (onExitCode "3") matched (exit code 3): EXIT.',
    );
    expect(decideRetry(policy(1), 1, { exitCode: 2 }).why).toBe(
      'No evaluateOnExit rules and attempts is 1: not retried.',
    );
    expect(decideRetry(policy(2, [{ onExitCode: '9', action: 'EXIT' }]), 1, { reason: 'OutOfMemoryError' }).why).toBe(
      'No evaluateOnExit rule matched (no exit code, reason "OutOfMemoryError"): retried while attempts remain (1 of 2 attempts used).',
    );
  });
});

describe('matchesRule', () => {
  it('a rule with no condition matches nothing', () => {
    expect(matchesRule({ action: 'EXIT' }, { exitCode: 1 })).toBe(false);
  });
  it('regex characters in a pattern are literal', () => {
    expect(matchesRule({ onReason: 'a.b', action: 'EXIT' }, { reason: 'axb' })).toBe(false);
    expect(matchesRule({ onReason: 'a.b', action: 'EXIT' }, { reason: 'a.b' })).toBe(true);
  });
});

describe('backoffSeconds', () => {
  it.each([
    [1, 10],
    [2, 20],
    [3, 40],
  ])('after attempt %i waits %i s', (attempt, seconds) => {
    expect(backoffSeconds(policy(5), attempt)).toBe(seconds);
  });
  it('is capped and whole', () => {
    expect(backoffSeconds({ ...policy(10), backoffSeconds: 3600, backoffRate: 10 }, 9)).toBe(MAX_BACKOFF_SECONDS);
    expect(backoffSeconds({ ...policy(10), backoffSeconds: 1.5, backoffRate: 1 }, 1)).toBe(2);
    expect(backoffSeconds({ ...policy(10), backoffSeconds: 0, backoffRate: 2 }, 4)).toBe(0);
  });
});
