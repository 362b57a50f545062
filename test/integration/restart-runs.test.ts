/**
 * Issue 8's acceptance for restarts: kill -9 of the whole local stack (`npm start`'s process group) with 20 runs
 * in flight, some running `sleep 5` as host processes, the others waiting for capacity on a small cluster; a
 * restart on the same state directory; and every run ends as it would have without the crash: SUCCEEDED, one
 * attempt (one ECS task) each, exit code 0, and no container process left behind.
 *
 * The cluster is two instances of 1024 CPU units and each task takes 512, so four run at once and the other
 * runs wait (capacity checks every second). Waits poll with deadlines; the bounds are generous for a loaded
 * 2-core machine.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ECSClient, ListTasksCommand } from '@aws-sdk/client-ecs';
import { type Stack, startStack } from './stack';

jest.setTimeout(150_000);

const RUNS = 20;
let stack: Stack | undefined;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
type View = any;

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function views(api: string, runIds: string[]): Promise<View[]> {
  return Promise.all(
    runIds.map(async (runId) => {
      const res = await fetch(`${api}/runs/${runId}`);
      if (res.status !== 200) throw new Error(`GET /runs/${runId} answered ${res.status}: ${await res.text()}`);
      return res.json();
    }),
  );
}

/** Live (not zombie) processes that are containers of this stack: their HOME is under its state directory. */
function containerProcesses(stateDir: string): number[] {
  const mark = `HOME=${path.join(stateDir, 'ecs-scratch')}`;
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2)[0] === 'Z') continue;
      if (
        readFileSync(`/proc/${name}/environ`, 'utf8')
          .split('\0')
          .some((entry) => entry.startsWith(mark))
      ) {
        found.push(Number(name));
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

afterAll(async () => {
  await stack?.kill();
});

it('resumes 20 in-flight runs after a kill -9 of the stack: each SUCCEEDS with one attempt, exit code 0', async () => {
  const configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-it-cluster-'));
  const clusterConfig = path.join(configDir, 'cluster.json');
  writeFileSync(
    clusterConfig,
    JSON.stringify({ clusters: [{ name: 'default', instances: [{ count: 2, cpu: 1024, memory: 2048 }] }] }),
  );
  const env = { BERTH_CLUSTER_CONFIG: clusterConfig, BERTH_SFN_ECS_POLL_MS: '100' };
  const first = await startStack({ env });
  stack = first;
  const { stateDir } = first;

  const registered = await fetch(`${first.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      family: 'restart-sleeper',
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 512, memory: 128, command: ['sleep', '5'] }],
    }),
  });
  expect(registered.status).toBe(201);

  // One at a time: a burst on a fresh stack is another item's concern (issue 8, item 6).
  const runIds: string[] = [];
  for (let i = 0; i < RUNS; i++) {
    const res = await fetch(`${first.api}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        taskDefinition: 'restart-sleeper:1',
        capacity: { waitSeconds: 300, checkIntervalSeconds: 1 },
      }),
    });
    const body = (await res.json()) as { runId: string };
    if (res.status !== 202) throw new Error(`POST /runs answered ${res.status}: ${JSON.stringify(body)}`);
    runIds.push(body.runId);
  }

  // In flight: tasks running as host processes (one started within the last 2.5 s, so that it is sure to outlive
  // the kill), and runs waiting for room.
  const firstSeen = new Map<number, number>();
  await until(
    'runs both running and waiting for capacity',
    async () => {
      const all = await views(first.api, runIds);
      const running = all.filter((v) => v.status === 'RUNNING' && v.attempts[0]?.taskArns.length > 0).length;
      const waiting = all.filter((v) => v.status === 'WAITING_FOR_CAPACITY').length;
      const now = Date.now();
      for (const pid of containerProcesses(stateDir)) if (!firstSeen.has(pid)) firstSeen.set(pid, now);
      const young = [...firstSeen].some(
        ([pid, seen]) => now - seen < 2500 && containerProcesses(stateDir).includes(pid),
      );
      return running >= 2 && waiting >= 8 && young ? true : undefined;
    },
    45_000,
  );
  await first.kill();
  stack = undefined;
  // The containers are no part of the stack's process group: a kill -9 of the group leaves them running.
  const survivors = containerProcesses(stateDir);
  expect(survivors.length).toBeGreaterThan(0);
  await until('the stack to be gone', async () => (first.anyAlive() ? undefined : true), 10_000);

  const second = await startStack({ env, stateDir });
  stack = second;
  const ended = await until(
    'every run to end',
    async () => {
      const all = await views(second.api, runIds);
      return all.every((v) => ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'].includes(v.status)) ? all : undefined;
    },
    90_000,
  );
  for (const view of ended) {
    const summary = JSON.stringify({ status: view.status, attempts: view.attempts, error: view.error });
    if (view.status !== 'SUCCEEDED' || view.attempts.length !== 1) {
      throw new Error(`run ${view.runId} did not end as without the crash: ${summary}`);
    }
    expect(view.attempts[0]).toMatchObject({
      attempt: 1,
      outcome: 'SUCCEEDED',
      containers: [{ name: 'main', exitCode: 0 }],
    });
  }

  // One ECS task per run: RunTask with the run's ClientToken re-attached to the task it had started.
  const ecs = new ECSClient({
    endpoint: second.aws,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  try {
    for (const runId of runIds) {
      const stopped = await ecs.send(new ListTasksCommand({ startedBy: runId, desiredStatus: 'STOPPED' }));
      const running = await ecs.send(new ListTasksCommand({ startedBy: runId }));
      expect([runId, stopped.taskArns?.length, running.taskArns?.length]).toEqual([runId, 1, 0]);
    }
  } finally {
    ecs.destroy();
  }
  await until(
    'no container process to be left',
    async () => (containerProcesses(stateDir).length === 0 ? true : undefined),
    10_000,
  );
});
