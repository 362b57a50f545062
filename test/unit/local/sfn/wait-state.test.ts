import { readReferencePath, runWaitState, waitMilliseconds } from '../../../../local/sfn/wait-state';

describe('readReferencePath', () => {
  const input = { a: { b: [10, { c: 'x' }] }, 'odd key': 5 };
  const context = { Execution: { Name: 'run-1' } };
  it.each([
    ['$', input],
    ['$.a.b[0]', 10],
    ['$.a.b[1].c', 'x'],
    ["$['odd key']", 5],
    ['$.missing.deeper', undefined],
    ['$$.Execution.Name', 'run-1'],
  ])('%s', (path, expected) => {
    expect(readReferencePath(path, input, context)).toEqual(expected);
  });

  it('refuses what is not a reference path with States.Runtime', () => {
    expect(() => readReferencePath('$.a[*]', input, context)).toThrow(
      expect.objectContaining({ error: 'States.Runtime' }),
    );
  });
});

describe('waitMilliseconds', () => {
  const now = Date.parse('2030-01-01T00:00:00Z');
  it.each([
    [{ Seconds: 5 }, {}, 5000],
    [{ SecondsPath: '$.wait' }, { wait: 7 }, 7000],
    [{ Timestamp: '2030-01-01T00:00:03Z' }, {}, 3000],
    [{ TimestampPath: '$.at' }, { at: '2030-01-01T00:00:02Z' }, 2000],
    [{ Timestamp: '2029-01-01T00:00:00Z' }, {}, 0],
  ])('%j with %j', (state, input, ms) => {
    expect(waitMilliseconds({ Type: 'Wait', ...state }, input, {}, now)).toBe(ms);
  });

  it('fails with States.Runtime when SecondsPath is not a non-negative integer', () => {
    expect(() => waitMilliseconds({ Type: 'Wait', SecondsPath: '$.wait' }, { wait: 'soon' }, {}, now)).toThrow(
      expect.objectContaining({ error: 'States.Runtime' }),
    );
  });
});

describe('runWaitState after a restart', () => {
  it('waits only what is left of a wait that began `since`, and not at all once it is spent', async () => {
    const signal = new AbortController().signal;
    const began = Date.now();
    // 60 s of Wait, of which all but 50 ms went by before the restart.
    await runWaitState({ Type: 'Wait', Seconds: 60 }, { a: 1 }, {}, 1, signal, began - 59_950);
    const took = Date.now() - began;
    expect(took).toBeGreaterThanOrEqual(40);
    expect(took).toBeLessThan(10_000);
    const spent = Date.now();
    await expect(runWaitState({ Type: 'Wait', Seconds: 60 }, 'x', {}, 1, signal, spent - 120_000)).resolves.toBe('x');
    expect(Date.now() - spent).toBeLessThan(1000);
  });
});
