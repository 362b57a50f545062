import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SFN_STORE_OPTIONS } from '../../../../local/sfn/models';
import { HeartbeatTimeoutError, TaskCancelledError, TaskError } from '../../../../local/sfn/task-error';
import { newTaskToken, TaskTokens } from '../../../../local/sfn/task-tokens';
import { DurableStore } from '../../../../local/store';

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:m:e';
const CLOSED = "TaskTimedOut: Task Timed Out: 'Provided task does not exist anymore'";

let dir: string;
let store: DurableStore<unknown>;
let tokens: TaskTokens;

beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'berth-tokens-unit-'));
  store = await DurableStore.open(dir, 'sfn', SFN_STORE_OPTIONS);
  tokens = new TaskTokens(store);
});

afterEach(async () => {
  await store.close();
});

async function codeOf(promise: Promise<unknown> | (() => unknown)): Promise<string> {
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

async function openToken(): Promise<string> {
  const token = newTaskToken(EXECUTION);
  await tokens.open(token, EXECUTION, 'Wait For Slot');
  return token;
}

describe('tokens', () => {
  it('are fresh, at most 1024 characters, and tell a stranger string from a token never given', async () => {
    const a = newTaskToken(EXECUTION);
    expect(a).not.toBe(newTaskToken(EXECUTION));
    expect(newTaskToken(`${EXECUTION}${'x'.repeat(200)}`).length).toBeLessThanOrEqual(1024);
    expect(await codeOf(() => tokens.heartbeat('garbage'))).toBe("InvalidToken: Invalid Token: 'Invalid token'");
    expect(await codeOf(() => tokens.heartbeat(a))).toBe(
      "TaskDoesNotExist: Task Does Not Exist: 'Provided task does not exist'",
    );
  });
});

describe('the lifecycle: only an OPEN token takes a callback', () => {
  const closers: Array<[string, (token: string) => unknown]> = [
    ['SendTaskSuccess', (token) => tokens.succeed(token, '{}')],
    ['SendTaskFailure', (token) => tokens.fail(token, 'E', 'C')],
    ['closed (timeout, StopExecution, retry)', (token) => tokens.close(token)],
    ['its execution ended', () => tokens.closeExecution(EXECUTION)],
  ];
  it.each(closers)('after %s, every callback and heartbeat is TaskTimedOut', async (_name, close) => {
    const token = await openToken();
    await close(token);
    expect(await codeOf(() => tokens.succeed(token, '{}'))).toBe(CLOSED);
    expect(await codeOf(() => tokens.fail(token, undefined, undefined))).toBe(CLOSED);
    expect(await codeOf(() => tokens.heartbeat(token))).toBe(CLOSED);
  });

  it('refuses output that is not JSON or over 256 KiB, and leaves the token OPEN', async () => {
    const token = await openToken();
    expect(await codeOf(() => tokens.succeed(token, ''))).toMatch(/^InvalidOutput: Invalid Output: '.+'$/);
    expect(await codeOf(() => tokens.succeed(token, JSON.stringify('x'.repeat(256 * 1024))))).toBe(
      "InvalidOutput: Invalid Output: 'The output is over 262144 bytes'",
    );
    expect(tokens.get(token)?.status).toBe('OPEN');
  });
});

describe('an execution that has left memory', () => {
  it('takes its tokens with it; a callback with one still answers as for a closed token', async () => {
    const settled = await openToken();
    await tokens.succeed(settled, '{"ok":true}');
    const open = await openToken();
    tokens.closeExecution(EXECUTION);
    await store.durable();
    tokens.forget(EXECUTION);
    await store.durable();
    expect(store.evictedCount).toBe(2);
    expect(tokens.get(settled)).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
    expect(tokens.get(open)).toMatchObject({ status: 'CLOSED' });
    expect(tokens.latest(EXECUTION, 'Wait For Slot')).toBeUndefined();
    expect(await codeOf(() => tokens.succeed(open, '{}'))).toBe(CLOSED);
    expect(await codeOf(() => tokens.heartbeat(settled))).toBe(CLOSED);
  });
});

describe('outcome', () => {
  it('gives the waiting task the output, the failure, or a cancellation', async () => {
    const success = await openToken();
    const waiting = tokens.outcome(success, new AbortController().signal, undefined);
    await tokens.succeed(success, '{"slot":1}');
    await expect(waiting).resolves.toEqual({ slot: 1 });

    const failure = await openToken();
    const failing = tokens.outcome(failure, new AbortController().signal, undefined);
    await tokens.fail(failure, 'QueueClosed', 'paused');
    await expect(failing).rejects.toEqual(new TaskError('QueueClosed', 'paused'));

    const stopped = await openToken();
    const controller = new AbortController();
    const cancelled = tokens.outcome(stopped, controller.signal, undefined);
    controller.abort('StopExecution');
    await expect(cancelled).rejects.toBeInstanceOf(TaskCancelledError);
  });

  it('times out without a heartbeat in time, and a heartbeat moves the deadline', async () => {
    const token = await openToken();
    const started = Date.now();
    const waiting = tokens.outcome(token, new AbortController().signal, 0.3);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await tokens.heartbeat(token);
    await expect(waiting).rejects.toBeInstanceOf(HeartbeatTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(500 - 5);
    expect(tokens.get(token)?.status).toBe('TIMED_OUT');
  });

  it('survives a reopen of the store: an OPEN token is still OPEN, an acknowledged outcome is still there', async () => {
    const open = await openToken();
    const settled = await openToken();
    await tokens.submitted(settled);
    await tokens.succeed(settled, '[1]');
    await store.close();
    store = await DurableStore.open(dir, 'sfn', SFN_STORE_OPTIONS);
    tokens = new TaskTokens(store);
    for (const [key, value] of store.entries('tt/')) if (key.startsWith('tt/')) tokens.load(value as never);
    expect(tokens.get(open)).toMatchObject({ status: 'OPEN', submitted: false });
    expect(tokens.get(settled)).toMatchObject({ status: 'SUCCEEDED', submitted: true, output: '[1]' });
    await expect(tokens.outcome(settled, new AbortController().signal, undefined)).resolves.toEqual([1]);
    expect(tokens.latest(EXECUTION, 'Wait For Slot')?.token).toBe(settled);
  });
});
