/**
 * Where an execution a restart interrupted picks up (local/sfn/resume.ts), from its history: one case per kind of
 * position. Histories are written as GetExecutionHistory has them (models.ts numbers and stores them so).
 */
import type { AslDefinition } from '../../../../local/sfn/engine';
import type { HistoryEvent } from '../../../../local/sfn/history';
import { resumePoint } from '../../../../local/sfn/resume';

const DEFINITION: AslDefinition = {
  StartAt: 'Check',
  States: {
    Check: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Next: 'Room' },
    Room: {
      Type: 'Choice',
      Choices: [{ Variable: '$.fits', BooleanEquals: true, Next: 'Run' }],
      Default: 'Hold',
    },
    Hold: { Type: 'Wait', Seconds: 10, Next: 'Check' },
    Run: { Type: 'Task', Resource: 'arn:aws:states:::ecs:runTask.sync', End: true },
    Fanout: {
      Type: 'Parallel',
      Branches: [{ StartAt: 'Inner', States: { Inner: { Type: 'Pass', End: true } } }],
      End: true,
    },
  },
};

type Step = [type: string, name?: string, data?: unknown];

/** A history from `steps`, one event a second from t = 1000 s. */
function history(...steps: Step[]): HistoryEvent[] {
  return [['ExecutionStarted'] as Step, ...steps].map(([type, name, data], i) => {
    const event: HistoryEvent = { id: i + 1, previousEventId: i, timestamp: 1_000_000 + i * 1000, type };
    if (type.endsWith('StateEntered')) event.stateEnteredEventDetails = { name, input: JSON.stringify(data) };
    if (type.endsWith('StateExited')) event.stateExitedEventDetails = { name, output: JSON.stringify(data) };
    return event;
  });
}

const INPUT = '{"runId":"r"}';

it.each<[string, HistoryEvent[], ReturnType<typeof resumePoint>]>([
  [
    'no state entered yet: StartAt with the execution input',
    history(),
    {
      kind: 'state',
      state: 'Check',
      input: { runId: 'r' },
      replayed: [],
    },
  ],
  [
    'a Task entered, never scheduled: runs again with its input, its whole timeout',
    history(['TaskStateEntered', 'Check', { a: 1 }]),
    { kind: 'state', state: 'Check', input: { a: 1 }, replayed: ['StateEntered'] },
  ],
  [
    'a Task cut off while running: runs again, timed from its last TaskScheduled',
    history(
      ['TaskStateEntered', 'Check', { a: 1 }],
      ['TaskScheduled'],
      ['TaskStarted'],
      ['TaskFailed'],
      ['TaskScheduled'],
      ['TaskStarted'],
    ),
    { kind: 'state', state: 'Check', input: { a: 1 }, replayed: ['StateEntered'], since: 1_005_000 },
  ],
  [
    'a Wait: what is left of it, from when it was entered',
    history(
      ['TaskStateEntered', 'Check', { a: 1 }],
      ['TaskStateExited', 'Check', { fits: false }],
      ['ChoiceStateEntered', 'Room', { fits: false }],
      ['ChoiceStateExited', 'Room', { fits: false }],
      ['WaitStateEntered', 'Hold', { fits: false }],
    ),
    { kind: 'state', state: 'Hold', input: { fits: false }, replayed: ['StateEntered'], since: 1_005_000 },
  ],
  [
    'a state exited, its Next not entered yet: the Next with its output',
    history(['TaskStateEntered', 'Check', { a: 1 }], ['TaskStateExited', 'Check', { fits: true }]),
    { kind: 'state', state: 'Room', input: { fits: true }, replayed: [] },
  ],
  [
    'a Choice exited: the Choice again on its input, neither event recorded twice',
    history(
      ['TaskStateEntered', 'Check', { a: 1 }],
      ['TaskStateExited', 'Check', { fits: true }],
      ['ChoiceStateEntered', 'Room', { fits: true }],
      ['ChoiceStateExited', 'Room', { fits: true }],
    ),
    { kind: 'state', state: 'Room', input: { fits: true }, replayed: ['StateEntered', 'StateExited'] },
  ],
  [
    'the End state exited: nothing is left but to succeed with its output',
    history(['TaskStateEntered', 'Run', { fits: true }], ['TaskStateExited', 'Run', { done: 1 }]),
    { kind: 'succeeded', output: '{"done":1}' },
  ],
  [
    'inside a Parallel state: cannot be resumed, and says why',
    history(['ParallelStateEntered', 'Fanout', {}], ['ParallelStateStarted'], ['PassStateEntered', 'Inner', {}]),
    {
      kind: 'unrecoverable',
      reason: "it was inside the Parallel state 'Fanout', whose branches' progress cannot be rebuilt",
    },
  ],
])('%s', (_, events, expected) => {
  expect(resumePoint(DEFINITION, events, INPUT)).toEqual(expected);
});

it('cannot resume a state whose recorded input is missing, and says so', () => {
  const events = history(['TaskStateEntered', 'Check', {}]);
  delete (events[1]!.stateEnteredEventDetails as { input?: string }).input;
  expect(resumePoint(DEFINITION, events, INPUT)).toEqual({
    kind: 'unrecoverable',
    reason: "the history does not hold the input of state 'Check'",
  });
});
