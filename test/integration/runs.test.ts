/**
 * The /runs API over HTTP against the real local stack (`npm start`): what POST /runs refuses before
 * any execution starts, and how GET/cancel answer for runs that do not exist.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type Stack, startStack } from './stack';

jest.setTimeout(180_000);

const example = readFileSync(path.join(__dirname, '..', '..', 'examples', 'anjana-educative.json'), 'utf8');
let stack: Stack;

// biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted on, not typed.
const json = (res: Response): Promise<any> => res.json();
const postRun = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${stack.api}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

beforeAll(async () => {
  stack = await startStack();
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
