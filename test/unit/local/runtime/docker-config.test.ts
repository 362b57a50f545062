/**
 * The docker runtime's pure parts: the create-container body a container definition becomes (as the ECS agent
 * builds it), the ports hostPort 0 takes, and the dependsOn start order and conditions. No Docker daemon.
 */
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { dependenciesMet, StartAbandonedError, startOrder } from '../../../../local/ecs/runtime/depends-on';
import {
  containerConfig,
  cpuShares,
  dockerName,
  EPHEMERAL_PORTS,
  imageReference,
  portPlan,
} from '../../../../local/ecs/runtime/docker-runtime';
import { CannotStartContainerError } from '../../../../local/ecs/runtime/errors';
import type {
  ContainerExit,
  ContainerHandle,
  ContainerSpec,
  DockerContext,
  HealthStatus,
} from '../../../../local/ecs/runtime/types';

const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';

function spec(extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    taskArn: TASK_ARN,
    containerName: 'web',
    image: 'myorg/etl:1.2',
    environment: { A: '1' },
    logFile: '/tmp/x.log',
    scratchDir: '/tmp/x',
    statusDir: '/tmp/x/.berth',
    ...extra,
  };
}

function context(definition: ContainerDefinition = {}, extra: Partial<DockerContext> = {}): DockerContext {
  return {
    definition: { name: 'web', image: 'myorg/etl:1.2', ...definition },
    family: 'etl',
    revision: 4,
    cluster: 'default',
    networkMode: 'bridge',
    owner: '/state',
    ...extra,
  };
}

const noPorts = () => {
  throw new Error('no port expected');
};

describe('containerConfig', () => {
  it('maps a container definition as the agent does, its labels last', () => {
    const ctx = context(
      {
        user: '1000:1000',
        ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
        linuxParameters: { initProcessEnabled: true },
        readonlyRootFilesystem: true,
        privileged: true,
        stopTimeout: 7,
        healthCheck: { command: ['CMD-SHELL', 'true'], interval: 5, timeout: 2, retries: 4, startPeriod: 10 },
      },
      { cpu: 256, memory: 128, memoryReservation: 64 },
    );
    const config = containerConfig(
      spec({
        entryPoint: ['/bin/sh', '-c'],
        command: ['echo hi'],
        workingDirectory: '/srv',
        dockerLabels: { team: 'data', 'com.amazonaws.ecs.cluster': 'spoofed' },
      }),
      ctx,
      portPlan(ctx, noPorts),
    );
    expect(config).toMatchObject({
      Image: 'myorg/etl:1.2',
      Entrypoint: ['/bin/sh', '-c'],
      Cmd: ['echo hi'],
      Env: ['A=1'],
      WorkingDir: '/srv',
      User: '1000:1000',
      StopTimeout: 7,
      Labels: {
        team: 'data',
        'berth.state-dir': '/state',
        'com.amazonaws.ecs.task-arn': TASK_ARN,
        'com.amazonaws.ecs.container-name': 'web',
        'com.amazonaws.ecs.task-definition-family': 'etl',
        'com.amazonaws.ecs.task-definition-version': '4',
        'com.amazonaws.ecs.cluster': 'default',
      },
      Healthcheck: { Test: ['CMD-SHELL', 'true'], Interval: 5e9, Timeout: 2e9, Retries: 4, StartPeriod: 10e9 },
      HostConfig: {
        CpuShares: 256,
        Memory: 128 * 1024 * 1024,
        MemoryReservation: 64 * 1024 * 1024,
        Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 4096 }],
        Init: true,
        ReadonlyRootfs: true,
        Privileged: true,
        NetworkMode: 'berth-default',
      },
      NetworkingConfig: { EndpointsConfig: { 'berth-default': { Aliases: ['web'] } } },
    });
  });

  it("leaves the image's entrypoint and command alone when the definition sets none", () => {
    const ctx = context();
    const config = containerConfig(spec(), ctx, portPlan(ctx, noPorts));
    expect(config).not.toHaveProperty('Entrypoint');
    expect(config).not.toHaveProperty('Cmd');
    expect(config.HostConfig).not.toHaveProperty('Memory');
    expect(config.HostConfig).not.toHaveProperty('Privileged');
  });

  it('gives a container with no memory the task memory, and every container the task cpu as a quota', () => {
    const ctx = context({}, { taskCpu: 512, taskMemory: 1024 });
    const config = containerConfig(spec(), ctx, portPlan(ctx, noPorts));
    expect(config.HostConfig).toMatchObject({ Memory: 1024 * 1024 * 1024, NanoCpus: 0.5e9, CpuShares: 2 });
  });

  it('raises memory to the 4 MiB floor and clamps CPU shares to 2..262144', () => {
    const ctx = context({}, { memory: 2 });
    expect(containerConfig(spec(), ctx, portPlan(ctx, noPorts)).HostConfig?.Memory).toBe(4 * 1024 * 1024);
    expect([cpuShares(undefined), cpuShares(0), cpuShares(1), cpuShares(1024), cpuShares(10 ** 6)]).toEqual([
      2, 2, 2, 1024, 262144,
    ]);
  });

  it.each([
    ['host', 'host'],
    ['none', 'none'],
    ['awsvpc', 'berth-task-0123456789abcdef0123456789abcdef'],
  ] as const)('runs network mode %s on %s', (mode, network) => {
    const ctx = context({}, { networkMode: mode });
    expect(containerConfig(spec(), ctx, portPlan(ctx, noPorts)).HostConfig?.NetworkMode).toBe(network);
  });
});

describe('portPlan', () => {
  it('publishes bridge ports on 127.0.0.1, hostPort 0 from the picker, and reports them', () => {
    const ctx = context({
      portMappings: [
        { containerPort: 80, hostPort: 8080 },
        { containerPort: 53, hostPort: 0, protocol: 'udp' },
      ],
    });
    const plan = portPlan(ctx, (protocol) => (protocol === 'udp' ? 50000 : 0));
    expect(plan.bindings).toEqual({
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '50000' }],
    });
    expect(plan.reported).toEqual([
      { bindIP: '127.0.0.1', containerPort: 80, hostPort: 8080, protocol: 'tcp' },
      { bindIP: '127.0.0.1', containerPort: 53, hostPort: 50000, protocol: 'udp' },
    ]);
  });

  it('publishes nothing in host mode and reports the container port as the host port', () => {
    const ctx = context({ portMappings: [{ containerPort: 80 }] }, { networkMode: 'host' });
    const plan = portPlan(ctx, noPorts);
    expect(plan.bindings).toEqual({});
    expect(plan.reported).toEqual([{ bindIP: '0.0.0.0', containerPort: 80, hostPort: 80, protocol: 'tcp' }]);
  });

  it('uses the agent’s ephemeral range', () => {
    expect(EPHEMERAL_PORTS).toEqual({ first: 49153, last: 65535 });
  });
});

describe('names', () => {
  it('names the container as the agent does and keeps a tag or digest as given', () => {
    expect(dockerName(context(), 'my_web.1', 'abc')).toBe('ecs-etl-4-myweb1-abc');
    expect(imageReference('busybox')).toBe('busybox:latest');
    expect(imageReference('localhost:5000/busybox')).toBe('localhost:5000/busybox:latest');
    expect(imageReference('busybox:1.36')).toBe('busybox:1.36');
    expect(imageReference('busybox@sha256:abc')).toBe('busybox@sha256:abc');
  });
});

describe('dependsOn', () => {
  it('starts each container after what it depends on, otherwise in definition order', () => {
    expect(
      startOrder([
        { name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' }] },
        { name: 'sidecar' },
        { name: 'db', dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] },
        { name: 'init' },
      ]),
    ).toEqual(['init', 'db', 'app', 'sidecar']);
  });

  /** A handle whose exit and health the test sets. */
  function fakeHandle() {
    let exit!: (e: ContainerExit) => void;
    const listeners: Array<(s: HealthStatus) => void> = [];
    let current: HealthStatus = 'UNKNOWN';
    const handle: ContainerHandle = {
      kind: 'docker',
      exited: new Promise((resolve) => {
        exit = resolve;
      }),
      stop: () => handle.exited,
      health: {
        get current() {
          return current;
        },
        onChange: (listener) => listeners.push(listener),
      },
    };
    const setHealth = (status: HealthStatus) => {
      current = status;
      for (const listener of listeners) listener(status);
    };
    return { handle, exit, setHealth };
  }

  const never = new Promise<void>(() => {});
  const settled = async (promise: Promise<unknown>) => {
    let done = false;
    promise.then(
      () => {
        done = true;
      },
      () => {
        done = true;
      },
    );
    await new Promise((resolve) => setImmediate(resolve));
    return done;
  };

  it('waits for SUCCESS and fails it on a non-zero exit, in the agent’s words', async () => {
    const init = fakeHandle();
    const target = { name: 'app', dependsOn: [{ containerName: 'init', condition: 'SUCCESS' as const }] };
    const waiting = dependenciesMet(target, new Map([['init', init.handle]]), never);
    expect(await settled(waiting)).toBe(false);
    init.exit({ exitCode: 1 });
    await expect(waiting).rejects.toThrow(
      new CannotStartContainerError(
        'dependency graph: failed to resolve container ordering dependency [init] for target [app] as dependency did not exit successfully.',
      ),
    );
  });

  it('waits for HEALTHY, and gives up when the task stops', async () => {
    const db = fakeHandle();
    const target = { name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' as const }] };
    const waiting = dependenciesMet(target, new Map([['db', db.handle]]), never);
    expect(await settled(waiting)).toBe(false);
    db.setHealth('HEALTHY');
    await expect(waiting).resolves.toBeUndefined();

    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const other = fakeHandle();
    const abandoned = dependenciesMet(target, new Map([['db', other.handle]]), stopped);
    stop();
    await expect(abandoned).rejects.toBeInstanceOf(StartAbandonedError);
  });

  it('fails HEALTHY at once on a runtime with no health check', async () => {
    const { health: _, ...plain } = fakeHandle().handle;
    const target = { name: 'app', dependsOn: [{ containerName: 'db', condition: 'HEALTHY' as const }] };
    await expect(dependenciesMet(target, new Map([['db', plain]]), never)).rejects.toBeInstanceOf(
      CannotStartContainerError,
    );
  });
});
