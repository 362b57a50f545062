import {
  ClusterQueryError,
  FailureReason,
  type PlacementConstraintInput,
  type PlacementInstance,
  PlacementParameterError,
  type PlacementRequest,
  type PlacementStrategyInput,
  placeTasks,
  reserve,
  type TaskNeeds,
  taskNeeds,
  validatePlacementOptions,
} from '../../../lib/placement/placement';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/';

interface InstanceOptions extends Partial<Omit<PlacementInstance, 'remaining'>> {
  cpu?: number;
  memory?: number;
  ports?: number[];
  portsUdp?: number[];
  az?: string;
  type?: string;
}

/** An ACTIVE, connected t3.medium in us-east-1a with 2048 CPU and 3840 MiB free; each case changes one thing. */
function instance(name: string, options: InstanceOptions = {}): PlacementInstance {
  const {
    cpu = 2048,
    memory = 3840,
    ports = [22, 2375, 2376, 51678, 51679],
    portsUdp = [],
    az,
    type,
    ...rest
  } = options;
  return {
    arn: ARN + name,
    ec2InstanceId: `i-${name}`,
    status: 'ACTIVE',
    agentConnected: true,
    remaining: { cpu, memory, ports, portsUdp },
    attributes: { 'ecs.availability-zone': az ?? 'us-east-1a', 'ecs.instance-type': type ?? 't3.medium' },
    runningTasksCount: 0,
    taskGroups: [],
    ...rest,
  };
}

const needs = (fields: Partial<TaskNeeds> = {}): TaskNeeds => ({
  cpu: 256,
  memory: 512,
  tcpPorts: [],
  udpPorts: [],
  group: 'family:web',
  ...fields,
});

/** Always the first of the tied instances (in input order). */
const first = () => 0;

function place(request: Partial<PlacementRequest> & Pick<PlacementRequest, 'instances'>) {
  return placeTasks({ needs: needs(), count: 1, random: first, ...request });
}

/** Names of the instances the copies went to, in placement order. */
const names = (result: ReturnType<typeof placeTasks>) => result.placements.map((p) => p.instanceArn.slice(ARN.length));
const reasons = (result: ReturnType<typeof placeTasks>) =>
  Object.fromEntries(result.failures.map((f) => [f.arn.slice(ARN.length), f.reason]));

describe('placeTasks: the acceptance case', () => {
  it('places three 1536-CPU bridge tasks one per 2048-CPU instance and fails the fourth with RESOURCE:CPU', () => {
    const definition = {
      family: 'batch',
      networkMode: 'bridge',
      containerDefinitions: [
        { name: 'job', cpu: 1536, memory: 1024, portMappings: [{ containerPort: 8080, hostPort: 0 }] },
      ],
    };
    const instances = ['a', 'b', 'c'].map((name) => instance(name, { cpu: 2048, memory: 3840 }));

    const result = placeTasks({ instances, needs: taskNeeds(definition), count: 4, random: Math.random });

    expect(result.placedCount).toBe(3);
    expect(new Set(names(result))).toEqual(new Set(['a', 'b', 'c']));
    expect(result.failures).toEqual([
      { arn: `${ARN}a`, reason: 'RESOURCE:CPU' },
      { arn: `${ARN}b`, reason: 'RESOURCE:CPU' },
      { arn: `${ARN}c`, reason: 'RESOURCE:CPU' },
    ]);
    expect(result.fits).toBe(false);
    expect(result.shortfall).toEqual({ tasks: 1, cpu: 1536, memory: 1024, reason: 'RESOURCE:CPU' });
    expect(result).toMatchObject({ instanceCount: 3, activeCount: 3, candidateCount: 3 });
  });
});

describe('placeTasks: resources', () => {
  it.each<[string, InstanceOptions, Partial<TaskNeeds>, number, string | undefined]>([
    ['room for it', {}, {}, 1, undefined],
    ['exactly enough CPU and memory', { cpu: 256, memory: 512 }, {}, 1, undefined],
    ['not enough CPU', { cpu: 255 }, {}, 0, FailureReason.Cpu],
    ['not enough memory', { memory: 511 }, {}, 0, FailureReason.Memory],
    ['neither: CPU is checked first', { cpu: 0, memory: 0 }, {}, 0, FailureReason.Cpu],
    ['a zero-CPU task on an instance with no CPU left', { cpu: 0 }, { cpu: 0 }, 1, undefined],
    ['a reserved TCP port', { ports: [22, 8080] }, { tcpPorts: [8080] }, 0, FailureReason.Ports],
    ['a reserved UDP port', { portsUdp: [53] }, { udpPorts: [53] }, 0, FailureReason.Ports],
    ['a TCP port taken only for UDP', { portsUdp: [53] }, { tcpPorts: [53] }, 1, undefined],
    [
      'memory short and a port taken: memory is checked first',
      { memory: 1, ports: [80] },
      { tcpPorts: [80] },
      0,
      FailureReason.Memory,
    ],
  ])('%s', (_, options, taskFields, placed, reason) => {
    const result = place({ instances: [instance('a', options)], needs: needs(taskFields) });
    expect(result.placedCount).toBe(placed);
    expect(result.failures).toEqual(reason === undefined ? [] : [{ arn: `${ARN}a`, reason }]);
    expect(result.shortfall.reason).toBe(reason);
  });

  it('reserves each copy on its instance, so the next copy sees less', () => {
    const result = place({ instances: [instance('a', { cpu: 2048 })], needs: needs({ cpu: 1024 }), count: 3 });
    expect(names(result)).toEqual(['a', 'a']);
    expect(result.shortfall).toEqual({ tasks: 1, cpu: 1024, memory: 512, reason: FailureReason.Cpu });
  });

  it('counts fragmentation: four instances with 1024 CPU free cannot host one 2048-CPU task', () => {
    const instances = ['a', 'b', 'c', 'd'].map((name) => instance(name, { cpu: 1024 }));
    const result = place({ instances, needs: needs({ cpu: 2048 }) });
    expect(result.placedCount).toBe(0);
    expect(Object.values(reasons(result))).toEqual(['RESOURCE:CPU', 'RESOURCE:CPU', 'RESOURCE:CPU', 'RESOURCE:CPU']);
    expect(result.shortfall).toEqual({ tasks: 1, cpu: 2048, memory: 512, reason: FailureReason.Cpu });
  });

  it('reserves static host ports: one copy per instance, then RESOURCE:PORTS', () => {
    const definition = {
      networkMode: 'bridge',
      containerDefinitions: [{ name: 'web', memory: 128, portMappings: [{ containerPort: 80, hostPort: 8080 }] }],
    };
    const result = place({ instances: [instance('a'), instance('b')], needs: taskNeeds(definition), count: 3 });
    expect(names(result)).toEqual(['a', 'b']);
    expect(reasons(result)).toEqual({ a: 'RESOURCE:PORTS', b: 'RESOURCE:PORTS' });
  });

  it('lets awsvpc copies share a container port on one instance', () => {
    const definition = {
      networkMode: 'awsvpc',
      containerDefinitions: [{ name: 'web', memory: 128, portMappings: [{ containerPort: 80, hostPort: 80 }] }],
    };
    const result = place({ instances: [instance('a')], needs: taskNeeds(definition), count: 3 });
    expect(names(result)).toEqual(['a', 'a', 'a']);
  });
});

describe('placeTasks: which instances are candidates', () => {
  it('reports a disconnected agent as AGENT and keeps it out of the candidates', () => {
    const result = place({
      instances: [instance('gone', { agentConnected: false }), instance('full', { cpu: 0 })],
    });
    expect(result.placedCount).toBe(0);
    expect(reasons(result)).toEqual({ gone: 'AGENT', full: 'RESOURCE:CPU' });
    expect(result.shortfall.reason).toBe('RESOURCE:CPU'); // the closest match got further than AGENT
    expect(result).toMatchObject({ instanceCount: 2, activeCount: 2, candidateCount: 1 });
  });

  it('never uses a DRAINING instance, and does not list it in failures', () => {
    const result = place({
      instances: [instance('draining', { status: 'DRAINING', cpu: 4096 }), instance('full', { cpu: 0 })],
    });
    expect(result.placedCount).toBe(0);
    expect(reasons(result)).toEqual({ full: 'RESOURCE:CPU' });
    expect(result).toMatchObject({ instanceCount: 2, activeCount: 1, candidateCount: 1 });
  });

  it('answers no failures and no reason when no instance is ACTIVE', () => {
    const result = place({
      instances: [instance('draining', { status: 'DRAINING' }), instance('x', { status: 'INACTIVE' })],
    });
    expect(result).toMatchObject({ placedCount: 0, failures: [], activeCount: 0, candidateCount: 0 });
    expect(result.shortfall).toEqual({ tasks: 1, cpu: 256, memory: 512 });
  });

  it('answers the same for an empty cluster', () => {
    expect(place({ instances: [], count: 2 })).toMatchObject({
      placedCount: 0,
      failures: [],
      shortfall: { tasks: 2, cpu: 512, memory: 1024 },
      instanceCount: 0,
    });
  });

  it.each<[string, Record<string, string | undefined>, boolean]>([
    ['present without a value', { 'ecs.capability.task-eni': undefined }, true],
    ['present with a value', { 'ecs.capability.task-eni': 'true' }, true],
    ['missing', {}, false],
  ])('requires task-definition attributes (ATTRIBUTE): %s', (_, attributes, placed) => {
    const result = place({
      instances: [instance('a', { attributes })],
      needs: needs({ requiredAttributes: [{ name: 'ecs.capability.task-eni' }] }),
    });
    expect(result.placedCount).toBe(placed ? 1 : 0);
    if (!placed) expect(reasons(result)).toEqual({ a: 'ATTRIBUTE' });
  });

  it('requires an attribute value when one is given', () => {
    const result = place({
      instances: [
        instance('win', { attributes: { 'ecs.os-type': 'windows' } }),
        instance('lin', { attributes: { 'ecs.os-type': 'linux' } }),
      ],
      needs: needs({ requiredAttributes: [{ name: 'ecs.os-type', value: 'linux' }] }),
      count: 2,
    });
    expect(names(result)).toEqual(['lin', 'lin']);
    expect(result.failures).toEqual([]);
  });
});

describe('placeTasks: constraints', () => {
  it('memberOf keeps copies on matching instances and reports the others', () => {
    const result = place({
      instances: [instance('t2', { type: 't2.small', cpu: 256 }), instance('m5', { type: 'm5.large', cpu: 8192 })],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }],
      count: 2,
    });
    expect(names(result)).toEqual(['t2']);
    expect(reasons(result)).toEqual({ t2: 'RESOURCE:CPU', m5: 'MemberOf placement constraint unsatisfied.' });
    // m5 had the room, so it is the closest match: the constraint is what is short.
    expect(result.shortfall.reason).toBe('MemberOf placement constraint unsatisfied.');
  });

  it('memberOf on an availability zone', () => {
    const result = place({
      instances: [instance('a', { az: 'us-east-1a' }), instance('b', { az: 'us-east-1b' })],
      placementConstraints: [
        { type: 'memberOf', expression: 'attribute:ecs.availability-zone in [us-east-1b, us-east-1c]' },
      ],
      count: 3,
    });
    expect(names(result)).toEqual(['b', 'b', 'b']);
  });

  it('distinctInstance puts each copy on its own instance', () => {
    const result = place({
      instances: [instance('a'), instance('b')],
      placementConstraints: [{ type: 'distinctInstance' }],
      count: 3,
    });
    expect(names(result)).toEqual(['a', 'b']);
    expect(reasons(result)).toEqual({
      a: 'DistinctInstance placement constraint unsatisfied.',
      b: 'DistinctInstance placement constraint unsatisfied.',
    });
    expect(result.shortfall.reason).toBe('DistinctInstance placement constraint unsatisfied.');
  });

  it('distinctInstance avoids instances already running a task of the group, and only of the group', () => {
    const result = place({
      instances: [
        instance('busy', { taskGroups: ['family:web'] }),
        instance('other', { taskGroups: ['family:db', 'family:db'] }),
      ],
      placementConstraints: [{ type: 'distinctInstance' }],
      count: 2,
    });
    expect(names(result)).toEqual(['other']);
  });

  it('a task:group query sees the copies placed by the same call', () => {
    const result = place({
      instances: [instance('a'), instance('b'), instance('c', { taskGroups: ['family:web'] })],
      placementConstraints: [{ type: 'memberOf', expression: 'not(task:group == family:web)' }],
      count: 3,
    });
    expect(names(result)).toEqual(['a', 'b']);
    expect(Object.values(reasons(result))).toEqual(Array(3).fill('MemberOf placement constraint unsatisfied.'));
  });

  it('reports the first constraint an instance fails, in the order given', () => {
    const result = place({
      instances: [instance('a', { taskGroups: ['family:web'], type: 'm5.large' })],
      placementConstraints: [
        { type: 'distinctInstance' },
        { type: 'memberOf', expression: 'attribute:ecs.instance-type == t2.small' },
      ],
    });
    expect(reasons(result)).toEqual({ a: 'DistinctInstance placement constraint unsatisfied.' });
  });
});

describe('placeTasks: strategies', () => {
  const zones = () => [
    instance('a1', { az: 'us-east-1a' }),
    instance('a2', { az: 'us-east-1a' }),
    instance('b1', { az: 'us-east-1b' }),
    instance('c1', { az: 'us-east-1c' }),
  ];
  const spreadByZone: PlacementStrategyInput[] = [{ type: 'spread', field: 'attribute:ecs.availability-zone' }];

  it('spread by availability zone puts one copy in each zone before doubling up', () => {
    const result = place({ instances: zones(), placementStrategy: spreadByZone, count: 4 });
    expect(names(result)).toEqual(['a1', 'b1', 'c1', 'a1']);
  });

  it('spread by availability zone counts the tasks of the group already running', () => {
    const instances = zones();
    instances[2] = instance('b1', { az: 'us-east-1b', taskGroups: ['family:web', 'family:other', 'family:other'] });
    const result = place({ instances, placementStrategy: spreadByZone, count: 3 });
    expect(names(result)).toEqual(['a1', 'c1', 'a1']);
  });

  it('spread by instanceId (or host) levels the copies across instances', () => {
    for (const field of ['instanceId', 'host']) {
      const result = place({
        instances: [instance('a'), instance('b', { taskGroups: ['family:web'] })],
        placementStrategy: [{ type: 'spread', field }],
        count: 3,
      });
      expect(names(result)).toEqual(['a', 'a', 'b']);
    }
  });

  it('binpack by memory picks the fullest instance that still fits', () => {
    const result = place({
      instances: [
        instance('roomy', { memory: 4000 }),
        instance('fullest', { memory: 1000 }),
        instance('mid', { memory: 2000 }),
      ],
      placementStrategy: [{ type: 'binpack', field: 'memory' }],
      count: 3,
    });
    expect(names(result)).toEqual(['fullest', 'mid', 'mid']);
  });

  it('binpack by cpu', () => {
    const result = place({
      instances: [instance('roomy', { cpu: 4096 }), instance('fullest', { cpu: 300 })],
      placementStrategy: [{ type: 'binpack', field: 'cpu' }],
      count: 2,
    });
    expect(names(result)).toEqual(['fullest', 'roomy']);
  });

  it('later strategies break the ties of earlier ones: spread by zone, then binpack by memory', () => {
    const result = place({
      instances: [
        instance('a-roomy', { az: 'us-east-1a', memory: 8000 }),
        instance('a-full', { az: 'us-east-1a', memory: 1024 }),
        instance('b-roomy', { az: 'us-east-1b', memory: 8000 }),
        instance('b-full', { az: 'us-east-1b', memory: 600 }),
      ],
      placementStrategy: [...spreadByZone, { type: 'binpack', field: 'memory' }],
      count: 3,
    });
    expect(names(result)).toEqual(['b-full', 'a-full', 'a-full']);
  });

  it.each([
    [0, 'a'],
    [0.34, 'b'],
    [0.99, 'c'],
  ])('random picks with the injected source (%s -> %s)', (value, expected) => {
    const result = place({
      instances: [instance('a'), instance('b'), instance('c')],
      placementStrategy: [{ type: 'random' }],
      random: () => value,
    });
    expect(names(result)).toEqual([expected]);
  });

  it('random only draws among the ties of the strategies before it', () => {
    const draws: number[] = [];
    const result = place({
      instances: [
        instance('roomy', { memory: 8000 }),
        instance('full-1', { memory: 600 }),
        instance('full-2', { memory: 600 }),
      ],
      placementStrategy: [
        { type: 'binpack', field: 'memory' },
        { type: 'random' },
        { type: 'spread', field: 'instanceId' },
      ],
      random: () => {
        draws.push(1);
        return 0.99;
      },
    });
    expect(names(result)).toEqual(['full-2']);
    expect(draws).toHaveLength(1);
  });

  it('breaks ties left by the strategies at random, and asks for nothing when there is no tie', () => {
    let calls = 0;
    const random = () => {
      calls++;
      return 0.5;
    };
    expect(names(place({ instances: [instance('a'), instance('b')], random }))).toEqual(['b']);
    expect(calls).toBe(1);
    expect(names(place({ instances: [instance('a'), instance('b', { cpu: 0 })], random }))).toEqual(['a']);
    expect(calls).toBe(1);
  });

  it('places as many copies whichever instances win the ties', () => {
    const instances = [
      instance('a', { cpu: 1000 }),
      instance('b', { cpu: 600, memory: 700 }),
      instance('c', { cpu: 3000 }),
    ];
    const counts = [0, 0.3, 0.6, 0.99].map(
      (value) => place({ instances, needs: needs({ cpu: 300 }), count: 10, random: () => value }).placedCount,
    );
    expect(counts).toEqual([10, 10, 10, 10]);
    const tight = [0, 0.5, 0.99].map(
      (value) => place({ instances, needs: needs({ cpu: 500 }), count: 10, random: () => value }).placedCount,
    );
    expect(tight).toEqual([9, 9, 9]); // 2 + 1 + 6
  });
});

describe('placeTasks: invalid requests', () => {
  it.each<[string, PlacementConstraintInput[], PlacementStrategyInput[], string]>([
    [
      'distinctInstance with an expression',
      [{ type: 'distinctInstance', expression: '' }],
      [],
      'distinctInstance expression should not be specified.',
    ],
    ['memberOf without an expression', [{ type: 'memberOf' }], [], 'memberOf expression must be specified.'],
    [
      'an unknown constraint type',
      [{ type: 'sameInstance' }],
      [],
      "Invalid placement constraint type 'sameInstance'. Valid types are distinctInstance and memberOf.",
    ],
    [
      'an expression over 2000 characters',
      [{ type: 'memberOf', expression: `attribute:a == ${'x'.repeat(1990)}` }],
      [],
      'memberOf expression is too long: 2005 characters (at most 2000).',
    ],
    [
      'eleven constraints',
      Array(11).fill({ type: 'distinctInstance' }),
      [],
      "Too many placement constraints: 11 (at most 10, counting the task definition's).",
    ],
    ['six strategies', [], Array(6).fill({ type: 'random' }), 'Too many placement strategies: 6 (at most 5).'],
    [
      'an unknown strategy type',
      [],
      [{ type: 'pack' }],
      "Invalid placement strategy type 'pack'. Valid types are random, spread and binpack.",
    ],
    [
      'binpack on ports',
      [],
      [{ type: 'binpack', field: 'ports' }],
      "Invalid binpack field 'ports'. Valid fields are cpu and memory.",
    ],
    [
      'spread without a field',
      [],
      [{ type: 'spread' }],
      'The spread placement strategy needs a field: instanceId, host or attribute:<name>.',
    ],
    [
      'spread on an unknown field',
      [],
      [{ type: 'spread', field: 'zone' }],
      "Invalid spread field 'zone'. Valid fields are instanceId, host and attribute:<name>.",
    ],
    [
      'binpack without a field',
      [],
      [{ type: 'binpack' }],
      'The binpack placement strategy needs a field: cpu or memory.',
    ],
  ])('refuses %s', (_, placementConstraints, placementStrategy, message) => {
    const expected = new PlacementParameterError(message);
    expect(() => validatePlacementOptions(placementConstraints, placementStrategy)).toThrow(expected);
    expect(() => place({ instances: [instance('a')], placementConstraints, placementStrategy })).toThrow(expected);
  });

  it('refuses a memberOf expression that does not parse, as InvalidParameterException', () => {
    const run = () =>
      place({
        instances: [instance('a')],
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:a = 1' }],
      });
    expect(run).toThrow(ClusterQueryError);
    expect(run).toThrow(PlacementParameterError);
    expect(run).toThrow("Invalid cluster query expression 'attribute:a = 1': ");
  });

  it.each([0, 11, 1.5])('refuses count %s', (count) => {
    expect(() => place({ instances: [instance('a')], count })).toThrow(
      new PlacementParameterError(`count must be a whole number from 1 to 10, not ${count}.`),
    );
  });

  it('validates before looking at the cluster', () => {
    expect(() => place({ instances: [], placementStrategy: [{ type: 'binpack', field: 'gpu' }] })).toThrow(
      PlacementParameterError,
    );
  });
});

describe('placeTasks: results callers rely on', () => {
  it('leaves its input unchanged', () => {
    const instances = [instance('a', { ports: [22] }), instance('b', { ports: [22] })];
    const before = JSON.stringify(instances);
    place({
      instances,
      needs: needs({ tcpPorts: [80] }),
      count: 2,
      placementConstraints: [{ type: 'memberOf', expression: 'not(task:group == family:web)' }],
    });
    expect(JSON.stringify(instances)).toBe(before);
  });

  it('gives the index of each chosen instance so a caller can find its own object', () => {
    const result = place({ instances: [instance('a', { cpu: 0 }), instance('b')] });
    expect(result.placements).toEqual([{ instanceArn: `${ARN}b`, instanceIndex: 1 }]);
    expect(result).toMatchObject({ fits: true, failures: [], shortfall: { tasks: 0 } });
    expect(result.shortfall).toEqual({ tasks: 0 });
  });

  it('reserve() gives what an instance has left after a placement', () => {
    const left = reserve(
      { cpu: 2048, memory: 3840, ports: [22], portsUdp: [] },
      needs({ cpu: 1536, memory: 1024, tcpPorts: [8080], udpPorts: [53] }),
    );
    expect(left).toEqual({ cpu: 512, memory: 2816, ports: [22, 8080], portsUdp: [53] });
  });

  it('places 10 copies among 5,000 instances with constraints and strategies (speed is measured in bench/capacity)', () => {
    const instances = Array.from({ length: 5000 }, (_, i) =>
      instance(`i${i}`, { az: `us-east-1${'abc'[i % 3]}`, cpu: 1024 + (i % 7) * 128, memory: 2048 + (i % 5) * 256 }),
    );
    const result = place({
      instances,
      needs: needs({ cpu: 1024 }),
      count: 10,
      placementConstraints: [
        { type: 'distinctInstance' },
        {
          type: 'memberOf',
          expression: 'attribute:ecs.instance-type =~ t3.* and attribute:ecs.availability-zone != us-east-1d',
        },
      ],
      placementStrategy: [
        { type: 'spread', field: 'attribute:ecs.availability-zone' },
        { type: 'binpack', field: 'memory' },
      ],
    });
    expect(result.placedCount).toBe(10);
    expect(new Set(result.placements.map((p) => p.instanceArn)).size).toBe(10);
  });
});

describe('placeTasks: taskGroups as counts per group', () => {
  /** The same instances with taskGroups as a Map of counts (the emulator's form) instead of a list. */
  const counted = (instances: PlacementInstance[]): PlacementInstance[] =>
    instances.map((i) => {
      const counts = new Map<string, number>();
      for (const g of i.taskGroups as readonly string[]) counts.set(g, (counts.get(g) ?? 0) + 1);
      return { ...i, taskGroups: counts };
    });
  const cases: [string, Partial<PlacementRequest> & Pick<PlacementRequest, 'instances'>][] = [
    [
      'distinctInstance',
      {
        instances: [
          instance('busy', { taskGroups: ['family:web'] }),
          instance('other', { taskGroups: ['family:db', 'family:db'] }),
          instance('free'),
        ],
        placementConstraints: [{ type: 'distinctInstance' }],
        count: 3,
      },
    ],
    [
      'task:group, seeing its own copies',
      {
        instances: [instance('a'), instance('b'), instance('c', { taskGroups: ['family:web'] })],
        placementConstraints: [{ type: 'memberOf', expression: 'not(task:group == family:web)' }],
        count: 3,
      },
    ],
    [
      'task:group exists',
      {
        instances: [instance('a'), instance('b', { taskGroups: ['family:db'] })],
        placementConstraints: [{ type: 'memberOf', expression: 'task:group exists' }],
        count: 2,
      },
    ],
    [
      'spread by instanceId',
      {
        instances: [instance('a', { taskGroups: ['family:web', 'family:web'] }), instance('b'), instance('c')],
        placementStrategy: [{ type: 'spread', field: 'instanceId' }],
        count: 5,
      },
    ],
    [
      'spread by zone',
      {
        instances: [
          instance('a1', { az: 'us-east-1a', taskGroups: ['family:web'] }),
          instance('b1', { az: 'us-east-1b', taskGroups: ['family:web', 'family:other', 'family:other'] }),
          instance('c1', { az: 'us-east-1c' }),
        ],
        placementStrategy: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }],
        count: 4,
      },
    ],
  ];

  it.each(cases)('%s: the same result as with a list', (_name, request) => {
    const listed = place(request);
    const result = place({ ...request, instances: counted(request.instances as PlacementInstance[]) });
    expect(result).toEqual(listed);
    expect(listed.placedCount).toBeGreaterThan(0);
  });
});
