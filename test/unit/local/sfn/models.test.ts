import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HistoryEvent } from '../../../../local/sfn/history';
import { inProcessInvoker } from '../../../../local/sfn/lambda-invoke';
import { checkName, type ExecutionRecord, SFN_STORE_OPTIONS, StepFunctions } from '../../../../local/sfn/models';
import { DurableStore } from '../../../../local/store';

const ROLE = 'arn:aws:iam::123456789012:role/berth';
const WAITING = JSON.stringify({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } });
const PASS = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });

let dir: string;
let store: DurableStore<unknown>;
let model: StepFunctions;
/** Resolves the calls of the `hang` function, which answer only when told. */
const hanging: Array<() => void> = [];

/** How many finished executions the model keeps in full (StepFunctionsOptions.finishedInMemory). */
let finishedInMemory = 100;

async function open(): Promise<void> {
  store = await DurableStore.open(dir, 'sfn', SFN_STORE_OPTIONS);
  model = StepFunctions.load(store, {
    region: 'us-east-1',
    accountId: '123456789012',
    timeScale: 1,
    invokeLambda: inProcessInvoker({
      hang: () => new Promise((resolve) => hanging.push(() => resolve({}))),
    }),
    ecs: () => Promise.reject(new Error('no ECS in unit tests')),
    ecsPollIntervalMs: 1,
    finishedInMemory,
  });
}

/** What a restart does: the model closes (its executions are left as they are) and the state is loaded again. */
async function restart(): Promise<void> {
  model.close();
  await store.close();
  await open();
}

beforeEach(async () => {
  finishedInMemory = 100;
  dir = mkdtempSync(path.join(os.tmpdir(), 'berth-sfn-unit-'));
  await open();
});

afterEach(async () => {
  model.close();
  await store.close();
  for (const release of hanging.splice(0)) release();
});

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    return `${(err as { code: string }).code}: ${(err as Error).message}`;
  }
  return 'no error';
}

describe('CreateStateMachine idempotency (API_CreateStateMachine)', () => {
  it('returns the existing machine for the same name and definition, even with another role', async () => {
    const first = await model.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE });
    const again = await model.createStateMachine({ name: 'm', definition: PASS, roleArn: `${ROLE}-other` });
    expect(again.stateMachineArn).toBe(first.stateMachineArn);
    expect(again.creationDate).toBe(first.creationDate);
    expect(again.roleArn).toBe(ROLE);
  });

  it('refuses the same name with another definition or logging configuration', async () => {
    await model.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE });
    expect(await codeOf(model.createStateMachine({ name: 'm', definition: WAITING, roleArn: ROLE }))).toBe(
      "StateMachineAlreadyExists: State Machine Already Exists: 'arn:aws:states:us-east-1:123456789012:stateMachine:m'",
    );
    expect(
      await codeOf(
        model.createStateMachine({
          name: 'm',
          definition: PASS,
          roleArn: ROLE,
          loggingConfiguration: { level: 'ALL' },
        }),
      ),
    ).toMatch(/^StateMachineAlreadyExists/);
  });
});

describe('StartExecution idempotency (API_StartExecution, STANDARD)', () => {
  it('same name and input while running returns the original execution; another input is ExecutionAlreadyExists', async () => {
    const { stateMachineArn } = await model.createStateMachine({ name: 'm', definition: WAITING, roleArn: ROLE });
    const first = await model.startExecution(stateMachineArn, 'run-1', '{"a":1}');
    const again = await model.startExecution(stateMachineArn, 'run-1', '{"a":1}');
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toBe(first.startDate);
    expect(model.listExecutions(stateMachineArn)).toHaveLength(1);
    expect(await codeOf(model.startExecution(stateMachineArn, 'run-1', '{"a":2}'))).toBe(
      "ExecutionAlreadyExists: Execution Already Exists: 'arn:aws:states:us-east-1:123456789012:execution:m:run-1'",
    );
  });

  it('a closed execution name is not reusable, whatever the input', async () => {
    const { stateMachineArn } = await model.createStateMachine({ name: 'm', definition: WAITING, roleArn: ROLE });
    const first = await model.startExecution(stateMachineArn, 'run-1', '{}');
    await model.stopExecution(first.executionArn);
    expect(model.getExecution(first.executionArn).status).toBe('ABORTED');
    expect(await codeOf(model.startExecution(stateMachineArn, 'run-1', '{}'))).toMatch(/^ExecutionAlreadyExists/);
  });

  it('refuses input that is not JSON and unknown machines', async () => {
    const { stateMachineArn } = await model.createStateMachine({ name: 'm', definition: PASS, roleArn: ROLE });
    expect(await codeOf(model.startExecution(stateMachineArn, 'x', '{'))).toMatch(
      /^InvalidExecutionInput: Invalid State Machine Execution Input: /,
    );
    expect(await codeOf(model.startExecution(`${stateMachineArn}2`, 'x', '{}'))).toBe(
      "StateMachineDoesNotExist: State Machine Does Not Exist: 'arn:aws:states:us-east-1:123456789012:stateMachine:m2'",
    );
    expect(await codeOf(model.startExecution('nope', 'x', '{}'))).toMatch(/^InvalidArn/);
  });
});

describe('names (API_StartExecution, "name")', () => {
  it.each(['a', 'run-1_2.3', 'x'.repeat(80), 'émoji-ok'])('accepts %j', (name) => {
    expect(() => checkName(name)).not.toThrow();
  });
  it.each(['', 'x'.repeat(81), 'has space', 'a/b', 'a:b', 'a*', 'a{b}', 'a$b', 'tab\there', 'ctl\u0085'])(
    'refuses %j',
    (name) => {
      expect(() => checkName(name)).toThrow(
        expect.objectContaining({ code: 'InvalidName', message: `Invalid Name: '${name}'` }),
      );
    },
  );
});

describe('after a restart', () => {
  async function until<T>(check: () => T | undefined): Promise<T> {
    for (let i = 0; i < 2000; i++) {
      const value = check();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error('timed out');
  }
  const typesOf = (arn: string) => model.history(arn).map((e) => e.type);

  it('waits for resumeAfterRestart; one stopped before that ends ABORTED and never runs again', async () => {
    const { stateMachineArn } = await model.createStateMachine({ name: 'm', definition: WAITING, roleArn: ROLE });
    const { executionArn } = await model.startExecution(stateMachineArn, 'run-1', '{}');
    await until(() => (typesOf(executionArn).includes('WaitStateEntered') ? true : undefined));
    await model.durable();
    await restart();
    expect(model.getExecution(executionArn).status).toBe('RUNNING');
    expect(model.resumable).toBe(1);
    await model.stopExecution(executionArn, 'Stopped');
    await model.resumeAfterRestart();
    expect(model.getExecution(executionArn)).toMatchObject({ status: 'ABORTED', error: 'Stopped' });
    expect(typesOf(executionArn)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionAborted']);
  });

  it('gives a Task cut short only what was left of its timeout (counted from its TaskScheduled)', async () => {
    const definition = JSON.stringify({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'hang' },
          TimeoutSeconds: 2,
          End: true,
        },
      },
    });
    const { stateMachineArn } = await model.createStateMachine({ name: 'm', definition, roleArn: ROLE });
    const { executionArn } = await model.startExecution(stateMachineArn, 'run-1', '{}');
    const scheduled = await until(() => model.history(executionArn).find((e) => e.type === 'TaskScheduled'));
    while (Date.now() < scheduled.timestamp + 1000) await new Promise((resolve) => setTimeout(resolve, 20));
    await model.durable();
    await restart();
    await model.resumeAfterRestart();
    await until(() => (model.getExecution(executionArn).status !== 'RUNNING' ? true : undefined));
    expect(model.getExecution(executionArn)).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
    const events = model.history(executionArn);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskScheduled',
      'TaskStarted',
      'TaskTimedOut',
      'ExecutionFailed',
    ]);
    // 2 s from the first TaskScheduled, not 2 s more after the restart (which came 1 s in).
    const timedOut = events.find((e) => e.type === 'TaskTimedOut')!.timestamp - scheduled.timestamp;
    expect(timedOut).toBeGreaterThanOrEqual(1990);
    expect(timedOut).toBeLessThan(2900);
  });

  it('closes TIMED_OUT at once an execution whose TimeoutSeconds ran out while it was down', async () => {
    const definition = JSON.stringify({
      TimeoutSeconds: 1,
      StartAt: 'Hold',
      States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } },
    });
    const { stateMachineArn } = await model.createStateMachine({ name: 'm', definition, roleArn: ROLE });
    const { executionArn, startDate } = await model.startExecution(stateMachineArn, 'run-1', '{}');
    await until(() => (typesOf(executionArn).includes('WaitStateEntered') ? true : undefined));
    await model.durable();
    model.close();
    await store.close();
    while (Date.now() < startDate + 1100) await new Promise((resolve) => setTimeout(resolve, 20));
    await open();
    expect(model.getExecution(executionArn).status).toBe('TIMED_OUT');
    expect(model.resumable).toBe(0);
    expect(typesOf(executionArn)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
  });
});

describe('finished executions past the most recent leave memory', () => {
  const TWO_STEPS = JSON.stringify({
    StartAt: 'A',
    States: { A: { Type: 'Pass', Result: { big: 'x'.repeat(2000) }, Next: 'B' }, B: { Type: 'Pass', End: true } },
  });

  async function finished(arn: string) {
    for (let i = 0; i < 2000; i++) {
      if (model.getExecution(arn).status !== 'RUNNING') return model.getExecution(arn);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    throw new Error(`${arn} did not finish`);
  }

  it('are still described, listed and their histories read, also after a restart', async () => {
    finishedInMemory = 2;
    await restart();
    const { stateMachineArn } = await model.createStateMachine({ name: 'm', definition: TWO_STEPS, roleArn: ROLE });
    const seen: Array<{ record: ExecutionRecord; history: readonly HistoryEvent[] }> = [];
    for (let i = 0; i < 5; i++) {
      const { executionArn } = await model.startExecution(stateMachineArn, `run-${i}`, `{"i":${i}}`);
      // Read while the execution is still held in full.
      seen.push({ record: { ...(await finished(executionArn)) }, history: model.history(executionArn) });
    }
    await store.durable();
    // 3 executions out of 5 left memory, each with its record and 6 events.
    expect(store.evictedCount).toBe(3 * 7);
    const check = () => {
      for (const { record, history } of seen) {
        expect(model.getExecution(record.executionArn)).toEqual(record);
        expect(model.history(record.executionArn)).toEqual(history);
      }
      expect(model.listExecutions(stateMachineArn).map((e) => [e.name, e.status, e.stopDate])).toEqual(
        seen.map(({ record }) => [record.name, 'SUCCEEDED', record.stopDate]).reverse(),
      );
      expect(model.listExecutions(stateMachineArn, 'SUCCEEDED')).toHaveLength(5);
    };
    expect(seen[0]!.history).toHaveLength(6);
    expect(seen[0]!.record.output).toContain('x'.repeat(2000));
    check();
    await restart();
    expect(store.evictedCount).toBe(3 * 7);
    check();
    // Names stay taken.
    expect(await codeOf(model.startExecution(stateMachineArn, 'run-0', '{"i":0}'))).toMatch(/^ExecutionAlreadyExists/);
  });
});
