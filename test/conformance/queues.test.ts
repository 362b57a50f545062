/**
 * Queue admission (lib/queues/) against the real local DynamoDB: the queues table's transactions and conditions
 * as the Lambdas use them. Step Functions is a recorder of SendTaskSuccess calls (the execution side is the workflow
 * and integration tests' part): what is checked here is who gets a slot, in what order, and that no more than the
 * limit ever hold one, whatever the concurrency and the repeats.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { queuesTable } from '../../deploy/queues';
import { runsTable } from '../../deploy/runs-table';
import { admit, enterQueue, type QueueDeps, releaseRun } from '../../lib/queues/admit';
import type { Queue } from '../../lib/queues/config';
import { reconcileQueues } from '../../lib/queues/reconcile-queues';
import { readQueueState, slots, waitingRuns } from '../../lib/queues/store';
import { getQueue, pauseQueue, waitingView } from '../../lib/queues/views';
import type { RunRecord } from '../../lib/runs/record';
import { newRecord } from '../../lib/runs/record-updates';
import { createRecord, getRecord } from '../../lib/runs/run-store';
import { ensureLocalTables } from '../../local/dynamodb/tables';
import { REGION, startLocalEndpoint } from './endpoint';

jest.setTimeout(60_000);

let endpoint: Awaited<ReturnType<typeof startLocalEndpoint>>;
let ddb: DynamoDBDocumentClient;
/** Tokens resumed, in order, and tokens that Step Functions no longer waits on. */
const resumed: string[] = [];
const goneTokens = new Set<string>();
/** Tokens whose SendTaskSuccess is throttled (Step Functions unreachable for the admitting Lambda). */
const throttledTokens = new Set<string>();
const sfn = {
  async send(command: { input: { taskToken?: string } }) {
    const token = command.input.taskToken;
    if (token === undefined) return {}; // DescribeExecution: running (no status yet)
    if (goneTokens.has(token)) {
      throw Object.assign(new Error('Task Timed Out'), { name: 'TaskTimedOut' });
    }
    if (throttledTokens.has(token)) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    resumed.push(token);
    return {};
  },
} as unknown as SFNClient;

const QUEUES: Queue[] = [
  { name: 'default' },
  { name: 'three', maxConcurrentRuns: 3 },
  { name: 'two', maxConcurrentRuns: 2 },
  { name: 'one', maxConcurrentRuns: 1 },
  {
    name: 'fair',
    maxConcurrentRuns: 2,
    fairShare: {
      shareDistribution: [
        { shareIdentifier: 'heavy', weightFactor: 1 },
        { shareIdentifier: 'light', weightFactor: 0.25 },
      ],
    },
  },
];

let deps: QueueDeps;
beforeAll(async () => {
  endpoint = await startLocalEndpoint();
  await ensureLocalTables(
    { endpointUrl: endpoint.url, region: REGION },
    {
      RunsTable: runsTable({ service: 'berth', stage: 'queues' }),
      QueuesTable: queuesTable({ service: 'berth', stage: 'queues' }),
    },
  );
  ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: endpoint.url,
      region: REGION,
      credentials: { accessKeyId: 't', secretAccessKey: 't' },
    }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  deps = {
    store: { ddb, tableName: 'berth-queues-queues' },
    runs: { ddb, config: { tableName: 'berth-queues-runs', retentionDays: 1 } },
    sfn,
    queues: QUEUES,
  };
});
afterAll(async () => {
  ddb?.destroy();
  await endpoint?.close();
});

let serial = 0;
/** A run's record in the runs table, PENDING in `queue` (as POST /runs writes it). */
async function run(queue: string, priority = 0, shareIdentifier?: string): Promise<RunRecord> {
  serial += 1;
  const createdAt = new Date(Date.UTC(2026, 11, 7, 12, 0, 0, serial));
  const runId = `run-${String(serial).padStart(5, '0')}`;
  const record = newRecord({
    runId,
    family: 'f',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/f:1',
    cluster: 'default',
    trigger: { type: 'api' },
    request: {},
    executionInput: {},
    createdAt,
    retentionDays: 1,
    queue: { name: queue, priority, ...(shareIdentifier && { shareIdentifier }), enqueuedAt: createdAt.toISOString() },
  });
  await createRecord(deps.runs, record);
  return record;
}

const tokenOf = (record: RunRecord) => `token-${record.runId}`;
const place = (record: RunRecord) => record.queue as NonNullable<RunRecord['queue']>;
const enter = (record: RunRecord, token = tokenOf(record)) => enterQueue(deps, record.runId, place(record), token);

/** The run's execution ended: its record says so, and recordRunEvent releases its slot. */
async function end(record: RunRecord) {
  const current = (await getRecord(deps.runs, record.runId)) as RunRecord;
  const ended = { ...current, status: 'SUCCEEDED' as const, version: current.version + 1 };
  await ddb.send(new PutCommand({ TableName: 'berth-queues-runs', Item: ended }));
  return releaseRun(deps, ended);
}

async function holders(queue: string) {
  const [state, held] = await Promise.all([readQueueState(deps.store, queue), slots(deps.store, queue)]);
  return { running: state.running, slots: held.map((s) => s.runId).sort() };
}

describe('queue admission on the local DynamoDB', () => {
  it('admits at once into a queue with room, and the record never says QUEUED', async () => {
    const r = await run('default');
    expect(await enter(r)).toBe('admitted');
    expect(resumed).toContain(tokenOf(r));
    const record = await getRecord(deps.runs, r.runId);
    expect(record?.status).toBe('PENDING');
    expect(record?.queue?.admittedAt).toEqual(expect.any(String));
  });

  it('100 runs entering a queue of limit 3 at once: 3 hold slots, never more, and releases admit one each', async () => {
    const runs = await Promise.all(Array.from({ length: 100 }, () => run('three')));
    await Promise.all(runs.map((r) => enter(r)));
    // A run may be admitted by another run's Lambda: who admitted whom does not matter, the count does.
    expect(await holders('three')).toEqual({ running: 3, slots: expect.any(Array) });
    expect((await holders('three')).slots).toHaveLength(3);
    const mine = new Set(runs.map(tokenOf));
    expect(resumed.filter((t) => mine.has(t))).toHaveLength(3);
    expect(await waitingRuns(deps.store, 'three', 200)).toHaveLength(97);

    // Release every holder, each twice and at once (a repeated event), while sampling the slots.
    let maxSeen = 0;
    const finished = new Set<string>();
    for (let round = 0; round < 40 && finished.size < 100; round++) {
      const { slots: held, running } = await holders('three');
      maxSeen = Math.max(maxSeen, held.length, running);
      const holdersNow = runs.filter((r) => held.includes(r.runId) && !finished.has(r.runId));
      for (const r of holdersNow) finished.add(r.runId);
      await Promise.all(holdersNow.flatMap((r) => [end(r), end(r)]));
    }
    expect(maxSeen).toBeLessThanOrEqual(3);
    expect(finished.size).toBe(100);
    expect(await holders('three')).toEqual({ running: 0, slots: [] });
    expect(await waitingRuns(deps.store, 'three', 10)).toHaveLength(0);
    // Every run was resumed exactly once.
    expect(resumed.filter((t) => mine.has(t))).toHaveLength(100);
  });

  it('admits by priority, then first come; a waiting run knows its position and what it waits for', async () => {
    const holder = await run('one');
    expect(await enter(holder)).toBe('admitted');
    const low = await Promise.all([run('one', 0), run('one', 0), run('one', 0), run('one', 0)]);
    for (const r of low) expect(await enter(r)).toBe('queued');
    const urgent = await run('one', 10);
    expect(await enter(urgent)).toBe('queued');
    expect((await getRecord(deps.runs, urgent.runId))?.status).toBe('QUEUED');

    const view = await waitingView(deps.store, QUEUES, place(urgent), urgent.runId);
    expect(view.position).toBe(1);
    expect(view.waitingFor).toBe('A slot in queue one: 1 of 1 are held.');
    expect((await waitingView(deps.store, QUEUES, place(low[2]!), low[2]!.runId)).position).toBe(4);

    const order: string[] = [];
    let current = holder;
    for (let i = 0; i < 5; i++) {
      await end(current);
      const held = (await holders('one')).slots;
      expect(held).toHaveLength(1);
      current = [urgent, ...low].find((r) => r.runId === held[0]) as RunRecord;
      order.push(current.runId);
      // Admitted: PENDING again (its capacity check is next), with when it was admitted.
      const record = await getRecord(deps.runs, current.runId);
      expect(record?.status).toBe('PENDING');
      expect(record?.queue?.admittedAt).toEqual(expect.any(String));
    }
    expect(order).toEqual([urgent, ...low].map((r) => r.runId));
    await end(current);
  });

  it('a paused queue admits nothing; resuming admits at once', async () => {
    await pauseQueue(deps, 'two', true);
    const runs = await Promise.all([run('two'), run('two'), run('two')]);
    for (const r of runs) expect(await enter(r)).toBe('queued');
    const view = await getQueue(deps, 'two');
    expect(view).toMatchObject({ paused: true, running: 0, queued: 3, maxConcurrentRuns: 2 });
    expect((await waitingView(deps.store, QUEUES, place(runs[0]!), runs[0]!.runId)).waitingFor).toBe(
      'Queue two to be resumed (it is paused).',
    );
    const resumedView = await pauseQueue(deps, 'two', false);
    expect(resumedView).toMatchObject({ paused: false, running: 2, queued: 1 });
    for (const r of runs) await end(r);
    expect(await holders('two')).toEqual({ running: 0, slots: [] });
  });

  it('fair share: the next run comes from the share furthest below its weighted share', async () => {
    const heavy = await Promise.all([run('fair', 0, 'heavy'), run('fair', 0, 'heavy'), run('fair', 0, 'heavy')]);
    const light = await Promise.all([run('fair', 0, 'light'), run('fair', 0, 'light')]);
    for (const r of [...heavy, ...light]) await enter(r);
    // First come: two heavy runs hold the slots.
    expect((await holders('fair')).slots).toEqual([heavy[0]!.runId, heavy[1]!.runId].sort());
    // A heavy run ends: light (0 running) is below heavy (1 x 1), though heavy[2] came first.
    await end(heavy[0]!);
    expect((await holders('fair')).slots).toContain(light[0]!.runId);
    // heavy[1] ends: heavy 0 x 1 = 0 against light 1 x 0.25: heavy, now furthest below its share.
    await end(heavy[1]!);
    expect((await holders('fair')).slots).toEqual([light[0]!.runId, heavy[2]!.runId].sort());
    // heavy[2] ends: heavy 0 against light 0.25: light[1], the only one left.
    const view = await getQueue(deps, 'fair');
    expect(view.shares).toEqual([
      { shareIdentifier: 'heavy', weightFactor: 1, running: 1, queued: 0 },
      { shareIdentifier: 'light', weightFactor: 0.25, running: 1, queued: 1 },
    ]);
    // A heavy run that came after light[1]: with heavy at 0 running it still goes first (0 against 1 x 0.25).
    const later = await run('fair', 0, 'heavy');
    await enter(later);
    await end(heavy[2]!);
    expect((await holders('fair')).slots).toEqual([light[0]!.runId, later.runId].sort());
    // With one each, light (1 x 0.25) is below heavy (1 x 1): light[1] is next, ahead of another heavy run.
    const last = await run('fair', 0, 'heavy');
    await enter(last);
    await end(light[0]!);
    expect((await holders('fair')).slots).toEqual([light[1]!.runId, later.runId].sort());
    for (const r of [light[1]!, later, last]) await end(r);
    expect(await holders('fair')).toEqual({ running: 0, slots: [] });
  });

  it("a run's Lambda run again after its admission resumes itself with the new token", async () => {
    const r = await run('one');
    expect(await enter(r)).toBe('admitted');
    expect(await enter(r, 'token-second-invoke')).toBe('admitted');
    expect(resumed.at(-1)).toBe('token-second-invoke');
    expect((await holders('one')).running).toBe(1);
    await end(r);
  });

  it('an admitted run whose token is no longer waited on gives its slot back when it has ended', async () => {
    const holder = await run('one');
    await enter(holder);
    const cancelled = await run('one');
    expect(await enter(cancelled)).toBe('queued');
    // The run was cancelled while waiting and its end was recorded before the admission (its event is late).
    goneTokens.add(tokenOf(cancelled));
    const current = (await getRecord(deps.runs, cancelled.runId)) as RunRecord;
    await ddb.send(
      new PutCommand({
        TableName: 'berth-queues-runs',
        Item: { ...current, status: 'CANCELLED', version: current.version + 1 },
      }),
    );
    await end(holder);
    expect(await holders('one')).toEqual({ running: 0, slots: [] });
    expect(await admit(deps, 'one')).toEqual([]);
  });

  it("an admission whose SendTaskSuccess failed is resumed by the reconciler with the slot's token", async () => {
    const r = await run('one');
    throttledTokens.add(tokenOf(r));
    await enter(r).catch(() => undefined); // the run's own Lambda fails; its admission stands
    expect((await holders('one')).slots).toEqual([r.runId]);
    expect((await getRecord(deps.runs, r.runId))?.queue?.admittedAt).toBeUndefined();
    throttledTokens.delete(tokenOf(r));
    const later = { ...deps, config: { stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:x' } };
    const repairs = await reconcileQueues({ ...later, now: () => new Date(Date.now() + 120_000) });
    expect(repairs).toMatchObject({ resumed: 1, released: 0 });
    expect(resumed.at(-1)).toBe(tokenOf(r));
    expect((await getRecord(deps.runs, r.runId))?.queue?.admittedAt).toEqual(expect.any(String));
    await end(r);
  });

  it('a queue with no limit admits at once, holds runs while paused, and admits them all on resume', async () => {
    await pauseQueue(deps, 'default', true);
    const runs = await Promise.all([run('default'), run('default'), run('default')]);
    for (const r of runs) expect(await enter(r)).toBe('queued');
    expect((await getRecord(deps.runs, runs[0]!.runId))?.status).toBe('QUEUED');
    expect(await pauseQueue(deps, 'default', false)).toMatchObject({ running: expect.any(Number), queued: 0 });
    for (const r of runs) expect((await getRecord(deps.runs, r.runId))?.queue?.admittedAt).toEqual(expect.any(String));
    for (const r of runs) await end(r);
  });
});
