/**
 * Triggers' concurrencyPolicy over the real local stack (`npm start`), with a trigger file of the test's own and the
 * triggers' clock running 60 times fast (BERTH_TRIGGERS_TIME_SCALE), so `rate(1 minute)` fires every second:
 * - Forbid on a task that sleeps 3 s: sampled for 20 s, the trigger never has two runs that are not terminal, and
 *   the firings in between are SKIPPED records naming the run they would have overlapped, listed by
 *   GET /runs?trigger= and ?status=SKIPPED, and shown by `berth runs get`;
 * - Replace on a task that sleeps 60 s, firing every 5 s: the previous run ends CANCELLED, its cause naming the run
 *   that replaced it, which records what it replaced.
 * Containers run as host processes (BERTH_ECS_RUNTIME=process): the point is the policy, not the image.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { berthCli, type Stack, startStack } from './stack';

jest.setTimeout(240_000);

const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-it-trigger-concurrency-'));
const triggersFile = path.join(dir, 'triggers.yml');
writeFileSync(
  triggersFile,
  `triggers:
  forbid-sleeper:
    concurrencyPolicy: Forbid
    schedule: { expression: "rate(1 minute)" }
    run: { taskDefinition: it-sleep-3 }
  replace-sleeper:
    concurrencyPolicy: Replace
    schedule: { expression: "rate(5 minutes)" }
    run: { taskDefinition: it-sleep-60 }
`,
);

let stack: Stack;
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
type Json = any;

const get = async (url: string): Promise<Json> => {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const live = (status: string) => !['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'SKIPPED'].includes(status);

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stack.output().slice(-4000)}`);
    await sleep(250);
  }
}

/** Every run of a trigger, newest first, as GET /runs?trigger= lists them. */
async function runsOf(trigger: string): Promise<Json[]> {
  const items: Json[] = [];
  let token: string | undefined;
  do {
    const page = await get(
      `${stack.api}/runs?trigger=${trigger}&limit=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`,
    );
    items.push(...page.items);
    token = page.nextToken;
  } while (token !== undefined);
  return items;
}

async function register(family: string, seconds: number) {
  const res = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      family,
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [{ name: 'main', image: 'busybox', memory: 64, command: ['sleep', String(seconds)] }],
    }),
  });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  stack = await startStack({
    env: {
      BERTH_TRIGGERS_FILE: triggersFile,
      BERTH_TRIGGERS_TIME_SCALE: String(1 / 60),
      BERTH_ECS_RUNTIME: 'process',
      BERTH_SFN_ECS_POLL_MS: '100',
    },
  });
  // Firings before the task definitions exist are refused (404, logged, not retried): they leave no record.
  await register('it-sleep-3', 3);
  await register('it-sleep-60', 60);
  await eventually('the triggers to start', async () => (stack.output().includes('Triggers from') ? true : undefined));
});

afterAll(async () => {
  await stack?.kill();
});

it('Forbid: never two live runs of the trigger at once; the firings in between are SKIPPED, naming the run', async () => {
  await eventually('a run of forbid-sleeper', async () =>
    (await runsOf('forbid-sleeper')).length > 0 ? true : undefined,
  );
  const sampleUntil = Date.now() + 20_000;
  let samples = 0;
  let mostLive = 0;
  while (Date.now() < sampleUntil) {
    const liveRuns = (await runsOf('forbid-sleeper')).filter((r) => live(r.status));
    mostLive = Math.max(mostLive, liveRuns.length);
    if (liveRuns.length > 1) throw new Error(`two live runs at once: ${JSON.stringify(liveRuns)}`);
    samples++;
    await sleep(200);
  }
  expect(samples).toBeGreaterThanOrEqual(10);
  expect(mostLive).toBe(1);

  const all = await runsOf('forbid-sleeper');
  const skipped = all.filter((r) => r.status === 'SKIPPED');
  const startedRuns = all.filter((r) => r.status !== 'SKIPPED');
  // 20 s of firings every second, runs of 3 s and more: most firings were skipped, several runs started and ended.
  expect(skipped.length).toBeGreaterThanOrEqual(5);
  expect(startedRuns.filter((r) => r.status === 'SUCCEEDED').length).toBeGreaterThanOrEqual(2);
  expect(startedRuns.filter((r) => r.status !== 'SUCCEEDED' && !live(r.status))).toEqual([]);

  const byId = new Map(startedRuns.map((r) => [r.runId, r]));
  for (const item of skipped.slice(0, 10)) {
    const view = await get(`${stack.api}/runs/${item.runId}`);
    expect(view).toMatchObject({
      status: 'SKIPPED',
      trigger: { type: 'schedule', name: 'forbid-sleeper' },
      attempts: [],
      skipped: { reason: expect.stringContaining('concurrencyPolicy Forbid') },
    });
    const overlapped = byId.get(view.skipped.overlappedRunId);
    // The run it names is a started run of the same trigger, created before the skip.
    expect(overlapped).toBeDefined();
    expect(overlapped.createdAt <= view.createdAt).toBe(true);
    expect(view.skipped.reason).toContain(overlapped.runId);
  }

  const bySkipped = await get(`${stack.api}/runs?status=SKIPPED&limit=100`);
  expect(bySkipped.items.map((r: Json) => r.runId)).toEqual(
    expect.arrayContaining(skipped.slice(0, 5).map((r) => r.runId)),
  );

  const cli = await berthCli(stack.api, ['runs', 'get', skipped[0].runId]);
  expect(cli.stdout).toContain(`run ${skipped[0].runId} SKIPPED: Trigger forbid-sleeper has concurrencyPolicy Forbid`);
});

it('Replace: the previous run ends CANCELLED, naming the run that replaced it, which records it', async () => {
  const [cancelled, replacing] = await eventually('a replaced run', async () => {
    const all = await runsOf('replace-sleeper');
    for (const run of all.filter((r) => r.status === 'CANCELLED')) {
      const view = await get(`${stack.api}/runs/${run.runId}`);
      const by = /replaced by run (\S+) of trigger replace-sleeper/.exec(view.error?.message ?? '')?.[1];
      if (by !== undefined) return [view, await get(`${stack.api}/runs/${by}`)];
    }
    return undefined;
  });
  expect(cancelled.error.code).toBe('Berth.Cancelled');
  expect(replacing.replaced).toContain(cancelled.runId);
  expect(replacing.trigger).toMatchObject({ type: 'schedule', name: 'replace-sleeper' });
  // Replace never skips, and its live runs are never more than the newest (the one before is cancelled first).
  const all = await runsOf('replace-sleeper');
  expect(all.filter((r) => r.status === 'SKIPPED')).toEqual([]);
  expect(all.filter((r) => live(r.status)).length).toBeLessThanOrEqual(1);
});
