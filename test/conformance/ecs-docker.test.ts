/**
 * The docker runtime of the local ECS through an unmodified AWS SDK client and the AWS CLI, with an image imported
 * from the host's busybox (docker-image.ts): exit codes, environment and overrides, entryPoint/command precedence,
 * working directory and user, the memory limit and ECS's out-of-memory reason, stopTimeout on StopTask, a port
 * published on 127.0.0.1 while the task runs and given back after, dependsOn and HEALTHY with the health status in
 * DescribeTasks, a missing image (CannotPullContainerError), and a restart of the endpoint re-adopting its
 * containers and removing orphans. Skipped with a message when no Docker daemon answers (failed under CI=true).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { awsCliJson } from './aws-cli';
import { describeWithDocker, ensureTestImage, TEST_IMAGE } from './docker-image';
import { admin, resource, startEcsEndpoint, waitForTask } from './ecs-cluster';
import { ecsClient, type LocalEndpoint, startEndpointProcess, tempStateDir } from './endpoint';

jest.setTimeout(60_000);

const docker = (...args: string[]) => execFileSync('docker', args, { encoding: 'utf8' }).trim();

/** Containers the endpoint on `stateDir` has in Docker, running or not. */
const containersOf = (stateDir: string) =>
  docker('ps', '-aq', '--filter', `label=berth.state-dir=${stateDir}`).split('\n').filter(Boolean);

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describeWithDocker('docker runtime', () => {
  let endpoint: LocalEndpoint;
  let ecs: ECSClient;

  beforeAll(async () => {
    ensureTestImage();
    endpoint = await startEcsEndpoint({ runtime: 'auto' });
    ecs = endpoint.ecs;
  });

  afterAll(async () => {
    await endpoint?.close();
    if (endpoint) expect(containersOf(endpoint.stateDir)).toEqual([]);
  });

  async function register(family: string, containers: Record<string, unknown>[], extra: Record<string, unknown> = {}) {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: containers.map((c) => ({ name: 'main', image: TEST_IMAGE, memory: 64, ...c })),
        ...extra,
      } as unknown as RegisterTaskDefinitionCommandInput),
    );
  }

  async function runToEnd(family: string, overrides?: Record<string, unknown>): Promise<{ task: Task; log: string }> {
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: family, ...(overrides ? { overrides } : {}) }));
    const task = await waitForTask(ecs, run.tasks![0]!.taskArn!);
    const log = (await admin(endpoint.url, 'GetTaskLog', { task: task.taskArn })).body.log as string;
    return { task, log };
  }

  /** The container's own output: the log without the runtime's `[berth]` notes. */
  const output = (log: string) =>
    log
      .split('\n')
      .filter((line) => line && !line.startsWith('[berth] '))
      .join('\n');

  it('runs the image in Docker through the AWS CLI: the log says so and holds its output, exit code 3', async () => {
    const file = path.join(endpoint.stateDir, 'exit-3.json');
    writeFileSync(
      file,
      JSON.stringify({
        family: 'docker-exit-3',
        containerDefinitions: [
          { name: 'main', image: TEST_IMAGE, memory: 64, command: ['sh', '-c', 'echo hi; exit 3'] },
        ],
      }),
    );
    await awsCliJson('ecs', endpoint.url, 'register-task-definition', '--cli-input-json', `file://${file}`);
    const run = (await awsCliJson('ecs', endpoint.url, 'run-task', '--task-definition', 'docker-exit-3')) as {
      tasks: Task[];
    };
    const task = await waitForTask(ecs, run.tasks[0]!.taskArn!);
    expect(task).toMatchObject({
      stopCode: 'EssentialContainerExited',
      containers: [expect.objectContaining({ exitCode: 3, lastStatus: 'STOPPED' })],
    });
    const log = (await admin(endpoint.url, 'GetTaskLog', { task: task.taskArn })).body.log as string;
    expect(log).toMatch(
      `[berth] container main runs in docker: BERTH_ECS_RUNTIME=auto: image ${TEST_IMAGE} is present\n`,
    );
    expect(output(log)).toBe('hi');
  });

  it('merges the environment with the overrides, and the command override replaces the command', async () => {
    await register('docker-env', [
      {
        command: ['sh', '-c', 'echo never'],
        environment: [
          { name: 'A', value: 'from-definition' },
          { name: 'B', value: 'from-definition' },
        ],
      },
    ]);
    const { task, log } = await runToEnd('docker-env', {
      containerOverrides: [
        {
          name: 'main',
          command: ['sh', '-c', 'echo "$A $B $C"'],
          environment: [
            { name: 'B', value: 'override' },
            { name: 'C', value: 'new' },
          ],
        },
      ],
    });
    expect(task.containers![0]!.exitCode).toBe(0);
    expect(output(log)).toBe('from-definition override new');
  });

  it("takes the image's CMD with no command, entryPoint + command when both are set, entryPoint alone drops CMD", async () => {
    await register('docker-cmd', [{}]);
    expect(output((await runToEnd('docker-cmd')).log)).toBe('image-cmd');
    await register('docker-entrypoint', [{ entryPoint: ['echo', 'entry'], command: ['command'] }]);
    expect(output((await runToEnd('docker-entrypoint')).log)).toBe('entry command');
    await register('docker-entrypoint-only', [{ entryPoint: ['echo', 'entry-only'] }]);
    expect(output((await runToEnd('docker-entrypoint-only')).log)).toBe('entry-only');
  });

  it('runs in the working directory as the user, with the labels, ulimits and read-only root it was given', async () => {
    await register('docker-workdir', [
      {
        workingDirectory: '/work',
        user: '1234',
        readonlyRootFilesystem: true,
        ulimits: [{ name: 'nofile', softLimit: 321, hardLimit: 654 }],
        command: ['sh', '-c', 'pwd; id -u; ulimit -n; touch /x 2>/dev/null || echo read-only'],
      },
    ]);
    const { task, log } = await runToEnd('docker-workdir');
    expect(task.containers![0]!.exitCode).toBe(0);
    expect(output(log)).toBe('/work\n1234\n321\nread-only');
  });

  it('gives the running container the cpu shares, limits, init and name the agent would', async () => {
    await register(
      'docker-limits',
      [
        {
          cpu: 256,
          memory: 64,
          memoryReservation: 32,
          linuxParameters: { initProcessEnabled: true },
          command: ['sh', '-c', 'cat /proc/1/comm; sleep 600'],
          stopTimeout: 1,
        },
        { name: 'side', cpu: 0, memory: undefined, memoryReservation: 16, command: ['sleep', '600'], stopTimeout: 1 },
      ],
      { cpu: '512', memory: '256' },
    );
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'docker-limits' }));
    const arn = run.tasks![0]!.taskArn!;
    await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING');
    const inspect = (name: string) =>
      JSON.parse(
        docker(
          'inspect',
          ...docker(
            'ps',
            '-q',
            '--filter',
            `label=com.amazonaws.ecs.task-arn=${arn}`,
            '--filter',
            `label=com.amazonaws.ecs.container-name=${name}`,
          ).split('\n'),
        ),
      )[0];
    const main = inspect('main');
    expect(main.Name).toMatch(/^\/ecs-docker-limits-1-main-[0-9a-f]+$/);
    expect(main.HostConfig).toMatchObject({
      CpuShares: 256,
      Memory: 64 * 1024 * 1024,
      MemoryReservation: 32 * 1024 * 1024,
      NanoCpus: 0.5e9,
      Init: true,
    });
    expect(inspect('side').HostConfig).toMatchObject({
      CpuShares: 2,
      Memory: 256 * 1024 * 1024,
      MemoryReservation: 16 * 1024 * 1024,
    });
    const log = await until('the init process in the log', async () => {
      const text = (await admin(endpoint.url, 'GetTaskLog', { task: arn })).body.log as string;
      return output(text) ? text : undefined;
    });
    expect(output(log)).toBe('docker-init');
    await ecs.send(new StopTaskCommand({ task: arn }));
    await waitForTask(ecs, arn);
  });

  it('ends a container that outgrows memory 16 with exit 137 and the ECS out-of-memory reason', async () => {
    await register('docker-oom', [{ memory: 16, command: ['sh', '-c', 'a=x; while true; do a="$a$a"; done'] }]);
    const { task } = await runToEnd('docker-oom');
    expect(task.containers![0]).toMatchObject({
      exitCode: 137,
      reason: 'OutOfMemoryError: Container killed due to memory usage',
    });
  });

  it('StopTask is docker stop with the stopTimeout: SIGTERM ignored by PID 1, SIGKILL after 2 s (137)', async () => {
    await register('docker-stop', [{ command: ['sh', '-c', 'echo up; sleep 600'], stopTimeout: 2 }]);
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'docker-stop' }));
    const arn = run.tasks![0]!.taskArn!;
    await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING');
    const asked = Date.now();
    await ecs.send(new StopTaskCommand({ task: arn }));
    const task = await waitForTask(ecs, arn);
    const took = Date.now() - asked;
    expect(task).toMatchObject({ stopCode: 'UserInitiated', containers: [expect.objectContaining({ exitCode: 137 })] });
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(15_000);
  });

  it('publishes hostPort 0 on 127.0.0.1 from the ephemeral range while RUNNING, and gives it back after', async () => {
    await register('docker-port', [
      {
        command: ['sh', '-c', 'mkdir -p /tmp/www && echo served > /tmp/www/index.html && httpd -f -p 8080 -h /tmp/www'],
        portMappings: [{ containerPort: 8080, hostPort: 0 }],
        stopTimeout: 1,
      },
    ]);
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'docker-port' }));
    const arn = run.tasks![0]!.taskArn!;
    const task = await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING');
    const binding = task.containers![0]!.networkBindings![0]!;
    expect(binding).toMatchObject({ bindIP: '127.0.0.1', containerPort: 8080, protocol: 'tcp' });
    expect(binding.hostPort).toBeGreaterThanOrEqual(49153);
    expect(binding.hostPort).toBeLessThanOrEqual(65535);
    const url = `http://127.0.0.1:${binding.hostPort}/`;
    const body = await until('the published port', () =>
      fetch(url).then(
        (res) => res.text(),
        () => undefined,
      ),
    );
    expect(body).toBe('served\n');
    const portsOf = async () => {
      const out = await ecs.send(
        new DescribeContainerInstancesCommand({ containerInstances: [task.containerInstanceArn!] }),
      );
      return resource(out.containerInstances![0]!.remainingResources, 'PORTS') as string[];
    };
    expect(await portsOf()).toContain(String(binding.hostPort));
    await ecs.send(new StopTaskCommand({ task: arn }));
    await waitForTask(ecs, arn);
    expect(await portsOf()).not.toContain(String(binding.hostPort));
    await expect(fetch(url)).rejects.toThrow();
  });

  it('gives an awsvpc task a network of its own, where its containers reach each other by name; none has only lo', async () => {
    await register(
      'docker-awsvpc',
      [
        {
          name: 'web',
          essential: false,
          command: [
            'sh',
            '-c',
            'mkdir -p /tmp/www && echo from-web > /tmp/www/index.html && httpd -f -p 8080 -h /tmp/www',
          ],
          stopTimeout: 1,
        },
        {
          name: 'client',
          command: [
            'sh',
            '-c',
            'for i in $(seq 1 50); do wget -q -O - http://web:8080/ && exit 0; sleep 0.2; done; exit 1',
          ],
          dependsOn: [{ containerName: 'web', condition: 'START' }],
        },
      ],
      { networkMode: 'awsvpc' },
    );
    const run = await ecs.send(
      new RunTaskCommand({
        taskDefinition: 'docker-awsvpc',
        networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      }),
    );
    const arn = run.tasks![0]!.taskArn!;
    const network = `berth-task-${arn.split('/').pop()}`;
    const task = await waitForTask(ecs, arn);
    expect(task.containers!.find((c) => c.name === 'client')).toMatchObject({ exitCode: 0 });
    const log = (await admin(endpoint.url, 'GetTaskLog', { task: arn })).body.log as string;
    expect(output(log)).toContain('from-web');
    await until('the task network removed', () =>
      docker('network', 'ls', '-q', '--filter', `name=^${network}$`) === '' ? true : undefined,
    );

    await register('docker-none', [{ command: ['sh', '-c', 'ls /sys/class/net'] }], { networkMode: 'none' });
    expect(output((await runToEnd('docker-none')).log)).toBe('lo');
  });

  it('starts containers in dependsOn order: SUCCESS after the init container, HEALTHY after the health check', async () => {
    await register('docker-depends', [
      { name: 'init', essential: false, command: ['sh', '-c', 'echo init-done'] },
      {
        name: 'app',
        command: ['sh', '-c', 'echo app-start; sleep 600'],
        dependsOn: [
          { containerName: 'init', condition: 'SUCCESS' },
          { containerName: 'db', condition: 'HEALTHY' },
        ],
        stopTimeout: 1,
      },
      {
        name: 'db',
        command: ['sh', '-c', 'sleep 1; touch /tmp/ready; echo db-ready; sleep 600'],
        healthCheck: { command: ['CMD-SHELL', 'test -e /tmp/ready'], interval: 5, timeout: 2, retries: 3 },
        stopTimeout: 1,
      },
    ]);
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'docker-depends' }));
    const arn = run.tasks![0]!.taskArn!;
    const running = await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING' && t.healthStatus === 'HEALTHY');
    const db = running.containers!.find((c) => c.name === 'db')!;
    expect(db.healthStatus).toBe('HEALTHY');
    expect(running.containers!.find((c) => c.name === 'init')).toMatchObject({ exitCode: 0 });
    // Output is followed as it comes: app's line may reach the log a moment after the task shows RUNNING.
    const log = await until('app-start in the log', async () => {
      const text = (await admin(endpoint.url, 'GetTaskLog', { task: arn })).body.log as string;
      return text.includes('app-start') ? text : undefined;
    });
    expect(output(log)).toBe('init-done\ndb-ready\napp-start');
    await ecs.send(new StopTaskCommand({ task: arn }));
    await waitForTask(ecs, arn);
  });

  it('fails the task to start with CannotPullContainerError for an image that cannot be pulled (docker)', async () => {
    const strict = await startEcsEndpoint({ runtime: 'docker' });
    try {
      await strict.ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'docker-missing',
          containerDefinitions: [{ name: 'main', image: 'berth-test/absent:1', memory: 64, command: ['true'] }],
        }),
      );
      const run = await strict.ecs.send(new RunTaskCommand({ taskDefinition: 'docker-missing' }));
      const task = await waitForTask(strict.ecs, run.tasks![0]!.taskArn!);
      expect(task.stopCode).toBe('TaskFailedToStart');
      expect(task.stoppedReason).toMatch(/^CannotPullContainerError: .+/);
      expect(task.containers![0]!.reason).toBe(task.stoppedReason);
    } finally {
      await strict.close();
    }
  });

  it('after a kill -9 of the endpoint, a restart re-adopts its running container and removes orphans', async () => {
    const stateDir = tempStateDir();
    const first = await startEndpointProcess(stateDir, { BERTH_ECS_STEP_MS: '2', BERTH_ECS_RUNTIME: 'docker' });
    const firstEcs = ecsClient(first.url);
    let second: LocalEndpoint | undefined;
    try {
      await firstEcs.send(
        new RegisterTaskDefinitionCommand({
          family: 'docker-restart',
          containerDefinitions: [
            {
              name: 'main',
              image: TEST_IMAGE,
              memory: 64,
              command: ['sh', '-c', 'echo before; sleep 600'],
              stopTimeout: 1,
            },
          ],
        }),
      );
      const run = await firstEcs.send(new RunTaskCommand({ taskDefinition: 'docker-restart' }));
      const arn = run.tasks![0]!.taskArn!;
      await waitForTask(firstEcs, arn, (t) => t.lastStatus === 'RUNNING');
      await admin(first.url, 'GetTaskLog', { task: arn }); // the log is durable once shown
      first.child.kill('SIGKILL');
      await first.exited;
      const [running] = containersOf(stateDir);
      expect(running).toBeDefined();
      // An orphan: a container of this state dir whose task the endpoint does not know.
      docker(
        'create',
        '--label',
        `berth.state-dir=${stateDir}`,
        '--label',
        'com.amazonaws.ecs.task-arn=arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef',
        '--label',
        'com.amazonaws.ecs.container-name=main',
        TEST_IMAGE,
        'sleep',
        '600',
      );
      expect(containersOf(stateDir)).toHaveLength(2);

      second = await startEcsEndpoint({ runtime: 'docker' }, stateDir);
      expect(containersOf(stateDir)).toEqual([running]);
      const adopted = (await second.ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!;
      expect(adopted.lastStatus).toBe('RUNNING');
      await second.ecs.send(new StopTaskCommand({ task: arn }));
      const stopped = await waitForTask(second.ecs, arn);
      expect(stopped).toMatchObject({
        stopCode: 'UserInitiated',
        containers: [expect.objectContaining({ exitCode: 137 })],
      });
      await until('the container removed', () => (containersOf(stateDir).length === 0 ? true : undefined));
    } finally {
      firstEcs.destroy();
      if (!first.child.killed) first.child.kill('SIGKILL');
      await second?.close();
      for (const id of containersOf(stateDir)) docker('rm', '-f', id);
    }
  });
});
