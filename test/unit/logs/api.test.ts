/**
 * GET /runs/{runId}/logs through the middy stack, with the runs table (memory-table.ts), ECS and CloudWatch Logs
 * mocked: the run's attempts and its containers' log configurations come from its record, never from Step Functions
 * or ECS.
 */
import '../runs/env';
import { CloudWatchLogsClient, GetLogEventsCommand, ResourceNotFoundException } from '@aws-sdk/client-cloudwatch-logs';
import { ECSClient } from '@aws-sdk/client-ecs';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/get-run-logs';
import type { RunRecord } from '../../../lib/runs/record';
import { apiEvent, context } from '../api/event';
import { ddb, resetTable, table } from '../runs/memory-table';

const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);
const logs = mockClient(CloudWatchLogsClient);

const runId = '4b0c7a53-4d6e-4b9a-9d1e-0f7f3c1f2a10';
const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/nightly:1';
const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
const awslogs = (prefix?: string) => ({
  logDriver: 'awslogs' as const,
  options: {
    'awslogs-group': '/berth/test/runs',
    ...(prefix === undefined ? {} : { 'awslogs-stream-prefix': prefix }),
  },
}); /** A run in its first attempt, its task RUNNING, as the ECS event writer records it. */
const record: RunRecord = {
  runId,
  status: 'RUNNING',
  attempt: 1,
  family: 'nightly',
  taskDefinitionArn: TD_ARN,
  cluster: 'default',
  trigger: { type: 'api' },
  request: { taskDefinition: 'nightly:1' },
  executionInput: {},
  createdAt: '2025-01-01T00:00:00.000Z',
  startedAt: '2025-01-01T00:00:02.000Z',
  updatedAt: '2025-01-01T00:00:02.000Z',
  attempts: [
    {
      attempt: 1,
      tasks: [
        { taskArn: TASK, lastStatus: 'RUNNING', version: 3, startedAt: '2025-01-01T00:00:02.000Z', containers: [] },
      ],
    },
  ],
  logging: [
    { name: 'app', essential: true, logConfiguration: awslogs('nightly') },
    { name: 'sidecar', essential: true, logConfiguration: awslogs('nightly') },
    { name: 'helper', essential: false, logConfiguration: awslogs('nightly') },
    { name: 'legacy', essential: true, logConfiguration: awslogs() },
    {
      name: 'elsewhere',
      essential: true,
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/other/jobs', 'awslogs-stream-prefix': 'x' },
      },
    },
  ],
  version: 4,
  expiresAt: 1_800_000_000,
  listKey: 'RUN',
  triggerType: 'api',
};

const body = (result: { body: string }) => JSON.parse(result.body);
const request = (query: Record<string, string> = {}) =>
  handler(apiEvent({ pathParameters: { runId }, queryStringParameters: query }), context);

beforeEach(() => {
  ecs.reset();
  sfn.reset();
  logs.reset();
  resetTable();
  table.set(runId, structuredClone(record));
});

it('reads each essential container’s stream once, merged by time, and says which cannot be read', async () => {
  logs
    .on(GetLogEventsCommand, { logStreamName: 'nightly/app/0123456789abcdef0123456789abcdef' })
    .resolves({
      events: [
        { timestamp: 1, message: 'a1' },
        { timestamp: 3, message: 'a3' },
      ],
      nextForwardToken: 'f/app',
    })
    .on(GetLogEventsCommand, { logStreamName: 'nightly/sidecar/0123456789abcdef0123456789abcdef' })
    .resolves({ events: [{ timestamp: 2, message: 's2' }], nextForwardToken: 'f/side' });
  const result = await request();
  expect(result.statusCode).toBe(200);
  const page = body(result);
  expect(page.events.map((e: { container: string; message: string }) => `${e.container}:${e.message}`)).toEqual([
    'app:a1',
    'sidecar:s2',
    'app:a3',
  ]);
  expect(page.events[0]).toEqual({ timestamp: 1, message: 'a1', container: 'app', taskArn: TASK, attempt: 1 });
  expect(page).toMatchObject({ runId, status: 'RUNNING', attempt: 1 });
  expect(page.unavailable).toEqual([
    {
      container: 'legacy',
      taskArn: TASK,
      reason: 'The awslogs configuration has no awslogs-stream-prefix: the stream is named by the Docker container id.',
    },
    {
      container: 'elsewhere',
      taskArn: TASK,
      reason: 'This stage may not read log group /other/jobs (stage param readableLogGroups).',
    },
  ]);
  const calls = logs.commandCalls(GetLogEventsCommand).map((c) => c.args[0].input);
  expect(calls).toHaveLength(2);
  // The run and where its containers log are read from its record: one GetItem, no Step Functions or ECS call.
  expect(ddb.commandCalls(GetCommand)).toHaveLength(1);
  expect(sfn.calls()).toHaveLength(0);
  expect(ecs.calls()).toHaveLength(0);
  expect(calls[0]).toMatchObject({ logGroupName: '/berth/test/runs', startFromHead: true, limit: 1000 });

  // The next page reads on from each stream's forward token.
  logs.reset();
  logs.on(GetLogEventsCommand).resolves({ events: [], nextForwardToken: 'unchanged' });
  await request({ nextToken: page.nextToken });
  expect(
    logs
      .commandCalls(GetLogEventsCommand)
      .map((c) => c.args[0].input.nextToken)
      .sort(),
  ).toEqual(['f/app', 'f/side']);
});

it('reads a stream that does not exist yet as empty', async () => {
  logs
    .on(GetLogEventsCommand)
    .rejects(new ResourceNotFoundException({ message: 'The specified log stream does not exist.', $metadata: {} }));
  const result = await request({ container: 'app' });
  expect(result.statusCode).toBe(200);
  expect(body(result).events).toEqual([]);
});

it('answers 503 with Retry-After when CloudWatch Logs throttles', async () => {
  logs.on(GetLogEventsCommand).rejects(
    Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $retryable: { throttling: true },
      $metadata: { httpStatusCode: 400 },
    }),
  );
  const result = await request({ container: 'app' });
  expect(result.statusCode).toBe(503);
  expect(result.headers).toMatchObject({ 'Retry-After': expect.any(String) });
});

it.each([
  [{ attempt: '0' }, '$.attempt'],
  [{ limit: '10001' }, '$.limit'],
  [{ startTime: '-1' }, '$.startTime'],
  [{ container: 'no spaces' }, '$.container'],
  [{ container: 'unknown' }, '$.container'],
  [{ nextToken: 'bm9wZQ' }, '$.nextToken'],
])('refuses %j naming %s', async (query, path) => {
  const result = await request(query);
  expect(result.statusCode).toBe(400);
  expect(body(result).errors.map((e: { path: string }) => e.path)).toEqual([path]);
});

it('answers 404 for an attempt the run does not have', async () => {
  const result = await request({ attempt: '2' });
  expect(result.statusCode).toBe(404);
  expect(body(result).detail).toBe(`Run ${runId} has no attempt 2.`);
});
