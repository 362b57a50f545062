/**
 * Queues over the real local stack (`npm start` with a queue file of the test's own), issue 15's acceptance:
 * - 6 runs of a `sleep 3` task posted at once into `nightly` (maxConcurrentRuns 2): sampling the records, never more
 *   than 2 RUNNING, the others QUEUED with positions; all SUCCEEDED, admitted in priority then arrival order;
 * - a run of priority 10 posted after 4 queued runs of priority 0 is admitted next;
 * - a paused queue holds new runs QUEUED; resuming admits them;
 * - a queue with no limit admits a run at POST /runs (its execution skips Enter Queue), and holds runs when paused;
 * - a run waiting past maxQueuedSeconds fails with QueueTimeLimitExceeded naming the queue;
 * - 100 POSTs at once into a queue of limit 3: sampled, never more than 3 hold slots; all succeed.
 * Containers run as host processes (BERTH_ECS_RUNTIME=process): the point is the queue, not the image.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetExecutionHistoryCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { berthCli, type Stack, startStack } from './stack';

jest.setTimeout(300_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-it-queues-'));
const queuesFile = path.join(dir, 'queues.yml');
writeFileSync(
  queuesFile,
  `queues:
  nightly:
    maxConcurrentRuns: 2
  single:
    maxConcurrentRuns: 1
  impatient:
    maxConcurrentRuns: 1
    maxQueuedSeconds: 2
  three:
    maxConcurrentRuns: 3
`,
);

let stack: Stack;
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
type Json = any;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED'];

async function call(method: string, url: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${stack.api}${url}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stack.output().slice(-4000)}`);
    await sleep(200);
  }
}

/** The run's execution history, from the local Step Functions endpoint (the execution is named by the run id). */
async function executionHistory(runId: string) {
  const sfn = new SFNClient({
    endpoint: stack.aws,
    region: 'us-east-1',
    credentials: { accessKeyId: 'it', secretAccessKey: 'it' },
  });
  try {
    const machine = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.find((m) =>
      m.name?.endsWith('-run-task'),
    );
    const executionArn = `${machine?.stateMachineArn?.replace(':stateMachine:', ':execution:')}:${runId}`;
    return (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
  } finally {
    sfn.destroy();
  }
}

const start = async (body: Record<string, unknown>): Promise<string> => {
  const res = await call('POST', '/runs', { taskDefinition: 'it-queue-sleep', ...body });
  expect(res.status).toBe(202);
  return res.body.runId;
};
const view = async (runId: string): Promise<Json> => (await call('GET', `/runs/${runId}`)).body;
const views = (ids: string[]) => Promise.all(ids.map(view));

/** Samples the runs until all have ended: the most RUNNING at once, and each run's admission order. */
async function sampleUntilDone(ids: string[], limit: number) {
  let mostRunning = 0;
  let sawQueuedWithPosition = false;
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await sleep(150)) {
    const now = await views(ids);
    const holding = now.filter((r) => r.status === 'RUNNING' || (r.queue?.admittedAt && !TERMINAL.includes(r.status)));
    mostRunning = Math.max(mostRunning, now.filter((r) => r.status === 'RUNNING').length);
    if (holding.length > limit) throw new Error(`more than ${limit} runs hold slots: ${JSON.stringify(holding)}`);
    if (now.some((r) => r.status === 'QUEUED' && r.queue?.position >= 1 && typeof r.waitingFor === 'string')) {
      sawQueuedWithPosition = true;
    }
    if (now.every((r) => TERMINAL.includes(r.status))) {
      const order = [...now].sort((a, b) => a.queue.admittedAt.localeCompare(b.queue.admittedAt)).map((r) => r.runId);
      return { final: now, mostRunning, sawQueuedWithPosition, order };
    }
  }
  throw new Error(`the runs did not end in time:\n${stack.output().slice(-4000)}`);
}

beforeAll(async () => {
  stack = await startStack({
    env: { BERTH_QUEUES_FILE: queuesFile, BERTH_ECS_RUNTIME: 'process', BERTH_SFN_ECS_POLL_MS: '100' },
  });
  const res = await call('POST', '/task-definitions', {
    family: 'it-queue-sleep',
    requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'main', image: 'busybox', memory: 32, command: ['sleep', '3'] }],
  });
  expect(res.status).toBe(201);
  const quick = await call('POST', '/task-definitions', {
    family: 'it-queue-quick',
    requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'main', image: 'busybox', memory: 16, command: ['true'] }],
  });
  expect(quick.status).toBe(201);
});

afterAll(async () => {
  await stack?.kill();
});

it('6 runs into a queue of 2: never more than 2 at once, the rest QUEUED with positions, all SUCCEEDED in order', async () => {
  const ids: string[] = [];
  // Posted at once; priorities given so the order is priority, then arrival.
  const priorities = [0, 0, 5, 0, 5, 0];
  for (const id of await Promise.all(priorities.map((priority) => start({ queue: 'nightly', priority })))) ids.push(id);
  const { final, mostRunning, sawQueuedWithPosition, order } = await sampleUntilDone(ids, 2);
  expect(final.map((r) => r.status)).toEqual(Array(6).fill('SUCCEEDED'));
  expect(mostRunning).toBeLessThanOrEqual(2);
  expect(sawQueuedWithPosition).toBe(true);
  // The first two were admitted as they entered; after them, priority 5 before 0, each by arrival (createdAt).
  const rest = order.slice(2).map((id) => final.find((r) => r.runId === id));
  const expected = [...rest].sort(
    (a, b) => b.queue.priority - a.queue.priority || a.queue.enqueuedAt.localeCompare(b.queue.enqueuedAt),
  );
  expect(rest.map((r) => r.runId)).toEqual(expected.map((r) => r.runId));
  const listed = (await call('GET', '/runs?queue=nightly&limit=100')).body.items.map((r: Json) => r.runId);
  expect(listed).toEqual(expect.arrayContaining(ids));
});

it('a run of priority 10 posted after 4 queued runs of priority 0 is admitted next', async () => {
  const holder = await start({ queue: 'single' });
  await eventually('the first run to hold the slot', async () =>
    (await view(holder)).queue?.admittedAt ? true : undefined,
  );
  const low: string[] = [];
  for (let i = 0; i < 4; i++) low.push(await start({ queue: 'single' }));
  await eventually('4 runs QUEUED', async () =>
    (await views(low)).every((r) => r.status === 'QUEUED') ? true : undefined,
  );
  const urgent = await start({ queue: 'single', priority: 10 });
  const queued = await eventually('the urgent run QUEUED at position 1', async () => {
    const v = await view(urgent);
    return v.status === 'QUEUED' && v.queue.position === 1 ? v : undefined;
  });
  expect(queued.waitingFor).toMatch(/^A slot in queue single: 1 of 1 are held/);
  const { order } = await sampleUntilDone([holder, ...low, urgent], 1);
  expect(order).toEqual([holder, urgent, ...low]);
});

it('a paused queue holds new runs QUEUED; resuming admits them', async () => {
  const paused = await call('POST', '/queues/nightly/pause');
  expect(paused).toMatchObject({ status: 200, body: { name: 'nightly', paused: true, maxConcurrentRuns: 2 } });
  const ids = [await start({ queue: 'nightly' }), await start({ queue: 'nightly' })];
  await eventually('both QUEUED', async () =>
    (await views(ids)).every((r) => r.status === 'QUEUED') ? true : undefined,
  );
  // Held for a while: nothing admits while paused.
  await sleep(1500);
  const held = await views(ids);
  expect(held.map((r) => r.status)).toEqual(['QUEUED', 'QUEUED']);
  expect(held[0].waitingFor).toBe('Queue nightly to be resumed (it is paused).');
  expect((await call('GET', '/queues/nightly')).body).toMatchObject({ paused: true, queued: 2, running: 0 });
  const cli = await berthCli(stack.api, ['queues', 'list']);
  expect(cli.stdout).toMatch(/nightly\s+2\s+0\s+2\s+\d+s\s+paused/);

  const resumed = await call('POST', '/queues/nightly/resume');
  expect(resumed.body).toMatchObject({ paused: false });
  const { final } = await sampleUntilDone(ids, 2);
  expect(final.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
});

it('a queue with no limit admits a run at POST /runs, and its execution skips Enter Queue; paused, it holds runs', async () => {
  const quick = await call('POST', '/runs', { taskDefinition: 'it-queue-quick' });
  expect(quick.status).toBe(202);
  // Admitted by POST /runs itself: the first read already says so.
  const first = await view(quick.body.runId);
  expect(first.queue).toMatchObject({ name: 'default', admittedAt: first.createdAt });
  const [ended] = (await sampleUntilDone([quick.body.runId], 1)).final;
  expect(ended.status).toBe('SUCCEEDED');
  const history = await executionHistory(quick.body.runId);
  const entered = history.flatMap((e) => (e.stateEnteredEventDetails?.name ? [e.stateEnteredEventDetails.name] : []));
  expect(entered.slice(0, 2)).toEqual(['Admitted At Start', 'Check Capacity']);

  // Paused, the same queue holds a new run in the workflow's Enter Queue until it is resumed.
  expect((await call('POST', '/queues/default/pause')).status).toBe(200);
  try {
    const held = await start({ taskDefinition: 'it-queue-quick' });
    await eventually('the run to wait QUEUED', async () => ((await view(held)).status === 'QUEUED' ? true : undefined));
    expect((await view(held)).waitingFor).toBe('Queue default to be resumed (it is paused).');
    expect((await call('POST', '/queues/default/resume')).status).toBe(200);
    expect((await sampleUntilDone([held], 1)).final[0].status).toBe('SUCCEEDED');
  } finally {
    await call('POST', '/queues/default/resume');
  }
  expect((await call('GET', '/queues/default')).body).toMatchObject({ running: 0, queued: 0 });
});

it('a run waiting past maxQueuedSeconds fails, saying what it waited for', async () => {
  const holder = await start({ queue: 'impatient' });
  await eventually('the first run to hold the slot', async () =>
    (await view(holder)).queue?.admittedAt ? true : undefined,
  );
  const waiting = await start({ queue: 'impatient' });
  const ended = await eventually('the waiting run to end', async () => {
    const v = await view(waiting);
    return TERMINAL.includes(v.status) ? v : undefined;
  });
  expect(ended.status).toBe('FAILED');
  expect(ended.error.code).toBe('QueueTimeLimitExceeded');
  expect(ended.error.message).toMatch(/maxQueuedSeconds \(2 s\) for a slot in queue impatient \(limit 1\)/);
  expect((await sampleUntilDone([holder], 1)).final[0].status).toBe('SUCCEEDED');
  // The expired run left the queue: nothing waits, and the slot went back.
  expect((await call('GET', '/queues/impatient')).body).toMatchObject({ running: 0, queued: 0 });
});

it('refuses a queue the file does not have, naming the field', async () => {
  const res = await call('POST', '/runs', { taskDefinition: 'it-queue-sleep', queue: 'nope' });
  expect(res.status).toBe(400);
  expect(JSON.stringify(res.body)).toContain('$.queue');
  expect((await call('GET', '/queues/nope')).status).toBe(404);
});

it('100 POSTs at once into a queue of limit 3: never more than 3 hold slots, and every run succeeds', async () => {
  const posted = await Promise.all(
    Array.from({ length: 100 }, () => call('POST', '/runs', { taskDefinition: 'it-queue-quick', queue: 'three' })),
  );
  expect(posted.map((r) => r.status)).toEqual(Array(100).fill(202));
  const ids = posted.map((r) => r.body.runId as string);
  let samples = 0;
  let most = 0;
  await eventually(
    'the 100 runs to end',
    async () => {
      const [queue, page] = await Promise.all([
        call('GET', '/queues/three'),
        call('GET', '/runs?queue=three&limit=100'),
      ]);
      samples++;
      const running = page.body.items.filter((r: Json) => r.status === 'RUNNING').length;
      most = Math.max(most, queue.body.running, running);
      if (queue.body.running > 3 || running > 3)
        throw new Error(`more than 3 hold slots: ${JSON.stringify(queue.body)}`);
      const ended = page.body.items.filter((r: Json) => ids.includes(r.runId) && TERMINAL.includes(r.status));
      return ended.length === 100 ? ended : undefined;
    },
    240_000,
  );
  const final = await views(ids);
  expect(final.filter((r) => r.status !== 'SUCCEEDED').map((r) => [r.runId, r.status, r.error])).toEqual([]);
  expect(samples).toBeGreaterThan(5);
  expect(most).toBeGreaterThanOrEqual(1);
  expect((await call('GET', '/queues/three')).body).toMatchObject({ running: 0, queued: 0 });
});
