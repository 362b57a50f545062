/**
 * Run logs over HTTP against the real local stack (`npm start`): a definition with no log configuration gets the
 * stage's run log group, the local ECS writes its containers' output there line by line, and GET /runs/{id}/logs
 * reads it while the run goes on (following the nextToken, none lost or repeated), two containers interleaved by
 * time; `berth logs --follow` exits with the run's outcome. Tests poll with a deadline, never a fixed sleep.
 */
import { awsCliJson } from '../conformance/aws-cli';
import { berthCli, type Stack, startStack } from './stack';

jest.setTimeout(180_000);

let stack: Stack;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
const json = (res: Response): Promise<any> => res.json();

interface LogEvent {
  timestamp: number;
  message: string;
  container: string;
  taskArn: string;
  attempt: number;
}

async function register(family: string, containers: Array<{ name: string; command: string; essential?: boolean }>) {
  const res = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      family,
      containerDefinitions: containers.map(({ command, ...c }) => ({
        image: 'busybox',
        memory: 64,
        command: ['sh', '-c', command],
        ...c,
      })),
    }),
  });
  expect(res.status).toBe(201);
  return json(res);
}

async function startRun(family: string): Promise<string> {
  const res = await fetch(`${stack.api}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ taskDefinition: family }),
  });
  expect(res.status).toBe(202);
  return (await json(res)).runId;
}

async function logs(runId: string, query: Record<string, string> = {}) {
  const res = await fetch(`${stack.api}/runs/${runId}/logs?${new URLSearchParams(query)}`);
  expect(res.status).toBe(200);
  return json(res) as Promise<{ status: string; events: LogEvent[]; nextToken: string; attempt?: number }>;
}

async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; last ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

/** Reads on from `token` until the run has finished and a page brings nothing new. */
async function followToEnd(runId: string, token: string): Promise<LogEvent[]> {
  const events: LogEvent[] = [];
  let nextToken = token;
  await until(
    `run ${runId} to finish with its logs read`,
    async () => {
      const page = await logs(runId, { nextToken });
      events.push(...page.events);
      nextToken = page.nextToken;
      return page;
    },
    (page) => page.events.length === 0 && TERMINAL.includes(page.status),
  );
  return events;
}

/** `npx berth ...` against this stack. */
const cli = (args: string[]) => berthCli(stack.api, args);

beforeAll(async () => {
  stack = await startStack({ env: { BERTH_SFN_TIME_SCALE: '0.05', BERTH_SFN_ECS_POLL_MS: '50' } });
});

afterAll(async () => {
  await stack?.kill();
});

it('gives a definition with no log configuration the stage group, and reads its run while it runs', async () => {
  const td = await register('it-logs-five', [
    { name: 'main', command: 'for i in 1 2 3 4 5; do echo line $i; sleep 1; done' },
  ]);
  expect(td.containerDefinitions[0].logConfiguration).toEqual({
    logDriver: 'awslogs',
    options: {
      'awslogs-group': '/berth/dev/runs',
      'awslogs-region': 'us-east-1',
      'awslogs-stream-prefix': 'it-logs-five',
    },
  });
  const runId = await startRun('it-logs-five');
  // While it runs: the first lines, not yet all of them.
  const first = await until(
    'the first lines while the run goes on',
    () => logs(runId),
    (page) => page.events.length > 0,
  );
  expect(first.status).toBe('RUNNING');
  expect(first.events.length).toBeLessThan(5);
  expect(first.events[0]).toMatchObject({ message: 'line 1', container: 'main', attempt: 1 });
  expect(first.events[0]?.taskArn).toMatch(/^arn:aws:ecs:us-east-1:\d{12}:task\/default\/[0-9a-f]{32}$/);
  const rest = await followToEnd(runId, first.nextToken);
  expect([...first.events, ...rest].map((e) => e.message)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
  const times = [...first.events, ...rest].map((e) => e.timestamp);
  expect(times).toEqual([...times].sort((a, b) => a - b));
  // The whole output again, from the start, in one page.
  const all = await logs(runId);
  expect(all.events.map((e) => e.message)).toHaveLength(5);
  expect(all.status).toBe('SUCCEEDED');
  // The same lines through the AWS CLI, from the stream the awslogs driver names.
  const taskId = first.events[0]!.taskArn.split('/').pop();
  const cli = await awsCliJson(
    'logs',
    stack.aws,
    'get-log-events',
    '--log-group-name',
    '/berth/dev/runs',
    '--log-stream-name',
    `it-logs-five/main/${taskId}`,
    '--start-from-head',
  );
  expect(cli.events.map((e: { message: string }) => e.message)).toEqual(all.events.map((e) => e.message));
});

it('interleaves two containers by time, and reads one container alone', async () => {
  await register('it-logs-two', [
    { name: 'a', command: 'echo a1; sleep 0.8; echo a2; sleep 0.8; echo a3' },
    { name: 'b', command: 'sleep 0.4; echo b1; sleep 0.8; echo b2', essential: false },
  ]);
  const runId = await startRun('it-logs-two');
  await until(
    'the run to succeed',
    () => fetch(`${stack.api}/runs/${runId}`).then(json),
    (run) => run.status === 'SUCCEEDED',
  );
  // `b` is not essential: by default only the essential container is read.
  expect((await logs(runId)).events.map((e) => e.message)).toEqual(['a1', 'a2', 'a3']);
  const b = await logs(runId, { container: 'b' });
  expect(b.events.map((e) => `${e.container}:${e.message}`)).toEqual(['b:b1', 'b:b2']);
  const bad = await fetch(`${stack.api}/runs/${runId}/logs?container=nope`);
  expect(bad.status).toBe(400);
  // Both, through the one-page-at-a-time reader: a page of 2 at a time, merged by time.
  await register('it-logs-both', [
    { name: 'a', command: 'echo a1; sleep 0.8; echo a2; sleep 0.8; echo a3' },
    { name: 'b', command: 'trap "exit 0" TERM; sleep 0.4; echo b1; sleep 0.8; echo b2; sleep 30 & wait' },
  ]);
  const both = await startRun('it-logs-both');
  // Both are essential: `a` ends first, and ECS stops `b`, which exits 0 on SIGTERM.
  const ended = await until(
    'the run to end',
    () => fetch(`${stack.api}/runs/${both}`).then(json),
    (run) => TERMINAL.includes(run.status),
  );
  expect(ended.status).toBe('SUCCEEDED');
  const seen: LogEvent[] = [];
  let page = await logs(both, { limit: '2' });
  while (page.events.length > 0) {
    expect(page.events.length).toBeLessThanOrEqual(2);
    seen.push(...page.events);
    page = await logs(both, { limit: '2', nextToken: page.nextToken });
  }
  expect(seen.map((e) => `${e.container}:${e.message}`)).toEqual(['a:a1', 'b:b1', 'a:a2', 'b:b2', 'a:a3']);
  expect(seen.map((e) => e.timestamp)).toEqual(seen.map((e) => e.timestamp).sort((x, y) => x - y));
});

it('berth logs --follow prints container | message and exits 0 on success, non-zero on failure', async () => {
  await register('it-logs-ok', [{ name: 'main', command: 'echo hello; sleep 0.5; echo done' }]);
  await register('it-logs-fail', [{ name: 'main', command: 'echo about to fail; exit 3' }]);
  const ok = await cli(['logs', await startRun('it-logs-ok'), '--follow']);
  expect(ok.stdout).toBe('main | hello\nmain | done\n');
  expect(ok.code).toBe(0);
  const failed = await cli(['logs', await startRun('it-logs-fail'), '--follow']);
  expect(failed.stdout).toBe('main | about to fail\n');
  expect(failed.code).toBe(1);
  expect(failed.stderr).toContain('FAILED');
});

it('answers 404 for a run that does not exist and 400 for a token it did not give', async () => {
  expect((await fetch(`${stack.api}/runs/no-such-run/logs`)).status).toBe(404);
  const runId = await startRun('it-logs-ok');
  const res = await fetch(`${stack.api}/runs/${runId}/logs?nextToken=bm90LWEtdG9rZW4`);
  expect(res.status).toBe(400);
  expect((await json(res)).errors).toEqual([
    { path: '$.nextToken', message: 'nextToken is not a token this API gave for this run.' },
  ]);
});
