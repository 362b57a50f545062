/**
 * Issue 8, item 2's acceptance on the real local stack (`npm start`): with 30% of ECS calls throttled by the
 * local ECS's fault injection (BerthLocal.PutFaults), 60 runs of the example all SUCCEED, each after one
 * attempt. A transient failure (a throttled ECS call inside Check Capacity, RunTask or the .sync poll, a
 * Lambda that timed out on a loaded machine) must never fail a run that POST /runs acknowledged.
 *
 * The API may answer 503 while AWS throttles (POST /runs resolves the task definition on ECS): such a run was
 * not acknowledged, and the client retries the POST, as a client of the API would (bounded). Once a POST
 * answered 202, the run must succeed.
 *
 * Time: BERTH_SFN_TIME_SCALE shortens the workflow's Retry intervals and waits (2 s lasts 100 ms) without
 * touching the production backoffs; the cluster has room for every run at once, so nothing waits for capacity.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Stack, startStack } from './stack';

jest.setTimeout(240_000);

const RUNS = 60;
const THROTTLE_RATE = 0.3;
/** POSTs in flight at once: a steady stream of starts rather than one burst on a 2-core machine. */
const POST_CONCURRENCY = 4;
/** 503s a client accepts for one POST before giving up (each 503 means the run was not started). */
const MAX_POST_TRIES = 10;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];

const example = readFileSync(path.join(__dirname, '..', '..', 'examples', 'anjana-educative.json'), 'utf8');
let stack: Stack;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
type Json = any;

async function admin(operation: string, input: Record<string, unknown>): Promise<Json> {
  const res = await fetch(stack.aws, {
    method: 'POST',
    headers: { 'X-Amz-Target': `BerthLocal.${operation}`, 'Content-Type': 'application/x-amz-json-1.1' },
    body: JSON.stringify(input),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`BerthLocal.${operation} answered ${res.status}: ${JSON.stringify(body)}`);
  return body;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  // Room for every run at once: 4 instances x 16 copies of the example (256 CPU units, 512 MiB).
  const configDir = mkdtempSync(path.join(os.tmpdir(), 'berth-it-throttling-'));
  const clusterConfig = path.join(configDir, 'cluster.json');
  writeFileSync(
    clusterConfig,
    JSON.stringify({ clusters: [{ name: 'default', instances: [{ count: 4, cpu: 4096, memory: 16384 }] }] }),
  );
  stack = await startStack({
    env: { BERTH_SFN_TIME_SCALE: '0.05', BERTH_SFN_ECS_POLL_MS: '50', BERTH_CLUSTER_CONFIG: clusterConfig },
  });
  const registered = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: example,
  });
  expect(registered.status).toBe(201);
});

afterAll(async () => {
  await stack?.kill();
});

/** POST /runs until it is acknowledged (202), retrying 503s with a short backoff; returns the run id. */
async function startRun(tries: { count: number }): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${stack.api}/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ taskDefinition: 'anjana-educative:1' }),
    });
    const text = await res.text();
    tries.count++;
    if (res.status === 202) return (JSON.parse(text) as Json).runId;
    if (res.status !== 503 || attempt >= MAX_POST_TRIES) {
      throw new Error(`POST /runs answered ${res.status} on try ${attempt}: ${text}\n${stack.output().slice(-4000)}`);
    }
    await sleep(100 * attempt);
  }
}

/**
 * The runs' views once every one is terminal. One GET at a time: a reader polling 60 runs at once would
 * measure serverless-offline's cold workers rather than the runs.
 */
async function finished(runIds: string[], deadline: number): Promise<Map<string, Json>> {
  const views = new Map<string, Json>();
  while (views.size < runIds.length) {
    for (const runId of runIds.filter((id) => !views.has(id))) {
      const res = await fetch(`${stack.api}/runs/${runId}`);
      if (res.status === 200) {
        const view: Json = await res.json();
        if (TERMINAL.includes(view.status)) views.set(runId, view);
      } else if (res.status !== 503) {
        throw new Error(`GET /runs/${runId} answered ${res.status}: ${await res.text()}`);
      }
    }
    if (views.size === runIds.length) break;
    if (Date.now() > deadline) throw new Error(`${runIds.length - views.size} runs did not finish in time`);
    await sleep(250);
  }
  return views;
}

it(`with ${THROTTLE_RATE * 100}% of ECS calls throttled, ${RUNS} acknowledged runs all succeed after one attempt`, async () => {
  await admin('PutFaults', { throttle: { rate: THROTTLE_RATE } });
  const started = Date.now();
  const tries = { count: 0 };
  const runIds: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: POST_CONCURRENCY }, async () => {
      while (next < RUNS) {
        next++;
        runIds.push(await startRun(tries));
      }
    }),
  );
  const deadline = Date.now() + 150_000;
  const views = [...(await finished(runIds, deadline)).values()];
  const elapsed = Date.now() - started;
  const faults = await admin('GetFaults', {});
  await admin('PutFaults', {});

  const notSucceeded = views.filter((v) => v.status !== 'SUCCEEDED' || v.attempts.length !== 1);
  // Printed for the record: how long it took and how much the API's clients had to retry.
  console.log(
    `${RUNS} runs in ${(elapsed / 1000).toFixed(1)} s with ${tries.count - RUNS} POST retries (503); ` +
      `${notSucceeded.length} not SUCCEEDED after one attempt` +
      (notSucceeded.length > 0
        ? `: ${notSucceeded.map((v) => `${v.runId} ${v.status} ${JSON.stringify(v.error)} attempts=${v.attempts.length}`).join('; ')}`
        : ''),
  );
  expect(faults.faults).toEqual({ throttle: { rate: THROTTLE_RATE } });
  expect(new Set(runIds).size).toBe(RUNS);
  expect(notSucceeded.map((v) => ({ runId: v.runId, status: v.status, error: v.error }))).toEqual([]);
  for (const view of views) {
    expect(view.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: 'SUCCEEDED' })]);
  }
});
