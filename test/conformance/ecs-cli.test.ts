/**
 * The AWS CLI (v1, as installed) against the local ECS endpoint with `--endpoint-url`, exactly as a user
 * would run it. The CLI takes about a second to start, so independent commands run side by side.
 * CLI v1 validates types client-side and refuses the example's string container memory and cpu, so the
 * file it registers is the example with numbers.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { awsCli, awsCliJson } from './aws-cli';
import { arn, example, type LocalEndpoint, startLocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;
let inputFile: string;

const aws = (...args: string[]) => awsCli('ecs', endpoint.url, ...args);
const awsJson = (...args: string[]) => awsCliJson('ecs', endpoint.url, ...args);

beforeAll(async () => {
  endpoint = await startLocalEndpoint();
  const numeric = example({
    containerDefinitions: [{ name: 'anjana', image: 'someimage', memory: 100, cpu: 99 }],
    tags: [{ key: 'team', value: 'jobs' }],
  });
  inputFile = path.join(endpoint.stateDir, 'anjana-educative.cli.json');
  writeFileSync(inputFile, JSON.stringify(numeric));
});

afterAll(async () => {
  await endpoint?.close();
});

it('registers, describes, lists, deregisters and deletes through the CLI', async () => {
  const registered = await awsJson('register-task-definition', '--cli-input-json', `file://${inputFile}`);
  expect(registered.taskDefinition).toMatchObject({
    taskDefinitionArn: arn('anjana-educative', 1),
    revision: 1,
    status: 'ACTIVE',
    cpu: '256',
    memory: '512',
    compatibilities: ['EC2', 'FARGATE'],
    containerDefinitions: [{ name: 'anjana', cpu: 99, memory: 100, essential: true, portMappings: [] }],
  });
  expect(registered.tags).toEqual([{ key: 'team', value: 'jobs' }]);

  const [second, described, families, missing, badList] = await Promise.all([
    awsJson('register-task-definition', '--cli-input-json', `file://${inputFile}`),
    awsJson('describe-task-definition', '--task-definition', 'anjana-educative:1', '--include', 'TAGS'),
    awsJson('list-task-definition-families', '--family-prefix', 'anjana'),
    aws('describe-task-definition', '--task-definition', 'nope:1'),
    aws('list-task-definitions', '--max-results', '1000'),
  ]);
  expect(second.taskDefinition.revision).toBe(2);
  expect(described.taskDefinition).toMatchObject({ family: 'anjana-educative', revision: 1 });
  expect(described.tags).toEqual([{ key: 'team', value: 'jobs' }]);
  expect(families.families).toEqual(['anjana-educative']);
  expect(missing.code).not.toBe(0);
  expect(missing.stderr).toContain(
    'An error occurred (ClientException) when calling the DescribeTaskDefinition operation: Unable to describe task definition.',
  );
  expect(badList.code).not.toBe(0);
  expect(badList.stderr).toContain('(InvalidParameterException) when calling the ListTaskDefinitions operation');

  const [listed, latest] = await Promise.all([
    awsJson('list-task-definitions', '--family-prefix', 'anjana-educative', '--sort', 'DESC'),
    awsJson('describe-task-definition', '--task-definition', 'anjana-educative'),
  ]);
  expect(listed.taskDefinitionArns).toEqual([arn('anjana-educative', 2), arn('anjana-educative', 1)]);
  expect(latest.taskDefinition.revision).toBe(2);

  const deregistered = await awsJson('deregister-task-definition', '--task-definition', 'anjana-educative:1');
  expect(deregistered.taskDefinition).toMatchObject({ revision: 1, status: 'INACTIVE' });
  expect(deregistered.taskDefinition.deregisteredAt).toEqual(expect.any(Number));

  const deleted = await awsJson(
    'delete-task-definitions',
    '--task-definitions',
    'anjana-educative:1',
    'anjana-educative:2',
  );
  expect(deleted.taskDefinitions.map((td: { status: string }) => td.status)).toEqual(['DELETE_IN_PROGRESS']);
  expect(deleted.failures).toEqual([
    {
      arn: arn('anjana-educative', 2),
      reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
    },
  ]);
});
