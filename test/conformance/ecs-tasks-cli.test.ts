/**
 * The AWS CLI (v1, as installed) against the local ECS cluster, exactly as the acceptance steps run it:
 * run-task, describe-tasks, stop-task, list-container-instances, describe-container-instances.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { awsCli, awsCliJson } from './aws-cli';
import { startEcsEndpoint } from './ecs-cluster';
import { example, type LocalEndpoint } from './endpoint';

jest.setTimeout(60_000);

let endpoint: LocalEndpoint;

const aws = (...args: string[]) => awsCli('ecs', endpoint.url, ...args);
const awsJson = (...args: string[]) => awsCliJson('ecs', endpoint.url, ...args);

async function untilStopped(taskArn: string) {
  for (;;) {
    const out = await awsJson('describe-tasks', '--cluster', 'default', '--tasks', taskArn);
    if (out.tasks[0].lastStatus === 'STOPPED') return out.tasks[0];
  }
}

beforeAll(async () => {
  endpoint = await startEcsEndpoint();
  const file = (name: string, value: unknown) => {
    const out = path.join(endpoint.stateDir, name);
    writeFileSync(out, JSON.stringify(value));
    return `file://${out}`;
  };
  // CLI v1 validates types client-side: the example's container numbers go in as numbers.
  await awsJson(
    'register-task-definition',
    '--cli-input-json',
    file(
      'anjana.json',
      example({ containerDefinitions: [{ name: 'anjana', image: 'someimage', memory: 100, cpu: 99 }] }),
    ),
  );
  await awsJson(
    'register-task-definition',
    '--cli-input-json',
    file('sleeper.json', {
      family: 'sleeper',
      containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sleep', '600'], stopTimeout: 5 }],
    }),
  );
});

afterAll(async () => {
  await endpoint?.close();
});

it('runs the example on FARGATE to STOPPED with exit code 0, and fails without a network configuration', async () => {
  const [run, refused] = await Promise.all([
    awsJson(
      'run-task',
      '--cluster',
      'default',
      '--task-definition',
      'anjana-educative:1',
      '--count',
      '1',
      '--launch-type',
      'FARGATE',
      '--network-configuration',
      'awsvpcConfiguration={subnets=[subnet-1]}',
    ),
    aws('run-task', '--cluster', 'default', '--task-definition', 'anjana-educative:1', '--launch-type', 'FARGATE'),
  ]);
  expect(run.failures).toEqual([]);
  expect(run.tasks[0]).toMatchObject({ lastStatus: 'PROVISIONING', launchType: 'FARGATE' });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(
    "An error occurred (InvalidParameterException) when calling the RunTask operation: Network Configuration must be provided when networkMode 'awsvpc' is specified.",
  );
  const stopped = await untilStopped(run.tasks[0].taskArn);
  expect(stopped).toMatchObject({ stopCode: 'EssentialContainerExited', containers: [{ exitCode: 0 }] });
  expect(typeof stopped.stoppedAt).toBe('number');
});

it('lists and describes container instances, and stops a sleep 600 task with stop-task', async () => {
  const listed = await awsJson('list-container-instances', '--cluster', 'default', '--status', 'ACTIVE');
  expect(listed.containerInstanceArns).toHaveLength(3);
  const [described, run] = await Promise.all([
    awsJson(
      'describe-container-instances',
      '--cluster',
      'default',
      '--container-instances',
      ...listed.containerInstanceArns,
    ),
    awsJson('run-task', '--cluster', 'default', '--task-definition', 'sleeper'),
  ]);
  expect(described.failures).toEqual([]);
  expect(described.containerInstances[0]).toMatchObject({
    status: 'ACTIVE',
    agentConnected: true,
    registeredResources: expect.arrayContaining([expect.objectContaining({ name: 'CPU', integerValue: 2048 })]),
  });
  const arn = run.tasks[0].taskArn;
  for (;;) {
    const out = await awsJson('describe-tasks', '--cluster', 'default', '--tasks', arn);
    if (out.tasks[0].lastStatus === 'RUNNING') break;
  }
  const stopping = await awsJson('stop-task', '--cluster', 'default', '--task', arn, '--reason', 'enough');
  expect(stopping.task).toMatchObject({ desiredStatus: 'STOPPED', stopCode: 'UserInitiated', stoppedReason: 'enough' });
  const stopped = await untilStopped(arn);
  expect(stopped.containers[0].exitCode).toBe(143);
  const missing = await awsJson(
    'describe-tasks',
    '--cluster',
    'default',
    '--tasks',
    '0123456789abcdef0123456789abcdef',
  );
  expect(missing.failures[0].reason).toBe('MISSING');
});
