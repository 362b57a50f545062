/**
 * The state names the run view reads (lib/runs/workflow.ts `States`) against the ASL the workflow runs: a state
 * renamed in workflows/run-task.asl.yaml and not in the code (or the other way) fails here, instead of every run
 * silently reading as PENDING or losing its attempts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { RUN_TASK_STATES, RunTaskTargets, States } from '../../../lib/runs/workflow';

interface AslState {
  Type: string;
  Resource?: string;
  Next?: string;
  Default?: string;
  Choices?: { Next: string; And?: { Variable: string; StringEquals: string }[] }[];
}

const asl = YAML.parse(
  readFileSync(path.join(__dirname, '..', '..', '..', 'workflows', 'run-task.asl.yaml'), 'utf8'),
) as { StartAt: string; States: Record<string, AslState> };
const state = (name: string) => asl.States[name];

describe('the run-task state names the run view reads', () => {
  it('names every state of the ASL, and no state the ASL lacks', () => {
    expect(Object.values(States).sort()).toEqual(Object.keys(asl.States).sort());
  });

  it('starts at Enter Queue, waiting on a task token, then goes to Check Capacity, whose output carries the check the view reports', () => {
    // Unless POST /runs admitted the run already (a queue with no limit): then straight to Check Capacity.
    expect(asl.StartAt).toBe(States.AdmittedAtStart);
    expect(state(States.AdmittedAtStart)).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.queue.admittedAt', IsPresent: true, Next: States.CheckCapacity }],
      Default: States.EnterQueue,
    });
    expect(state(States.EnterQueue)).toMatchObject({
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      TimeoutSecondsPath: '$.queue.maxQueuedSeconds',
      Next: States.CheckCapacity,
    });
    expect(state(States.QueueWaitExpired)).toMatchObject({ Type: 'Fail', CausePath: '$.queue.timeoutMessage' });
    expect(state(States.CheckCapacity)).toMatchObject({ Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke' });
  });

  it('has Decide Retry as the Lambda whose output carries the outcome of a failed attempt', () => {
    expect(state(States.DecideRetry)).toMatchObject({ Type: 'Task', Next: States.ShouldRetry });
  });

  it('waits for capacity in Wait For Capacity, which the view reports as WAITING_FOR_CAPACITY', () => {
    expect(state(States.WaitForCapacity)).toMatchObject({ Type: 'Wait', Next: States.CheckCapacity });
    expect(state(States.IsThereRoom)?.Type).toBe('Choice');
  });

  it('runs the tasks in exactly the Run Task states Check Capacity can target', () => {
    const runTaskStates = Object.entries(asl.States)
      .filter(([, s]) => s.Resource === 'arn:aws:states:::ecs:runTask.sync')
      .map(([name]) => name);
    expect([...RUN_TASK_STATES].sort()).toEqual(runTaskStates.sort());
    // Check Capacity names the target by its key ($.check.target); Is There Room routes each key to its state.
    const routed = Object.fromEntries(
      (state(States.IsThereRoom)?.Choices ?? []).flatMap((choice) => {
        const target = choice.And?.find((c) => c.Variable === '$.check.target');
        return target === undefined ? [] : [[target.StringEquals, choice.Next]];
      }),
    );
    expect(routed).toEqual(RunTaskTargets);
  });
});
