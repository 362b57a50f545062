import { execFailedReason, givenReason } from '../../../../local/ecs/runtime/errors';
import { exitCodeOf } from '../../../../local/ecs/runtime/process-runtime';
import {
  CannotStartContainerError,
  type ContainerSpec,
  chooseRuntime,
  MAX_REASON_LENGTH,
  type RuntimeKind,
} from '../../../../local/ecs/runtime/runtime';
import { containerArgv, simulateSteering } from '../../../../local/ecs/runtime/steering';

type Choice = Pick<ContainerSpec, 'entryPoint' | 'command' | 'dockerLabels'>;

describe('chooseRuntime', () => {
  it.each<[string, Choice, RuntimeKind]>([
    ['an image alone', {}, 'simulate'],
    ['empty entryPoint and command', { entryPoint: [], command: [] }, 'simulate'],
    ['a command', { command: ['echo', 'hi'] }, 'process'],
    ['an entryPoint', { entryPoint: ['/app'] }, 'process'],
    [
      'berth.runtime=simulate over a command',
      { command: ['x'], dockerLabels: { 'berth.runtime': 'simulate' } },
      'simulate',
    ],
    ['berth.runtime=process', { dockerLabels: { 'berth.runtime': 'process' } }, 'process'],
    ['berth.runtime=docker', { command: ['x'], dockerLabels: { 'berth.runtime': 'docker' } }, 'docker'],
    ['an empty berth.runtime', { command: ['x'], dockerLabels: { 'berth.runtime': '' } }, 'process'],
  ])('%s', (_, spec, kind) => {
    expect(chooseRuntime(spec)).toBe(kind);
  });

  it('throws CannotStartContainerError for an unknown berth.runtime', () => {
    expect(() => chooseRuntime({ dockerLabels: { 'berth.runtime': 'Process' } })).toThrow(CannotStartContainerError);
  });
});

describe('containerArgv', () => {
  it.each<[Choice, string[]]>([
    [{ entryPoint: ['sh', '-c'], command: ['echo hi'] }, ['sh', '-c', 'echo hi']],
    [{ command: ['echo', 'hi'] }, ['echo', 'hi']],
    [{ entryPoint: ['/app', '--flag'] }, ['/app', '--flag']],
    [{}, []],
  ])('%j -> %j', (spec, argv) => {
    expect(containerArgv(spec)).toEqual(argv);
  });
});

describe('simulateSteering', () => {
  it.each<[Record<string, string>, Record<string, string>, object]>([
    [{}, {}, { exitCode: 0 }],
    [{ 'berth.simulate.exit-code': '0' }, {}, { exitCode: 0 }],
    [{ 'berth.simulate.exit-code': ' 42 ' }, {}, { exitCode: 42 }],
    [{ 'berth.simulate.seconds': '.5' }, {}, { exitCode: 0, seconds: 0.5 }],
    [{ 'berth.simulate.seconds': '2147483' }, {}, { exitCode: 0, seconds: 2147483 }],
    [{}, { BERTH_SIMULATE_SECONDS: '0' }, { exitCode: 0, seconds: 0 }],
    [{ 'berth.simulate.seconds': '1' }, { BERTH_SIMULATE_EXIT_CODE: '7' }, { exitCode: 7, seconds: 1 }],
    [{}, { BERTH_SIMULATE_FAIL_TO_START: 'x' }, { exitCode: 0, failToStart: 'CannotStartContainerError: x' }],
    [{ 'berth.simulate.fail-to-start': '' }, {}, { exitCode: 0 }],
  ])('labels %j, environment %j -> %j', (labels, environment, steering) => {
    expect(simulateSteering(labels, environment)).toEqual(steering);
  });

  it.each([
    ['berth.simulate.exit-code', '-1'],
    ['berth.simulate.exit-code', '0x10'],
    ['berth.simulate.exit-code', '1e2'],
    ['berth.simulate.exit-code', '1000'],
    ['berth.simulate.seconds', '1e3'],
    ['berth.simulate.seconds', 'Infinity'],
    ['berth.simulate.seconds', '2147484'],
    ['berth.simulate.seconds', '1s'],
  ])('rejects %s=%s', (label, value) => {
    expect(() => simulateSteering({ [label]: value })).toThrow(
      new CannotStartContainerError(
        `CannotStartContainerError: invalid docker label ${label} ${JSON.stringify(value)}: expected ` +
          (label.endsWith('exit-code') ? 'an integer from 0 to 255' : 'a number of seconds from 0 to 2147483'),
      ),
    );
  });
});

describe('exitCodeOf', () => {
  it.each<[number | null, NodeJS.Signals | null, number | null]>([
    [0, null, 0],
    [3, null, 3],
    [null, 'SIGTERM', 143],
    [null, 'SIGKILL', 137],
    [null, 'SIGINT', 130],
    [null, null, null],
  ])('code %p, signal %p -> %p', (code, signal, exitCode) => {
    expect(exitCodeOf(code, signal)).toBe(exitCode);
  });
});

describe('reasons', () => {
  const runc =
    'CannotStartContainerError: Error response from daemon: failed to create task for container: failed to create ' +
    'shim task: OCI runtime create failed: runc create failed: unable to start container process: ';
  it.each([
    ['nope', 'ENOENT', 'exec: "nope": executable file not found in $PATH: unknown'],
    ['nope', 'EACCES', 'exec: "nope": executable file not found in $PATH: unknown'],
    ['./nope', 'ENOENT', 'exec: "./nope": stat ./nope: no such file or directory: unknown'],
    ['/', 'EACCES', 'exec: "/": permission denied: unknown'],
    ['/bin/x', 'ENOEXEC', 'exec: "/bin/x": exec format error: unknown'],
    ['/bin/x', 'E2BIG', 'exec: "/bin/x": argument list too long: unknown'],
    ['/bin/x', 'ELOOP', 'exec: "/bin/x": ELOOP: unknown'],
  ])('exec %s failing with %s', (executable, code, tail) => {
    expect(execFailedReason(executable, code)).toBe(`${runc}${tail}`);
  });

  it.each([
    ['boom', 'CannotStartContainerError: boom'],
    ['CannotStartContainerError: boom', 'CannotStartContainerError: boom'],
    ['ResourceInitializationError: failed', 'ResourceInitializationError: failed'],
    [
      'error: lower case is not an ECS error name',
      'CannotStartContainerError: error: lower case is not an ECS error name',
    ],
  ])('given reason %j', (given, reason) => {
    expect(givenReason(given)).toBe(reason);
  });

  it(`cuts a reason at ${MAX_REASON_LENGTH} characters, as ECS does`, () => {
    const err = new CannotStartContainerError(`CannotStartContainerError: ${'x'.repeat(2000)}`);
    expect(err.reason).toHaveLength(MAX_REASON_LENGTH);
    expect(err.message).toBe(err.reason);
  });
});
