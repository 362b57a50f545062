/** The placement engine's explanations (`explain: true`): per copy, where it went and why every other instance refused it. */
import fc from 'fast-check';
import {
  FailureReason,
  type PlacementConstraintInput,
  type PlacementInstance,
  type PlacementStrategyInput,
  placeTasks,
  type TaskNeeds,
} from '../../../lib/placement/placement';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:container-instance/default/';

function instance(
  name: string,
  options: Partial<PlacementInstance> & { cpu?: number; memory?: number; ports?: number[] } = {},
): PlacementInstance {
  const { cpu = 2048, memory = 3840, ports = [22], ...rest } = options;
  return {
    arn: ARN + name,
    status: 'ACTIVE',
    agentConnected: true,
    remaining: { cpu, memory, ports, portsUdp: [] },
    attributes: { 'ecs.instance-type': 't3.medium' },
    runningTasksCount: 0,
    taskGroups: [],
    ...rest,
  };
}

const needs = (fields: Partial<TaskNeeds> = {}): TaskNeeds => ({
  cpu: 1024,
  memory: 1024,
  tcpPorts: [],
  udpPorts: [],
  group: 'run-1',
  ...fields,
});

const first = () => 0;

interface Case {
  name: string;
  instances: PlacementInstance[];
  needs?: Partial<TaskNeeds>;
  count: number;
  constraints?: PlacementConstraintInput[];
  strategy?: PlacementStrategyInput[];
  /** Per copy: the instance name it lands on, or null; then each refusing instance as `name=reason`. */
  expected: Array<[string | null, string[]]>;
}

const name = (arn: string | undefined) => arn?.slice(ARN.length) ?? null;

const cases: Case[] = [
  {
    name: 'two copies on a roomy instance: nothing refuses',
    instances: [instance('a')],
    count: 2,
    expected: [
      ['a', []],
      ['a', []],
    ],
  },
  {
    name: 'the second copy no longer fits on the first instance (CPU), so it goes to the second',
    instances: [instance('a', { cpu: 1024 }), instance('b')],
    count: 2,
    expected: [
      ['a', []],
      ['b', ['a=RESOURCE:CPU']],
    ],
  },
  {
    name: 'memory is short everywhere: every copy is refused by every instance',
    instances: [instance('a', { memory: 512 }), instance('b', { memory: 1000 })],
    count: 2,
    expected: [
      [null, ['a=RESOURCE:MEMORY', 'b=RESOURCE:MEMORY']],
      [null, ['a=RESOURCE:MEMORY', 'b=RESOURCE:MEMORY']],
    ],
  },
  {
    name: 'a static host port is taken on one instance and by the first copy on the other',
    instances: [instance('a', { ports: [22, 8080] }), instance('b')],
    needs: { tcpPorts: [8080] },
    count: 2,
    expected: [
      ['b', ['a=RESOURCE:PORTS']],
      [null, ['a=RESOURCE:PORTS', 'b=RESOURCE:PORTS']],
    ],
  },
  {
    name: 'a disconnected agent, a missing attribute, and a memberOf constraint, each named',
    instances: [
      instance('a', { agentConnected: false }),
      instance('b'),
      instance('c', { attributes: { 'ecs.instance-type': 't3.large' } }),
    ],
    needs: { requiredAttributes: [{ name: 'ecs.instance-type' }] },
    constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type == t3.large' }],
    count: 1,
    expected: [['c', ['a=AGENT', `b=${FailureReason.MemberOf}`]]],
  },
  {
    name: 'distinctInstance: the second copy is refused by the instance that took the first',
    instances: [instance('a'), instance('b', { cpu: 512 })],
    constraints: [{ type: 'distinctInstance' }],
    count: 2,
    expected: [
      ['a', ['b=RESOURCE:CPU']],
      [null, [`a=${FailureReason.DistinctInstance}`, 'b=RESOURCE:CPU']],
    ],
  },
  {
    name: 'a DRAINING instance is not a candidate and is not listed',
    instances: [instance('a', { status: 'DRAINING' }), instance('b')],
    count: 1,
    expected: [['b', []]],
  },
  {
    name: 'binpack on memory prefers the fuller instance; the other is eligible, not refused',
    instances: [instance('a', { memory: 3840 }), instance('b', { memory: 1536 })],
    strategy: [{ type: 'binpack', field: 'memory' }],
    count: 2,
    expected: [
      ['b', []],
      ['a', ['b=RESOURCE:MEMORY']],
    ],
  },
];

describe('placeTasks with explain', () => {
  it.each(cases)('$name', (c) => {
    const result = placeTasks({
      instances: c.instances,
      needs: needs(c.needs),
      count: c.count,
      placementConstraints: c.constraints ?? [],
      placementStrategy: c.strategy ?? [],
      random: first,
      explain: true,
    });
    const steps = result.steps ?? [];
    expect(steps.map((s) => s.copy)).toEqual(c.expected.map((_, i) => i));
    expect(steps.map((s) => [name(s.instanceArn), s.refusals.map((r) => `${name(r.arn)}=${r.reason}`)])).toEqual(
      c.expected,
    );
    expect(result.placedCount).toBe(c.expected.filter(([at]) => at !== null).length);
  });

  it('reports what each refusing instance had left, this call’s earlier copies deducted', () => {
    const result = placeTasks({
      instances: [instance('a', { cpu: 1536 }), instance('b')],
      needs: needs(),
      count: 2,
      random: first,
      explain: true,
    });
    expect(result.steps?.[1]?.refusals).toEqual([
      { arn: `${ARN}a`, instanceIndex: 0, reason: 'RESOURCE:CPU', remaining: { cpu: 512, memory: 2816 } },
    ]);
    expect(result.steps?.[1]?.eligibleCount).toBe(1);
  });

  it('counts the eligible instances the strategies chose between', () => {
    const result = placeTasks({
      instances: [instance('a'), instance('b'), instance('c', { cpu: 10 })],
      needs: needs(),
      count: 1,
      random: first,
      explain: true,
    });
    expect(result.steps?.[0]).toMatchObject({ eligibleCount: 2, instanceArn: `${ARN}a` });
  });

  it('leaves steps out when not asked', () => {
    expect(placeTasks({ instances: [instance('a')], needs: needs(), count: 1 }).steps).toBeUndefined();
  });

  it('decides exactly as without explain (same random draws)', () => {
    const arbInstance = fc.record({
      cpu: fc.integer({ min: 0, max: 4096 }),
      memory: fc.integer({ min: 0, max: 8192 }),
      port: fc.boolean(),
      agent: fc.boolean(),
      draining: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(arbInstance, { minLength: 0, maxLength: 8 }),
        fc.integer({ min: 1, max: 10 }),
        fc.constantFrom<PlacementStrategyInput[]>(
          [],
          [{ type: 'binpack', field: 'cpu' }],
          [{ type: 'spread', field: 'instanceId' }],
        ),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 0.999, noNaN: true }), { minLength: 20, maxLength: 20 }),
        (shapes, count, strategy, distinct, draws) => {
          const instances = shapes.map((s, i) =>
            instance(String(i), {
              cpu: s.cpu,
              memory: s.memory,
              ports: s.port ? [22, 80] : [22],
              agentConnected: s.agent,
              status: s.draining ? 'DRAINING' : 'ACTIVE',
            }),
          );
          const run = (explain: boolean) => {
            let k = 0;
            return placeTasks({
              instances,
              needs: needs({ cpu: 512, memory: 1024, tcpPorts: [80] }),
              count,
              placementStrategy: strategy,
              placementConstraints: distinct ? [{ type: 'distinctInstance' }] : [],
              random: () => draws[k++ % draws.length]!,
              explain,
            });
          };
          const plain = run(false);
          const { steps, ...explained } = run(true);
          expect(explained).toEqual(plain);
          expect(steps).toHaveLength(count);
          expect(steps?.filter((s) => s.instanceArn !== undefined).map((s) => s.instanceArn)).toEqual(
            plain.placements.map((p) => p.instanceArn),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
