/**
 * The local ECS cluster keeps its state on disk: after a clean restart and after a kill -9, clusters, container
 * instances, tasks and logs are as they were answered. A clean stop kills the process containers, so their tasks
 * stop as on a lost host. After a kill -9 (issue 8; before it, every unstopped task was stopped as on a lost
 * host), a task whose containers are alive is adopted and stays RUNNING, StopTask still stops it (SIGTERM, SIGKILL
 * after stopTimeout), a container that ends later or ended while no endpoint ran ends its task with its real exit
 * code, and only one whose outcome cannot be known is stopped as on a lost host, so nothing stays RUNNING forever.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type ContainerDefinition,
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  type ECSClient,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { admin, resource, startEcsEndpoint, waitForTask, withoutRuntimeNotes } from './ecs-cluster';
import { ecsClient, startEndpointProcess, tempStateDir } from './endpoint';

jest.setTimeout(30_000);

/** Gone, or a zombie nobody reaped (it holds nothing). */
function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

/**
 * Whether `pid` is gone within a second: SIGKILL is sent at once, but a loaded machine may take a moment to
 * schedule the process and tear it down.
 */
async function goneSoon(pid: number): Promise<boolean> {
  const deadline = Date.now() + 1000;
  while (!isGone(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return isGone(pid);
}

async function waitForFile(file: string): Promise<string> {
  for (;;) {
    try {
      const text = readFileSync(file, 'utf8');
      if (text.endsWith('\n')) return text.trim();
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const sleeper = (pidFile: string) => ({
  family: 'sleeper',
  containerDefinitions: [
    {
      name: 'main',
      image: 'busybox',
      cpu: 512,
      memory: 256,
      command: ['sh', '-c', `echo started; echo $$ > ${pidFile}; exec sleep 600`],
    },
  ],
});

it('finds clusters, instances, tasks and logs again after a clean restart; running tasks stop as on a lost host', async () => {
  const stateDir = tempStateDir();
  const pidFile = path.join(stateDir, 'sleeper.pid');
  const first = await startEcsEndpoint({}, stateDir);
  let taskArn: string;
  let doneArn: string;
  let simulatedArn: string;
  let before: Awaited<ReturnType<typeof describeAll>>;
  async function describeAll(ecs = first.ecs) {
    const list = await ecs.send(new ListContainerInstancesCommand({}));
    const out = await ecs.send(
      new DescribeContainerInstancesCommand({ containerInstances: list.containerInstanceArns }),
    );
    return out.containerInstances!;
  }
  try {
    await first.ecs.send(new CreateClusterCommand({ clusterName: 'kept', tags: [{ key: 'a', value: 'b' }] }));
    await first.ecs.send(new RegisterTaskDefinitionCommand(sleeper(pidFile)));
    await first.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'quick',
        containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sh', '-c', 'echo quick'] }],
      }),
    );
    doneArn = (await first.ecs.send(new RunTaskCommand({ taskDefinition: 'quick', clientToken: 'quick-1' }))).tasks![0]!
      .taskArn!;
    await waitForTask(first.ecs, doneArn);
    await first.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'simulated',
        containerDefinitions: [{ name: 'main', image: 'someimage', memory: 64 }],
      }),
    );
    simulatedArn = (await first.ecs.send(new RunTaskCommand({ taskDefinition: 'simulated' }))).tasks![0]!.taskArn!;
    await waitForTask(first.ecs, simulatedArn);
    taskArn = (await first.ecs.send(new RunTaskCommand({ taskDefinition: 'sleeper' }))).tasks![0]!.taskArn!;
    await waitForTask(first.ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    await waitForFile(pidFile);
    const drained = (await describeAll())[0]!.containerInstanceArn!;
    await first.ecs.send(
      new UpdateContainerInstancesStateCommand({ containerInstances: [drained], status: 'DRAINING' }),
    );
    before = await describeAll();
  } finally {
    await first.close();
  }
  const pid = Number(readFileSync(pidFile, 'utf8'));

  const second = await startEcsEndpoint({}, stateDir);
  try {
    const after = await describeAll(second.ecs);
    expect(after.map((i) => [i.containerInstanceArn, i.status, i.ec2InstanceId])).toEqual(
      before.map((i) => [i.containerInstanceArn, i.status, i.ec2InstanceId]),
    );
    expect(after.map((i) => resource(i.remainingResources, 'CPU'))).toEqual([2048, 2048, 2048]);
    const task = (await second.ecs.send(new DescribeTasksCommand({ tasks: [taskArn] }))).tasks![0]!;
    const host = before.find((i) => i.containerInstanceArn === task.containerInstanceArn)!;
    expect(task).toMatchObject({
      lastStatus: 'STOPPED',
      desiredStatus: 'STOPPED',
      stopCode: 'TerminationNotice',
      stoppedReason: `Host EC2 (instance ${host.ec2InstanceId}) stopped/terminated.`,
    });
    expect(await goneSoon(pid)).toBe(true);
    const done = (await second.ecs.send(new DescribeTasksCommand({ tasks: [doneArn] }))).tasks![0]!;
    expect(done).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited' });
    expect(withoutRuntimeNotes((await admin(second.url, 'GetTaskLog', { task: doneArn })).body.log)).toBe('quick\n');
    expect(withoutRuntimeNotes((await admin(second.url, 'GetTaskLog', { task: taskArn })).body.log)).toBe('started\n');
    expect((await admin(second.url, 'GetTaskLog', { task: simulatedArn })).body.log).toMatch(
      /^\[berth\] simulated container main \(image someimage\): no entryPoint or command to run here[ ;(].*\n$/,
    );
    expect((await second.ecs.send(new ListTasksCommand({}))).taskArns).toEqual([]);
    // A client token from before the restart (kept on disk, out of memory) still answers its task.
    const repeated = await second.ecs.send(new RunTaskCommand({ taskDefinition: 'quick', clientToken: 'quick-1' }));
    expect(repeated.tasks!.map((t) => t.taskArn)).toEqual([doneArn]);
    const kept = await second.ecs.send(new RunTaskCommand({ taskDefinition: 'quick' }));
    expect(kept.tasks).toHaveLength(1);
  } finally {
    await second.close();
  }
});

/** The process group (the container's wrapper) of the process `pid`. */
function groupOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('adopts the tasks an endpoint killed with SIGKILL left running, with their real exit codes', async () => {
  const stateDir = tempStateDir();
  const file = (name: string) => path.join(stateDir, name);
  const container = (family: string, script: string, extra: Partial<ContainerDefinition> = {}) => ({
    family,
    containerDefinitions: [
      { name: 'main', image: 'busybox', cpu: 256, memory: 64, command: ['sh', '-c', script], ...extra },
    ],
  });
  const families = [
    container('stoppable', `echo $$ > ${file('stoppable.pid')}; exec sleep 600`),
    container('stubborn', `trap "" TERM; echo $$ > ${file('stubborn.pid')}; while :; do sleep 0.05; done`, {
      stopTimeout: 1,
    }),
    container(
      'later',
      `echo $$ > ${file('later.pid')}; while [ ! -e ${file('go-later')} ]; do sleep 0.05; done; exit 3`,
    ),
    container(
      'meanwhile',
      `echo $$ > ${file('meanwhile.pid')}; while [ ! -e ${file('go-meanwhile')} ]; do sleep 0.05; done; exit 7`,
    ),
    container('lost', `echo $$ > ${file('lost.pid')}; exec sleep 600`),
    {
      family: 'simulated',
      containerDefinitions: [
        { name: 'main', image: 'someimage', memory: 64, dockerLabels: { 'berth.simulate.seconds': '600' } },
      ],
    },
  ];
  const { url, child, exited } = await startEndpointProcess(stateDir, {
    BERTH_ECS_STEP_MS: '2',
    BERTH_CLUSTER_CONFIG: '',
  });
  const ecs = ecsClient(url);
  const arns: Record<string, string> = {};
  try {
    for (const family of families) {
      await ecs.send(new RegisterTaskDefinitionCommand(family));
      arns[family.family] = (await ecs.send(new RunTaskCommand({ taskDefinition: family.family }))).tasks![0]!.taskArn!;
    }
    for (const arn of Object.values(arns)) await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING');
    for (const name of ['stoppable', 'stubborn', 'later', 'meanwhile', 'lost']) await waitForFile(file(`${name}.pid`));
    child.kill('SIGKILL');
    await exited;
  } finally {
    ecs.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const pid = (name: string) => Number(readFileSync(file(`${name}.pid`), 'utf8'));
  // While no endpoint runs: one container ends on its own, another is killed, wrapper and all, by someone else.
  writeFileSync(file('go-meanwhile'), '');
  await until('meanwhile to end', () => isGone(pid('meanwhile')));
  const lostGroup = groupOf(pid('lost'));
  process.kill(-lostGroup, 'SIGKILL');
  await until('lost to die', () => isGone(pid('lost')));

  const restarted = await startEcsEndpoint({}, stateDir);
  const describe = async (ecs: ECSClient, family: string) =>
    (await ecs.send(new DescribeTasksCommand({ tasks: [arns[family]!] }))).tasks![0]!;
  try {
    const running = await restarted.ecs.send(new ListTasksCommand({ desiredStatus: 'RUNNING' }));
    expect(running.taskArns!.sort()).toEqual(
      ['stoppable', 'stubborn', 'later', 'simulated'].map((family) => arns[family]).sort(),
    );
    for (const family of ['stoppable', 'stubborn', 'later', 'simulated']) {
      expect(await describe(restarted.ecs, family)).toMatchObject({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING' });
    }
    for (const name of ['stoppable', 'stubborn', 'later']) expect(isGone(pid(name))).toBe(false);

    // Ended while no endpoint ran: its real exit code.
    const meanwhile = await waitForTask(restarted.ecs, arns.meanwhile!);
    expect(meanwhile).toMatchObject({ stopCode: 'EssentialContainerExited', containers: [{ exitCode: 7 }] });
    // Killed with its wrapper while no endpoint ran: how it ended cannot be known, as on a lost host.
    const lost = await waitForTask(restarted.ecs, arns.lost!);
    expect(lost).toMatchObject({
      stopCode: 'TerminationNotice',
      stoppedReason: expect.stringMatching(/^Host EC2 \(instance i-[0-9a-f]{17}\) stopped\/terminated\.$/),
    });
    expect(lost.containers![0]!.exitCode).toBeUndefined();

    // Ends after the restart, though it is no child of this endpoint: its real exit code too.
    writeFileSync(file('go-later'), '');
    const later = await waitForTask(restarted.ecs, arns.later!);
    expect(later).toMatchObject({ stopCode: 'EssentialContainerExited', containers: [{ exitCode: 3 }] });

    // StopTask on adopted containers: SIGTERM reaches the command (143); one that ignores it is SIGKILLed after
    // its stopTimeout (137); a simulated one stops on SIGTERM.
    for (const family of ['stoppable', 'stubborn', 'simulated']) {
      await restarted.ecs.send(new StopTaskCommand({ task: arns[family], reason: 'after the restart' }));
    }
    const stoppable = await waitForTask(restarted.ecs, arns.stoppable!);
    expect(stoppable).toMatchObject({ stopCode: 'UserInitiated', containers: [{ exitCode: 143 }] });
    const stubborn = await waitForTask(restarted.ecs, arns.stubborn!);
    expect(stubborn).toMatchObject({ stopCode: 'UserInitiated', containers: [{ exitCode: 137 }] });
    expect(stubborn.stoppedAt!.getTime() - stubborn.stoppingAt!.getTime()).toBeGreaterThanOrEqual(900);
    expect(await waitForTask(restarted.ecs, arns.simulated!)).toMatchObject({ containers: [{ exitCode: 143 }] });
    for (const name of ['stoppable', 'stubborn', 'later', 'meanwhile', 'lost'])
      expect(await goneSoon(pid(name))).toBe(true);

    const list = await restarted.ecs.send(new ListContainerInstancesCommand({}));
    const instances = await restarted.ecs.send(
      new DescribeContainerInstancesCommand({ containerInstances: list.containerInstanceArns }),
    );
    expect(instances.containerInstances?.map((i) => resource(i.remainingResources, 'CPU'))).toEqual([2048, 2048, 2048]);
    expect(instances.containerInstances?.map((i) => i.runningTasksCount)).toEqual([0, 0, 0]);
  } finally {
    await restarted.close();
  }
});

it('goes on starting a task an endpoint killed with SIGKILL left PENDING, and runs its container once', async () => {
  const stateDir = tempStateDir();
  // Lifecycle steps of 3 s: the task is still PENDING (pulling) when the endpoint dies.
  const { url, child, exited } = await startEndpointProcess(stateDir, {
    BERTH_ECS_STEP_MS: '3000',
    BERTH_CLUSTER_CONFIG: '',
  });
  const ecs = ecsClient(url);
  let taskArn: string;
  try {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'slow-start',
        containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sh', '-c', 'echo ran'] }],
      }),
    );
    const task = (await ecs.send(new RunTaskCommand({ taskDefinition: 'slow-start' }))).tasks![0]!;
    expect(task.lastStatus).toBe('PENDING');
    taskArn = task.taskArn!;
    child.kill('SIGKILL');
    await exited;
  } finally {
    ecs.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  const restarted = await startEcsEndpoint({}, stateDir);
  try {
    const task = await waitForTask(restarted.ecs, taskArn);
    expect(task).toMatchObject({ stopCode: 'EssentialContainerExited', containers: [{ exitCode: 0 }] });
    expect(withoutRuntimeNotes((await admin(restarted.url, 'GetTaskLog', { task: taskArn })).body.log)).toBe('ran\n');
  } finally {
    await restarted.close();
  }
});

it('forgets a task BERTH_ECS_STOPPED_TASK_SECONDS after it stopped, log included, for good; a running task stays', async () => {
  const stateDir = tempStateDir();
  const first = await startEcsEndpoint({ stoppedTaskSeconds: 2 }, stateDir);
  let doneArn: string;
  let runningArn: string;
  try {
    await first.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'quick',
        containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sh', '-c', 'echo quick'] }],
      }),
    );
    await first.ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'long',
        containerDefinitions: [
          { name: 'main', image: 'someimage', memory: 64, dockerLabels: { 'berth.simulate.seconds': '600' } },
        ],
      }),
    );
    doneArn = (await first.ecs.send(new RunTaskCommand({ taskDefinition: 'quick' }))).tasks![0]!.taskArn!;
    runningArn = (await first.ecs.send(new RunTaskCommand({ taskDefinition: 'long' }))).tasks![0]!.taskArn!;
    await waitForTask(first.ecs, doneArn);
    const logFile = path.join(stateDir, 'ecs-logs', `${doneArn.split('/').pop()}.log`);
    expect(existsSync(logFile)).toBe(true);
    expect((await first.ecs.send(new ListTasksCommand({ desiredStatus: 'STOPPED' }))).taskArns).toEqual([doneArn]);

    // Swept within twice the retention (the sweep runs every stoppedTaskSeconds, at most a minute).
    const deadline = Date.now() + 10_000;
    let described = await first.ecs.send(new DescribeTasksCommand({ tasks: [doneArn, runningArn] }));
    while (described.failures?.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      described = await first.ecs.send(new DescribeTasksCommand({ tasks: [doneArn, runningArn] }));
    }
    expect(described.failures).toEqual([{ arn: doneArn, reason: 'MISSING' }]);
    expect(described.tasks?.map((t) => [t.taskArn, t.lastStatus])).toEqual([[runningArn, 'RUNNING']]);
    expect((await first.ecs.send(new ListTasksCommand({ desiredStatus: 'STOPPED' }))).taskArns).toEqual([]);
    // The log file goes with the sweep's journal write, just after the task left the indexes.
    while (existsSync(logFile) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(existsSync(logFile)).toBe(false);
    expect((await admin(first.url, 'GetTaskLog', { task: doneArn })).status).toBe(400);
  } finally {
    await first.close();
  }

  const second = await startEcsEndpoint({}, stateDir);
  try {
    const described = await second.ecs.send(new DescribeTasksCommand({ tasks: [doneArn] }));
    expect(described.failures).toEqual([{ arn: doneArn, reason: 'MISSING' }]);
  } finally {
    await second.close();
  }
});
