/**
 * The AWS CLI (v1, as installed) against the local Step Functions endpoint with `--endpoint-url`, exactly as
 * a user would run it: create a state machine, start, describe, read the history, stop, and an error.
 */
import { ecsService } from '../../local/ecs/service';
import { sfnService } from '../../local/sfn/service';
import { awsCli, awsCliJson } from './aws-cli';
import { ACCOUNT_ID, type LocalEndpoint, REGION, startLocalEndpoint, tempStateDir } from './endpoint';

jest.setTimeout(60_000);

let endpoint: LocalEndpoint;

const aws = (...args: string[]) => awsCli('stepfunctions', endpoint.url, ...args);
const awsJson = (...args: string[]) => awsCliJson('stepfunctions', endpoint.url, ...args);

beforeAll(async () => {
  endpoint = await startLocalEndpoint(tempStateDir(), { services: [ecsService, sfnService({ timeScale: 1e-6 })] });
});

afterAll(async () => {
  await endpoint.close();
});

const ROLE = `arn:aws:iam::${ACCOUNT_ID}:role/berth-states`;

it('creates a machine, runs it to SUCCEEDED and reads its history', async () => {
  const definition = JSON.stringify({
    StartAt: 'Wait',
    States: {
      Wait: { Type: 'Wait', Seconds: 60, Next: 'Echo' },
      Echo: { Type: 'Pass', Parameters: { 'got.$': '$.value' }, End: true },
    },
  });
  const created = await awsJson(
    'create-state-machine',
    '--name',
    'cli',
    '--definition',
    definition,
    '--role-arn',
    ROLE,
  );
  expect(created.stateMachineArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT_ID}:stateMachine:cli`);
  expect(created.creationDate).toBeCloseTo(Date.now() / 1000, -2);

  const started = await awsJson(
    'start-execution',
    '--state-machine-arn',
    created.stateMachineArn,
    '--name',
    'cli-1',
    '--input',
    '{"value":42}',
  );
  let described: Record<string, unknown>;
  do {
    described = await awsJson('describe-execution', '--execution-arn', started.executionArn);
  } while (described.status === 'RUNNING');
  expect(described).toMatchObject({ status: 'SUCCEEDED', name: 'cli-1', output: '{"got":42}', input: '{"value":42}' });

  const history = await awsJson('get-execution-history', '--execution-arn', started.executionArn);
  expect(history.events.map((e: { type: string }) => e.type)).toEqual([
    'ExecutionStarted',
    'WaitStateEntered',
    'WaitStateExited',
    'PassStateEntered',
    'PassStateExited',
    'ExecutionSucceeded',
  ]);
  const listed = await awsJson(
    'list-executions',
    '--state-machine-arn',
    created.stateMachineArn,
    '--status-filter',
    'SUCCEEDED',
  );
  expect(listed.executions.map((e: { name: string }) => e.name)).toEqual(['cli-1']);
});

it('stops a running execution, and reports AWS errors with their code', async () => {
  const definition = JSON.stringify({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 1e12, End: true } } });
  const { stateMachineArn } = await awsJson(
    'create-state-machine',
    '--name',
    'cli-hold',
    '--definition',
    definition,
    '--role-arn',
    ROLE,
  );
  const { executionArn } = await awsJson('start-execution', '--state-machine-arn', stateMachineArn);
  const stopped = await awsJson(
    'stop-execution',
    '--execution-arn',
    executionArn,
    '--error',
    'Cancelled',
    '--cause',
    'by the CLI',
  );
  expect(stopped.stopDate).toBeCloseTo(Date.now() / 1000, -2);
  expect(await awsJson('describe-execution', '--execution-arn', executionArn)).toMatchObject({
    status: 'ABORTED',
    error: 'Cancelled',
    cause: 'by the CLI',
  });

  const missing = await aws('describe-execution', '--execution-arn', `${executionArn}-nope`);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain('(ExecutionDoesNotExist)');
  const invalid = await aws(
    'create-state-machine',
    '--name',
    'bad',
    '--definition',
    '{"StartAt":"X","States":{}}',
    '--role-arn',
    ROLE,
  );
  expect(invalid.stderr).toContain('(InvalidDefinition)');
});
