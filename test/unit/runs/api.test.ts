/** The /runs handlers end to end through the middy stack, with ECS and Step Functions mocked. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import './env';
import {
  ClientException,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionLimitExceeded,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidToken,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as cancel } from '../../../functions/cancel-run';
import { handler as get } from '../../../functions/get-run';
import { handler as list } from '../../../functions/list-runs';
import { handler as start } from '../../../functions/start-run';
import { idempotencyScope, requestHash, runIdForKey } from '../../../lib/runs/run-id';
import type { ExecutionInput } from '../../../lib/runs/types';
import { apiEvent, context, postJson } from '../api/event';
import { STATE_MACHINE_ARN } from './env';

const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);

const TD_ARN = 'arn:aws:ecs:us-east-1:123456789012:task-definition/anjana-educative:1';
const EXECUTION_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:berth-test-run-task:';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const example = (status = 'ACTIVE'): TaskDefinition =>
  ({
    taskDefinitionArn: TD_ARN,
    family: 'anjana-educative',
    revision: 1,
    status,
    networkMode: 'awsvpc',
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '256',
    memory: '512',
    containerDefinitions: [{ name: 'anjana', image: 'someimage', memory: 100, cpu: 99 }],
  }) as TaskDefinition;
const body = (result: { body: string }) => JSON.parse(result.body);
const sfnError = <T>(Type: new (o: { message: string; $metadata: object }) => T, message = 'x') =>
  new Type({ message, $metadata: {} });
const startedInput = (): ExecutionInput =>
  JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}') as ExecutionInput;
const withKey = (payload: unknown, key: string, caller?: string) => {
  const event = postJson('/runs', payload);
  event.headers = { ...event.headers, 'Idempotency-Key': key };
  if (caller !== undefined) {
    event.requestContext = {
      ...event.requestContext,
      identity: { userArn: caller } as APIGatewayProxyEvent['requestContext']['identity'],
    };
  }
  return event;
};
const execution = (runId: string, fields: Partial<DescribeExecutionCommandOutput> = {}) => ({
  executionArn: `${EXECUTION_PREFIX}${runId}`,
  stateMachineArn: STATE_MACHINE_ARN,
  name: runId,
  status: 'RUNNING' as const,
  startDate: new Date('2025-01-01T00:00:00Z'),
  input: '{}',
  $metadata: {},
  ...fields,
});

beforeEach(() => {
  ecs.reset();
  sfn.reset();
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: example() });
  ecs.on(DescribeClustersCommand).callsFake(({ clusters }: { clusters: string[] }) => ({
    clusters: clusters.map((c) => ({
      clusterName: c.split('/').pop(),
      status: 'ACTIVE',
      capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    })),
    failures: [],
  }));
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
});

describe('POST /runs', () => {
  it('resolves the task definition, starts an execution named by the run id and answers 202 with its location', async () => {
    const result = await start(postJson('/runs', { taskDefinition: 'anjana-educative:1' }), context);
    expect(result.statusCode).toBe(202);
    const { runId, status } = body(result);
    expect(runId).toMatch(UUID);
    expect(status).toBe('PENDING');
    expect(result.headers).toMatchObject({ Location: `/runs/${runId}` });

    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0]?.args[0].input).toEqual({
      taskDefinition: 'anjana-educative:1',
    });
    const call = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(call).toMatchObject({ stateMachineArn: STATE_MACHINE_ARN, name: runId });
    const input = startedInput();
    expect(input).toMatchObject({
      runId,
      trigger: { type: 'api' },
      taskDefinitionArn: TD_ARN,
      runTask: {
        Cluster: 'default',
        TaskDefinition: TD_ARN,
        Count: 1,
        // awsvpc with no networkConfiguration: the stage's subnets and security groups.
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            Subnets: ['subnet-1', 'subnet-2'],
            SecurityGroups: ['sg-1'],
            AssignPublicIp: 'DISABLED',
          },
        },
      },
      retry: { attempts: 1, backoffSeconds: 0, backoffRate: 2, evaluateOnExit: [] },
      capacity: { waitSeconds: 600, checkIntervalSeconds: 30 },
    });
    expect(Number.isNaN(Date.parse(input.submittedAt))).toBe(false);
    expect(input).not.toHaveProperty('idempotency');
  });

  it("keeps the request's own network configuration and cluster, and records startedBy as the trigger", async () => {
    const net = { awsvpcConfiguration: { subnets: ['subnet-9'] } };
    await start(
      postJson('/runs', {
        taskDefinition: 'anjana-educative',
        cluster: 'batch',
        networkConfiguration: net,
        startedBy: 'nightly',
      }),
      context,
    );
    expect(startedInput()).toMatchObject({
      trigger: { type: 'api', name: 'nightly' },
      runTask: { Cluster: 'batch', NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-9'] } } },
    });
  });

  it('answers 400 at $.capacity for a wait that could outgrow the execution history, calling nothing', async () => {
    const result = await start(
      postJson('/runs', { taskDefinition: 'x', capacity: { waitSeconds: 604_800, checkIntervalSeconds: 1 } }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([
      {
        path: '$.capacity',
        message: expect.stringContaining('capacity.checkIntervalSeconds of at least 1951'),
      },
    ]);
    expect(ecs.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('lists every body violation in one 400 and calls nothing', async () => {
    const result = await start(
      postJson('/runs', { taskDefinition: 'x', count: 0, retry: { attempts: 11 }, nope: 1 }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(result.headers).toMatchObject({ 'Content-Type': 'application/problem+json' });
    expect(body(result).errors.map((e: { path: string }) => e.path)).toEqual(['$.count', '$.retry.attempts', '$.nope']);
    expect(ecs.calls()).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 404 naming an unknown task definition, before any execution starts', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(sfnError(ClientException, 'Unable to describe task definition.'));
    const result = await start(postJson('/runs', { taskDefinition: 'anjana-educativ:1' }), context);
    expect(result.statusCode).toBe(404);
    expect(body(result)).toMatchObject({ detail: 'Task definition anjana-educativ:1 does not exist.' });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 404 for a family with no ACTIVE revision', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(sfnError(ClientException, 'Unable to describe task definition.'));
    const result = await start(postJson('/runs', { taskDefinition: 'gone' }), context);
    expect(body(result)).toMatchObject({ status: 404, detail: 'Task definition family gone has no ACTIVE revision.' });
  });

  it.each<[string, object, object, { path: string; message: string }]>([
    [
      'an INACTIVE revision',
      { status: 'INACTIVE' },
      {},
      {
        path: '$.taskDefinition',
        message: `TaskDefinition is inactive: ${TD_ARN} was deregistered; run an ACTIVE revision.`,
      },
    ],
    [
      'an override for a container the definition lacks',
      {},
      { overrides: { containerOverrides: [{ name: 'web', command: ['true'] }] } },
      {
        path: '$.overrides.containerOverrides[0].name',
        message: 'Override for container named web is not a container in the TaskDefinition.',
      },
    ],
    [
      'a launch type the definition does not support',
      { compatibilities: ['EC2'] },
      { launchType: 'FARGATE' },
      { path: '$.launchType', message: 'Task definition does not support launch_type FARGATE.' },
    ],
    [
      'a network configuration for a bridge task',
      { networkMode: 'bridge' },
      { networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } } },
      {
        path: '$.networkConfiguration',
        message: 'Network Configuration is not valid for the given networkMode of this task definition.',
      },
    ],
  ])('answers 400 for %s, as RunTask would, before any execution starts', async (_name, td, fields, violation) => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { ...example(), ...td } as TaskDefinition });
    const result = await start(postJson('/runs', { taskDefinition: 'anjana-educative:1', ...fields }), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([violation]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("answers 403 when overrides take the task over the stage's size limit", async () => {
    const result = await start(
      postJson('/runs', { taskDefinition: 'anjana-educative:1', overrides: { cpu: '8 vCPU' } }),
      context,
    );
    expect(result.statusCode).toBe(403);
    expect(body(result)).toMatchObject({ rule: 'maxTaskCpu' });
    expect(body(result).errors[0]).toMatchObject({ path: '$.overrides' });
    expect(sfn.calls()).toHaveLength(0);
  });

  it("answers 403 for a family outside the stage's runFamilies, which the workflow could not RunTask", async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: { ...example(), family: 'payroll' } });
    const result = await start(postJson('/runs', { taskDefinition: 'payroll:1' }), context);
    expect(result.statusCode).toBe(403);
    expect(body(result)).toMatchObject({ rule: 'runFamilies' });
    expect(body(result).errors).toEqual([
      {
        rule: 'runFamilies',
        path: '$.taskDefinition',
        message: "Family payroll is not in this stage's runFamilies (anjana-*, ingest).",
      },
    ]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 404 naming $.cluster for a cluster ECS does not know, or that was deleted, before any execution starts', async () => {
    ecs.on(DescribeClustersCommand).resolves({ clusters: [], failures: [{ arn: 'batch', reason: 'MISSING' }] });
    const result = await start(postJson('/runs', { taskDefinition: 'anjana-educative:1', cluster: 'batch' }), context);
    expect(result.statusCode).toBe(404);
    expect(body(result)).toMatchObject({
      detail: 'Cluster batch does not exist.',
      errors: [{ path: '$.cluster', message: 'Cluster batch does not exist.' }],
    });
    ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'default', status: 'INACTIVE' }] });
    const deleted = await start(postJson('/runs', { taskDefinition: 'anjana-educative:1' }), context);
    expect(deleted.statusCode).toBe(404);
    expect(body(deleted).detail).toBe("Cluster default does not exist (it is this stage's default cluster).");
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 400 naming each capacity provider that is not associated with the cluster, as RunTask would', async () => {
    ecs.on(DescribeClustersCommand).resolves({
      clusters: [{ clusterName: 'default', status: 'ACTIVE', capacityProviders: ['FARGATE'] }],
    });
    const result = await start(
      postJson('/runs', {
        taskDefinition: 'anjana-educative:1',
        capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }, { capacityProvider: 'FARGATE_SPOT', weight: 1 }],
      }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([
      {
        path: '$.capacityProviderStrategy[1].capacityProvider',
        message: expect.stringMatching(
          /^Capacity provider FARGATE_SPOT is not associated with cluster default: the specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster\./,
        ),
      },
    ]);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it("answers 403 for a cluster outside the stage's runClusters, before any ECS call", async () => {
    const result = await start(postJson('/runs', { taskDefinition: 'anjana-educative:1', cluster: 'prod' }), context);
    expect(result.statusCode).toBe(403);
    expect(body(result)).toMatchObject({
      rule: 'runClusters',
      errors: [{ rule: 'runClusters', path: '$.cluster', message: expect.stringContaining('Cluster prod is not one') }],
    });
    expect(ecs.calls()).toHaveLength(0);
    // A cluster named by its ARN counts by its name.
    const byArn = await start(
      postJson('/runs', {
        taskDefinition: 'anjana-educative:1',
        cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/spot',
      }),
      context,
    );
    expect(byArn.statusCode).toBe(202);
  });

  it('reports a bad Idempotency-Key together with the body violations', async () => {
    const result = await start(withKey({ taskDefinition: 'anjana-educative:1', count: 11 }, 'caf\u00e9'), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors.map((e: { path: string }) => e.path)).toEqual([
      "$.headers['Idempotency-Key']",
      '$.count',
    ]);
  });

  it('answers 503 with Retry-After when Step Functions has too many executions running', async () => {
    sfn.on(StartExecutionCommand).rejects(sfnError(ExecutionLimitExceeded));
    const result = await start(postJson('/runs', { taskDefinition: 'anjana-educative:1' }), context);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'Retry-After': '1' });
  });
});

describe('POST /runs with an Idempotency-Key', () => {
  const key = 'order-42/attempt 1';
  const runId = runIdForKey(key);
  const payload = { taskDefinition: 'anjana-educative:1', retry: { attempts: 2 } };

  it('maps the key to a stable run id (a version 8 UUID) and records the request hash', async () => {
    expect(runId).toMatch(UUID);
    expect(runId[14]).toBe('8');
    expect(runIdForKey(key)).toBe(runId);
    expect(runIdForKey('order-43')).not.toBe(runId);

    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    const result = await start(withKey(payload, key), context);
    expect(result.statusCode).toBe(202);
    expect(body(result)).toEqual({ runId, status: 'PENDING' });
    expect(startedInput().idempotency).toEqual({ key, requestHash: expect.any(String) });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe(runId);
  });

  it("scopes a key to its caller: another service's same key is another run; another session of a role is not", async () => {
    const orders = 'arn:aws:sts::123456789012:assumed-role/orders/i-0abc';
    expect(idempotencyScope(orders)).toBe('arn:aws:iam::123456789012:role/orders');
    expect(idempotencyScope('arn:aws:iam::123456789012:user/ci')).toBe('arn:aws:iam::123456789012:user/ci');
    expect(runIdForKey(key, 'arn:aws:sts::123456789012:assumed-role/orders/i-0def')).toBe(runIdForKey(key, orders));
    expect(runIdForKey(key, 'arn:aws:sts::123456789012:assumed-role/billing/i-0abc')).not.toBe(
      runIdForKey(key, orders),
    );
    expect(runIdForKey(key, orders)).not.toBe(runId);

    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    const result = await start(withKey(payload, key, orders), context);
    expect(result.statusCode).toBe(202);
    expect(body(result).runId).toBe(runIdForKey(key, orders));
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe(runIdForKey(key, orders));
  });

  it('answers the same run, starting nothing, when the same key comes with the same body', async () => {
    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    await start(withKey(payload, key), context);
    const stored = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.input;
    sfn.reset();
    ecs.reset();
    sfn.on(DescribeExecutionCommand).resolves(execution(runId, { input: stored, status: 'SUCCEEDED' }));
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });

    // The same request with its keys in another order and a default spelt out.
    const again = await start(
      withKey({ retry: { attempts: 2, evaluateOnExit: [] }, count: 1, taskDefinition: 'anjana-educative:1' }, key),
      context,
    );
    expect(again.statusCode).toBe(200);
    expect(body(again)).toEqual({ runId, status: 'SUCCEEDED' });
    expect(again.headers).toMatchObject({ Location: `/runs/${runId}` });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('answers 409 when the same key comes with another body', async () => {
    const stored: Partial<ExecutionInput> = { runId, idempotency: { key, requestHash: 'another' } };
    sfn.on(DescribeExecutionCommand).resolves(execution(runId, { input: JSON.stringify(stored) }));
    const result = await start(withKey(payload, key), context);
    expect(result.statusCode).toBe(409);
    expect(body(result).detail).toContain(`run ${runId}`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 409 when the key names an execution Berth did not start with that key', async () => {
    sfn.on(DescribeExecutionCommand).resolves(execution(runId, { input: '{"runId":"x"}' }));
    const result = await start(withKey(payload, key), context);
    expect(result.statusCode).toBe(409);
  });

  it('answers the same run when two requests with the key race (ExecutionAlreadyExists)', async () => {
    let stored: string | undefined;
    sfn
      .on(DescribeExecutionCommand)
      .rejectsOnce(sfnError(ExecutionDoesNotExist))
      .callsFake(() => execution(runId, { input: stored }));
    sfn.on(StartExecutionCommand).callsFake((input: { input: string }) => {
      // The other request won: it stored the same request under this name a moment earlier.
      stored = JSON.stringify({ ...JSON.parse(input.input), submittedAt: '2025-01-01T00:00:00.000Z' });
      throw sfnError(ExecutionAlreadyExists);
    });
    const result = await start(withKey(payload, key), context);
    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({ runId });
  });

  it.each([
    ['longer than 64 characters', 'k'.repeat(65)],
    ['empty', ''],
    ['not ASCII', 'clé'],
    ['with a control character', 'a\tb'],
  ])('answers 400 for a key %s', async (_name, badKey) => {
    const result = await start(withKey(payload, badKey), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([
      { path: "$.headers['Idempotency-Key']", message: 'Idempotency-Key must be 1 to 64 printable ASCII characters.' },
    ]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('hashes requests by content, not by key order', () => {
    const a = {
      taskDefinition: 'web',
      count: 1,
      retry: { attempts: 1, evaluateOnExit: [] },
      capacity: { waitSeconds: 1, checkIntervalSeconds: 1 },
    };
    const b = {
      capacity: { checkIntervalSeconds: 1, waitSeconds: 1 },
      retry: { evaluateOnExit: [], attempts: 1 },
      count: 1,
      taskDefinition: 'web',
    };
    expect(requestHash(a)).toBe(requestHash(b));
    expect(requestHash(a)).not.toBe(requestHash({ ...a, count: 2 }));
  });
});

describe('GET /runs/{runId}', () => {
  const runId = '4b0c7a53-4d6e-4b9a-9d1e-0f7f3c1f2a10';
  const input: Partial<ExecutionInput> = {
    runId,
    submittedAt: '2025-01-01T00:00:00.000Z',
    taskDefinitionArn: TD_ARN,
    runTask: { Cluster: 'default', TaskDefinition: TD_ARN, Count: 1 },
  };
  const started: HistoryEvent = {
    id: 1,
    type: 'ExecutionStarted',
    timestamp: new Date('2025-01-01T00:00:00Z'),
    executionStartedEventDetails: { input: JSON.stringify(input) },
  };
  const entered = (id: number, name: string): HistoryEvent => ({
    id,
    type: 'TaskStateEntered',
    timestamp: new Date('2025-01-01T00:00:01Z'),
    stateEnteredEventDetails: { name, input: JSON.stringify(input) },
  });

  it('builds the view from the execution and every page of its history', async () => {
    sfn.on(DescribeExecutionCommand).resolves(execution(runId, { input: JSON.stringify(input) }));
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: [started], nextToken: 'page-2' })
      .resolvesOnce({ events: [entered(2, 'Wait For Capacity')] });
    const result = await get(apiEvent({ pathParameters: { runId } }), context);
    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({
      runId,
      status: 'WAITING_FOR_CAPACITY',
      taskDefinitionArn: TD_ARN,
      cluster: 'default',
      createdAt: '2025-01-01T00:00:00.000Z',
      attempts: [],
    });
    const pages = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(pages).toEqual([
      { executionArn: `${EXECUTION_PREFIX}${runId}`, maxResults: 1000, includeExecutionData: true },
      {
        executionArn: `${EXECUTION_PREFIX}${runId}`,
        maxResults: 1000,
        includeExecutionData: true,
        nextToken: 'page-2',
      },
    ]);
  });

  describe('a cancelled run', () => {
    const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
    const reason = 'Step Functions execution was stopped (StopExecution): Berth.Cancelled';
    const aborted: HistoryEvent[] = [
      started,
      {
        ...entered(2, 'Run Task'),
        stateEnteredEventDetails: { name: 'Run Task', input: JSON.stringify({ ...input, check: { attempt: 1 } }) },
      },
      {
        id: 3,
        type: 'TaskSubmitted',
        timestamp: new Date('2025-01-01T00:00:02Z'),
        taskSubmittedEventDetails: {
          resourceType: 'ecs',
          resource: 'runTask.sync',
          output: JSON.stringify({ Tasks: [{ TaskArn: taskArn }] }),
        },
      },
      {
        id: 4,
        type: 'ExecutionAborted',
        timestamp: new Date('2025-01-01T00:00:05Z'),
        executionAbortedEventDetails: { error: 'Berth.Cancelled', cause: 'Run was cancelled.' },
      },
    ];
    beforeEach(() => {
      sfn.on(DescribeExecutionCommand).resolves(
        execution(runId, {
          status: 'ABORTED',
          input: JSON.stringify(input),
          stopDate: new Date('2025-01-01T00:00:05Z'),
        }),
      );
      sfn.on(GetExecutionHistoryCommand).resolves({ events: aborted });
    });

    it('reads the stop code, reason and exit codes of the task the cancel stopped from ECS (the history has none)', async () => {
      ecs.on(DescribeTasksCommand).resolves({
        tasks: [
          {
            taskArn,
            lastStatus: 'STOPPED',
            stopCode: 'UserInitiated',
            stoppedReason: reason,
            stoppedAt: new Date('2025-01-01T00:00:06Z'),
            containers: [{ name: 'anjana', exitCode: 143 }],
          },
        ],
      });
      const result = await get(apiEvent({ pathParameters: { runId } }), context);
      expect(result.statusCode).toBe(200);
      expect(body(result)).toMatchObject({
        status: 'CANCELLED',
        attempts: [
          {
            attempt: 1,
            outcome: 'CANCELLED',
            taskArns: [taskArn],
            stopCode: 'UserInitiated',
            stoppedReason: reason,
            stoppedAt: '2025-01-01T00:00:06.000Z',
            containers: [{ name: 'anjana', exitCode: 143 }],
          },
        ],
        error: { code: 'Berth.Cancelled' },
      });
      expect(ecs.commandCalls(DescribeTasksCommand).map((c) => c.args[0].input)).toEqual([
        { cluster: 'default', tasks: [taskArn] },
      ]);
    });

    it('answers the run as the history has it when ECS cannot describe the task', async () => {
      ecs.on(DescribeTasksCommand).rejects(new Error('Rate exceeded'));
      const result = await get(apiEvent({ pathParameters: { runId } }), context);
      expect(result.statusCode).toBe(200);
      const attempt = body(result).attempts[0];
      expect(attempt).toMatchObject({ outcome: 'CANCELLED', taskArns: [taskArn], containers: [] });
      expect(attempt.stopCode).toBeUndefined();
    });
  });

  it('answers 404 for an unknown run', async () => {
    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    const result = await get(apiEvent({ pathParameters: { runId } }), context);
    expect(result.statusCode).toBe(404);
    expect(body(result)).toMatchObject({ detail: `Run ${runId} does not exist.` });
  });

  it.each(['a:b', 'x'.repeat(81), 'a b', 'a*'])('answers 400 for the run id %j, calling nothing', async (bad) => {
    const result = await get(apiEvent({ pathParameters: { runId: bad } }), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors[0].path).toBe('$.runId');
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('GET /runs', () => {
  const item = (name: string, status: string, stopDate?: Date) => ({
    executionArn: `${EXECUTION_PREFIX}${name}`,
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status: status as 'RUNNING',
    startDate: new Date('2025-01-01T00:00:00Z'),
    ...(stopDate && { stopDate }),
  });
  const query = (q: Record<string, string>) => apiEvent({ queryStringParameters: q });

  it('lists runs, taking finished statuses from the execution and looking into running ones', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        item('a', 'SUCCEEDED', new Date('2025-01-01T00:01:00Z')),
        item('b', 'ABORTED', new Date('2025-01-01T00:02:00Z')),
        item('c', 'RUNNING'),
      ],
      nextToken: 'sfn-token',
    });
    sfn.on(DescribeExecutionCommand).resolves(execution('c'));
    const result = await list(query({ limit: '3' }), context);
    expect(result.statusCode).toBe(200);
    const page = body(result);
    expect(page.items).toEqual([
      { runId: 'a', status: 'SUCCEEDED', createdAt: '2025-01-01T00:00:00.000Z', stoppedAt: '2025-01-01T00:01:00.000Z' },
      { runId: 'b', status: 'CANCELLED', createdAt: '2025-01-01T00:00:00.000Z', stoppedAt: '2025-01-01T00:02:00.000Z' },
      { runId: 'c', status: 'PENDING', createdAt: '2025-01-01T00:00:00.000Z' },
    ]);
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      maxResults: 3,
    });

    // The token is Berth's own: it carries Step Functions' token and the filter it was issued for.
    sfn.reset();
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    const next = await list(query({ limit: '3', nextToken: page.nextToken }), context);
    expect(body(next)).toEqual({ items: [] });
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toMatchObject({ nextToken: 'sfn-token' });
  });

  it.each([
    ['SUCCEEDED', 'SUCCEEDED'],
    ['cancelled', 'ABORTED'],
    ['FAILED', 'FAILED'],
    ['PENDING', 'RUNNING'],
    ['WAITING_FOR_CAPACITY', 'RUNNING'],
    ['RUNNING', 'RUNNING'],
  ])('filters status=%s with the execution status %s', async (status, statusFilter) => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    await list(query({ status }), context);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).toMatchObject({ statusFilter });
  });

  it('filters TIMED_OUT over every execution: an attempt timeout fails the execution, a run timeout times it out', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [item('a', 'SUCCEEDED'), item('b', 'TIMED_OUT'), item('c', 'RUNNING'), item('d', 'FAILED')],
    });
    sfn.on(DescribeExecutionCommand).resolves(execution('d', { status: 'FAILED', error: 'TaskTimedOut' }));
    const result = await list(query({ status: 'TIMED_OUT' }), context);
    expect(sfn.commandCalls(ListExecutionsCommand)[0]?.args[0].input).not.toHaveProperty('statusFilter');
    expect(body(result).items.map((i: { runId: string }) => i.runId)).toEqual(['b', 'd']);
    // Only the failed execution needed a look inside; the running one cannot have timed out.
    expect(sfn.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
  });

  it('keeps only the running executions whose run has the status asked for', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [item('a', 'RUNNING'), item('b', 'RUNNING')] });
    sfn.on(DescribeExecutionCommand, { executionArn: `${EXECUTION_PREFIX}a` }).resolves(execution('a'));
    sfn.on(DescribeExecutionCommand, { executionArn: `${EXECUTION_PREFIX}b` }).resolves(execution('b'));
    sfn.on(GetExecutionHistoryCommand, { executionArn: `${EXECUTION_PREFIX}b` }).resolves({
      events: [
        {
          id: 1,
          type: 'WaitStateEntered',
          timestamp: new Date(),
          stateEnteredEventDetails: { name: 'Wait For Capacity' },
        },
      ],
    });
    const result = await list(query({ status: 'WAITING_FOR_CAPACITY' }), context);
    expect(body(result).items.map((i: { runId: string }) => i.runId)).toEqual(['b']);
  });

  it.each<[string, Record<string, string>, string]>([
    ['an unknown status', { status: 'DONE' }, '$.status'],
    ['limit 0', { limit: '0' }, '$.limit'],
    ['limit 101', { limit: '101' }, '$.limit'],
    ['a fractional limit', { limit: '1.5' }, '$.limit'],
    ['a token that is not ours', { nextToken: 'AAAA' }, '$.nextToken'],
    ['a token with characters outside base64url', { nextToken: 'a+b/c=' }, '$.nextToken'],
    [
      'a token issued for another status',
      { status: 'FAILED', nextToken: Buffer.from(JSON.stringify({ s: 'SUCCEEDED', t: 'x' })).toString('base64url') },
      '$.nextToken',
    ],
  ])('answers 400 for %s, calling nothing', async (_name, q, path) => {
    const result = await list(query(q), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors.map((e: { path: string }) => e.path)).toEqual([path]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 400 when Step Functions refuses an expired token', async () => {
    sfn.on(ListExecutionsCommand).rejects(sfnError(InvalidToken));
    const token = Buffer.from(JSON.stringify({ s: '', t: 'old' })).toString('base64url');
    const result = await list(query({ nextToken: token }), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors[0].path).toBe('$.nextToken');
  });
});

describe('POST /runs/{runId}/cancel', () => {
  const runId = 'run-1';

  it('stops the execution with a cause naming the cancel and answers 202', async () => {
    sfn.on(DescribeExecutionCommand).resolves(execution(runId));
    sfn.on(StopExecutionCommand).resolves({ stopDate: new Date('2025-01-01T00:05:00Z') });
    const result = await cancel(apiEvent({ httpMethod: 'POST', pathParameters: { runId } }), context);
    expect(result.statusCode).toBe(202);
    expect(result.headers).toMatchObject({ Location: `/runs/${runId}` });
    expect(body(result)).toEqual({ runId, status: 'CANCELLED', stoppedAt: '2025-01-01T00:05:00.000Z' });
    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: `${EXECUTION_PREFIX}${runId}`,
      error: 'Berth.Cancelled',
      cause: `Run ${runId} was cancelled through POST /runs/${runId}/cancel (request req-1).`,
    });
  });

  it.each(['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'] as const)(
    'answers 409 for a run whose execution is %s',
    async (status) => {
      sfn.on(DescribeExecutionCommand).resolves(execution(runId, { status }));
      const result = await cancel(apiEvent({ httpMethod: 'POST', pathParameters: { runId } }), context);
      expect(result.statusCode).toBe(409);
      expect(body(result).detail).toBe(
        `Run ${runId} has already finished (execution ${status}); there is nothing to cancel.`,
      );
      expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    },
  );

  it('answers 404 for an unknown run', async () => {
    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    const result = await cancel(apiEvent({ httpMethod: 'POST', pathParameters: { runId } }), context);
    expect(result.statusCode).toBe(404);
  });
});
