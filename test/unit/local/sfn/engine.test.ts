import {
  compileDefinition,
  MAX_TIMER_SECONDS,
  prepareForEngine,
  RESUME_STATE,
  resumeMachine,
  runMachine,
  WAIT_RESOURCE,
} from '../../../../local/sfn/engine';

function message(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('expected an error');
}

describe('compileDefinition', () => {
  it("refuses an invalid definition with InvalidDefinition and the validator's words", () => {
    const error = message(() =>
      compileDefinition(JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' } } })),
    );
    expect(error.code).toBe('InvalidDefinition');
    expect(error.message).toMatch(/^Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: .*B/);
  });

  it('refuses text that is not JSON', () => {
    expect(message(() => compileDefinition('{nope')).message).toMatch(
      /^Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: /,
    );
  });

  it('refuses JSONata, which the engine validates but does not run', () => {
    const definition = { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };
    expect(message(() => compileDefinition(JSON.stringify(definition))).message).toContain('JSONPath definitions only');
  });

  it('indexes every state, nested ones included, with its own type', () => {
    const definition = {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 1, End: true } } }],
          Next: 'M',
        },
        M: {
          Type: 'Map',
          ItemProcessor: {
            StartAt: 'T',
            States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
          },
          End: true,
        },
      },
    };
    const compiled = compileDefinition(JSON.stringify(definition));
    expect([...compiled.states.values()].map((s) => [s.name, s.type])).toEqual([
      ['P', 'Parallel'],
      ['W', 'Wait'],
      ['M', 'Map'],
      ['T', 'Task'],
    ]);
  });
});

describe('prepareForEngine', () => {
  const definition = () => ({
    StartAt: 'Run',
    States: {
      Run: {
        Type: 'Task',
        Resource: 'arn:aws:states:::ecs:runTask.sync',
        Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 10, MaxDelaySeconds: 60 }, { ErrorEquals: ['X'] }],
        Next: 'Pause',
      },
      Pause: { Type: 'Wait', SecondsPath: '$.s', InputPath: '$.in', Next: 'Limited' },
      Limited: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 30, Next: 'Dynamic' },
      Dynamic: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSecondsPath: '$.t', End: true },
    },
  });

  it('gives a Task with no timeout the largest timer instead of the engine default of 60 s, and keeps a set one', () => {
    const prepared = prepareForEngine(definition(), 1);
    expect(prepared.States.Run!.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(prepared.States.Limited!.TimeoutSeconds).toBe(30);
  });

  it('takes TimeoutSecondsPath away from the engine (Berth times it from the state input)', () => {
    const dynamic = prepareForEngine(definition(), 1).States.Dynamic!;
    expect(dynamic.TimeoutSecondsPath).toBeUndefined();
    expect(dynamic.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
  });

  it('runs Wait states as Berth tasks, keeping their paths and transition', () => {
    expect(prepareForEngine(definition(), 1).States.Pause).toEqual({
      Type: 'Task',
      Resource: WAIT_RESOURCE,
      TimeoutSeconds: MAX_TIMER_SECONDS,
      InputPath: '$.in',
      Next: 'Limited',
    });
  });

  it('scales Retry intervals and caps, the default interval of 1 s included', () => {
    expect(prepareForEngine(definition(), 0.01).States.Run!.Retry).toEqual([
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 0.1, MaxDelaySeconds: 0.6 },
      { ErrorEquals: ['X'], IntervalSeconds: 0.01 },
    ]);
  });
});

describe('resumeMachine and runMachine', () => {
  const definition = {
    TimeoutSeconds: 60,
    StartAt: 'A',
    States: {
      A: { Type: 'Pass', Result: 'a', ResultPath: '$.a', Next: 'B' },
      B: {
        Type: 'Pass',
        Parameters: { 'start.$': '$$.Execution.StartTime', 'input.$': '$$.Execution.Input', 'state.$': '$' },
        End: true,
      },
    },
  };

  it('runs from the given state with its recorded input, keeping the execution input and start time in the context', async () => {
    const RealDate = globalThis.Date;
    const compiled = compileDefinition(JSON.stringify(definition));
    const machine = resumeMachine(compiled, 'B');
    expect(resumeMachine(compiled, 'B')).toBe(machine); // built once per state
    const startTime = Date.parse('2030-01-02T03:04:05.678Z');
    const execution = runMachine(
      machine,
      { original: true },
      { overrides: { taskResourceLocalHandlers: { [RESUME_STATE]: async () => ({ recorded: 1 }) } } },
      startTime,
    );
    await expect(execution.result).resolves.toEqual({
      start: '2030-01-02T03:04:05.678Z',
      input: { original: true },
      state: { recorded: 1 },
    });
    // The clock is pinned for the run() call only.
    expect(globalThis.Date).toBe(RealDate);
    expect(new Date().toISOString()).not.toBe('2030-01-02T03:04:05.678Z');
    expect(compiled.definition.StartAt).toBe('A'); // the definition itself is left alone
  });

  it('refuses a state that is not a top-level state of the definition', () => {
    expect(() => resumeMachine(compileDefinition(JSON.stringify(definition)), 'Nope')).toThrow(RangeError);
  });
});
