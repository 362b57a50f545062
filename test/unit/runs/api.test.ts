/** The /runs handlers end to end through the middy stack, with ECS, Step Functions and the runs table mocked. */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import './env';
import {
  ClientException,
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  ExecutionLimitExceeded,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as cancel } from '../../../functions/cancel-run';
import { handler as get } from '../../../functions/get-run';
import { handler as list } from '../../../functions/list-runs';
import { handler as start } from '../../../functions/start-run';
import { loadRunsConfig } from '../../../lib/runs/config';
import { reconcileRuns } from '../../../lib/runs/reconcile-runs';
import type { RunRecord } from '../../../lib/runs/record';
import { idempotencyScope, requestHash, runIdForKey } from '../../../lib/runs/run-id';
import { loadRunStoreConfig } from '../../../lib/runs/run-store';
import type { ExecutionInput } from '../../../lib/runs/types';
import { apiEvent, context, postJson } from '../api/event';
import { STATE_MACHINE_ARN } from './env';
import { ddb, resetTable, table } from './memory-table';

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

beforeEach(() => {
  ecs.reset();
  sfn.reset();
  resetTable();
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
        message: expect.stringContaining('capacity.checkIntervalSeconds of at least 1958'),
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

const recordOf = (runId: string) => table.get(runId) as RunRecord | undefined;

describe('POST /runs writes the record first', () => {
  it('writes the PENDING record, with the request, the input and the caller, before StartExecution', async () => {
    let recordAtStart: RunRecord | undefined;
    sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
      recordAtStart = recordOf(input.name);
      return { executionArn: 'x', startDate: new Date() };
    });
    const event = postJson('/runs', { taskDefinition: 'anjana-educative:1', startedBy: 'nightly' });
    event.requestContext = {
      ...event.requestContext,
      identity: { userArn: 'arn:aws:iam::123456789012:user/ci' } as APIGatewayProxyEvent['requestContext']['identity'],
    };
    const result = await start(event, context);
    const { runId } = body(result);
    expect(recordAtStart).toMatchObject({
      runId,
      status: 'PENDING',
      family: 'anjana-educative',
      taskDefinitionArn: TD_ARN,
      cluster: 'default',
      trigger: { type: 'api', name: 'nightly' },
      triggerType: 'api',
      triggerName: 'nightly',
      principal: 'arn:aws:iam::123456789012:user/ci',
      request: { taskDefinition: 'anjana-educative:1', startedBy: 'nightly' },
      // How each container logs, from the task definition: the streams are named without reading ECS again.
      logging: [{ name: 'anjana', essential: true }],
      version: 1,
    });
    expect(recordAtStart?.executionInput).toEqual(startedInput());
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe('attribute_not_exists(runId)');
  });

  it('fails the record of a run without a key whose StartExecution failed (nobody could complete it)', async () => {
    sfn.on(StartExecutionCommand).rejects(sfnError(ExecutionLimitExceeded));
    const result = await start(postJson('/runs', { taskDefinition: 'anjana-educative:1' }), context);
    expect(result.statusCode).toBe(503);
    const [record] = [...table.values()] as RunRecord[];
    expect(record).toMatchObject({ status: 'FAILED', error: { code: 'StartExecutionFailed' } });
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

    const result = await start(withKey(payload, key), context);
    expect(result.statusCode).toBe(202);
    expect(body(result)).toEqual({ runId, status: 'PENDING' });
    expect(startedInput().idempotency).toEqual({ key, requestHash: expect.any(String) });
    expect(recordOf(runId)?.idempotency).toEqual({ key, requestHash: expect.any(String) });
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

    const result = await start(withKey(payload, key, orders), context);
    expect(result.statusCode).toBe(202);
    expect(body(result).runId).toBe(runIdForKey(key, orders));
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input.name).toBe(runIdForKey(key, orders));
  });

  it('answers the same run, starting nothing, when the same key comes with the same body', async () => {
    await start(withKey(payload, key), context);
    table.set(runId, { ...table.get(runId), status: 'SUCCEEDED' });
    sfn.reset();
    ecs.reset();

    // The same request with its keys in another order and a default spelt out.
    const again = await start(
      withKey({ retry: { attempts: 2, evaluateOnExit: [] }, count: 1, taskDefinition: 'anjana-educative:1' }, key),
      context,
    );
    expect(again.statusCode).toBe(200);
    expect(body(again)).toEqual({ runId, status: 'SUCCEEDED' });
    expect(again.headers).toMatchObject({ Location: `/runs/${runId}` });
    expect(sfn.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('answers 409 when the same key comes with another body', async () => {
    await start(withKey(payload, key), context);
    sfn.resetHistory();
    const result = await start(withKey({ ...payload, count: 2 }, key), context);
    expect(result.statusCode).toBe(409);
    expect(body(result).detail).toContain(`run ${runId}`);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('crash after the write, before StartExecution: the repeat with the key completes the start', async () => {
    sfn.on(StartExecutionCommand).rejectsOnce(new Error('the function died here'));
    const first = await start(withKey(payload, key), context);
    expect(first.statusCode).toBe(500);
    expect(recordOf(runId)?.status).toBe('PENDING');

    sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
    const again = await start(withKey(payload, key), context);
    expect(again.statusCode).toBe(200);
    expect(body(again)).toEqual({ runId, status: 'PENDING' });
    const starts = sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(2);
    expect(starts[1]).toEqual(starts[0]);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(1);
  });

  it('crash after StartExecution, before the 202: the repeat finds the started run (ExecutionAlreadyExists)', async () => {
    await start(withKey(payload, key), context);
    sfn.on(StartExecutionCommand).rejects(sfnError(ExecutionAlreadyExists));
    const again = await start(withKey(payload, key), context);
    expect(again.statusCode).toBe(200);
    expect(body(again)).toEqual({ runId, status: 'PENDING' });
  });

  it('answers the same run when two requests with the key race for the write', async () => {
    const winner = structuredClone(
      await (async () => {
        await start(withKey(payload, key), context);
        return recordOf(runId)!;
      })(),
    );
    table.clear();
    // The other request writes its record between this one's read and its write.
    ddb
      .on(GetCommand)
      .callsFakeOnce(() => ({ Item: undefined }))
      .callsFake(() => ({ Item: winner }));
    ddb.on(PutCommand).callsFake(() => {
      throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
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

describe('the reconciler and records left PENDING', () => {
  const deps = () => ({
    store: { ddb: ddb as never, config: loadRunStoreConfig() },
    sfn: new SFNClient({ region: 'us-east-1' }),
    config: loadRunsConfig(),
  });
  /** A request that died between its write and StartExecution, `ago` seconds ago. */
  async function crashedRun(ago: number, key?: string) {
    sfn.on(StartExecutionCommand).rejectsOnce(new Error('the function died here'));
    const event =
      key === undefined
        ? postJson('/runs', { taskDefinition: 'anjana-educative:1' })
        : withKey({ taskDefinition: 'anjana-educative:1' }, key);
    await start(event, context);
    const [record] = [...table.values()];
    if (record === undefined) throw new Error('no record was written');
    const createdAt = new Date(Date.now() - ago * 1000).toISOString();
    // A crash (not a refusal) leaves the record PENDING whether or not it had a key.
    table.set(record.runId as string, {
      ...record,
      status: 'PENDING',
      createdAt,
      error: undefined,
      stoppedAt: undefined,
      terminalSource: undefined,
    });
    sfn.reset();
    return record.runId as string;
  }

  it('starts a keyed record with no execution past the bound, with the input the record holds', async () => {
    const runId = await crashedRun(120, 'order-7');
    sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date() });
    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    expect(await reconcileRuns({ ...deps() })).toMatchObject({ started: 1, failed: 0 });
    expect(sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input).toEqual({
      stateMachineArn: STATE_MACHINE_ARN,
      name: runId,
      input: JSON.stringify(recordOf(runId)?.executionInput),
    });
  });

  it('fails a record without a key past the bound: its caller never got a 202, so nothing may run', async () => {
    const runId = await crashedRun(120);
    sfn.on(DescribeExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    expect(await reconcileRuns(deps())).toMatchObject({ started: 0, failed: 1 });
    expect(recordOf(runId)).toMatchObject({
      status: 'FAILED',
      error: { code: 'StartNotConfirmed' },
      terminalSource: 'reconciler',
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('leaves a record younger than the bound alone (its request may still be starting it)', async () => {
    await crashedRun(10, 'order-8');
    expect(await reconcileRuns(deps())).toEqual({ started: 0, failed: 0, ended: 0, running: 0, moved: 0 });
    expect(sfn.calls()).toHaveLength(0);
  });

  it("gives a PENDING record whose execution ended (its events were lost) the execution's end", async () => {
    const runId = await crashedRun(120, 'order-9');
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: `${EXECUTION_PREFIX}${runId}`,
      stateMachineArn: STATE_MACHINE_ARN,
      status: 'FAILED',
      error: 'InsufficientCapacity',
      cause: '1 of 1 task does not fit',
      startDate: new Date(),
      stopDate: new Date('2026-12-07T15:00:00Z'),
    });
    expect(await reconcileRuns(deps())).toMatchObject({ ended: 1 });
    expect(recordOf(runId)).toMatchObject({
      status: 'FAILED',
      stoppedAt: '2026-12-07T15:00:00.000Z',
      error: { code: 'InsufficientCapacity', message: '1 of 1 task does not fit' },
      terminalSource: 'execution',
    });
  });
});

describe('GET /runs/{runId}', () => {
  it('is one consistent GetItem and no Step Functions or ECS call', async () => {
    const created = body(await start(postJson('/runs', { taskDefinition: 'anjana-educative:1' }), context));
    ddb.resetHistory();
    sfn.resetHistory();
    ecs.resetHistory();
    const result = await get(apiEvent({ pathParameters: { runId: created.runId } }), context);
    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({
      runId: created.runId,
      status: 'PENDING',
      taskDefinitionArn: TD_ARN,
      cluster: 'default',
      family: 'anjana-educative',
      trigger: { type: 'api' },
      attempts: [],
    });
    expect(body(result)).not.toHaveProperty('executionInput');
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'berth-test-runs', Key: { runId: created.runId }, ConsistentRead: true },
    ]);
    expect(ddb.calls()).toHaveLength(1);
    expect(sfn.calls()).toHaveLength(0);
    expect(ecs.calls()).toHaveLength(0);
  });

  it('answers 404 for an unknown run', async () => {
    const result = await get(apiEvent({ pathParameters: { runId: 'nope' } }), context);
    expect(result.statusCode).toBe(404);
    expect(body(result)).toMatchObject({ detail: 'Run nope does not exist.' });
  });

  it.each(['a:b', 'x'.repeat(81), 'a b', 'a*'])('answers 400 for the run id %j, calling nothing', async (bad) => {
    const result = await get(apiEvent({ pathParameters: { runId: bad } }), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors[0].path).toBe('$.runId');
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('GET /runs', () => {
  const query = (q: Record<string, string>) => apiEvent({ queryStringParameters: q });
  /** Runs created a second apart, newest last: 3 of family a (api), 2 of family b (schedule nightly). */
  async function seed() {
    let n = 0;
    const at = () => new Date(Date.parse('2026-12-07T15:00:00Z') + 1000 * n++);
    for (const [family, trigger, status] of [
      ['a', { type: 'api' }, 'SUCCEEDED'],
      ['b', { type: 'schedule', name: 'nightly' }, 'RUNNING'],
      ['a', { type: 'api' }, 'RUNNING'],
      ['b', { type: 'schedule', name: 'nightly' }, 'FAILED'],
      ['a', { type: 'api', name: 'ci' }, 'RUNNING'],
    ] as const) {
      const createdAt = at().toISOString();
      const runId = `run-${n}`;
      table.set(runId, {
        runId,
        status,
        family,
        trigger,
        createdAt,
        listKey: 'RUN',
        triggerType: trigger.type,
        ...('name' in trigger && { triggerName: trigger.name }),
      });
    }
  }
  const ids = (result: { body: string }) => body(result).items.map((i: { runId: string }) => i.runId);

  it.each<[string, Record<string, string>, string[], string, string]>([
    ['all runs', {}, ['run-5', 'run-4', 'run-3', 'run-2', 'run-1'], 'byCreated', 'RUN'],
    ['a status', { status: 'running' }, ['run-5', 'run-3', 'run-2'], 'byStatus', 'RUNNING'],
    ['a family', { family: 'b' }, ['run-4', 'run-2'], 'byFamily', 'b'],
    ['a trigger type', { trigger: 'API' }, ['run-5', 'run-3', 'run-1'], 'byTriggerType', 'api'],
    ['a trigger name', { trigger: 'nightly' }, ['run-4', 'run-2'], 'byTriggerName', 'nightly'],
    [
      'a creation range',
      { createdAfter: '2026-12-07T15:00:01Z', createdBefore: '2026-12-07T16:00:03+01:00' },
      ['run-4', 'run-3', 'run-2'],
      'byCreated',
      'RUN',
    ],
  ])('filters by %s with one Query on its index, newest first', async (_name, q, expected, index, partition) => {
    await seed();
    const result = await list(query(q), context);
    expect(result.statusCode).toBe(200);
    expect(ids(result)).toEqual(expected);
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      IndexName: index,
      ScanIndexForward: false,
      ExpressionAttributeValues: { ':p': partition },
    });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers full pages and a token that yields the rest, for the same filter only', async () => {
    await seed();
    const first = await list(query({ family: 'a', limit: '2' }), context);
    expect(ids(first)).toEqual(['run-5', 'run-3']);
    expect(body(first).items[0]).toEqual({
      runId: 'run-5',
      status: 'RUNNING',
      createdAt: '2026-12-07T15:00:04.000Z',
      family: 'a',
      trigger: { type: 'api', name: 'ci' },
    });
    const { nextToken } = body(first);
    const second = await list(query({ family: 'a', limit: '2', nextToken }), context);
    expect(ids(second)).toEqual(['run-1']);
    expect(body(second).nextToken).toBeUndefined();

    const other = await list(query({ family: 'b', nextToken }), context);
    expect(other.statusCode).toBe(400);
    expect(body(other).errors).toEqual([
      { path: '$.nextToken', message: 'nextToken must be the token a previous page with the same filters returned.' },
    ]);
  });

  it.each<[string, Record<string, string>, string]>([
    ['two filters', { status: 'RUNNING', family: 'a' }, '$.family'],
    ['an unknown status', { status: 'DONE' }, '$.status'],
    ['a time that is not ISO-8601', { createdAfter: 'yesterday' }, '$.createdAfter'],
    [
      'a range that ends before it starts',
      { createdAfter: '2026-12-07T15:00:00Z', createdBefore: '2026-12-06T00:00:00Z' },
      '$.createdBefore',
    ],
    ['a token that is not one', { nextToken: 'bm9wZQ' }, '$.nextToken'],
    ['a bad trigger', { trigger: 'a b' }, '$.trigger'],
  ])('answers 400 naming the field for %s, querying nothing', async (_name, q, path) => {
    const result = await list(query(q), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('POST /runs/{runId}/cancel', () => {
  async function running() {
    const { runId } = body(await start(postJson('/runs', { taskDefinition: 'anjana-educative:1' }), context));
    table.set(runId, { ...table.get(runId), status: 'RUNNING' });
    return runId as string;
  }

  it('stops the execution with a cause naming the cancel, records CANCELLED and answers 202', async () => {
    const runId = await running();
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
    expect(recordOf(runId)).toMatchObject({
      status: 'CANCELLED',
      terminalSource: 'cancel',
      error: { code: 'Berth.Cancelled' },
    });
    const view = body(await get(apiEvent({ pathParameters: { runId } }), context));
    expect(view.status).toBe('CANCELLED');
  });

  it('records CANCELLED for a PENDING run whose execution never started', async () => {
    const runId = await running();
    table.set(runId, { ...table.get(runId), status: 'PENDING' });
    sfn.on(StopExecutionCommand).rejects(sfnError(ExecutionDoesNotExist));
    const result = await cancel(apiEvent({ httpMethod: 'POST', pathParameters: { runId } }), context);
    expect(result.statusCode).toBe(202);
    expect(recordOf(runId)?.status).toBe('CANCELLED');
  });

  it.each(['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'] as const)(
    'answers 409 for a run that is %s',
    async (status) => {
      const runId = await running();
      table.set(runId, { ...table.get(runId), status });
      const result = await cancel(apiEvent({ httpMethod: 'POST', pathParameters: { runId } }), context);
      expect(result.statusCode).toBe(409);
      expect(body(result).detail).toBe(`Run ${runId} has already finished (${status}); there is nothing to cancel.`);
      expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    },
  );

  it('answers 404 for an unknown run', async () => {
    const result = await cancel(apiEvent({ httpMethod: 'POST', pathParameters: { runId: 'run-1' } }), context);
    expect(result.statusCode).toBe(404);
  });
});
