/**
 * BERTH_LAMBDA_IDLE_SECONDS reaches serverless-offline (local/settings.ts lambdaIdleSeconds): a function's worker
 * idle that long is ended, and the next call starts a fresh one and answers. Set to 1 s here, so the test sees
 * serverless-offline's idle sweep end the worker (by its threads in /proc) without waiting the default 10 minutes.
 */
import { readdirSync } from 'node:fs';
import { type Stack, stackProcesses, startStack } from './stack';

jest.setTimeout(120_000);

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ env: { BERTH_LAMBDA_IDLE_SECONDS: '1' } });
});

afterAll(async () => {
  await stack?.kill();
});

/** serverless-offline's process: the one of this stack running `serverless.js offline`. */
function offlinePid(stateDir: string): string {
  const offline = stackProcesses(stateDir).find((p) => p.cmdline.includes('serverless.js offline'));
  if (offline === undefined) throw new Error(`no serverless-offline process for ${stateDir}`);
  return offline.pid;
}

/** The process's threads (a worker thread is one more while it lives). */
const threads = (pid: string) => readdirSync(`/proc/${pid}/task`).length;

/** Waits (bounded) until `done()` holds, polling every 200 ms. */
async function until(what: string, done: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

it('ends a Lambda worker idle for BERTH_LAMBDA_IDLE_SECONDS, and the next call gets a fresh one', async () => {
  const pid = offlinePid(stack.stateDir);
  // The workers the start used are swept first: the count holds for three sweeps.
  let quiet = { count: threads(pid), since: Date.now() };
  await until('the thread count settles', () => {
    const count = threads(pid);
    if (count !== quiet.count) quiet = { count, since: Date.now() };
    return Date.now() - quiet.since >= 3_000;
  });
  const idle = quiet.count;

  expect((await fetch(`${stack.api}/openapi.json`)).status).toBe(200);
  expect(threads(pid)).toBeGreaterThan(idle);
  // serverless-offline sweeps every BERTH_LAMBDA_IDLE_SECONDS and ends workers idle at least that long (with its
  // default of 60 s, or the stack's of 600 s, this would not happen within the bound).
  await until('the idle worker is ended', () => threads(pid) <= idle);

  const again = await fetch(`${stack.api}/openapi.json`);
  expect(again.status).toBe(200);
  expect(await again.json()).toMatchObject({ openapi: expect.any(String) });
});
