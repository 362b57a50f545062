import { compileDefinition } from '../../../../local/sfn/engine';
import { type EngineEvent, numberEvent, translateEngineEvent } from '../../../../local/sfn/history';

const { states } = compileDefinition(
  JSON.stringify({
    StartAt: 'Check',
    States: {
      Check: {
        Type: 'Choice',
        Choices: [{ Variable: '$.ok', BooleanEquals: true, Next: 'Wait A Bit' }],
        Default: 'Nope',
      },
      'Wait A Bit': { Type: 'Wait', Seconds: 1, Next: 'Fan Out' },
      'Fan Out': {
        Type: 'Map',
        ItemsPath: '$.items',
        ItemProcessor: { StartAt: 'Each', States: { Each: { Type: 'Pass', End: true } } },
        End: true,
      },
      Nope: { Type: 'Fail', Error: 'No' },
    },
  }),
);

const at = 1_700_000_000_000;
const state = (name: string, type: string, extra: Record<string, unknown> = {}) => ({ name, type, ...extra });

describe('translateEngineEvent', () => {
  it.each<[string, EngineEvent, Array<{ type: string; details?: unknown }>]>([
    [
      'Choice entered',
      { type: 'StateEntered', timestamp: at, state: state('Check', 'Choice', { input: { ok: true } }) },
      [
        {
          type: 'ChoiceStateEntered',
          details: { name: 'Check', input: '{"ok":true}', inputDetails: { truncated: false } },
        },
      ],
    ],
    [
      'a Wait (run as a Task by the engine) keeps its own type',
      { type: 'StateExited', timestamp: at, state: state('Wait A Bit', 'Task', { input: {}, output: { a: 1 } }) },
      [
        {
          type: 'WaitStateExited',
          details: { name: 'Wait A Bit', output: '{"a":1}', outputDetails: { truncated: false } },
        },
      ],
    ],
    [
      'Map entered and started, with the item count',
      { type: 'StateEntered', timestamp: at, state: state('Fan Out', 'Map', { input: { items: [1, 2, 3] } }) },
      [
        { type: 'MapStateEntered', details: expect.objectContaining({ name: 'Fan Out' }) },
        { type: 'MapStateStarted', details: { length: 3 } },
      ],
    ],
    [
      'Map exited after succeeding',
      { type: 'StateExited', timestamp: at, state: state('Fan Out', 'Map', { input: {}, output: [] }) },
      [
        { type: 'MapStateSucceeded' },
        { type: 'MapStateExited', details: expect.objectContaining({ name: 'Fan Out' }) },
      ],
    ],
    [
      'Map iteration',
      { type: 'MapIterationStarted', timestamp: at, index: 2, parentState: state('Fan Out', 'Map') },
      [{ type: 'MapIterationStarted', details: { name: 'Fan Out', index: 2 } }],
    ],
    [
      'Fail entered',
      { type: 'StateEntered', timestamp: at, state: state('Nope', 'Fail', { input: {} }) },
      [{ type: 'FailStateEntered', details: expect.anything() }],
    ],
    [
      'a failed Choice has no event',
      { type: 'StateFailed', timestamp: at, state: state('Check', 'Choice'), Error: 'States.NoChoiceMatched' },
      [],
    ],
    ['a retry has no event', { type: 'StateRetried', timestamp: at, state: state('Check', 'Choice') }, []],
    ['execution events are the lifecycle’s', { type: 'ExecutionSucceeded', timestamp: at }, []],
  ])('%s', (_name, event, expected) => {
    expect(
      translateEngineEvent(event, states).map(({ type, details }) =>
        details === undefined ? { type } : { type, details },
      ),
    ).toEqual(expected);
  });
});

describe('numberEvent', () => {
  it('puts the details under the member AWS names for the type, and links to the previous event', () => {
    expect(numberEvent({ type: 'TaskFailed', details: { error: 'E', cause: 'C' } }, 7, at)).toEqual({
      id: 7,
      previousEventId: 6,
      timestamp: at,
      type: 'TaskFailed',
      taskFailedEventDetails: { error: 'E', cause: 'C' },
    });
    expect(numberEvent({ type: 'PassStateEntered', details: { name: 'P' } }, 2, at).stateEnteredEventDetails).toEqual({
      name: 'P',
    });
  });
});
