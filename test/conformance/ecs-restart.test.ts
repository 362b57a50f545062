/**
 * The local ECS cluster keeps its state on disk: after a clean restart and after a kill -9, clusters, container
 * instances, tasks and logs are as they were answered, and a task that was running is stopped as on a lost host
 * (its process killed, its resources given back), so nothing stays RUNNING forever.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  CreateClusterCommand,
  DescribeContainerInstancesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  UpdateContainerInstancesStateCommand,
} from '@aws-sdk/client-ecs';
import { admin, resource, startEcsEndpoint, waitForTask } from './ecs-cluster';
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
    doneArn = (await first.ecs.send(new RunTaskCommand({ taskDefinition: 'quick' }))).tasks![0]!.taskArn!;
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
    expect((await admin(second.url, 'GetTaskLog', { task: doneArn })).body.log).toBe('quick\n');
    expect((await admin(second.url, 'GetTaskLog', { task: taskArn })).body.log).toBe('started\n');
    expect((await admin(second.url, 'GetTaskLog', { task: simulatedArn })).body.log).toMatch(
      /^\[berth\] simulated container main \(image someimage\): no entryPoint or command to run here; .*\n$/,
    );
    expect((await second.ecs.send(new ListTasksCommand({}))).taskArns).toEqual([]);
    const kept = await second.ecs.send(new RunTaskCommand({ taskDefinition: 'quick' }));
    expect(kept.tasks).toHaveLength(1);
  } finally {
    await second.close();
  }
});

it('stops what ran under an endpoint killed with SIGKILL, kills its process and frees its resources', async () => {
  const stateDir = tempStateDir();
  const pidFile = path.join(stateDir, 'sleeper.pid');
  const { url, child, exited } = await startEndpointProcess(stateDir, {
    BERTH_ECS_STEP_MS: '2',
    BERTH_CLUSTER_CONFIG: '',
  });
  const ecs = ecsClient(url);
  let taskArn: string;
  try {
    await ecs.send(new RegisterTaskDefinitionCommand(sleeper(pidFile)));
    const run = await ecs.send(new RunTaskCommand({ taskDefinition: 'sleeper', count: 2 }));
    expect(run.tasks).toHaveLength(2);
    taskArn = run.tasks![0]!.taskArn!;
    await waitForTask(ecs, taskArn, (t) => t.lastStatus === 'RUNNING');
    await waitForFile(pidFile);
    child.kill('SIGKILL');
    await exited;
  } finally {
    ecs.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const pid = Number(readFileSync(pidFile, 'utf8'));

  const restarted = await startEcsEndpoint({}, stateDir);
  try {
    const tasks = await restarted.ecs.send(new ListTasksCommand({ desiredStatus: 'STOPPED' }));
    expect(tasks.taskArns).toHaveLength(2);
    const described = await restarted.ecs.send(new DescribeTasksCommand({ tasks: tasks.taskArns }));
    for (const task of described.tasks!) {
      expect(task).toMatchObject({
        lastStatus: 'STOPPED',
        stopCode: 'TerminationNotice',
        stoppedReason: expect.stringMatching(/^Host EC2 \(instance i-[0-9a-f]{17}\) stopped\/terminated\.$/),
      });
    }
    expect(await goneSoon(pid)).toBe(true);
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
