import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inProcessInvoker } from '../../../../local/sfn/lambda-invoke';
import { checkName, StepFunctions } from '../../../../local/sfn/models';
import { DurableStore } from '../../../../local/store';

const ROLE = 'arn:aws:iam::123456789012:role/berth';
const WAITING = JSON.stringify({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } });
const PASS = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });

let store: DurableStore<unknown>;
let model: StepFunctions;

beforeEach(async () => {
  store = await DurableStore.open(mkdtempSync(path.join(os.tmpdir(), 'berth-sfn-unit-')), 'sfn');
  model = StepFunctions.load(store, {
    region: 'us-east-1',
    accountId: '123456789012',
    timeScale: 1,
    invokeLambda: inProcessInvoker({}),
    ecs: () => Promise.reject(new Error('no ECS in unit tests')),
    ecsPollIntervalMs: 1,
  });
});

afterEach(async () => {
  model.close();
  await store.close();
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
