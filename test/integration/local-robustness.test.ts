/**
 * The local stack under what a developer does to it: a burst of 100 POST /runs on a fresh stack, and
 * `npx serverless package` while `npm start` is up. Before, the burst made serverless-offline start a worker per
 * request (32 to 85% of the POSTs answered 504, and runs failed on a timed-out Check Capacity), and packaging
 * deleted the bundles the stack served (every call then answered 502).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type Stack, startStack } from './stack';

jest.setTimeout(300_000);

const root = path.resolve(__dirname, '..', '..');
const example = readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8');
const BURST = 100;
let stack: Stack;
let sfn: SFNClient;

beforeAll(async () => {
  stack = await startStack();
  sfn = new SFNClient({
    endpoint: stack.aws,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  sfn?.destroy();
  await stack?.kill();
});

async function executions(status: 'RUNNING' | 'SUCCEEDED' | 'FAILED'): Promise<number> {
  const [machine] = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines!;
  let count = 0;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machine!.stateMachineArn, statusFilter: status, nextToken }),
    );
    count += page.executions?.length ?? 0;
    nextToken = page.nextToken;
  } while (nextToken);
  return count;
}

it('takes a burst of 100 POST /runs on a fresh stack without a 504, and every run succeeds', async () => {
  const registered = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: example,
  });
  expect(registered.status).toBe(201);
  const statuses = await Promise.all(
    Array.from({ length: BURST }, () =>
      fetch(`${stack.api}/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ taskDefinition: 'anjana-educative:1' }),
      }).then(async (res) => `${res.status}${res.status === 202 ? '' : ` ${await res.text()}`}`),
    ),
  );
  expect(statuses.filter((s) => s !== '202')).toEqual([]);
  const deadline = Date.now() + 240_000;
  while ((await executions('RUNNING')) > 0) {
    if (Date.now() > deadline) throw new Error(`runs still running after 240 s:\n${stack.output().slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  expect(await executions('FAILED')).toBe(0);
  expect(await executions('SUCCEEDED')).toBe(BURST);
});

it('keeps serving while `npx serverless package` runs in the same checkout', async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'berth-package-'));
  await promisify(execFile)(
    process.execPath,
    [
      path.join(root, 'node_modules', 'serverless', 'bin', 'serverless.js'),
      'package',
      '--stage',
      'packtest',
      '--package',
      out,
    ],
    { cwd: root, env: { ...process.env, BERTH_BUILD_DIR: '' }, timeout: 180_000 },
  );
  const res = await fetch(`${stack.api}/task-definitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: example,
  });
  expect(res.status).toBe(201);
  const run = await fetch(`${stack.api}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ taskDefinition: 'anjana-educative' }),
  });
  expect(run.status).toBe(202);
});
