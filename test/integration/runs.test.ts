/**
 * The /runs API over HTTP against the real local stack (`npm start`): what POST /runs refuses before
 * any execution starts, how GET/cancel answer for runs that do not exist, and issue 4's acceptance:
 * runs through the local Step Functions engine, the real Lambdas and the local ECS cluster, from
 * POST /runs to their terminal status.
 *
 * Time is scaled (BERTH_SFN_TIME_SCALE) so a capacity check interval of 1 s lasts 50 ms; tests poll
 * with a deadline, never a fixed sleep. The cluster is two instances of 1024 CPU units, so "more CPU
 * than any instance has" and "busy" are easy to arrange.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { type Stack, startStack } from './stack';

jest.setTimeout(180_000);

const example = readFileSync(path.join(__dirname, '..', '..', 'examples', 'anjana-educative.json'), 'utf8');
const INSTANCE_CPU = 1024;
let stack: Stack;
let ecs: ECSClient;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
const json = (res: Response): Promise<any> => res.json();
const postRun = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${stack.api}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  const configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-it-cluster-'));
  const clusterConfig = path.join(configDir, 'cluster.json');
  writeFileSync(
    clusterConfig,
    JSON.stringify({ clusters: [{ name: 'default', instances: [{ count: 2, cpu: INSTANCE_CPU, memory: 2048 }] }] }),
  );
  stack = await startStack({
    env: { BERTH_SFN_TIME_SCALE: '0.05', BERTH_SFN_ECS_POLL_MS: '50', BERTH_CLUSTER_CONFIG: clusterConfig },
  });
  ecs = new ECSClient({
    endpoint: stack.aws,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const registered = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: example,
  });
  expect(registered.status).toBe(201);
});

afterAll(async () => {
  ecs?.destroy();
  await stack?.kill();
});

it('refuses an invalid body with every violation and its JSONPath', async () => {
  const res = await postRun({ taskDefinition: 'anjana-educative:1', count: 11, retry: { attempts: 0 }, image: 'x' });
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const problem = await json(res);
  expect(problem.errors.map((e: { path: string }) => e.path)).toEqual(['$.count', '$.retry.attempts', '$.image']);
});

it('answers 404 naming a task definition the local ECS endpoint does not know', async () => {
  const res = await postRun({ taskDefinition: 'anjana-educative:99' });
  expect(res.status).toBe(404);
  expect(await json(res)).toMatchObject({ detail: 'Task definition anjana-educative:99 does not exist.' });
});

it('answers 400 for an override naming a container the definition lacks', async () => {
  const res = await postRun({
    taskDefinition: 'anjana-educative:1',
    overrides: { containerOverrides: [{ name: 'web', command: ['true'] }] },
  });
  expect(res.status).toBe(400);
  expect((await json(res)).errors).toEqual([
    {
      path: '$.overrides.containerOverrides[0].name',
      message: 'Override for container named web is not a container in the TaskDefinition.',
    },
  ]);
});

it('answers 400 for an Idempotency-Key over 64 characters', async () => {
  const res = await postRun({ taskDefinition: 'anjana-educative:1' }, { 'Idempotency-Key': 'k'.repeat(65) });
  expect(res.status).toBe(400);
});

it('answers 404 for a run that does not exist, to GET and to cancel', async () => {
  const get = await fetch(`${stack.api}/runs/no-such-run`);
  expect(get.status).toBe(404);
  expect(await json(get)).toMatchObject({ detail: 'Run no-such-run does not exist.' });
  const cancel = await fetch(`${stack.api}/runs/no-such-run/cancel`, { method: 'POST' });
  expect(cancel.status).toBe(404);
});

// ---------------------------------------------------------------------------------------------
// Issue 4's acceptance: runs to their end
// ---------------------------------------------------------------------------------------------

const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

/** Polls `check` until it returns a value, failing with `what` (and the last value seen) past the deadline. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// biome-ignore lint/suspicious/noExplicitAny: run views are asserted on, not typed.
const getRun = async (runId: string): Promise<any> => {
  const res = await fetch(`${stack.api}/runs/${runId}`);
  expect(res.status).toBe(200);
  return json(res);
};

// biome-ignore lint/suspicious/noExplicitAny: run views are asserted on, not typed.
const runUntil = (runId: string, what: string, done: (view: any) => boolean): Promise<any> =>
  until(`run ${runId} ${what}`, async () => {
    const view = await getRun(runId);
    return done(view) ? view : undefined;
  });

/** Waits for the run's terminal status and checks it is the expected one (the view is in the message if not). */
async function finished(runId: string, status: string) {
  const view = await runUntil(runId, 'to finish', (v) => TERMINAL.includes(v.status));
  if (view.status !== status)
    throw new Error(`run ${runId} ended ${view.status}, not ${status}: ${JSON.stringify(view)}`);
  return view;
}

async function started(body: unknown, headers: Record<string, string> = {}): Promise<string> {
  const res = await postRun(body, headers);
  const answer = await json(res);
  if (res.status !== 202) throw new Error(`POST /runs answered ${res.status}: ${JSON.stringify(answer)}`);
  expect(answer).toEqual({ runId: expect.any(String), status: 'PENDING' });
  expect(res.headers.get('location')).toBe(`/runs/${answer.runId}`);
  return answer.runId;
}

const withCommand = (command: string[]) => ({ containerOverrides: [{ name: 'anjana', command }] });

async function describeTasks(arns: string[]): Promise<Task[]> {
  const out = await ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: arns }));
  return out.tasks ?? [];
}

describe('runs to their end', () => {
  it('runs the example to SUCCEEDED with the attempt exit code 0', async () => {
    const runId = await started({ taskDefinition: 'anjana-educative:1' });
    const view = await finished(runId, 'SUCCEEDED');
    expect(view).toMatchObject({
      runId,
      taskDefinitionArn: expect.stringMatching(/:task-definition\/anjana-educative:1$/),
      cluster: 'default',
      trigger: { type: 'api' },
      capacity: { fits: true, placeableCount: 1, instanceCount: 2 },
    });
    expect(view.error).toBeUndefined();
    expect(view.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'SUCCEEDED',
        taskArns: [expect.stringMatching(/^arn:aws:ecs:[a-z0-9-]+:\d{12}:task\/default\/[0-9a-f]{32}$/)],
        containers: [{ name: 'anjana', exitCode: 0 }],
        stopCode: 'EssentialContainerExited',
      }),
    ]);
    const [task] = await describeTasks(view.attempts[0].taskArns);
    expect(task).toMatchObject({ lastStatus: 'STOPPED', startedBy: runId, group: `berth:${runId}:1` });
  });

  it('retries exit code 3 as the RETRY rule says until 3 attempts are used, then fails', async () => {
    const runId = await started({
      taskDefinition: 'anjana-educative:1',
      overrides: withCommand(['sh', '-c', 'exit 3']),
      retry: { attempts: 3, evaluateOnExit: [{ onExitCode: '3', action: 'RETRY' }] },
    });
    const view = await finished(runId, 'FAILED');
    expect(view.attempts).toHaveLength(3);
    expect(view.attempts.map((a: { containers: unknown }) => a.containers)).toEqual([
      [{ name: 'anjana', exitCode: 3 }],
      [{ name: 'anjana', exitCode: 3 }],
      [{ name: 'anjana', exitCode: 3 }],
    ]);
    expect(view.attempts.map((a: { retry: { decision: string } }) => a.retry.decision)).toEqual([
      'RETRY',
      'RETRY',
      'EXIT',
    ]);
    // Three distinct ECS tasks, all started for this run.
    const arns = view.attempts.flatMap((a: { taskArns: string[] }) => a.taskArns);
    expect(new Set(arns).size).toBe(3);
    for (const task of await describeTasks(arns)) expect(task.startedBy).toBe(runId);
    expect(view.error).toEqual({
      code: 'TaskFailed',
      message: 'Container anjana exited with code 3 on attempt 3 of 3.',
    });
  });

  it('ends after one attempt when an EXIT rule matches exit code 3', async () => {
    const runId = await started({
      taskDefinition: 'anjana-educative:1',
      overrides: withCommand(['sh', '-c', 'exit 3']),
      retry: { attempts: 3, evaluateOnExit: [{ onExitCode: '3', action: 'EXIT' }] },
    });
    const view = await finished(runId, 'FAILED');
    expect(view.attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        outcome: 'FAILED',
        containers: [{ name: 'anjana', exitCode: 3 }],
        retry: { decision: 'EXIT', why: expect.stringContaining('evaluateOnExit[0]') },
      }),
    ]);
    expect(view.error.code).toBe('TaskFailed');
  });

  it('fails with InsufficientCapacity and the shortfall when the task needs more CPU than any instance has', async () => {
    const runId = await started({
      taskDefinition: 'anjana-educative:1',
      overrides: { cpu: String(INSTANCE_CPU * 2) },
      capacity: { waitSeconds: 5, checkIntervalSeconds: 1 },
    });
    const view = await finished(runId, 'FAILED');
    expect(view.attempts).toEqual([]);
    expect(view.capacity).toEqual({
      checkedAt: expect.any(String),
      fits: false,
      placeableCount: 0,
      instanceCount: 2,
      // The room the unplaced task would reserve (lib/placement's Shortfall): the example's 512 MiB too.
      shortfall: { tasks: 1, cpu: INSTANCE_CPU * 2, memory: 512, reason: 'RESOURCE:CPU' },
    });
    expect(view.error).toEqual({
      code: 'InsufficientCapacity',
      message: expect.stringMatching(/^1 of 1 task does not fit .* after waiting 5 s: it needs 2048 CPU units/),
    });
    const listed = await ecs.send(
      new ListTasksCommand({ cluster: 'default', startedBy: runId, desiredStatus: 'STOPPED' }),
    );
    expect(listed.taskArns).toEqual([]);
  });

  it('waits while other tasks hold the CPU and starts once they stop, then succeeds', async () => {
    // Two long simulated tasks, one per instance, each holding half of it.
    const blocker = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'berth-it-blocker',
        containerDefinitions: [
          {
            name: 'main',
            image: 'busybox',
            cpu: INSTANCE_CPU / 2,
            memory: 128,
            dockerLabels: { 'berth.simulate.seconds': '600' },
          },
        ],
      }),
    );
    const placed = await ecs.send(
      new RunTaskCommand({
        cluster: 'default',
        taskDefinition: blocker.taskDefinition?.taskDefinitionArn,
        launchType: 'EC2',
        count: 2,
        placementConstraints: [{ type: 'distinctInstance' }],
      }),
    );
    expect(placed.failures).toEqual([]);
    const blockers = (placed.tasks ?? []).map((t) => t.taskArn ?? '');

    // The run needs a whole instance.
    const runId = await started({
      taskDefinition: 'anjana-educative:1',
      overrides: { cpu: String(INSTANCE_CPU) },
      capacity: { waitSeconds: 300, checkIntervalSeconds: 1 },
    });
    const waiting = await runUntil(runId, 'to wait for capacity', (v) => v.status === 'WAITING_FOR_CAPACITY');
    expect(waiting.attempts).toEqual([]);
    expect(waiting.capacity).toMatchObject({
      fits: false,
      shortfall: { tasks: 1, cpu: INSTANCE_CPU, memory: 512, reason: 'RESOURCE:CPU' },
    });
    expect((await getRun(runId)).status).toBe('WAITING_FOR_CAPACITY');

    await Promise.all(blockers.map((task) => ecs.send(new StopTaskCommand({ cluster: 'default', task }))));
    const view = await finished(runId, 'SUCCEEDED');
    const stoppedBlockers = await describeTasks(blockers);
    expect(stoppedBlockers.map((t) => t.lastStatus)).toEqual(['STOPPED', 'STOPPED']);
    const lastBlockerStop = Math.max(...stoppedBlockers.map((t) => t.stoppedAt?.getTime() ?? Number.NaN));
    const [attempt] = view.attempts;
    expect(attempt).toMatchObject({ outcome: 'SUCCEEDED', containers: [{ name: 'anjana', exitCode: 0 }] });
    const [task] = await describeTasks(attempt.taskArns);
    // Created (placed) only after the blockers released the CPU.
    expect(task?.createdAt?.getTime()).toBeGreaterThanOrEqual(lastBlockerStop);
    expect(view.capacity).toMatchObject({ fits: true });
  });

  it('starts one run and one ECS task for an Idempotency-Key posted twice', async () => {
    const body = { taskDefinition: 'anjana-educative:1' };
    const key = `it-${Date.now()}`;
    const first = await postRun(body, { 'Idempotency-Key': key });
    expect(first.status).toBe(202);
    const { runId } = await json(first);
    const again = await postRun(body, { 'Idempotency-Key': key });
    expect(again.status).toBe(200);
    expect((await json(again)).runId).toBe(runId);
    await finished(runId, 'SUCCEEDED');
    // Posted again after the end: still the same run, nothing new started.
    const late = await postRun(body, { 'Idempotency-Key': key });
    expect(late.status).toBe(200);
    expect(await json(late)).toEqual({ runId, status: 'SUCCEEDED' });
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: 'default', startedBy: runId, desiredStatus: 'STOPPED' }),
    );
    const running = await ecs.send(new ListTasksCommand({ cluster: 'default', startedBy: runId }));
    expect(stopped.taskArns).toHaveLength(1);
    expect(running.taskArns).toEqual([]);
    // Another body under the same key is a conflict.
    const other = await postRun({ ...body, count: 2 }, { 'Idempotency-Key': key });
    expect(other.status).toBe(409);
  });

  it('starts one run for an Idempotency-Key posted twice at once', async () => {
    const body = { taskDefinition: 'anjana-educative:1' };
    const key = `it-race-${Date.now()}`;
    const answers = await Promise.all([
      postRun(body, { 'Idempotency-Key': key }),
      postRun(body, { 'Idempotency-Key': key }),
    ]);
    const runIds = await Promise.all(answers.map(async (res) => (await json(res)).runId));
    expect(answers.map((res) => res.status).sort()).toEqual([200, 202]);
    expect(runIds[0]).toBe(runIds[1]);
    await finished(runIds[0], 'SUCCEEDED');
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: 'default', startedBy: runIds[0], desiredStatus: 'STOPPED' }),
    );
    expect(stopped.taskArns).toHaveLength(1);
  });

  it('cancels a sleep 600 run: its ECS task stops with a reason naming the cancel, the run reads CANCELLED', async () => {
    const runId = await started({ taskDefinition: 'anjana-educative:1', overrides: withCommand(['sleep', '600']) });
    const running = await runUntil(
      runId,
      'to run',
      (v) => v.status === 'RUNNING' && v.attempts[0]?.taskArns.length > 0,
    );
    const taskArn: string = running.attempts[0].taskArns[0];
    await until('the task to be RUNNING', async () =>
      (await describeTasks([taskArn]))[0]?.lastStatus === 'RUNNING' ? true : undefined,
    );

    const cancel = await fetch(`${stack.api}/runs/${runId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(202);
    expect(await json(cancel)).toMatchObject({ runId, status: 'CANCELLED' });

    const view = await finished(runId, 'CANCELLED');
    expect(view.error).toMatchObject({ code: 'Berth.Cancelled', message: expect.stringContaining('cancelled') });
    const task = await until('the task to stop', async () => {
      const [t] = await describeTasks([taskArn]);
      return t?.lastStatus === 'STOPPED' ? t : undefined;
    });
    expect(task.stopCode).toBe('UserInitiated');
    expect(task.stoppedReason).toMatch(/Berth\.Cancelled/);
    expect(task.containers?.[0]?.exitCode).toBe(143); // SIGTERM: sleep was stopped, not left to run
    // The run view tells the attempt as ECS does, though the history has no task output after the abort.
    const cancelled = await runUntil(runId, 'to show the stopped task', (v) => v.attempts[0]?.stopCode !== undefined);
    expect(cancelled.attempts).toEqual([
      expect.objectContaining({
        outcome: 'CANCELLED',
        taskArns: [taskArn],
        stopCode: 'UserInitiated',
        stoppedReason: task.stoppedReason,
        containers: [{ name: 'anjana', exitCode: 143 }],
      }),
    ]);
    // A second cancel finds nothing to cancel.
    expect((await fetch(`${stack.api}/runs/${runId}/cancel`, { method: 'POST' })).status).toBe(409);
  });

  it('lists runs filtered by status, page by page', async () => {
    const succeeded = await started({ taskDefinition: 'anjana-educative:1' });
    const failed = await started({ taskDefinition: 'anjana-educative:1', overrides: withCommand(['false']) });
    await finished(succeeded, 'SUCCEEDED');
    await finished(failed, 'FAILED');

    /** Every run a status filter lists, following nextToken with pages of 2. */
    const listAll = async (status: string) => {
      const items: { runId: string; status: string }[] = [];
      let token: string | undefined;
      do {
        const query = new URLSearchParams({ status, limit: '2', ...(token !== undefined && { nextToken: token }) });
        const res = await fetch(`${stack.api}/runs?${query}`);
        expect(res.status).toBe(200);
        const page = await json(res);
        items.push(...page.items);
        token = page.nextToken;
      } while (token !== undefined);
      return items;
    };
    const ok = await listAll('SUCCEEDED');
    const bad = await listAll('FAILED');
    const cancelled = await listAll('CANCELLED');
    expect(ok.map((r) => r.runId)).toContain(succeeded);
    expect(ok.map((r) => r.runId)).not.toContain(failed);
    expect(new Set(ok.map((r) => r.status))).toEqual(new Set(['SUCCEEDED']));
    expect(bad.map((r) => r.runId)).toContain(failed);
    expect(bad.map((r) => r.runId)).not.toContain(succeeded);
    expect(new Set(bad.map((r) => r.status))).toEqual(new Set(['FAILED']));
    expect(cancelled.length).toBeGreaterThanOrEqual(1);
    expect(new Set(cancelled.map((r) => r.status))).toEqual(new Set(['CANCELLED']));
    // Newest first, unfiltered.
    const all = await json(await fetch(`${stack.api}/runs?limit=2`));
    expect(all.items.map((r: { runId: string }) => r.runId)).toEqual([failed, succeeded]);

    const wrong = await fetch(`${stack.api}/runs?status=DONE`);
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).errors[0]).toMatchObject({ path: '$.status' });
  });
});
