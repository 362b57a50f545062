/**
 * The history bound (lib/runs/history-bound.ts) against the state machine it bounds: the worst case per piece is
 * derived from workflows/run-task.asl.yaml itself, the checks per attempt from the capacity decision the workflow
 * runs (decideCapacity), and POST /runs and trigger files refuse what would outgrow 25,000 events.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import {
  type AslDefinition,
  checksPerAttempt,
  HISTORY_EVENT_LIMIT,
  historyBoundViolation,
  historyCostsFromAsl,
  minimumCheckInterval,
  RUN_TASK_HISTORY_COSTS,
  stateHistoryEvents,
  worstCaseHistoryEvents,
} from '../../../lib/runs/history-bound';
import { parseRunRequest } from '../../../lib/runs/request';
import { decideCapacity, type WorkflowState } from '../../../lib/runs/workflow';

const asl = YAML.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'workflows', 'run-task.asl.yaml'), 'utf8'),
) as AslDefinition;

describe('the worst case per piece of the run-task workflow', () => {
  it('is what the ASL gives, so a change to its states or retriers moves the bound with it', () => {
    expect(historyCostsFromAsl(asl)).toEqual(RUN_TASK_HISTORY_COSTS);
  });

  it.each([
    [
      'a Lambda task with 6 + 6 + 3 retries',
      {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Retry: [{ MaxAttempts: 6 }, { MaxAttempts: 6 }, { MaxAttempts: 3 }],
      },
      2 + 16 * 3,
    ],
    [
      'a .sync task (TaskSubmitted too) with 5 retries',
      { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', Retry: [{ MaxAttempts: 5 }] },
      2 + 6 * 4,
    ],
    [
      'a retrier without MaxAttempts (3 by default)',
      { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: [{}] },
      2 + 4 * 3,
    ],
    ['a Choice', { Type: 'Choice' }, 2],
    ['a Wait', { Type: 'Wait' }, 2],
    ["a Fail (the closing event is the execution's)", { Type: 'Fail' }, 1],
  ])('counts %s', (_name, state, events) => {
    expect(stateHistoryEvents('S', state)).toBe(events);
  });

  it('refuses to bound a state it does not model', () => {
    expect(() => stateHistoryEvents('Fan Out', { Type: 'Map' })).toThrow('does not model Map states');
  });

  it('grows when a retrier is added to the ASL', () => {
    const changed = JSON.parse(JSON.stringify(asl)) as AslDefinition; // Check Capacity alone, not its YAML alias
    changed.States['Check Capacity']?.Retry?.push({ MaxAttempts: 2 });
    const costs = historyCostsFromAsl(changed);
    expect(costs.capacityLoop).toBe(RUN_TASK_HISTORY_COSTS.capacityLoop + 6);
    expect(costs.retryLoop).toBe(RUN_TASK_HISTORY_COSTS.retryLoop + 6);
  });
});

/** The checks one attempt makes when the tasks never fit, as the workflow's Check Capacity decides them. */
function checksUntilGiveUp(waitSeconds: number, checkIntervalSeconds: number): number {
  let state = {
    runId: 'r',
    capacity: { waitSeconds, checkIntervalSeconds },
    retry: { attempts: 1 },
    runTask: { Cluster: 'default', TaskDefinition: 'etl:1', Count: 1, LaunchType: 'EC2' },
  } as unknown as WorkflowState;
  for (let checks = 1; checks < 100_000; checks++) {
    const check = decideCapacity(
      state,
      { checked: true, fits: false, placeableCount: 0, instanceCount: 1 },
      new Date(),
    );
    if (check.decision !== 'WAIT') return checks;
    state = { ...state, check: { ...check, target: 'LAUNCH_TYPE', timeoutSeconds: 1 } };
  }
  throw new Error('the capacity loop did not end');
}

describe('checks per attempt', () => {
  it.each([
    [0, 1],
    [0, 30],
    [1, 1],
    [9, 3],
    [10, 3],
    [600, 30],
    [601, 30],
    [3600, 1],
  ])('waitSeconds %i every %i s: as many as the capacity decision makes', (wait, interval) => {
    expect(checksPerAttempt(wait, interval)).toBe(checksUntilGiveUp(wait, interval));
  });
});

describe('the bound', () => {
  it('adds the loops of every attempt to the ends', () => {
    const { execution, admission, capacityLoop, retryLoop, finish } = RUN_TASK_HISTORY_COSTS;
    expect(worstCaseHistoryEvents({ attempts: 3, waitSeconds: 60, checkIntervalSeconds: 30 })).toBe(
      execution + admission + 3 * 2 * capacityLoop + 2 * retryLoop + finish,
    );
  });

  it('lets the stage defaults run with the most attempts', () => {
    expect(historyBoundViolation({ attempts: 10, waitSeconds: 600, checkIntervalSeconds: 30 })).toBeUndefined();
  });

  it.each([
    [1, 604_800],
    [10, 604_800],
    [10, 3600],
    [3, 86_400],
    [1, 1],
  ])('with %i attempts and waitSeconds %i, the minimum interval is the first that fits', (attempts, wait) => {
    const minimum = minimumCheckInterval(attempts, wait);
    expect(minimum).toBeDefined();
    const at = (interval: number) =>
      worstCaseHistoryEvents({ attempts, waitSeconds: wait, checkIntervalSeconds: interval });
    expect(at(minimum as number)).toBeLessThan(HISTORY_EVENT_LIMIT);
    if ((minimum as number) > 1) expect(at((minimum as number) - 1)).toBeGreaterThanOrEqual(HISTORY_EVENT_LIMIT);
  });

  it('names the fields and the interval that would fit', () => {
    expect(historyBoundViolation({ attempts: 1, waitSeconds: 604_800, checkIntervalSeconds: 1 })).toEqual({
      path: '$.capacity',
      message: expect.stringMatching(
        /^With retry\.attempts 1, capacity\.waitSeconds 604800 and capacity\.checkIntervalSeconds 1, a run could record \d+ Step Functions history events, and an execution fails at 25000: use a capacity\.checkIntervalSeconds of at least \d+, a shorter capacity\.waitSeconds, or fewer retry\.attempts\.$/,
      ),
    });
  });
});

describe('run requests', () => {
  const defaults = { capacity: { waitSeconds: 600, checkIntervalSeconds: 30 } };

  it('refuses capacity.waitSeconds 604800 checked every second', () => {
    const parsed = parseRunRequest(
      { taskDefinition: 'etl', capacity: { waitSeconds: 604_800, checkIntervalSeconds: 1 } },
      defaults,
    );
    expect(parsed).toEqual({ ok: false, violations: [expect.objectContaining({ path: '$.capacity' })] });
  });

  it('counts the stage interval when the request gives only waitSeconds', () => {
    const parsed = parseRunRequest({ taskDefinition: 'etl', capacity: { waitSeconds: 604_800 } }, defaults);
    expect(parsed.ok).toBe(false);
  });

  it('takes the same wait with an interval that fits', () => {
    const interval = minimumCheckInterval(1, 604_800) as number;
    const parsed = parseRunRequest(
      { taskDefinition: 'etl', capacity: { waitSeconds: 604_800, checkIntervalSeconds: interval } },
      defaults,
    );
    expect(parsed.ok).toBe(true);
  });
});
