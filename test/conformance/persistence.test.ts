/**
 * The local endpoint keeps its state on disk: a clean restart, and a kill -9 straight after the last
 * response, both find every task definition, status and revision counter as they were answered.
 */
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { arn, ecsClient, example, startEndpointProcess, startLocalEndpoint, tempStateDir } from './endpoint';

jest.setTimeout(30_000);

const input = (family: string) => example({ family }) as unknown as RegisterTaskDefinitionCommandInput;

it('finds everything again after a clean restart on the same state directory', async () => {
  const first = await startLocalEndpoint();
  await first.ecs.send(new RegisterTaskDefinitionCommand({ ...input('restart'), tags: [{ key: 'a', value: 'b' }] }));
  await first.ecs.send(new RegisterTaskDefinitionCommand(input('restart')));
  await first.ecs.send(new RegisterTaskDefinitionCommand(input('restart')));
  await first.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'restart:2' }));
  await first.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'restart:3' }));
  await first.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: ['restart:3'] }));
  const before = await first.ecs.send(
    new DescribeTaskDefinitionCommand({ taskDefinition: 'restart:1', include: ['TAGS'] }),
  );
  await first.close();

  const second = await startLocalEndpoint(first.stateDir);
  try {
    const after = await second.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'restart:1', include: ['TAGS'] }),
    );
    expect(after.taskDefinition).toEqual(before.taskDefinition);
    expect(after.tags).toEqual([{ key: 'a', value: 'b' }]);
    const statuses = await Promise.all(
      [1, 2, 3].map((r) => second.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `restart:${r}` }))),
    );
    expect(statuses.map((o) => o.taskDefinition?.status)).toEqual(['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS']);
    const listed = await second.ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'restart', status: 'INACTIVE' }),
    );
    expect(listed.taskDefinitionArns).toEqual([arn('restart', 2)]);
    const next = await second.ecs.send(new RegisterTaskDefinitionCommand(input('restart')));
    expect(next.taskDefinition?.revision).toBe(4);
  } finally {
    await second.close();
  }
});

it('loses nothing it answered when killed with SIGKILL right after a response', async () => {
  const stateDir = tempStateDir();
  const { url, child, exited } = await startEndpointProcess(stateDir);
  const ecs = ecsClient(url);
  try {
    // Concurrent registrations share fsyncs (group commit); each still has its own revision.
    const families = Array.from({ length: 20 }, (_, i) => `kill-${i % 4}`);
    const registered = await Promise.all(families.map((f) => ecs.send(new RegisterTaskDefinitionCommand(input(f)))));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'kill-0:5' }));
    const last = await ecs.send(new RegisterTaskDefinitionCommand(input('kill-last')));
    child.kill('SIGKILL');
    await exited;

    const restarted = await startLocalEndpoint(stateDir);
    try {
      for (const out of [...registered, last]) {
        const td = out.taskDefinition!;
        const found = await restarted.ecs.send(
          new DescribeTaskDefinitionCommand({ taskDefinition: td.taskDefinitionArn }),
        );
        expect(found.taskDefinition?.registeredAt).toEqual(td.registeredAt);
      }
      const gone = await restarted.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'kill-0:5' }));
      expect(gone.taskDefinition?.status).toBe('INACTIVE');
      const page = await restarted.ecs.send(new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'kill-' }));
      expect(page.families).toEqual(['kill-0', 'kill-1', 'kill-2', 'kill-3', 'kill-last']);
      const next = await restarted.ecs.send(new RegisterTaskDefinitionCommand(input('kill-0')));
      expect(next.taskDefinition?.revision).toBe(6);
    } finally {
      await restarted.close();
    }
  } finally {
    ecs.destroy();
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
