/**
 * The run store through the real local stack (`npm start` on free ports, its own state directory), over HTTP: runs
 * are records in the local DynamoDB, kept current by the local ECS and Step Functions events through the local
 * EventBridge rules of serverless.yml's `recordRunEvent`.
 * - the issue's acceptance: two runs of the example, `?family=anjana-educative&limit=1` and its nextToken; the
 *   records in `aws dynamodb scan`;
 * - a `sleep` run reads RUNNING with its task ARN and startedAt while `.sync` still waits;
 * - a run cancelled mid-flight reads CANCELLED;
 * - list filters and full pages over 250 runs (each fails its one capacity check at once: bounded in time);
 * - kill -9 of the stack mid-run: the record converges after the restart.
 * Waits poll with deadlines; the bounds are generous for a loaded 2-core machine.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeExecutionCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { awsCli } from '../conformance/aws-cli';
import { type Stack, startStack } from './stack';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '..', '..');
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
type Json = any;

let stack: Stack;
let sfn: SFNClient;

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stack?.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function call(method: string, route: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${stack.api}${route}`, {
    method,
    ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : JSON.parse(text) };
}

async function register(definition: unknown) {
  const res = await call('POST', '/task-definitions', definition);
  if (res.status !== 201) throw new Error(`registering answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body;
}

async function post(run: unknown): Promise<string> {
  const res = await call('POST', '/runs', run);
  if (res.status !== 202) throw new Error(`POST /runs answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.runId;
}

const view = async (runId: string) => (await call('GET', `/runs/${runId}`)).body;

async function executionStatus(runId: string): Promise<string | undefined> {
  const machines = await sfn.send(new ListStateMachinesCommand({}));
  const arn = machines.stateMachines?.find((m) => m.name?.endsWith('-run-task'))?.stateMachineArn;
  const out = await sfn.send(
    new DescribeExecutionCommand({ executionArn: `${arn?.replace(':stateMachine:', ':execution:')}:${runId}` }),
  );
  return out.status;
}

/** Every page of a list, checking that every page but the last is full. */
async function everyPage(query: string, limit: number): Promise<Json[]> {
  const items: Json[] = [];
  let token: string | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await call('GET', `/runs?${query}&limit=${limit}${token ? `&nextToken=${token}` : ''}`);
    expect(res.status).toBe(200);
    items.push(...res.body.items);
    token = res.body.nextToken;
    if (token === undefined) return items;
    expect(res.body.items).toHaveLength(limit);
  }
  throw new Error('more than 100 pages');
}

const newestFirst = (items: Json[]) => items.every((item, i) => i === 0 || items[i - 1].createdAt >= item.createdAt);

beforeAll(async () => {
  stack = await startStack({ env: { BERTH_SFN_ECS_POLL_MS: '100' } });
  sfn = new SFNClient({
    endpoint: stack.aws,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await register(JSON.parse(readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8')));
  await register({
    family: 'sleeper',
    requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 128, memory: 64, command: ['sleep', '8'] }],
  });
});

afterAll(async () => {
  sfn?.destroy();
  await stack?.kill();
});

it('acceptance: two runs of the example, one per page by family, and the records in the table', async () => {
  const first = await post({ taskDefinition: 'anjana-educative' });
  const second = await post({ taskDefinition: 'anjana-educative' });
  const page1 = await call('GET', '/runs?family=anjana-educative&limit=1');
  expect(page1.status).toBe(200);
  expect(page1.body.items.map((i: Json) => i.runId)).toEqual([second]);
  expect(page1.body.nextToken).toEqual(expect.any(String));
  const page2 = await call('GET', `/runs?family=anjana-educative&limit=1&nextToken=${page1.body.nextToken}`);
  expect(page2.body.items.map((i: Json) => i.runId)).toEqual([first]);

  const other = await call('GET', `/runs?status=RUNNING&limit=1&nextToken=${page1.body.nextToken}`);
  expect(other.status).toBe(400);
  expect(other.body.errors.map((e: Json) => e.path)).toEqual(['$.nextToken']);

  const scan = await awsCli('dynamodb', stack.aws, 'scan', '--table-name', 'berth-dev-runs');
  expect(scan.code).toBe(0);
  const ids = JSON.parse(scan.stdout).Items.map((item: Json) => item.runId.S);
  expect(ids).toEqual(expect.arrayContaining([first, second]));

  for (const runId of [first, second]) {
    await until(`run ${runId} to succeed`, async () => ((await view(runId)).status === 'SUCCEEDED' ? true : undefined));
  }
  expect(await view(first)).toMatchObject({
    status: 'SUCCEEDED',
    family: 'anjana-educative',
    attempts: [
      { attempt: 1, outcome: 'SUCCEEDED', stopCode: 'EssentialContainerExited', containers: [{ exitCode: 0 }] },
    ],
  });
});

it('a sleep run reads RUNNING with its task ARN and startedAt while .sync still waits, then SUCCEEDED', async () => {
  const runId = await post({ taskDefinition: 'sleeper', launchType: 'EC2' });
  const running = await until('the run to read RUNNING with its task', async () => {
    const v = await view(runId);
    return v.status === 'RUNNING' && v.startedAt !== undefined && v.attempts[0]?.taskArns.length === 1 ? v : undefined;
  });
  // The workflow is still in its Run Task state: the record learnt RUNNING from ECS's own event.
  expect(await executionStatus(runId)).toBe('RUNNING');
  expect(running.attempts[0]).toMatchObject({ attempt: 1, outcome: 'RUNNING', startedAt: running.startedAt });
  expect(running.attempts[0].taskArns[0]).toMatch(/^arn:aws:ecs:[^:]+:\d{12}:task\/default\/[0-9a-f]{32}$/);
  const done = await until('the run to succeed', async () => {
    const v = await view(runId);
    return v.status === 'SUCCEEDED' ? v : undefined;
  });
  expect(done.attempts[0]).toMatchObject({ taskArns: running.attempts[0].taskArns, containers: [{ exitCode: 0 }] });
});

it('a run cancelled mid-flight reads CANCELLED, and stays so once the execution has ended', async () => {
  const runId = await post({ taskDefinition: 'sleeper', launchType: 'EC2' });
  await until('the run to run', async () => ((await view(runId)).status === 'RUNNING' ? true : undefined));
  const cancelled = await call('POST', `/runs/${runId}/cancel`);
  expect(cancelled.status).toBe(202);
  expect((await view(runId)).status).toBe('CANCELLED');
  await until('the execution to be aborted', async () =>
    (await executionStatus(runId)) === 'ABORTED' ? true : undefined,
  );
  const stopped = await until('the cancelled task to be recorded STOPPED', async () => {
    const v = await view(runId);
    return v.attempts[0]?.stoppedAt !== undefined ? v : undefined;
  });
  expect(stopped).toMatchObject({
    status: 'CANCELLED',
    error: { code: 'Berth.Cancelled' },
    attempts: [{ outcome: 'CANCELLED', stopCode: expect.any(String) }],
  });
  expect((await call('POST', `/runs/${runId}/cancel`)).status).toBe(409);
});

it('lists 250 runs by family, trigger, status and time with full pages, newest first', async () => {
  await register({
    family: 'too-big',
    requiresCompatibilities: ['EC2'],
    containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 4096, memory: 64 }],
  });
  // Each run fails its one capacity check (no instance has 4096 CPU units; waitSeconds 0): cheap and quick.
  const body = (startedBy: string) => ({
    taskDefinition: 'too-big',
    launchType: 'EC2',
    startedBy,
    capacity: { waitSeconds: 0 },
  });
  const posted: string[] = [];
  const plan = [...Array(150).fill('alpha'), ...Array(100).fill('beta')] as string[];
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < plan.length) posted.push(await post(body(plan[next++]!)));
    }),
  );
  expect(new Set(posted).size).toBe(250);

  const byFamily = await everyPage('family=too-big', 100);
  expect(byFamily.map((i) => i.runId).sort()).toEqual([...posted].sort());
  expect(newestFirst(byFamily)).toBe(true);

  const beta = await everyPage('trigger=beta', 30);
  expect(beta).toHaveLength(100);
  expect(beta.every((i) => i.trigger.name === 'beta' && i.family === 'too-big')).toBe(true);

  const alpha = byFamily.filter((i) => i.trigger.name === 'alpha');
  const [newest, oldest] = [byFamily[49].createdAt, byFamily[99].createdAt];
  const range = await everyPage(`family=too-big&createdAfter=${oldest}&createdBefore=${newest}`, 25);
  expect(range.map((i) => i.runId)).toEqual(
    byFamily.filter((i) => i.createdAt >= oldest && i.createdAt <= newest).map((i) => i.runId),
  );
  expect(alpha).toHaveLength(150);

  await until(
    'all 250 runs to fail their capacity check',
    async () => ((await everyPage('family=too-big', 100)).every((i) => i.status === 'FAILED') ? true : undefined),
    180_000,
  );
  const failed = await everyPage('status=FAILED', 100);
  expect(failed.map((i) => i.runId)).toEqual(expect.arrayContaining(posted));
  expect(newestFirst(failed)).toBe(true);
  expect(await view(posted[0]!)).toMatchObject({
    status: 'FAILED',
    error: { code: 'InsufficientCapacity' },
    capacity: { fits: false, shortfall: { tasks: 1 } },
  });
});

it('kill -9 of the stack mid-run: the record converges after the restart', async () => {
  const runId = await post({ taskDefinition: 'sleeper', launchType: 'EC2' });
  await until('the run to run', async () => ((await view(runId)).status === 'RUNNING' ? true : undefined));
  const stateDir = stack.stateDir;
  await stack.kill();
  stack = await startStack({ stateDir, env: { BERTH_SFN_ECS_POLL_MS: '100' } });
  sfn.destroy();
  sfn = new SFNClient({
    endpoint: stack.aws,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const done = await until(
    'the record to converge to SUCCEEDED',
    async () => {
      const v = await view(runId);
      return v.status === 'SUCCEEDED' && v.attempts[0]?.stoppedAt !== undefined ? v : undefined;
    },
    120_000,
  );
  expect(done.attempts).toHaveLength(1);
  expect(done.attempts[0]).toMatchObject({ outcome: 'SUCCEEDED', containers: [{ exitCode: 0 }] });
});
