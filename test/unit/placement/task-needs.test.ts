import EXAMPLE from '../../../examples/anjana-educative.json';
import { PlacementParameterError } from '../../../lib/placement/errors';
import {
  type PlacementContainerDefinition,
  type PlacementOverrides,
  type PlacementTaskDefinition,
  taskNeeds,
} from '../../../lib/placement/task-needs';

const container = (fields: Partial<PlacementContainerDefinition> = {}): PlacementContainerDefinition => ({
  name: 'app',
  ...fields,
});
const definition = (
  fields: Partial<PlacementTaskDefinition> = {},
  containers: PlacementContainerDefinition[] = [container({ memory: 256 })],
): PlacementTaskDefinition => ({ family: 'web', containerDefinitions: containers, ...fields });

describe('taskNeeds: cpu and memory', () => {
  it.each<[string, PlacementTaskDefinition, PlacementOverrides | undefined, number, number]>([
    [
      'task-level sizes win over the containers',
      definition({ cpu: '256', memory: '512' }, [container({ cpu: 99, memory: 100 })]),
      undefined,
      256,
      512,
    ],
    [
      'without task-level sizes, the sum over containers (cpu 0 where absent)',
      definition({}, [container({ cpu: 128, memory: 256 }), container({ name: 'sidecar', memory: 128 })]),
      undefined,
      128,
      384,
    ],
    [
      'memoryReservation is what a container reserves',
      definition({}, [
        container({ memory: 512, memoryReservation: 128 }),
        container({ name: 'b', memoryReservation: 64 }),
      ]),
      undefined,
      0,
      192,
    ],
    [
      'task-level cpu with container memory',
      definition({ cpu: '1024' }, [container({ cpu: 10, memoryReservation: 300 })]),
      undefined,
      1024,
      300,
    ],
    [
      'numbers given as strings',
      definition({ cpu: 2048, memory: 4096 }, [container({ cpu: '99', memory: '100' })]),
      undefined,
      2048,
      4096,
    ],
    [
      'container strings when there is no task size',
      definition({}, [container({ cpu: '99', memory: '100' })]),
      undefined,
      99,
      100,
    ],
    [
      'task-level overrides replace the task size',
      definition({ cpu: '256', memory: '512' }),
      { cpu: '1024', memory: '2048' },
      1024,
      2048,
    ],
    [
      'task-level overrides apply even without a task size',
      definition({}, [container({ cpu: 128, memory: 256 })]),
      { cpu: '512' },
      512,
      256,
    ],
    [
      'container overrides by name',
      definition({}, [container({ cpu: 128, memory: 256 }), container({ name: 'sidecar', cpu: 64, memory: 64 })]),
      { containerOverrides: [{ name: 'sidecar', cpu: 256, memory: 512 }] },
      384,
      768,
    ],
    [
      'a container override for another name changes nothing',
      definition({}, [container({ cpu: 128, memory: 256 })]),
      { containerOverrides: [{ name: 'other', cpu: 4096, memory: 4096 }, { cpu: 4096 }] },
      128,
      256,
    ],
    [
      'a memory override leaves a reservation in place',
      definition({}, [container({ memory: 512, memoryReservation: 128 })]),
      { containerOverrides: [{ name: 'app', memory: 1024 }] },
      0,
      128,
    ],
    [
      'a memoryReservation override wins over the container memory',
      definition({}, [container({ memory: 512 })]),
      { containerOverrides: [{ name: 'app', memoryReservation: 64 }] },
      0,
      64,
    ],
    [
      'container overrides do not change a task-level size',
      definition({ cpu: '256', memory: '512' }, [container({ cpu: 128, memory: 256 })]),
      { containerOverrides: [{ name: 'app', cpu: 1024, memory: 1024 }] },
      256,
      512,
    ],
  ])('%s', (_, taskDefinition, overrides, cpu, memory) => {
    expect(taskNeeds(taskDefinition, overrides)).toMatchObject({ cpu, memory });
  });

  it('reads the example users start from', () => {
    expect(taskNeeds(EXAMPLE)).toEqual({
      cpu: 256,
      memory: 512,
      tcpPorts: [],
      udpPorts: [],
      group: 'family:anjana-educative',
    });
  });

  it.each([
    ['cpu', definition({ cpu: '1 vCPU' }), 'cpu must be a non-negative whole number, not "1 vCPU".'],
    ['memory', definition({ memory: '-1' }), 'memory must be a non-negative whole number, not "-1".'],
    [
      'container memory',
      definition({}, [container({ memory: Number.NaN })]),
      'containerDefinitions[0].memory must be a non-negative whole number, not null.',
    ],
  ])('refuses a %s it cannot read', (_, taskDefinition, message) => {
    expect(() => taskNeeds(taskDefinition)).toThrow(new PlacementParameterError(message));
  });
});

describe('taskNeeds: static host ports', () => {
  type Mapping = { containerPort?: number; hostPort?: number; protocol?: string };
  const withPorts = (networkMode: string | undefined, ...portMappings: Mapping[]) =>
    definition({ networkMode }, [container({ memory: 256, portMappings })]);

  it.each<[string, PlacementTaskDefinition, number[], number[]]>([
    ['bridge with a static hostPort', withPorts('bridge', { containerPort: 80, hostPort: 8080 }), [8080], []],
    ['bridge with hostPort 0 (dynamic)', withPorts('bridge', { containerPort: 80, hostPort: 0 }), [], []],
    ['bridge without hostPort (dynamic)', withPorts('bridge', { containerPort: 80 }), [], []],
    ['no networkMode is bridge', withPorts(undefined, { containerPort: 80, hostPort: 8080 }), [8080], []],
    ['Windows default mode maps like bridge', withPorts('default', { containerPort: 80, hostPort: 8080 }), [8080], []],
    ['host binds the containerPort', withPorts('host', { containerPort: 80 }), [80], []],
    ['host with a matching hostPort', withPorts('host', { containerPort: 80, hostPort: 80 }), [80], []],
    ['awsvpc binds nothing on the instance', withPorts('awsvpc', { containerPort: 80, hostPort: 80 }), [], []],
    ['none has no ports', withPorts('none'), [], []],
    [
      'udp goes to udpPorts, tcp is the default',
      withPorts(
        'host',
        { containerPort: 53, protocol: 'udp' },
        { containerPort: 53, protocol: 'TCP' },
        { containerPort: 8 },
      ),
      [53, 8],
      [53],
    ],
    [
      'ports are listed once across containers',
      definition({ networkMode: 'bridge' }, [
        container({ memory: 1, portMappings: [{ containerPort: 80, hostPort: 8080 }] }),
        container({ name: 'b', memory: 1, portMappings: [{ containerPort: 81, hostPort: 8080 }, { hostPort: 9090 }] }),
      ]),
      [8080, 9090],
      [],
    ],
  ])('%s', (_, taskDefinition, tcpPorts, udpPorts) => {
    const needs = taskNeeds(taskDefinition);
    expect(needs.tcpPorts).toEqual(tcpPorts);
    expect(needs.udpPorts).toEqual(udpPorts);
  });
});

describe('taskNeeds: group and required attributes', () => {
  it('defaults the group to family:<family> and keeps requiresAttributes', () => {
    const needs = taskNeeds(
      definition({
        networkMode: 'awsvpc',
        requiresAttributes: [{ name: 'ecs.capability.task-eni' }, { name: 'ecs.os-type', value: 'linux' }],
      }),
    );
    expect(needs.group).toBe('family:web');
    expect(needs.requiredAttributes).toEqual([
      { name: 'ecs.capability.task-eni' },
      { name: 'ecs.os-type', value: 'linux' },
    ]);
  });

  it('has no group without a family and no requiredAttributes when none are required', () => {
    const needs = taskNeeds({ containerDefinitions: [container({ memory: 1 })] });
    expect(needs).not.toHaveProperty('group');
    expect(needs).not.toHaveProperty('requiredAttributes');
  });
});
