/**
 * The local ECS's awslogs driver (local/ecs/awslogs.ts) through unmodified SDK clients: a container's output
 * reaches its CloudWatch Logs stream `prefix/container-name/task-id` line by line while it runs, a missing group
 * fails the task to start as ECS does, and containers with no awslogs configuration keep BerthLocal.GetTaskLog.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html
 */
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogStreamsCommand,
  GetLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
} from '@aws-sdk/client-ecs';
import { localEcsServices } from '../../local/ecs/service';
import { logsService } from '../../local/logs/service';
import { admin, DEFAULT_CONFIG, FAST, waitForTask, withoutRuntimeNotes } from './ecs-cluster';
import {
  ecsClient,
  type LocalEndpoint,
  REGION,
  startEndpointProcess,
  startLocalEndpoint,
  tempStateDir,
} from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;
let ecs: ECSClient;
let logs: CloudWatchLogsClient;

beforeAll(async () => {
  endpoint = await startLocalEndpoint(tempStateDir(), {
    services: [...localEcsServices({ clusterConfig: DEFAULT_CONFIG, ...FAST }), logsService],
  });
  ecs = endpoint.ecs;
  logs = new CloudWatchLogsClient({
    endpoint: endpoint.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});
afterAll(async () => {
  logs.destroy();
  await endpoint.close();
});

const awslogs = (group: string, extra: Record<string, string> = {}) => ({
  logDriver: 'awslogs' as const,
  options: { 'awslogs-group': group, 'awslogs-region': REGION, 'awslogs-stream-prefix': 'jobs', ...extra },
});

async function register(family: string, containers: Record<string, unknown>[]) {
  const input = { family, containerDefinitions: containers.map((c) => ({ image: 'busybox', memory: 64, ...c })) };
  await ecs.send(new RegisterTaskDefinitionCommand(input as unknown as RegisterTaskDefinitionCommandInput));
}

async function runTask(family: string): Promise<string> {
  const run = await ecs.send(new RunTaskCommand({ taskDefinition: family }));
  return run.tasks![0]!.taskArn!;
}

const taskId = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

async function messages(group: string, stream: string): Promise<string[]> {
  const out = await logs.send(
    new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }),
  );
  return (out.events ?? []).map((e) => e.message!);
}

/** Reads the stream until `done` holds; the test's own timeout bounds the wait. */
async function waitForMessages(group: string, stream: string, done: (m: string[]) => boolean): Promise<string[]> {
  for (;;) {
    const found = await messages(group, stream).catch(() => []);
    if (done(found)) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('ships a running container’s lines as they come, to prefix/container/task-id', async () => {
  await logs.send(new CreateLogGroupCommand({ logGroupName: '/berth/awslogs' }));
  await register('awslogs-live', [
    {
      name: 'main',
      command: ['sh', '-c', 'echo line 1; echo line 2; sleep 1; echo line 3'],
      logConfiguration: awslogs('/berth/awslogs'),
    },
  ]);
  const arn = await runTask('awslogs-live');
  const stream = `jobs/main/${taskId(arn)}`;
  const early = await waitForMessages('/berth/awslogs', stream, (m) => m.length >= 2);
  expect(early).toEqual(['line 1', 'line 2']);
  const task = await waitForTask(ecs, arn, (t) => t.lastStatus === 'RUNNING' || t.lastStatus === 'STOPPED');
  expect(task.lastStatus).toBe('RUNNING'); // read while it still ran
  await waitForTask(ecs, arn);
  expect(await waitForMessages('/berth/awslogs', stream, (m) => m.length >= 3)).toEqual(['line 1', 'line 2', 'line 3']);
  const streams = await logs.send(new DescribeLogStreamsCommand({ logGroupName: '/berth/awslogs' }));
  expect(streams.logStreams?.map((s) => s.logStreamName)).toEqual([stream]);
});

it('ships a last line with no newline once the container ends, and skips empty lines', async () => {
  await register('awslogs-partial', [
    {
      name: 'main',
      command: ['sh', '-c', 'echo first; echo; printf "no newline"'],
      logConfiguration: awslogs('/berth/awslogs'),
    },
  ]);
  const arn = await runTask('awslogs-partial');
  await waitForTask(ecs, arn);
  expect(await waitForMessages('/berth/awslogs', `jobs/main/${taskId(arn)}`, (m) => m.length >= 2)).toEqual([
    'first',
    'no newline',
  ]);
});

it('fails the task to start when the group does not exist and awslogs-create-group is not "true"', async () => {
  await register('awslogs-missing', [
    { name: 'main', command: ['sh', '-c', 'echo never'], logConfiguration: awslogs('/berth/missing') },
  ]);
  const task = await waitForTask(ecs, await runTask('awslogs-missing'));
  expect(task.stopCode).toBe('TaskFailedToStart');
  expect(task.stoppedReason).toBe(
    'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: ' +
      'failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. ' +
      ': exit status 1',
  );
});

it('creates the group with awslogs-create-group "true"', async () => {
  await register('awslogs-create', [
    {
      name: 'main',
      command: ['sh', '-c', 'echo made'],
      logConfiguration: awslogs('/berth/created', { 'awslogs-create-group': 'true' }),
    },
  ]);
  const arn = await runTask('awslogs-create');
  const task = await waitForTask(ecs, arn);
  expect(task.containers?.[0]?.exitCode).toBe(0);
  expect(await waitForMessages('/berth/created', `jobs/main/${taskId(arn)}`, (m) => m.length >= 1)).toEqual(['made']);
});

it('keeps GetTaskLog for the containers without awslogs, and each awslogs container in its own stream', async () => {
  await register('awslogs-mixed', [
    { name: 'plain', command: ['sh', '-c', 'echo plain output'], essential: false },
    {
      name: 'shipped',
      command: ['sh', '-c', 'echo shipped output; sleep 0.3'],
      logConfiguration: awslogs('/berth/awslogs'),
    },
    { name: 'simulated', image: 'someimage', logConfiguration: awslogs('/berth/awslogs'), essential: false },
  ]);
  const arn = await runTask('awslogs-mixed');
  await waitForTask(ecs, arn);
  const log = await admin(endpoint.url, 'GetTaskLog', { task: arn });
  expect(withoutRuntimeNotes(log.body.log)).toBe('plain output\n');
  // Which runtime ran the awslogs container is said in the task's log, not in the user's stream.
  expect(log.body.log).toMatch(/^\[berth\] container shipped runs in \w+: /m);
  expect(await waitForMessages('/berth/awslogs', `jobs/shipped/${taskId(arn)}`, (m) => m.length >= 1)).toEqual([
    'shipped output',
  ]);
  const simulated = await waitForMessages('/berth/awslogs', `jobs/simulated/${taskId(arn)}`, (m) => m.length >= 1);
  expect(simulated[0]).toContain('[berth] simulated container simulated (image someimage)');
});

it('goes on shipping after a kill -9 of the endpoint: no line lost or repeated', async () => {
  const stateDir = tempStateDir();
  const { url, child, exited } = await startEndpointProcess(stateDir, { BERTH_CLUSTER_CONFIG: '' });
  const first = ecsClient(url);
  const firstLogs = new CloudWatchLogsClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  let arn: string;
  const group = '/berth/restart';
  try {
    await firstLogs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await first.send(
      new RegisterTaskDefinitionCommand({
        family: 'awslogs-restart',
        containerDefinitions: [
          {
            name: 'main',
            image: 'busybox',
            memory: 64,
            command: ['sh', '-c', 'for i in 1 2 3 4 5 6; do echo line $i; sleep 0.4; done'],
            logConfiguration: awslogs(group),
          },
        ],
      }),
    );
    arn = (await first.send(new RunTaskCommand({ taskDefinition: 'awslogs-restart' }))).tasks![0]!.taskArn!;
    const stream = `jobs/main/${taskId(arn)}`;
    for (;;) {
      const out = await firstLogs
        .send(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }))
        .catch(() => ({ events: [] }));
      if ((out.events ?? []).length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    child.kill('SIGKILL');
    await exited;
  } finally {
    first.destroy();
    firstLogs.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  const restarted = await startLocalEndpoint(stateDir, {
    services: [...localEcsServices({ clusterConfig: DEFAULT_CONFIG, ...FAST }), logsService],
  });
  const again = new CloudWatchLogsClient({
    endpoint: restarted.url,
    region: REGION,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  try {
    await waitForTask(restarted.ecs, arn);
    const stream = `jobs/main/${taskId(arn)}`;
    for (;;) {
      const out = await again.send(
        new GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }),
      );
      const found = (out.events ?? []).map((e) => e.message);
      if (found.length >= 6) {
        expect(found).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    again.destroy();
    await restarted.close();
  }
});
