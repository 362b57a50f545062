import { existsSync } from 'node:fs';
import { adoptContainer, CannotStartContainerError, type ContainerSpec } from '../../../../local/ecs/runtime/runtime';
import { type Sandbox, sandbox } from './helpers';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.cleanup());

async function startFailure(overrides: Partial<ContainerSpec>): Promise<CannotStartContainerError> {
  const err = await box.start(overrides).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CannotStartContainerError);
  return err as CannotStartContainerError;
}

describe('simulate runtime', () => {
  it('simulates an image with nothing to run: logs it, exits 0 after the default time', async () => {
    const handle = await box.start({ containerName: 'anjana', image: 'someimage' }, { simulateSeconds: 0.1 });
    expect(handle.kind).toBe('simulate');
    expect(handle.pid).toBeUndefined();
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    expect(box.log()).toBe(
      '[berth] simulated container anjana (image someimage): no entryPoint or command to run here; ' +
        'exits with code 0 after 0.1 s\n',
    );
  });

  it('treats empty entryPoint and command as nothing to run', async () => {
    const handle = await box.start({ entryPoint: [], command: [] });
    expect(handle.kind).toBe('simulate');
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
  });

  it.each<[string, Partial<ContainerSpec>, number]>([
    ['the label', { dockerLabels: { 'berth.simulate.exit-code': '3' } }, 3],
    ['the variable', { environment: { BERTH_SIMULATE_EXIT_CODE: '4' } }, 4],
    [
      'the label over the variable',
      { dockerLabels: { 'berth.simulate.exit-code': '3' }, environment: { BERTH_SIMULATE_EXIT_CODE: '4' } },
      3,
    ],
    [
      'the variable when the label is empty',
      { dockerLabels: { 'berth.simulate.exit-code': ' ' }, environment: { BERTH_SIMULATE_EXIT_CODE: '5' } },
      5,
    ],
    ['255', { dockerLabels: { 'berth.simulate.exit-code': '255' } }, 255],
  ])('exits with the code set by %s', async (_, overrides, exitCode) => {
    const handle = await box.start(overrides);
    await expect(handle.exited).resolves.toEqual({ exitCode });
    expect(box.log()).toContain(`exits with code ${exitCode} after`);
  });

  it.each<[string, Partial<ContainerSpec>]>([
    ['the label', { dockerLabels: { 'berth.simulate.seconds': '0.02' } }],
    ['the variable', { environment: { BERTH_SIMULATE_SECONDS: '0.02' } }],
    [
      'the label over the variable',
      { dockerLabels: { 'berth.simulate.seconds': '0.02' }, environment: { BERTH_SIMULATE_SECONDS: '600' } },
    ],
  ])('runs for the time set by %s', async (_, overrides) => {
    // With the default of 600 s, exiting at all within the test's timeout shows the knob took effect.
    const handle = await box.start(overrides, { simulateSeconds: 600 });
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    expect(box.log()).toContain('after 0.02 s');
  });

  it('runs a long-running container until it is stopped: 143, without waiting for the timeout', async () => {
    const handle = await box.start({ dockerLabels: { 'berth.simulate.seconds': '600' } });
    // Had it already exited, stop would give its exit code 0; had it waited for the timeout, the test would time out.
    await expect(handle.stop(600)).resolves.toEqual({ exitCode: 143 });
    await expect(handle.exited).resolves.toEqual({ exitCode: 143 });
    await expect(handle.stop(30)).resolves.toEqual({ exitCode: 143 });
    expect(box.log()).toMatch(/after 600 s\n\[berth\] simulated container app stopped \(SIGTERM\): exit code 143\n$/);
  });

  it('resolves stop on an exited container with its exit', async () => {
    const handle = await box.start({ dockerLabels: { 'berth.simulate.exit-code': '2' } });
    await handle.exited;
    await expect(handle.stop(30)).resolves.toEqual({ exitCode: 2 });
    expect(box.log()).not.toContain('stopped');
  });

  it('has the stop line in the log once exited resolves', async () => {
    const handle = await box.start({ dockerLabels: { 'berth.simulate.seconds': '600' } });
    void handle.stop(1);
    await handle.exited;
    expect(box.log()).toContain('stopped (SIGTERM): exit code 143\n');
  });

  it('rejects a negative or non-finite stop timeout, and keeps running', async () => {
    const handle = await box.start({ dockerLabels: { 'berth.simulate.seconds': '600' } });
    await expect(handle.stop(-1)).rejects.toThrow(RangeError);
    await expect(handle.stop(Number.POSITIVE_INFINITY)).rejects.toThrow(RangeError);
    await expect(handle.stop(0)).resolves.toEqual({ exitCode: 143 });
  });

  it('does not keep Node alive with its timer', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await box.start({ dockerLabels: { 'berth.simulate.seconds': '600' } });
    expect(timers()).toBe(before);
  });
});

describe('simulate runtime: failing to start', () => {
  it.each<[string, Partial<ContainerSpec>, string]>([
    ['the label', { dockerLabels: { 'berth.simulate.fail-to-start': 'boom' } }, 'CannotStartContainerError: boom'],
    [
      'the variable',
      { environment: { BERTH_SIMULATE_FAIL_TO_START: 'failed to get container status: boom' } },
      'CannotStartContainerError: failed to get container status: boom',
    ],
    [
      'the label over the variable',
      {
        dockerLabels: { 'berth.simulate.fail-to-start': 'label' },
        environment: { BERTH_SIMULATE_FAIL_TO_START: 'env' },
      },
      'CannotStartContainerError: label',
    ],
    [
      'a reason that already names an ECS error',
      { dockerLabels: { 'berth.simulate.fail-to-start': 'CannotPullContainerError: pull access denied' } },
      'CannotPullContainerError: pull access denied',
    ],
  ])('fails with the reason set by %s, and logs nothing', async (_, overrides, reason) => {
    const err = await startFailure(overrides);
    expect(err.reason).toBe(reason);
    expect(err.message).toBe(reason);
    expect(existsSync(box.logFile)).toBe(false);
  });

  it.each<[string, Partial<ContainerSpec>, string]>([
    [
      'a non-numeric exit code',
      { dockerLabels: { 'berth.simulate.exit-code': 'abc' } },
      'CannotStartContainerError: invalid docker label berth.simulate.exit-code "abc": expected an integer from 0 to 255',
    ],
    [
      'an exit code over 255',
      { environment: { BERTH_SIMULATE_EXIT_CODE: '256' } },
      'CannotStartContainerError: invalid environment variable BERTH_SIMULATE_EXIT_CODE "256": expected an integer from 0 to 255',
    ],
    [
      'negative seconds',
      { dockerLabels: { 'berth.simulate.seconds': '-1' } },
      'CannotStartContainerError: invalid docker label berth.simulate.seconds "-1": expected a number of seconds from 0 to 2147483',
    ],
    [
      'both at once',
      { dockerLabels: { 'berth.simulate.exit-code': '1.5', 'berth.simulate.seconds': 'soon' } },
      'CannotStartContainerError: invalid docker label berth.simulate.exit-code "1.5": expected an integer from 0 to 255; ' +
        'invalid docker label berth.simulate.seconds "soon": expected a number of seconds from 0 to 2147483',
    ],
    [
      'an invalid label even when the variable is valid',
      { dockerLabels: { 'berth.simulate.exit-code': 'x' }, environment: { BERTH_SIMULATE_EXIT_CODE: '1' } },
      'CannotStartContainerError: invalid docker label berth.simulate.exit-code "x": expected an integer from 0 to 255',
    ],
  ])('fails with a clear reason for %s', async (_, overrides, reason) => {
    const err = await startFailure(overrides);
    expect(err.reason).toBe(reason);
  });

  it('rejects options that are a caller bug with a RangeError', async () => {
    await expect(box.start({}, { simulateSeconds: -1 })).rejects.toThrow(RangeError);
    await expect(box.start({}, { simulateSeconds: Number.NaN })).rejects.toThrow(RangeError);
  });
});

describe('berth.runtime', () => {
  it('forces simulate on a container that has a command', async () => {
    const handle = await box.start({
      command: ['sh', '-c', 'exit 9'],
      dockerLabels: { 'berth.runtime': 'simulate', 'berth.simulate.seconds': '0' },
    });
    expect(handle.kind).toBe('simulate');
    await expect(handle.exited).resolves.toEqual({ exitCode: 0 });
    expect(box.log()).toContain('(image someimage): docker label berth.runtime=simulate; exits with code 0 after 0 s');
  });

  it('forces process, which runs the command', async () => {
    const handle = await box.start({ command: ['sh', '-c', 'exit 9'], dockerLabels: { 'berth.runtime': 'process' } });
    expect(handle.kind).toBe('process');
    await expect(handle.exited).resolves.toEqual({ exitCode: 9 });
  });

  it('rejects any other value', async () => {
    const err = await startFailure({ dockerLabels: { 'berth.runtime': 'podman' } });
    expect(err.reason).toBe(
      'CannotStartContainerError: invalid docker label berth.runtime "podman": expected docker, process or simulate',
    );
  });
});

describe('simulate runtime after an emulator restart', () => {
  const steered = (seconds: string, exitCode: string) =>
    box.spec({ dockerLabels: { 'berth.simulate.seconds': seconds, 'berth.simulate.exit-code': exitCode } });

  it('goes on for what is left of its time from when it started, then exits as steered', async () => {
    const startedAt = Date.now() - 59_800; // a 60 s container, restarted 200 ms before its end
    const adopted = await adoptContainer(steered('60', '4'), { simulateSeconds: 1 }, { startedAt });
    if (adopted.state !== 'running') throw new Error(`not running: ${adopted.state}`);
    const began = Date.now();
    await expect(adopted.handle.exited).resolves.toEqual({ exitCode: 4 });
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(box.log()).toMatch(
      /^\[berth\] simulated container app resumed after an endpoint restart: exits with code 4 after 0\.\d{3} s more\n$/,
    );
  });

  it('exits at once when its time ran out while no emulator ran, and stops on SIGTERM while it goes on', async () => {
    const spent = await adoptContainer(steered('1', '0'), { simulateSeconds: 1 }, { startedAt: Date.now() - 5000 });
    if (spent.state !== 'running') throw new Error('not running');
    await expect(spent.handle.exited).resolves.toEqual({ exitCode: 0 });
    const long = await adoptContainer(steered('600', '0'), { simulateSeconds: 1 }, { startedAt: Date.now() });
    if (long.state !== 'running') throw new Error('not running');
    await expect(long.handle.stop(30)).resolves.toEqual({ exitCode: 143 });
  });

  it('is not known to have started when its task had not started', async () => {
    await expect(adoptContainer(steered('1', '0'), { simulateSeconds: 1 }, {})).resolves.toEqual({
      state: 'not-started',
    });
  });
});
