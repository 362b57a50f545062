/**
 * The local ECS cluster's rules without a server: RunTask's input checks (parseRunTask), the cluster config
 * schema, and the fault settings, as tables of cases.
 */
import { parseRunTask } from '../../../local/ecs/api-tasks';
import { parseClusterConfig } from '../../../local/ecs/cluster-config';
import { ClientException } from '../../../local/ecs/exceptions';
import { Faults, parseFaultSettings } from '../../../local/ecs/faults';
import type { StoredTaskDefinition, TaskDefinitions } from '../../../local/ecs/models';

const ARN = 'arn:aws:ecs:us-east-1:000000000000:task-definition/';

function definition(family: string, extra: Record<string, unknown>): StoredTaskDefinition {
  return {
    taskDefinition: {
      taskDefinitionArn: `${ARN}${family}:1`,
      family,
      revision: 1,
      status: 'ACTIVE',
      registeredAt: 0,
      containerDefinitions: [{ name: 'main', image: 'busybox', memory: 128 }],
      compatibilities: ['EXTERNAL', 'EC2'],
      placementConstraints: [],
      ...extra,
    },
    tags: [{ key: 'from', value: 'definition' }],
  } as StoredTaskDefinition;
}

const DEFINITIONS: Record<string, StoredTaskDefinition> = {
  bridge: definition('bridge', {}),
  fargate: definition('fargate', {
    networkMode: 'awsvpc',
    compatibilities: ['EC2', 'FARGATE'],
    cpu: '256',
    memory: '512',
  }),
  old: definition('old', { status: 'INACTIVE' }),
};

/** Stands in for the TaskDefinitions model: describe is all parseRunTask uses. */
const model = {
  describe(identifier: string) {
    const found = DEFINITIONS[identifier];
    if (found === undefined) {
      throw new ClientException('Unable to describe task definition.');
    }
    return found;
  },
} as unknown as TaskDefinitions;

const network = { awsvpcConfiguration: { subnets: ['subnet-1'] } };

describe('parseRunTask refusals', () => {
  it.each<[string, Record<string, unknown>, string, string]>([
    ['unknown definition', { taskDefinition: 'nope' }, 'ClientException', 'TaskDefinition not found.'],
    ['inactive definition', { taskDefinition: 'old' }, 'InvalidParameterException', 'TaskDefinition is inactive'],
    [
      'count 0',
      { taskDefinition: 'bridge', count: 0 },
      'InvalidParameterException',
      "'count' must be between 1 and 10; got 0.",
    ],
    [
      'count as a string',
      { taskDefinition: 'bridge', count: '2' },
      'SerializationException',
      "'count' must be an integer.",
    ],
    [
      'awsvpc without network',
      { taskDefinition: 'fargate', launchType: 'FARGATE' },
      'InvalidParameterException',
      "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    ],
    [
      'network on bridge',
      { taskDefinition: 'bridge', networkConfiguration: network },
      'InvalidParameterException',
      'Network Configuration is not valid for the given networkMode of this task definition.',
    ],
    [
      'empty subnets',
      {
        taskDefinition: 'fargate',
        launchType: 'FARGATE',
        networkConfiguration: { awsvpcConfiguration: { subnets: [] } },
      },
      'InvalidParameterException',
      'subnets can not be empty.',
    ],
    [
      'unknown launch type',
      { taskDefinition: 'bridge', launchType: 'MOON' },
      'InvalidParameterException',
      "'launchType' must be one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES; got 'MOON'.",
    ],
    [
      'unknown capacity provider',
      {
        taskDefinition: 'fargate',
        capacityProviderStrategy: [{ capacityProvider: 'my-asg' }],
        networkConfiguration: network,
      },
      'InvalidParameterException',
      'The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.',
    ],
    [
      'placement on FARGATE',
      {
        taskDefinition: 'fargate',
        launchType: 'FARGATE',
        networkConfiguration: network,
        placementStrategy: [{ type: 'spread', field: 'instanceId' }],
      },
      'InvalidParameterException',
      "'placementStrategy' is not supported with the FARGATE launch type.",
    ],
    [
      'bad strategy',
      { taskDefinition: 'bridge', placementStrategy: [{ type: 'binpack', field: 'disk' }] },
      'InvalidParameterException',
      "Invalid binpack field 'disk'. Valid fields are cpu and memory.",
    ],
    [
      'negative cpu override',
      { taskDefinition: 'bridge', overrides: { containerOverrides: [{ name: 'main', cpu: -1 }] } },
      'InvalidParameterException',
      "'overrides.containerOverrides[0].cpu' must be at least 0; got -1.",
    ],
    [
      'reservation above memory',
      {
        taskDefinition: 'bridge',
        overrides: { containerOverrides: [{ name: 'main', memory: 64, memoryReservation: 128 }] },
      },
      'InvalidParameterException',
      "'overrides.containerOverrides[0].memoryReservation' must be less than or equal to 'overrides.containerOverrides[0].memory'.",
    ],
    [
      'task cpu override not a number',
      { taskDefinition: 'bridge', overrides: { cpu: '1 vCPU' } },
      'InvalidParameterException',
      "'overrides.cpu' must be a whole number, as a string; got '1 vCPU'.",
    ],
    [
      'long startedBy',
      { taskDefinition: 'bridge', startedBy: 'x'.repeat(129) },
      'InvalidParameterException',
      "'startedBy' must be at most 128 characters.",
    ],
    [
      'long clientToken',
      { taskDefinition: 'bridge', clientToken: 'x'.repeat(65) },
      'InvalidParameterException',
      "'clientToken' must be 1 to 64 printable ASCII characters.",
    ],
    [
      'reserved tag key',
      { taskDefinition: 'bridge', tags: [{ key: 'aws:x', value: 'y' }] },
      'InvalidParameterException',
      "Tag keys starting with 'aws:' are reserved: 'tags[0].key'.",
    ],
  ])('%s', (_, input, code, message) => {
    let error: unknown;
    try {
      parseRunTask(input, model);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code, message, statusCode: 400 });
  });
});

describe('parseRunTask', () => {
  it('defaults to EC2, count 1 and the family group, and fingerprints without the client token', () => {
    const a = parseRunTask({ taskDefinition: 'bridge', clientToken: 't1', startedBy: 's' }, model);
    const b = parseRunTask({ startedBy: 's', clientToken: 't2', taskDefinition: 'bridge' }, model);
    expect(a).toMatchObject({
      launchType: 'EC2',
      count: 1,
      clientToken: 't1',
      startedBy: 's',
      enableExecuteCommand: false,
    });
    expect(a.group).toBeUndefined();
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(parseRunTask({ taskDefinition: 'bridge', startedBy: 't' }, model).fingerprint).not.toBe(a.fingerprint);
  });

  it('runs a FARGATE capacity provider strategy as FARGATE with its provider, and propagates definition tags', () => {
    const out = parseRunTask(
      {
        taskDefinition: 'fargate',
        capacityProviderStrategy: [
          { capacityProvider: 'FARGATE', weight: 1 },
          { capacityProvider: 'FARGATE_SPOT', weight: 3 },
        ],
        networkConfiguration: network,
        propagateTags: 'TASK_DEFINITION',
        tags: [{ key: 'run', value: 'x' }],
      },
      model,
    );
    expect(out).toMatchObject({
      launchType: 'FARGATE',
      capacityProviderName: 'FARGATE_SPOT',
      awsvpc: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' },
      tags: [
        { key: 'from', value: 'definition' },
        { key: 'run', value: 'x' },
      ],
    });
  });
});

describe('cluster config', () => {
  it('fills in the defaults: one m5.large-like instance, the agent reserved ports, zones a and b', () => {
    expect(parseClusterConfig({ clusters: [{ name: 'c', instances: [{}] }] }).clusters[0]?.instances[0]).toEqual({
      count: 1,
      instanceType: 'm5.large',
      cpu: 2048,
      memory: 3840,
      availabilityZones: ['a', 'b'],
      attributes: {},
      reservedPorts: [22, 2375, 2376, 51678, 51679],
      reservedUdpPorts: [],
      agentConnected: true,
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['a misspelt member', { clusters: [{ name: 'c', instance: [] }] }, /clusters\.0: .*instance/],
    ['a bad cluster name', { clusters: [{ name: 'a b' }] }, /clusters\.0\.name: up to 255 letters/],
    ['cpu as a string', { clusters: [{ name: 'c', instances: [{ cpu: '2048' }] }] }, /clusters\.0\.instances\.0\.cpu/],
    ['a bad zone', { clusters: [{ name: 'c', instances: [{ availabilityZones: ['zone'] }] }] }, /availabilityZones\.0/],
    ['duplicate clusters', { clusters: [{ name: 'c' }, { name: 'c' }] }, /cluster names must be unique/],
    ['a port out of range', { clusters: [{ name: 'c', instances: [{ reservedPorts: [70000] }] }] }, /reservedPorts\.0/],
  ])('refuses %s with its path', (_, value, message) => {
    expect(() => parseClusterConfig(value, 'test.json')).toThrow(message);
  });
});

describe('faults', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown member', { slow: {} }, "Unknown parameter 'slow': PutFaults takes throttle and placementFailure."],
    ['a rate above 1', { throttle: { rate: 1.5 } }, "'throttle.rate' must be a number greater than 0 and at most 1."],
    [
      'empty operations',
      { throttle: { operations: [] } },
      "'throttle.operations' must be a non-empty list of ECS operation names.",
    ],
    ['a zero count', { throttle: { count: 0 } }, "'throttle.count' must be a whole number from 1 to 1000000."],
    [
      'a blank reason',
      { placementFailure: { reason: ' ' } },
      "'placementFailure.reason' must be a non-empty string of at most 1024 characters, e.g. RESOURCE:CPU.",
    ],
  ])('refuses %s', (_, input, message) => {
    expect(() => parseFaultSettings(input)).toThrow(message);
  });

  it('throttles matching operations only, counts down and turns off', () => {
    const faults = new Faults(parseFaultSettings({ throttle: { operations: ['RunTask'], count: 2 } }), () => 0.5);
    expect(faults.throttles('DescribeTasks')).toBe(false);
    expect([faults.throttles('RunTask'), faults.throttles('RunTask'), faults.throttles('RunTask')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(faults.get()).toEqual({});
  });

  it('throttles a share of calls by the random draw', () => {
    const draws = [0.1, 0.6, 0.29, 0.3];
    const faults = new Faults({ throttle: { rate: 0.3 } }, () => draws.shift()!);
    expect([1, 2, 3, 4].map(() => faults.throttles('ListTasks'))).toEqual([true, false, true, false]);
  });

  it('fails the next placements with the chosen reason', () => {
    const faults = new Faults({ placementFailure: { reason: 'RESOURCE:MEMORY', count: 1 } }, Math.random);
    expect([faults.placementFailure(), faults.placementFailure()]).toEqual(['RESOURCE:MEMORY', undefined]);
  });
});
