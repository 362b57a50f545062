import type { ContainerInstance } from '@aws-sdk/client-ecs';
import { checkCapacity, placementOverrides, toPlacementInstance } from '../../../lib/capacity/capacity';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/';

/** A DescribeContainerInstances entry: ACTIVE, connected, with `cpu`/`memory` left. */
function instance(
  name: string,
  cpu: number,
  memory: number,
  extra: Partial<ContainerInstance> & { ports?: string[] } = {},
): ContainerInstance {
  const { ports = ['22', '51678'], ...rest } = extra;
  return {
    containerInstanceArn: ARN + name,
    ec2InstanceId: `i-${name}`,
    status: 'ACTIVE',
    agentConnected: true,
    runningTasksCount: 0,
    attributes: [{ name: 'ecs.instance-type', value: 't3.medium' }, { name: 'ecs.capability.task-eni' }],
    remainingResources: [
      { name: 'CPU', type: 'INTEGER', integerValue: cpu },
      { name: 'MEMORY', type: 'INTEGER', integerValue: memory },
      { name: 'PORTS', type: 'STRINGSET', stringSetValue: ports },
      { name: 'PORTS_UDP', type: 'STRINGSET', stringSetValue: [] },
    ],
    ...rest,
  };
}

const td = (cpu: number, memory: number, extra: object = {}) => ({
  family: 'job',
  containerDefinitions: [{ name: 'main', cpu, memory }],
  ...extra,
});

describe('checkCapacity', () => {
  it.each([
    {
      case: 'fragmentation: four instances with 1 vCPU free each cannot host one 2 vCPU task',
      instances: [1, 2, 3, 4].map((i) => instance(`i${i}`, 1024, 4096)),
      taskDefinition: td(2048, 512),
      count: 1,
      fits: false,
      placeable: 0,
      shortfall: { tasks: 1, cpu: 2048, memory: 512, reason: 'RESOURCE:CPU' },
    },
    {
      case: 'one instance with 2 vCPU free hosts it',
      instances: [instance('a', 1024, 4096), instance('b', 2048, 4096)],
      taskDefinition: td(2048, 512),
      count: 1,
      fits: true,
      placeable: 1,
    },
    {
      case: 'copies reserve as they are placed: 3 of 4 fit',
      instances: [instance('a', 2048, 1024), instance('b', 1024, 1024)],
      taskDefinition: td(1024, 512),
      count: 4,
      fits: false,
      placeable: 3,
      shortfall: { tasks: 1, cpu: 1024, memory: 512, reason: 'RESOURCE:CPU' },
    },
    {
      case: 'memory short',
      instances: [instance('a', 4096, 256)],
      taskDefinition: td(256, 512),
      count: 1,
      fits: false,
      placeable: 0,
      shortfall: { tasks: 1, cpu: 256, memory: 512, reason: 'RESOURCE:MEMORY' },
    },
    {
      case: 'task-level cpu/memory win over the containers',
      instances: [instance('a', 1024, 1024)],
      taskDefinition: td(128, 128, { cpu: '2048', memory: '512' }),
      count: 1,
      fits: false,
      placeable: 0,
      shortfall: { tasks: 1, cpu: 2048, memory: 512, reason: 'RESOURCE:CPU' },
    },
    {
      case: 'static host port already taken',
      instances: [instance('a', 4096, 4096, { ports: ['22', '8080'] })],
      taskDefinition: {
        family: 'web',
        containerDefinitions: [
          { name: 'web', cpu: 256, memory: 256, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
        ],
      },
      count: 1,
      fits: false,
      placeable: 0,
      shortfall: { tasks: 1, cpu: 256, memory: 256, reason: 'RESOURCE:PORTS' },
    },
    {
      case: 'static host port: one copy per instance',
      instances: [instance('a', 4096, 4096), instance('b', 4096, 4096)],
      taskDefinition: {
        family: 'web',
        containerDefinitions: [
          { name: 'web', cpu: 256, memory: 256, portMappings: [{ containerPort: 80, hostPort: 8080 }] },
        ],
      },
      count: 3,
      fits: false,
      placeable: 2,
      shortfall: { tasks: 1, cpu: 256, memory: 256, reason: 'RESOURCE:PORTS' },
    },
    {
      case: "the task definition's memberOf applies",
      instances: [instance('a', 4096, 4096)],
      taskDefinition: td(256, 256, {
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == m5.large' }],
      }),
      count: 1,
      fits: false,
      placeable: 0,
      shortfall: { tasks: 1, cpu: 256, memory: 256, reason: 'MemberOf placement constraint unsatisfied.' },
    },
    {
      case: 'no instances at all',
      instances: [],
      taskDefinition: td(256, 256),
      count: 2,
      fits: false,
      placeable: 0,
      shortfall: { tasks: 2, cpu: 512, memory: 512 },
    },
  ])('$case', ({ instances, taskDefinition, count, fits, placeable, shortfall }) => {
    const result = checkCapacity({ instances, taskDefinition, count, random: () => 0 });
    expect(result.fits).toBe(fits);
    expect(result.placeableCount).toBe(placeable);
    expect(result.instanceCount).toBe(instances.length);
    expect(result.shortfall).toEqual(shortfall);
  });

  it('applies container overrides (PascalCase, as the workflow holds them)', () => {
    const instances = [instance('a', 1024, 4096)];
    const overrides = placementOverrides({ ContainerOverrides: [{ Name: 'main', Cpu: 2048 }] });
    expect(checkCapacity({ instances, taskDefinition: td(256, 256), count: 1, overrides }).fits).toBe(false);
    const smaller = placementOverrides({ ContainerOverrides: [{ Name: 'main', Cpu: 512, MemoryReservation: 64 }] });
    expect(checkCapacity({ instances, taskDefinition: td(2048, 256), count: 1, overrides: smaller }).fits).toBe(true);
    const taskLevel = placementOverrides({ Cpu: '4096', Memory: '512' });
    expect(
      checkCapacity({ instances, taskDefinition: td(256, 256), count: 1, overrides: taskLevel }).shortfall,
    ).toEqual({ tasks: 1, cpu: 4096, memory: 512, reason: 'RESOURCE:CPU' });
  });

  it('distinctInstance spreads the copies of the run one per instance', () => {
    const instances = [instance('a', 4096, 4096), instance('b', 4096, 4096)];
    const result = checkCapacity({
      instances,
      taskDefinition: td(256, 256),
      count: 3,
      placementConstraints: [{ type: 'distinctInstance' }],
      group: 'run-1',
    });
    expect(result).toMatchObject({ fits: false, placeableCount: 2 });
    expect(result.shortfall?.reason).toBe('DistinctInstance placement constraint unsatisfied.');
  });

  it('counts only connected instances', () => {
    const result = checkCapacity({
      instances: [instance('a', 4096, 4096, { agentConnected: false }), instance('b', 4096, 4096)],
      taskDefinition: td(256, 256),
      count: 1,
    });
    expect(result).toEqual({ fits: true, placeableCount: 1, instanceCount: 1 });
  });
});

describe('toPlacementInstance', () => {
  it('maps remainingResources, attributes and identity', () => {
    const registeredAt = new Date('2024-01-02T03:04:05Z');
    const mapped = toPlacementInstance(
      instance('a', 1000, 2000, { ports: ['22', '80'], registeredAt, versionInfo: { agentVersion: '1.80.0' } }),
    );
    expect(mapped).toEqual({
      arn: `${ARN}a`,
      ec2InstanceId: 'i-a',
      status: 'ACTIVE',
      agentConnected: true,
      agentVersion: '1.80.0',
      registeredAt,
      attributes: { 'ecs.instance-type': 't3.medium', 'ecs.capability.task-eni': undefined },
      runningTasksCount: 0,
      taskGroups: [],
      remaining: { cpu: 1000, memory: 2000, ports: [22, 80], portsUdp: [] },
    });
  });

  it('treats missing resources as none left', () => {
    expect(toPlacementInstance({ containerInstanceArn: 'x', status: 'ACTIVE' }).remaining).toEqual({
      cpu: 0,
      memory: 0,
      ports: [],
      portsUdp: [],
    });
  });
});
