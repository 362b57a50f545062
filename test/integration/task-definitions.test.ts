/**
 * The walking skeleton end to end: the real local stack (serverless-offline running the bundled
 * handlers, Berth's local ECS endpoint), driven over HTTP.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { type Stack, startStack } from './stack';

jest.setTimeout(180_000);

const example = readFileSync(path.join(__dirname, '..', '..', 'examples', 'anjana-educative.json'), 'utf8');
let stack: Stack;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
const json = (res: Response): Promise<any> => res.json();

const post = (body: string, contentType = 'application/json') =>
  fetch(`${stack.api}/task-definitions`, { method: 'POST', headers: { 'content-type': contentType }, body });

beforeAll(async () => {
  stack = await startStack();
});

afterAll(async () => {
  await stack?.kill();
});

it('registers the example as revision 1, then 2, with integers', async () => {
  const first = await post(example);
  expect(first.status).toBe(201);
  expect(first.headers.get('location')).toBe('/task-definitions/anjana-educative/1');
  const td = await json(first);
  expect(td).toMatchObject({ family: 'anjana-educative', revision: 1, status: 'ACTIVE', cpu: '256', memory: '512' });
  expect(td.containerDefinitions[0]).toMatchObject({ name: 'anjana', memory: 100, cpu: 99 });

  const second = await post(example);
  expect(second.status).toBe(201);
  expect(await json(second)).toMatchObject({ revision: 2 });
});

it('is the same definition the local ECS endpoint describes to an unmodified SDK client', async () => {
  const ecs = new ECSClient({
    endpoint: stack.aws,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'anjana-educative:1' }));
  expect(out.taskDefinition).toMatchObject({ family: 'anjana-educative', revision: 1 });
  expect(out.taskDefinition?.containerDefinitions?.[0]?.memory).toBe(100);
});

it('answers one 400 listing every violation', async () => {
  const bad = JSON.parse(example);
  bad.family = 'not a family!';
  bad.memory = '4096';
  bad.containerDefinitions.push({ ...bad.containerDefinitions[0] });
  const res = await post(JSON.stringify(bad));
  expect(res.status).toBe(400);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const problem = await json(res);
  expect(problem.errors.map((e: { path: string }) => e.path).sort()).toEqual([
    '$.containerDefinitions[1].name',
    '$.family',
    '$.memory',
  ]);
});

it.each([
  ['415 for a body that is not JSON', () => post(example, 'text/plain'), 415],
  ['413 for a body over 64 KiB', () => post(JSON.stringify({ family: 'x'.repeat(70_000) })), 413],
  [
    '403 naming the rule for a privileged container',
    () => post(example.replace('"cpu": "99"', '"cpu": "99", "privileged": true')),
    403,
  ],
])('answers %s', async (_name, send, status) => {
  const res = await send();
  expect(res.status).toBe(status);
  expect((await json(res)).status).toBe(status);
});

it('lists, gets, deregisters and 404s', async () => {
  const list = await json(await fetch(`${stack.api}/task-definitions`));
  expect(list.items).toContainEqual(expect.objectContaining({ family: 'anjana-educative', latestRevision: 2 }));

  const latest = await json(await fetch(`${stack.api}/task-definitions/anjana-educative`));
  expect(latest.revision).toBe(2);

  const gone = await fetch(`${stack.api}/task-definitions/anjana-educative/2`, { method: 'DELETE' });
  expect(gone.status).toBe(200);
  expect((await json(gone)).status).toBe('INACTIVE');
  const nowLatest = await json(await fetch(`${stack.api}/task-definitions/anjana-educative`));
  expect(nowLatest.revision).toBe(1);

  const missing = await fetch(`${stack.api}/task-definitions/anjana-educative/99`);
  expect(missing.status).toBe(404);
  expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
});

it('keeps everything through a kill -9 and a restart, and revisions keep going up', async () => {
  const before = await post(example);
  expect((await json(before)).revision).toBe(3);
  await stack.kill();
  stack = await startStack({ stateDir: stack.stateDir });
  for (const revision of [1, 2, 3]) {
    const res = await fetch(`${stack.api}/task-definitions/anjana-educative/${revision}`);
    expect(res.status).toBe(200);
  }
  expect((await json(await fetch(`${stack.api}/task-definitions/anjana-educative/2`))).status).toBe('INACTIVE');
  expect((await json(await post(example))).revision).toBe(4);
});

it('stops cleanly on Ctrl-C', async () => {
  const code = await stack.stop();
  expect(code).toBe(0);
  await expect(fetch(`${stack.api}/task-definitions`)).rejects.toThrow();
  await expect(fetch(stack.aws, { method: 'POST' })).rejects.toThrow();
});

it('leaves nothing behind when the launcher alone is killed -9: serverless-offline follows it', async () => {
  const alone = await startStack();
  try {
    await alone.killLauncher();
    const deadline = Date.now() + 10_000;
    while (alone.anyAlive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(alone.anyAlive()).toBe(false);
    await expect(fetch(`${alone.api}/task-definitions`)).rejects.toThrow();
  } finally {
    await alone.kill();
  }
});

it("takes the stage's guardrails from the environment, an empty value included", async () => {
  // The repo's triggers run the example's family, which this stage does not: they would stop the start.
  const noTriggers = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-it-')), 'triggers.yml');
  writeFileSync(noTriggers, 'triggers: {}\n');
  const limited = await startStack({
    env: {
      BERTH_RUN_FAMILIES: 'team-*',
      BERTH_MAX_TASK_CPU: '64',
      BERTH_ALLOWED_IMAGES: '',
      BERTH_TRIGGERS_FILE: noTriggers,
    },
  });
  try {
    const res = await fetch(`${limited.api}/task-definitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: example,
    });
    expect(res.status).toBe(403);
    const problem = await json(res);
    expect(problem.errors.map((e: { rule: string; path: string }) => [e.rule, e.path])).toEqual([
      ['runFamilies', '$.family'],
      ['allowedImages', '$.containerDefinitions[0].image'],
      ['maxTaskCpu', '$.cpu'],
    ]);
  } finally {
    await limited.kill();
  }
});

it("refuses to start with an enabled trigger for a family outside the stage's runFamilies, naming it", async () => {
  await expect(startStack({ env: { BERTH_RUN_FAMILIES: 'team-*' } })).rejects.toThrow(
    /trigger "example-upload" at \$\.run\.taskDefinition: Family anjana-educative is not in this stage's runFamilies/,
  );
});
