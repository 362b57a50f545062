/**
 * Triggers' concurrencyPolicy through the trigger Lambda's middy stack, with ECS and Step Functions mocked and the
 * runs table in memory: Forbid records a SKIPPED run naming the one it would have overlapped, Replace cancels the
 * trigger's live runs before it starts, Allow starts every firing; the policy travels in the target input.
 */
import '../runs/env';
import {
  DescribeClustersCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../functions/start-triggered-run';
import { buildOpenApiDocument } from '../../../lib/openapi/document';
import { listRuns } from '../../../lib/runs/list-runs';
import { type RunRecord, runSummary, runView } from '../../../lib/runs/record';
import { formatTriggerProblems, parseTriggerFile, type Trigger } from '../../../lib/triggers/config';
import { eventInvocation, scheduleInvocation, targetInput } from '../../../lib/triggers/targets';
import { context } from '../api/event';
import { ddb, resetTable, table } from '../runs/memory-table';

const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);
const store = { ddb: ddb as never, config: { tableName: 'berth-test-runs', retentionDays: 1 } };

const taskDefinition = {
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/ingest:3',
  family: 'ingest',
  revision: 3,
  status: 'ACTIVE',
  networkMode: 'bridge',
  compatibilities: ['EC2'],
  containerDefinitions: [{ name: 'ingest', image: 'ingest', memory: 128 }],
} as TaskDefinition;

const schedule = (concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace'): Trigger => ({
  type: 'schedule',
  name: 'nightly',
  enabled: true,
  expression: 'rate(1 minute)',
  run: { taskDefinition: 'ingest' },
  ...(concurrencyPolicy !== undefined && { concurrencyPolicy }),
});
const minute = (n: number) => `2024-05-01T02:${String(n).padStart(2, '0')}:00Z`;

interface Fired {
  runId: string;
  status: string;
  created: boolean;
}
const fire = async (trigger: Trigger, n: number, executionId = `exec${n}`) =>
  (await handler(JSON.parse(scheduleInvocation(trigger, executionId, minute(n))), context)) as Fired;
const record = (runId: string) => table.get(runId) as RunRecord;
const setStatus = (runId: string, status: RunRecord['status']) => table.set(runId, { ...record(runId), status });
const started = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input.name);

beforeEach(() => {
  ecs.reset();
  sfn.reset();
  ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition });
  ecs.on(DescribeClustersCommand).resolves({ clusters: [{ clusterName: 'default', status: 'ACTIVE' }] });
  resetTable();
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
  sfn.on(StopExecutionCommand).resolves({ stopDate: new Date('2024-05-01T02:01:00Z') });
});

describe('the trigger file and the target input', () => {
  it('reads concurrencyPolicy and refuses another value, naming the trigger and the field', () => {
    const doc = (concurrencyPolicy: unknown) => ({
      triggers: {
        nightly: { concurrencyPolicy, schedule: { expression: 'rate(1 day)' }, run: { taskDefinition: 'x' } },
      },
    });
    expect(parseTriggerFile(doc('Replace'))).toMatchObject({ ok: true, triggers: [{ concurrencyPolicy: 'Replace' }] });
    const bad = parseTriggerFile(doc('forbid'));
    expect(bad.ok).toBe(false);
    expect(formatTriggerProblems(bad.ok ? [] : bad.problems)).toBe(
      'trigger "nightly" at $.concurrencyPolicy: concurrencyPolicy is one of Allow, Forbid, Replace.',
    );
  });

  it('carries a policy other than Allow in the input; an Allow trigger sends what it always sent', () => {
    expect(JSON.parse(scheduleInvocation(schedule('Forbid'), 'x', minute(0))).trigger).toEqual({
      type: 'schedule',
      name: 'nightly',
      concurrencyPolicy: 'Forbid',
    });
    expect(targetInput(schedule('Allow'))).toBe(targetInput(schedule()));
    expect(targetInput(schedule())).toContain('{"trigger":{"type":"schedule","name":"nightly"},');
  });

  it('refuses an invocation with an unknown policy without retrying it', async () => {
    const payload = JSON.parse(scheduleInvocation(schedule(), 'x', minute(0)));
    payload.trigger.concurrencyPolicy = 'Sometimes';
    expect(await handler(payload, context)).toMatchObject({
      refused: true,
      status: 400,
      extensions: { errors: [{ path: '$.trigger.concurrencyPolicy' }] },
    });
  });
});

describe('Allow', () => {
  it('starts every firing, however many runs of the trigger are live', async () => {
    const a = await fire(schedule(), 0);
    const b = await fire(schedule('Allow'), 1);
    expect([a.status, b.status]).toEqual(['PENDING', 'PENDING']);
    expect(started()).toEqual([a.runId, b.runId]);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });
});

describe('Forbid', () => {
  it('records a firing while the previous run is live as SKIPPED, naming that run, and starts nothing', async () => {
    const first = await fire(schedule('Forbid'), 0);
    setStatus(first.runId, 'RUNNING');
    const second = await fire(schedule('Forbid'), 1);
    expect(second).toMatchObject({ status: 'SKIPPED', created: true });
    expect(second.runId).not.toBe(first.runId);
    expect(started()).toEqual([first.runId]);
    const skipped = record(second.runId);
    expect(skipped).toMatchObject({
      status: 'SKIPPED',
      trigger: { type: 'schedule', name: 'nightly', eventId: 'exec1' },
      triggerName: 'nightly',
      attempts: [],
      skipped: {
        overlappedRunId: first.runId,
        reason: `Trigger nightly has concurrencyPolicy Forbid and its run ${first.runId} is RUNNING: this firing was skipped.`,
      },
    });
    expect(skipped.stoppedAt).toBe(skipped.createdAt);
    expect(skipped.error).toBeUndefined();
    expect(runView(skipped)).toMatchObject({ status: 'SKIPPED', skipped: skipped.skipped, attempts: [] });
    expect(runSummary(skipped).status).toBe('SKIPPED');
  });

  it('is idempotent: the same firing retried lands on the same SKIPPED record, even once the run has ended', async () => {
    const first = await fire(schedule('Forbid'), 0);
    const skipped = await fire(schedule('Forbid'), 1, 'attempt-1');
    setStatus(first.runId, 'SUCCEEDED');
    const retried = await fire(schedule('Forbid'), 1, 'attempt-2');
    expect(retried).toEqual({ ...skipped, created: false, trigger: expect.anything() });
    expect(table.size).toBe(2);
    expect(started()).toEqual([first.runId]);
  });

  it('starts the next firing once the previous run is terminal, whatever its end', async () => {
    const first = await fire(schedule('Forbid'), 0);
    setStatus(first.runId, 'CANCELLED');
    const second = await fire(schedule('Forbid'), 1);
    expect(second.status).toBe('PENDING');
    expect(started()).toEqual([first.runId, second.runId]);
  });

  it('believes the consistent read, not a stale index that still shows the run live', async () => {
    const first = await fire(schedule('Forbid'), 0);
    setStatus(first.runId, 'SUCCEEDED');
    ddb.on(QueryCommand).resolves({ Items: [{ ...record(first.runId), status: 'RUNNING' }] });
    expect((await fire(schedule('Forbid'), 1)).status).toBe('PENDING');
  });

  it('finds a long run behind many SKIPPED records through the newest one, without paging the index', async () => {
    const first = await fire(schedule('Forbid'), 0);
    setStatus(first.runId, 'RUNNING');
    for (let n = 1; n <= 150; n++) {
      const at = new Date(Date.parse('2024-05-01T02:00:00Z') + n * 60_000).toISOString().replace('.000Z', 'Z');
      await handler(JSON.parse(scheduleInvocation(schedule('Forbid'), `e${n}`, at)), context);
    }
    expect([...table.values()].filter((r) => r.status === 'SKIPPED')).toHaveLength(150);
    ddb.resetHistory();
    const late = (await handler(
      JSON.parse(scheduleInvocation(schedule('Forbid'), 'late', '2024-05-01T05:00:00Z')),
      context,
    )) as Fired;
    expect(record(late.runId).skipped?.overlappedRunId).toBe(first.runId);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
  });

  it("looks only at the trigger's own runs: not another trigger's, nor an API run named alike", async () => {
    const other = await fire({ ...schedule('Forbid'), name: 'weekly' }, 0);
    table.set('api-run', {
      ...record(other.runId),
      runId: 'api-run',
      trigger: { type: 'api', name: 'nightly' },
      triggerType: 'api',
      triggerName: 'nightly',
    });
    setStatus(other.runId, 'RUNNING');
    expect((await fire(schedule('Forbid'), 1)).status).toBe('PENDING');
  });

  it('applies to event triggers: a second event while the first run is live is skipped', async () => {
    const onUpload: Trigger = {
      type: 'event',
      name: 'on-upload',
      enabled: true,
      concurrencyPolicy: 'Forbid',
      pattern: { source: ['uploads'] },
      run: { taskDefinition: 'ingest' },
    };
    const event = (id: string) => ({ id, source: 'uploads', 'detail-type': 'Object Created', detail: {} });
    const a = (await handler(JSON.parse(eventInvocation(onUpload, event('e-1'))), context)) as Fired;
    const b = (await handler(JSON.parse(eventInvocation(onUpload, event('e-2'))), context)) as Fired;
    expect([a.status, b.status]).toEqual(['PENDING', 'SKIPPED']);
    expect(record(b.runId)).toMatchObject({
      trigger: { type: 'event', eventId: 'e-2' },
      skipped: { overlappedRunId: a.runId },
    });
  });

  it('lists SKIPPED runs by status and by trigger', async () => {
    await fire(schedule('Forbid'), 0);
    const skipped = await fire(schedule('Forbid'), 1);
    const byStatus = await listRuns(store, { status: 'SKIPPED', limit: 10 });
    expect(byStatus.items.map((r) => r.runId)).toEqual([skipped.runId]);
    const byTrigger = await listRuns(store, { trigger: 'nightly', limit: 10 });
    expect(byTrigger.items.map((r) => r.status).sort()).toEqual(['PENDING', 'SKIPPED']);
  });

  it('documents SKIPPED and the skip in the OpenAPI document', () => {
    const text = JSON.stringify(buildOpenApiDocument());
    expect(text).toContain('"SKIPPED"');
    expect(text).toContain('"overlappedRunId"');
    expect(text).toContain('"replaced"');
  });
});

describe('Replace', () => {
  it("cancels the trigger's live runs with a cause naming the new run and the trigger, then starts it", async () => {
    const first = await fire(schedule('Replace'), 0);
    setStatus(first.runId, 'RUNNING');
    const second = await fire(schedule('Replace'), 1);
    expect(second.status).toBe('PENDING');
    const cause = `Run ${first.runId} was replaced by run ${second.runId} of trigger nightly (concurrencyPolicy Replace).`;
    expect(sfn.commandCalls(StopExecutionCommand).map((c) => c.args[0].input)).toEqual([
      {
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:berth-test-run-task:${first.runId}`,
        error: 'Berth.Cancelled',
        cause,
      },
    ]);
    expect(record(first.runId)).toMatchObject({
      status: 'CANCELLED',
      error: { code: 'Berth.Cancelled', message: cause },
    });
    expect(record(second.runId).replaced).toEqual([first.runId]);
    expect(runView(record(second.runId)).replaced).toEqual([first.runId]);
    // The old run is stopped before the new one starts.
    expect(sfn.calls().map((c) => (c.args[0] as object).constructor.name)).toEqual([
      'StartExecutionCommand',
      'StopExecutionCommand',
      'StartExecutionCommand',
    ]);
    expect(started()).toEqual([first.runId, second.runId]);
  });

  it('cancels every live run of the trigger (left by an earlier Allow), and none that has ended', async () => {
    const [a, b, c] = [await fire(schedule(), 0), await fire(schedule(), 1), await fire(schedule(), 2)];
    setStatus(b!.runId, 'SUCCEEDED');
    const next = await fire(schedule('Replace'), 3);
    expect(record(next.runId).replaced?.sort()).toEqual([a!.runId, c!.runId].sort());
    expect(record(b!.runId).status).toBe('SUCCEEDED');
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(2);
  });

  it('leaves a run that ended between its read and the cancel as it ended, and starts', async () => {
    const first = await fire(schedule('Replace'), 0);
    let reads = 0;
    // The first read (the live check) sees it RUNNING; by the cancel's own read it has SUCCEEDED.
    ddb.on(GetCommand, { Key: { runId: first.runId } }).callsFake(() => {
      reads++;
      return { Item: { ...record(first.runId), status: reads === 1 ? 'RUNNING' : 'SUCCEEDED' } };
    });
    const second = await fire(schedule('Replace'), 1);
    expect(reads).toBe(2);
    expect(second.status).toBe('PENDING');
    expect(record(second.runId).replaced).toBeUndefined();
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(started()).toEqual([first.runId, second.runId]);
  });

  it('starts without replacing anything when nothing is live, and records no replaced', async () => {
    const first = await fire(schedule('Replace'), 0);
    expect(record(first.runId).replaced).toBeUndefined();
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
  });
});
