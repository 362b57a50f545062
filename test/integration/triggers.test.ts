/**
 * Triggers and run events over the real local stack (`npm start`), with a trigger file of the test's own:
 * - a cron schedule on a clock set to just before it is due (BERTH_TRIGGERS_CLOCK_START): it fires once and the
 *   run reads `trigger.type = schedule`, with no real waiting for the time of day;
 * - an event trigger fired by `aws events put-events --endpoint-url`: one run per matching event, with the event's
 *   value in the container's environment (the container checks it and exits 0 only if it is right), none for an
 *   event that does not match;
 * - the run events (`source: berth`, `Run Succeeded` / `Run Failed`, detail = the run view) recorded on the local
 *   bus and read back with AWSEvents.ListRecordedEvents.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type Stack, startStack } from './stack';

jest.setTimeout(300_000);

const exec = promisify(execFile);
const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-it-triggers-'));
const triggersFile = path.join(dir, 'triggers.yml');
writeFileSync(
  triggersFile,
  `triggers:
  new-year:
    schedule: { expression: "cron(0 0 1 1 ? 2031)", timeZone: Europe/Berlin }
    run: { taskDefinition: it-env-check, overrides: { containerOverrides: [{ name: check, environment: [{ name: OBJECT_KEY, value: in/a.csv }] }] } }
  on-upload:
    event:
      pattern: { source: [it.uploads], detail-type: [Object Uploaded], detail: { key: [{ prefix: "in/" }] } }
    run:
      taskDefinition: it-env-check
      overrides:
        containerOverrides:
          - name: check
            environment: [{ name: OBJECT_KEY, value: { $event: $.detail.key } }]
`,
);

let stack: Stack;
// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
type Json = any;

const get = async (url: string): Promise<Json> => (await fetch(url)).json();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${stack.output().slice(-4000)}`);
    await sleep(500);
  }
}

/** Every run with its view. */
async function runs(): Promise<Json[]> {
  const list = await get(`${stack.api}/runs?limit=100`);
  return Promise.all(list.items.map((item: Json) => get(`${stack.api}/runs/${item.runId}`)));
}

async function putEvent(detailType: string, detail: unknown): Promise<string> {
  const entries = JSON.stringify([{ Source: 'it.uploads', DetailType: detailType, Detail: JSON.stringify(detail) }]);
  const { stdout } = await exec(
    'aws',
    ['events', 'put-events', '--endpoint-url', stack.aws, '--region', 'us-east-1', '--entries', entries],
    { env: { ...process.env, AWS_ACCESS_KEY_ID: 'berth-local', AWS_SECRET_ACCESS_KEY: 'berth-local' } },
  );
  const out = JSON.parse(stdout);
  expect(out.FailedEntryCount).toBe(0);
  return out.Entries[0].EventId;
}

async function recordedRunEvents(): Promise<Json[]> {
  const res = await fetch(stack.aws, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.ListRecordedEvents' },
    body: JSON.stringify({ Source: 'berth' }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as Json).Events;
}

beforeAll(async () => {
  stack = await startStack({
    env: {
      BERTH_TRIGGERS_FILE: triggersFile,
      // Berlin's new year 2031 is 2030-12-31T23:00:00Z: the schedule is due 3 s after the triggers start.
      BERTH_TRIGGERS_CLOCK_START: '2030-12-31T22:59:57Z',
    },
  });
  const registered = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      family: 'it-env-check',
      requiresCompatibilities: ['EC2'],
      containerDefinitions: [
        { name: 'check', image: 'busybox', memory: 64, command: ['sh', '-c', 'test "$OBJECT_KEY" = in/a.csv'] },
      ],
    }),
  });
  expect(registered.status).toBe(201);
  await eventually('the triggers to start', async () => (stack.output().includes('Triggers from') ? true : undefined));
});

afterAll(async () => {
  await stack?.kill();
});

it('fires the schedule on the local clock, once, and the run reads trigger.type = schedule', async () => {
  const run = await eventually('the scheduled run', async () =>
    (await runs()).find((r) => r.trigger?.type === 'schedule'),
  );
  expect(run.trigger).toEqual({ type: 'schedule', name: 'new-year', eventId: expect.stringMatching(/^[0-9a-f]{16}$/) });
  expect(stack.output()).toContain('Schedule new-year fired for 2030-12-31T23:00:00Z');
  const done = await eventually('the scheduled run to end', async () => {
    const view = await get(`${stack.api}/runs/${run.runId}`);
    return view.status === 'SUCCEEDED' || view.status === 'FAILED' ? view : undefined;
  });
  expect(done.status).toBe('SUCCEEDED');
  expect((await runs()).filter((r) => r.trigger?.type === 'schedule')).toHaveLength(1);
});

it('starts one run per matching event with its value in the container environment; none for others', async () => {
  const good = await putEvent('Object Uploaded', { key: 'in/a.csv' });
  const wrongKey = await putEvent('Object Uploaded', { key: 'in/b.csv' });
  const unmatched = [
    await putEvent('Object Deleted', { key: 'in/a.csv' }),
    await putEvent('Object Uploaded', { key: 'out/a.csv' }),
  ];

  const ended = async (eventId: string) =>
    eventually(`the run of event ${eventId} to end`, async () => {
      const run = (await runs()).find((r) => r.trigger?.eventId === eventId);
      return run !== undefined && ['SUCCEEDED', 'FAILED'].includes(run.status) ? run : undefined;
    });
  const ok = await ended(good);
  expect(ok).toMatchObject({ status: 'SUCCEEDED', trigger: { type: 'event', name: 'on-upload', eventId: good } });
  // The container exits 1 unless OBJECT_KEY is in/a.csv: the event's own value reached it.
  const failed = await ended(wrongKey);
  expect(failed.status).toBe('FAILED');
  expect(failed.attempts[0].containers[0]).toMatchObject({ name: 'check', exitCode: 1 });

  const all = await runs();
  expect(all.filter((r) => r.trigger?.eventId === good)).toHaveLength(1);
  for (const eventId of unmatched) expect(all.filter((r) => r.trigger?.eventId === eventId)).toHaveLength(0);
  expect(all.filter((r) => r.trigger?.type === 'event')).toHaveLength(2);
});

it('puts a run event on the bus when a run ends, with the run view as detail', async () => {
  const events = await eventually('the run events', async () => {
    const recorded = await recordedRunEvents();
    const types = recorded.map((e: Json) => e.Event['detail-type']);
    return types.filter((t: string) => t === 'Run Succeeded').length >= 2 && types.includes('Run Failed')
      ? recorded
      : undefined;
  });
  // The record's writer puts the event once the record says the run ended: every run it names has ended already.
  const all = await runs();
  for (const { Event: event } of events) {
    const run = all.find((r) => r.runId === event.detail.runId);
    expect(run).toBeDefined();
    expect(['SUCCEEDED', 'FAILED']).toContain(run.status);
    // The detail is the record's view when the run ended: GET /runs/{runId} (in `run`) answers the same, but for
    // updatedAt when a late event (the task's STOPPED after the execution's end) was recorded since.
    const { updatedAt, ...ended } = event.detail;
    expect(run).toMatchObject(ended);
    expect(run.updatedAt >= updatedAt).toBe(true);
    expect(event).toMatchObject({
      source: 'berth',
      'detail-type': { SUCCEEDED: 'Run Succeeded', FAILED: 'Run Failed' }[run.status as 'SUCCEEDED' | 'FAILED'],
    });
    expect(event.resources).toEqual([expect.stringContaining(`:execution:berth-dev-run-task:${run.runId}`)]);
  }
  expect(events).toHaveLength(3);
  expect(stack.output()).toMatch(/EventBridge event \S+ on default: source="berth" detail-type="Run Failed"/);
});
