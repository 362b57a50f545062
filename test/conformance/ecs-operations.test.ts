/**
 * Every operation of the ECS API (as @aws-sdk/client-ecs has them) is either emulated or refused by name with
 * UnknownOperationException, the list docs/local-stack.md gives; never an empty answer.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as sdk from '@aws-sdk/client-ecs';
import { CreateTaskSetCommand, ExecuteCommandCommand, PutAccountSettingCommand } from '@aws-sdk/client-ecs';
import { NOT_EMULATED } from '../../local/ecs/unmodelled';
import { awsCli } from './aws-cli';
import { startEcsEndpoint } from './ecs-cluster';
import type { LocalEndpoint } from './endpoint';

jest.setTimeout(30_000);

let endpoint: LocalEndpoint;

beforeAll(async () => {
  endpoint = await startEcsEndpoint();
});

afterAll(async () => {
  await endpoint?.close();
});

const operations = Object.keys(sdk)
  .filter((k) => k.endsWith('Command') && k !== 'Command' && k !== '$Command')
  .map((k) => k.slice(0, -'Command'.length))
  .sort();
const notEmulated = new Set(Object.values(NOT_EMULATED).flat());

/** Calls an operation with an empty body, as curl would. */
async function call(operation: string) {
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AmazonEC2ContainerServiceV20141113.${operation}`,
    },
    body: '{}',
  });
  return (await res.json()) as { __type?: string; message?: string };
}

it('emulates or names every ECS operation, and docs/local-stack.md lists each as the endpoint treats it', async () => {
  const docs = readFileSync(path.join(__dirname, '..', '..', 'docs', 'local-stack.md'), 'utf8');
  const emulated: string[] = [];
  for (const operation of operations) {
    const reply = await call(operation);
    const refused = reply.__type === 'UnknownOperationException';
    expect([operation, refused]).toEqual([operation, notEmulated.has(operation)]);
    if (refused) {
      expect(reply.message).toContain(`does not emulate the ECS operation ${operation}`);
    } else {
      emulated.push(operation);
    }
    expect(docs).toContain(`\`${operation}\``);
  }
  expect(emulated).toEqual(
    expect.arrayContaining(['RegisterContainerInstance', 'StartTask', 'TagResource', 'PutAttributes']),
  );
});

it('refuses services, task sets, account settings and ECS Exec through the SDK and the CLI', async () => {
  const { ecs } = endpoint;
  for (const [command, area] of [
    [new ExecuteCommandCommand({ task: 't', command: 'sh', interactive: true }), 'ECS Exec'],
    [new PutAccountSettingCommand({ name: 'containerInsights', value: 'enabled' }), 'account settings'],
    [new CreateTaskSetCommand({ service: 's', cluster: 'default', taskDefinition: 'x' }), 'task sets'],
  ] as const) {
    await expect(ecs.send(command as never)).rejects.toMatchObject({
      name: 'UnknownOperationException',
      message: expect.stringContaining(`(${area}: not modelled)`),
      $metadata: { httpStatusCode: 400 },
    });
  }
  const cli = await awsCli('ecs', endpoint.url, 'list-services');
  expect(cli.code).not.toBe(0);
  expect(cli.stderr).toContain('(UnknownOperationException) when calling the ListServices operation');
});
