import type { ContainerDefinition, RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import * as z from 'zod/mini';
import EXAMPLE from '../../../examples/anjana-educative.json';
import { ContainerDefinitionInputSchema } from '../../../lib/task-definition/schema';
import {
  type ContainerDefinitionInput,
  TaskDefinitionInputSchema,
  type Violation,
} from '../../../lib/task-definition/validate';
import { type Body, container, ec2, normalised, v, violationsOf } from './fixtures';

/** The same on Fargate, at its smallest size. */
const fargate = (fields: Body = {}, containers?: Body[]): Body =>
  ec2(
    { requiresCompatibilities: ['FARGATE'], networkMode: 'awsvpc', cpu: '256', memory: '512', ...fields },
    containers,
  );
const ports = (networkMode: string | undefined, ...portMappings: Body[]): Body =>
  ec2({ networkMode }, [container({ portMappings })]);

describe('the example users start from (examples/anjana-educative.json)', () => {
  it('is valid, with container numbers stored as integers and task size as ECS strings', () => {
    expect(normalised(EXAMPLE)).toEqual({
      family: 'anjana-educative',
      containerDefinitions: [{ name: 'anjana', image: 'someimage', memory: 100, cpu: 99 }],
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      memory: '512',
      cpu: '256',
    });
  });

  it('goes to RegisterTaskDefinitionCommand as it is', () => {
    const input: RegisterTaskDefinitionCommandInput = normalised(EXAMPLE);
    const first: ContainerDefinition | undefined = input.containerDefinitions?.[0];
    expect(first?.memory).toBe(100);
  });

  it('inserts no defaults ECS would apply itself', () => {
    const value = normalised(ec2());
    expect(value).not.toHaveProperty('networkMode');
    expect(value.containerDefinitions[0]).not.toHaveProperty('essential');
  });
});

describe('body', () => {
  it.each<[string, unknown]>([
    ['an array', []],
    ['a string', 'family=web'],
    ['null', null],
    ['a number', 42],
  ])('refuses %s', (_, body) => {
    expect(violationsOf(body)).toEqual([v('$', 'The task definition must be a JSON object.')]);
  });
});

describe('family', () => {
  it.each<[string, unknown]>([
    ['one character', 'a'],
    ['letters, digits, hyphens and underscores', 'Web-app_01'],
    ['255 characters', 'f'.repeat(255)],
  ])('accepts %s', (_, family) => {
    expect(violationsOf(ec2({ family }))).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['absent', undefined, 'Family can not be blank.'],
    ['empty', '', 'Family can not be blank.'],
    ['with a space', 'web app', 'Family contains invalid characters. Use letters, numbers, hyphens and underscores.'],
    ['with a colon', 'web:1', 'Family contains invalid characters. Use letters, numbers, hyphens and underscores.'],
    ['256 characters', 'f'.repeat(256), 'Family is too long. Use at most 255 characters.'],
    ['a number', 42, 'Family must be a string.'],
    ['an empty array (not also blank)', [], 'Family must be a string.'],
  ])('refuses %s', (_, family, message) => {
    expect(violationsOf(ec2({ family }))).toEqual([v('$.family', message)]);
  });
});

describe('containerDefinitions', () => {
  const many = (n: number) => Array.from({ length: n }, (_, i) => container({ name: `c${i}` }));

  it.each<[string, Body[]]>([
    ['one container', many(1)],
    ['ten containers', many(10)],
  ])('accepts %s', (_, containers) => {
    expect(violationsOf(ec2({}, containers))).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['absent', undefined, 'Container list cannot be empty.'],
    ['empty', [], 'Container list cannot be empty.'],
    ['eleven containers', many(11), 'Too many containers: a task definition can have at most 10.'],
    ['an object', { name: 'app' }, 'Must be an array.'],
    ['a string longer than 10 (not also too many)', 'nginx-and-sidecar', 'Must be an array.'],
  ])('refuses %s', (_, containerDefinitions, message) => {
    expect(violationsOf(ec2({ containerDefinitions }))).toEqual([v('$.containerDefinitions', message)]);
  });

  it('refuses a container that is not an object', () => {
    expect(violationsOf(ec2({}, [container(), 'sidecar' as unknown as Body]))).toEqual([
      v('$.containerDefinitions[1]', 'Must be an object.'),
    ]);
  });
});

describe('container name and image', () => {
  it.each<[string, Body]>([
    ['a name of letters, digits, hyphens and underscores', { name: 'Side-car_2' }],
    ['a name of 255 characters', { name: 'n'.repeat(255) }],
    ['an image with registry, path and tag', { image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/jobs/app:1.2' }],
  ])('accepts %s', (_, fields) => {
    expect(violationsOf(ec2({}, [container(fields)]))).toEqual([]);
  });

  it.each<[string, Body, Violation]>([
    [
      'an absent name',
      { name: undefined },
      v('$.containerDefinitions[0].name', 'Container.name should not be null or empty.'),
    ],
    ['an empty name', { name: '' }, v('$.containerDefinitions[0].name', 'Container.name should not be null or empty.')],
    [
      'a name with a dot',
      { name: 'app.v2' },
      v(
        '$.containerDefinitions[0].name',
        'Container.name contains invalid characters. Use letters, numbers, hyphens and underscores.',
      ),
    ],
    [
      'a name of 256 characters',
      { name: 'n'.repeat(256) },
      v('$.containerDefinitions[0].name', 'Container.name is too long. Use at most 255 characters.'),
    ],
    [
      'an absent image',
      { image: undefined },
      v('$.containerDefinitions[0].image', 'Container.image should not be null or empty.'),
    ],
    [
      'an empty image',
      { image: '' },
      v('$.containerDefinitions[0].image', 'Container.image should not be null or empty.'),
    ],
    [
      'an image that is not a string',
      { image: 7 },
      v('$.containerDefinitions[0].image', 'Container.image must be a string.'),
    ],
  ])('refuses %s', (_, fields, violation) => {
    expect(violationsOf(ec2({}, [container(fields)]))).toEqual([violation]);
  });
});

describe('container names are unique', () => {
  it('accepts distinct names', () => {
    expect(violationsOf(ec2({}, [container({ name: 'app' }), container({ name: 'sidecar' })]))).toEqual([]);
  });

  it.each<[string, string[], Violation[]]>([
    [
      'two containers named alike',
      ['app', 'app'],
      [v('$.containerDefinitions[1].name', 'Container names must be unique within a Task Definition.')],
    ],
    [
      'three containers named alike',
      ['app', 'log', 'app', 'app'],
      [
        v('$.containerDefinitions[2].name', 'Container names must be unique within a Task Definition.'),
        v('$.containerDefinitions[3].name', 'Container names must be unique within a Task Definition.'),
      ],
    ],
  ])('refuses %s', (_, names, violations) => {
    expect(
      violationsOf(
        ec2(
          {},
          names.map((name) => container({ name })),
        ),
      ),
    ).toEqual(violations);
  });
});

describe('at least one container is essential', () => {
  it.each<[string, (boolean | undefined)[]]>([
    ['essential left out (it defaults to true)', [undefined]],
    ['one essential among others', [false, true]],
    ['one left out among others', [false, undefined]],
  ])('accepts %s', (_, flags) => {
    const containers = flags.map((essential, i) => container({ name: `c${i}`, essential }));
    expect(violationsOf(ec2({}, containers))).toEqual([]);
  });

  it('refuses a task whose containers are all non-essential', () => {
    const containers = [container({ name: 'a', essential: false }), container({ name: 'b', essential: false })];
    expect(violationsOf(ec2({}, containers))).toEqual([
      v('$.containerDefinitions', "Task definition doesn't have any essential container."),
    ]);
  });
});

describe('container cpu, memory and memoryReservation', () => {
  it.each<[string, unknown, number]>([
    ['cpu', '99', 99],
    ['cpu', 0, 0],
    ['memory', '100', 100],
    ['memory', 2147483647, 2147483647],
    ['memoryReservation', '64', 64],
  ])('stores %s %p as %p', (field, value, expected) => {
    const stored: ContainerDefinitionInput | undefined = normalised(ec2({}, [container({ [field]: value })]))
      .containerDefinitions[0];
    expect(stored?.[field as 'cpu' | 'memory' | 'memoryReservation']).toBe(expected);
  });

  const messages = {
    cpu: "'cpu' must be a non-negative integer (CPU units).",
    memory: "'memory' must be a non-negative integer (MiB).",
    memoryReservation: "'memoryReservation' must be a non-negative integer (MiB).",
  };
  it.each<[keyof typeof messages, unknown]>([
    ['cpu', -1],
    ['cpu', 1.5],
    ['cpu', '1.5'],
    ['cpu', '1 vCPU'],
    ['memory', '-1'],
    ['memory', ' 100'],
    ['memory', 2147483648],
    ['memory', true],
    ['memoryReservation', 'lots'],
    ['memoryReservation', null],
  ])('refuses %s %p', (field, value) => {
    // Task memory keeps the EC2 memory rule satisfied whichever field is under test.
    const body = ec2({ memory: '512' }, [container({ memory: undefined, [field]: value })]);
    expect(violationsOf(body)).toEqual([v(`$.containerDefinitions[0].${field}`, messages[field])]);
  });
});

describe('memoryReservation is below memory', () => {
  it.each<[string, Body]>([
    ['a reservation below the limit', { memory: 256, memoryReservation: 128 }],
    ['a reservation alone', { memory: undefined, memoryReservation: 128 }],
    ['a limit alone', { memory: 256 }],
  ])('accepts %s', (_, fields) => {
    expect(violationsOf(ec2({}, [container(fields)]))).toEqual([]);
  });

  it.each<[string, Body]>([
    ['a reservation equal to the limit', { memory: 256, memoryReservation: 256 }],
    ['a reservation above the limit', { memory: 256, memoryReservation: '300' }],
  ])('refuses %s', (_, fields) => {
    expect(violationsOf(ec2({}, [container(fields)]))).toEqual([
      v(
        '$.containerDefinitions[0].memoryReservation',
        "Invalid setting for container 'app'. 'memoryReservation' must be less than 'memory'.",
      ),
    ]);
  });
});

describe('tasks that can run on EC2 say how much memory each container takes', () => {
  const noMemory = container({ memory: undefined });
  const worker = container({ name: 'worker', memory: undefined });

  it.each<[string, Body]>([
    ['task memory', ec2({ memory: '512' }, [noMemory])],
    ['a memoryReservation', ec2({}, [container({ memory: undefined, memoryReservation: 128 })])],
    ['Fargate only (task memory is required there)', fargate({}, [noMemory])],
    ['EXTERNAL only', ec2({ requiresCompatibilities: ['EXTERNAL'] }, [noMemory])],
  ])('accepts %s', (_, body) => {
    expect(violationsOf(body)).toEqual([]);
  });

  it.each<[string, Body]>([
    ['requiresCompatibilities absent', ec2({}, [container(), worker])],
    ['EC2', ec2({ requiresCompatibilities: ['EC2'] }, [container(), worker])],
    ['EC2 and EXTERNAL', ec2({ requiresCompatibilities: ['EXTERNAL', 'EC2'] }, [container(), worker])],
  ])('refuses a container without memory when %s', (_, body) => {
    expect(violationsOf(body)).toEqual([
      v(
        '$.containerDefinitions[1].memory',
        "Invalid setting for container 'worker'. At least one of 'memory' or 'memoryReservation' must be specified.",
      ),
    ]);
  });
});

describe('task cpu and memory', () => {
  it.each<[unknown, string]>([
    [512, '512'],
    ['256', '256'],
    ['1 vCPU', '1024'],
    ['0.5 vcpu', '512'],
    ['2 vCPUs', '2048'],
  ])('stores cpu %p as %p', (cpu, expected) => {
    expect(normalised(ec2({ cpu })).cpu).toBe(expected);
  });

  it.each<[unknown, string]>([
    [1024, '1024'],
    ['512', '512'],
    ['2 GB', '2048'],
    ['1gb', '1024'],
    ['512 MiB', '512'],
    ['0.5 GiB', '512'],
  ])('stores memory %p as %p', (memory, expected) => {
    expect(normalised(ec2({ memory })).memory).toBe(expected);
  });

  const cpuMessage =
    'Invalid \'cpu\' setting for task. Give CPU units from 128 to 196608 ("1024" or 1024) or vCPUs ("1 vCPU").';
  it.each<[unknown]>([['1.5'], ['0.1 vCPU'], [64], ['200 vCPU'], ['2 GB'], [true], ['']])('refuses cpu %p', (cpu) => {
    expect(violationsOf(ec2({ cpu }))).toEqual([v('$.cpu', cpuMessage)]);
  });

  const memoryMessage =
    'Invalid \'memory\' setting for task. Give a positive number of MiB ("2048" or 2048) or a size with a unit ("2 GB", "512 MiB").';
  it.each<[unknown]>([['0.1 GB'], ['2 TB'], [0], [-512], [{ size: 512 }]])('refuses memory %p', (memory) => {
    expect(violationsOf(ec2({ memory }))).toEqual([v('$.memory', memoryMessage)]);
  });
});

describe('Fargate', () => {
  it.each<[number, number | string]>([
    [256, 512],
    [256, 1024],
    [256, '2 GB'],
    [512, 1024],
    [512, 4096],
    [1024, 2048],
    [1024, 8192],
    [2048, 4096],
    [2048, 16384],
    [4096, 8192],
    [4096, 30720],
    [8192, 16384],
    [8192, 20480],
    [8192, 61440],
    [16384, 32768],
    [16384, 40960],
    [16384, 122880],
  ])('accepts cpu %p with memory %p', (cpu, memory) => {
    expect(violationsOf(fargate({ cpu, memory }))).toEqual([]);
  });

  it.each<[number, number, string]>([
    [256, 1536, '512, 1024 or 2048 MiB'],
    [256, 4096, '512, 1024 or 2048 MiB'],
    [512, 512, '1024 to 4096 MiB in steps of 1024'],
    [512, 1536, '1024 to 4096 MiB in steps of 1024'],
    [1024, 9216, '2048 to 8192 MiB in steps of 1024'],
    [2048, 3072, '4096 to 16384 MiB in steps of 1024'],
    [4096, 31744, '8192 to 30720 MiB in steps of 1024'],
    [8192, 18432, '16384 to 61440 MiB in steps of 4096'],
    [16384, 36864, '32768 to 122880 MiB in steps of 8192'],
  ])('refuses cpu %p with memory %p', (cpu, memory, allowed) => {
    expect(violationsOf(fargate({ cpu, memory }))).toEqual([
      v(
        '$.memory',
        `No Fargate configuration exists for given values: ${cpu} CPU, ${memory} memory. ` +
          `With ${cpu} CPU units, Fargate supports ${allowed}.`,
      ),
    ]);
  });

  it.each<[unknown]>([[128], ['0.75 vCPU'], [32768]])('refuses cpu %p, which Fargate does not offer', (cpu) => {
    expect(violationsOf(fargate({ cpu }))).toEqual([
      v('$.cpu', "Invalid 'cpu' setting for task. Fargate supports 256, 512, 1024, 2048, 4096, 8192, 16384 CPU units."),
    ]);
  });

  it.each<[string, Violation]>([
    ['cpu', v('$.cpu', "Fargate requires that 'cpu' be defined at the task level.")],
    ['memory', v('$.memory', "Fargate requires that 'memory' be defined at the task level.")],
  ])('refuses a task without %s', (field, violation) => {
    expect(violationsOf(fargate({ [field]: undefined }))).toEqual([violation]);
  });

  it.each<[string, string | undefined]>([
    ['absent (bridge)', undefined],
    ['bridge', 'bridge'],
    ['host', 'host'],
    ['none', 'none'],
  ])('refuses networkMode %s', (_, networkMode) => {
    expect(violationsOf(fargate({ networkMode }))).toEqual([
      v('$.networkMode', "Fargate only supports network mode 'awsvpc'."),
    ]);
  });

  it('applies to definitions that are also for EC2', () => {
    expect(violationsOf(fargate({ requiresCompatibilities: ['EC2', 'FARGATE'], networkMode: 'bridge' }))).toEqual([
      v('$.networkMode', "Fargate only supports network mode 'awsvpc'."),
    ]);
  });
});

describe('containers fit in the task', () => {
  it.each<[string, Body]>([
    ['cpu adding up to the task cpu', ec2({ cpu: 256 }, [container({ cpu: 128 }), container({ name: 'b', cpu: 128 })])],
    ['memory adding up to the task memory', ec2({ memory: 512 }, [container(), container({ name: 'b' })])],
    [
      'a reservation counted instead of an absent limit',
      ec2({ memory: 512 }, [container(), container({ name: 'b', memory: undefined, memoryReservation: 256 })]),
    ],
    ['no task cpu or memory', ec2({}, [container({ cpu: 4096, memory: 8192 })])],
  ])('accepts %s', (_, body) => {
    expect(violationsOf(body)).toEqual([]);
  });

  it.each<[string, Body, Violation]>([
    [
      'containers asking for more cpu than the task',
      ec2({ cpu: '256' }, [container({ cpu: 200 }), container({ name: 'b', cpu: '100' })]),
      v(
        '$.containerDefinitions',
        "The sum of all container 'cpu' values cannot be greater than the value of the task 'cpu'. " +
          'The containers ask for 300 CPU units; the task has 256.',
      ),
    ],
    [
      'containers asking for more memory than the task',
      ec2({ memory: '0.5 GB' }, [
        container({ memory: 300 }),
        container({ name: 'b', memoryReservation: 300, memory: undefined }),
      ]),
      v(
        '$.containerDefinitions',
        "The sum of all container 'memory' (else 'memoryReservation') values cannot be greater than the value of " +
          "the task 'memory'. The containers ask for 600 MiB; the task has 512.",
      ),
    ],
    [
      'one container asking for more memory than the task (reported once, not again as a sum)',
      ec2({ memory: 512 }, [container({ memory: 600 }), container({ name: 'b' })]),
      v('$.containerDefinitions[0].memory', "The 'memory' setting for container 'app' is greater than for the task."),
    ],
  ])('refuses %s', (_, body, violation) => {
    expect(violationsOf(body)).toEqual([violation]);
  });
});

describe('networkMode and requiresCompatibilities', () => {
  it.each<[string]>([['none'], ['bridge'], ['awsvpc'], ['host']])('accepts networkMode %s', (networkMode) => {
    expect(violationsOf(ec2({ networkMode }))).toEqual([]);
  });

  it.each<[string[]]>([[['EC2']], [['EXTERNAL']], [['MANAGED_INSTANCES']], [['EC2', 'EXTERNAL']]])(
    'accepts requiresCompatibilities %p',
    (requiresCompatibilities) => {
      expect(violationsOf(ec2({ requiresCompatibilities }))).toEqual([]);
    },
  );

  it.each<[string, Body, Violation]>([
    ['networkMode nat', ec2({ networkMode: 'nat' }), v('$.networkMode', 'Must be one of: none, bridge, awsvpc, host.')],
    [
      'requiresCompatibilities GPU',
      ec2({ requiresCompatibilities: ['EC2', 'GPU'] }),
      v('$.requiresCompatibilities[1]', 'Must be one of: EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.'),
    ],
    [
      'requiresCompatibilities as a string',
      ec2({ requiresCompatibilities: 'EC2' }),
      v('$.requiresCompatibilities', 'Must be an array.'),
    ],
  ])('refuses %s', (_, body, violation) => {
    expect(violationsOf(body)).toEqual([violation]);
  });
});

describe('port mappings', () => {
  const mapping = '$.containerDefinitions[0].portMappings[0]';

  it.each<[string, Body]>([
    ['bridge with a static host port', ports('bridge', { containerPort: 80, hostPort: 8080 })],
    ['bridge with hostPort 0 (dynamic)', ports('bridge', { containerPort: 80, hostPort: 0 })],
    ['bridge (the default) without a host port', ports(undefined, { containerPort: 22 })],
    ['awsvpc with matching ports', ports('awsvpc', { containerPort: 80, hostPort: 80 })],
    ['awsvpc without a host port', ports('awsvpc', { containerPort: 80 })],
    ['awsvpc on a port the instance reserves (the task has its own interface)', ports('awsvpc', { containerPort: 22 })],
    ['host with matching ports', ports('host', { containerPort: 8080, hostPort: 8080 })],
    ['none with an empty list', ports('none')],
    ['udp and a port range', ports('bridge', { containerPortRange: '7000-7100', protocol: 'udp' })],
    ['ports as digit strings', ports('bridge', { containerPort: '80', hostPort: '8080' })],
  ])('accepts %s', (_, body) => {
    expect(violationsOf(body)).toEqual([]);
  });

  it.each<[string, Body, Violation]>([
    [
      'any mapping under none',
      ports('none', { containerPort: 80 }),
      v('$.containerDefinitions[0].portMappings', 'Port mappings are not allowed when networkMode=none.'),
    ],
    [
      'awsvpc with different ports',
      ports('awsvpc', { containerPort: 80, hostPort: 8080 }),
      v(
        `${mapping}.hostPort`,
        'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
      ),
    ],
    [
      'awsvpc with hostPort 0',
      ports('awsvpc', { containerPort: 80, hostPort: 0 }),
      v(
        `${mapping}.hostPort`,
        'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
      ),
    ],
    [
      'host with different ports',
      ports('host', { containerPort: 80, hostPort: 8080 }),
      v(
        `${mapping}.hostPort`,
        'When networkMode=host, the host ports and container ports in port mappings must match.',
      ),
    ],
    [
      'bridge on reserved host port 22',
      ports('bridge', { containerPort: 2222, hostPort: 22 }),
      v(
        `${mapping}.hostPort`,
        'Host port 22 is reserved on container instances (SSH, Docker and the ECS agent use 22, 2375, 2376 and 51678 to 51680).',
      ),
    ],
    [
      'host on reserved port 51679 through its container port',
      ports('host', { containerPort: 51679 }),
      v(
        `${mapping}.containerPort`,
        'Host port 51679 is reserved on container instances (SSH, Docker and the ECS agent use 22, 2375, 2376 and 51678 to 51680).',
      ),
    ],
    [
      'no container port',
      ports('bridge', { hostPort: 8080 }),
      v(
        `${mapping}.containerPort`,
        "Invalid 'containerPort' setting for container 'app'. Give a containerPort or a containerPortRange.",
      ),
    ],
    [
      'container port 0',
      ports('bridge', { containerPort: 0 }),
      v(`${mapping}.containerPort`, "'containerPort' must be an integer from 1 to 65535."),
    ],
    [
      'container port 65536',
      ports('bridge', { containerPort: 65536 }),
      v(`${mapping}.containerPort`, "'containerPort' must be an integer from 1 to 65535."),
    ],
    [
      'host port -1',
      ports('bridge', { containerPort: 80, hostPort: -1 }),
      v(`${mapping}.hostPort`, "'hostPort' must be an integer from 0 to 65535."),
    ],
    [
      'protocol sctp',
      ports('bridge', { containerPort: 80, protocol: 'sctp' }),
      v(`${mapping}.protocol`, 'Must be one of: tcp, udp.'),
    ],
  ])('refuses %s', (_, body, violation) => {
    expect(violationsOf(body)).toEqual([violation]);
  });
});

describe('typed nested fields', () => {
  const path = '$.containerDefinitions[0]';

  it.each<[string, Body]>([
    ['environment', { environment: [{ name: 'MODE', value: 'batch' }] }],
    ['command and entryPoint', { entryPoint: ['sh', '-c'], command: ['echo hello'] }],
    ['dockerLabels', { dockerLabels: { 'com.example.team': 'jobs' } }],
    ['stopTimeout 120', { stopTimeout: 120 }],
    ['stopTimeout as a digit string', { stopTimeout: '30' }],
  ])('accepts %s', (_, fields) => {
    expect(violationsOf(ec2({}, [container(fields)]))).toEqual([]);
  });

  it.each<[string, Body, Violation]>([
    [
      'an environment variable without a value',
      { environment: [{ name: 'MODE' }] },
      v(`${path}.environment[0].value`, 'Missing required parameter.'),
    ],
    ['environment as an object', { environment: { MODE: 'batch' } }, v(`${path}.environment`, 'Must be an array.')],
    ['a command as one string', { command: 'echo hello' }, v(`${path}.command`, 'Must be an array.')],
    ['an entryPoint with a number', { entryPoint: ['sleep', 5] }, v(`${path}.entryPoint[1]`, 'Must be a string.')],
    [
      'a docker label that is not a string',
      { dockerLabels: { 'com.example.port': 8080 } },
      v(`${path}.dockerLabels['com.example.port']`, 'Must be a string.'),
    ],
    [
      'stopTimeout 121',
      { stopTimeout: 121 },
      v(`${path}.stopTimeout`, "'stopTimeout' must be an integer from 0 to 120 (seconds)."),
    ],
    ['essential as a string', { essential: 'yes' }, v(`${path}.essential`, 'Must be a boolean.')],
  ])('refuses %s', (_, fields, violation) => {
    expect(violationsOf(ec2({}, [container(fields)]))).toEqual([violation]);
  });

  it.each<[string, unknown, Violation]>([
    ['a tag without a key', [{ value: 'jobs' }], v('$.tags[0].key', 'Missing required parameter.')],
    ['a tag with an empty key', [{ key: '', value: 'jobs' }], v('$.tags[0].key', 'Must not be empty.')],
    [
      'a tag value of 257 characters',
      [{ key: 'team', value: 'j'.repeat(257) }],
      v('$.tags[0].value', 'Must be at most 256 characters long.'),
    ],
    ['tags in the map form', { team: 'jobs' }, v('$.tags', 'Must be an array.')],
  ])('refuses %s', (_, tags, violation) => {
    expect(violationsOf(ec2({ tags }))).toEqual([violation]);
  });
});

describe('fields ECS does not know', () => {
  it.each<[string, Body, string, string]>([
    ['at the top level', ec2({ memroy: '512' }), 'memroy', '$.memroy'],
    ['in a container', ec2({}, [container({ imagee: 'nginx' })]), 'imagee', '$.containerDefinitions[0].imagee'],
    [
      'in a port mapping',
      ports('bridge', { containerPort: 80, hostport: 8080 }),
      'hostport',
      '$.containerDefinitions[0].portMappings[0].hostport',
    ],
    [
      'in an environment variable',
      ec2({}, [container({ environment: [{ name: 'A', value: '1', Value: '2' }] })]),
      'Value',
      '$.containerDefinitions[0].environment[0].Value',
    ],
    ['with a name that is not an identifier', ec2({ 'task-role': 'x' }), 'task-role', "$['task-role']"],
  ])('are refused %s, each with its path', (_, body, key, path) => {
    expect(violationsOf(body)).toEqual([v(path, `Unknown parameter "${key}".`)]);
  });
});

/** Every field of RegisterTaskDefinition and ContainerDefinition, per the installed SDK's model (tsc checks both lists). */
const TASK_FIELDS = {
  family: 'web',
  taskRoleArn: 'arn:aws:iam::123456789012:role/web-task',
  executionRoleArn: 'arn:aws:iam::123456789012:role/web-execution',
  networkMode: 'bridge',
  containerDefinitions: [] as Body[],
  volumes: [{ name: 'data', host: { sourcePath: '/srv/data' } }],
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
  requiresCompatibilities: ['EC2'],
  cpu: '1 vCPU',
  memory: '2 GB',
  tags: [{ key: 'team', value: 'jobs' }],
  pidMode: 'task',
  ipcMode: 'task',
  proxyConfiguration: { type: 'APPMESH', containerName: 'app', properties: [] },
  inferenceAccelerators: [{ deviceName: 'eia', deviceType: 'eia2.medium' }],
  ephemeralStorage: { sizeInGiB: 30 },
  runtimePlatform: { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' },
  enableFaultInjection: false,
} satisfies Record<keyof RegisterTaskDefinitionCommandInput, unknown>;

const CONTAINER_FIELDS = {
  name: 'app',
  image: 'nginx:1.27',
  repositoryCredentials: { credentialsParameter: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry' },
  cpu: 512,
  memory: 1024,
  memoryReservation: 512,
  links: ['db'],
  portMappings: [{ containerPort: 8080, hostPort: 8080, protocol: 'tcp', name: 'http', appProtocol: 'http' }],
  essential: true,
  restartPolicy: { enabled: true, ignoredExitCodes: [0], restartAttemptPeriod: 180 },
  entryPoint: ['sh', '-c'],
  command: ['nginx -g "daemon off;"'],
  environment: [{ name: 'MODE', value: 'batch' }],
  environmentFiles: [{ value: 'arn:aws:s3:::config/app.env', type: 's3' }],
  mountPoints: [{ sourceVolume: 'data', containerPath: '/data', readOnly: true }],
  volumesFrom: [{ sourceContainer: 'db', readOnly: true }],
  linuxParameters: { initProcessEnabled: true },
  secrets: [{ name: 'TOKEN', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/token' }],
  dependsOn: [{ containerName: 'db', condition: 'START' }],
  startTimeout: 60,
  stopTimeout: 30,
  versionConsistency: 'enabled',
  hostname: 'app',
  user: 'nginx',
  workingDirectory: '/srv',
  disableNetworking: false,
  privileged: false,
  readonlyRootFilesystem: true,
  dnsServers: ['10.0.0.2'],
  dnsSearchDomains: ['internal'],
  extraHosts: [{ hostname: 'db.internal', ipAddress: '10.0.0.5' }],
  dockerSecurityOptions: ['no-new-privileges'],
  interactive: false,
  pseudoTerminal: false,
  dockerLabels: { 'com.example.team': 'jobs' },
  ulimits: [{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }],
  logConfiguration: { logDriver: 'json-file', options: { 'max-size': '10m' } },
  healthCheck: { command: ['CMD-SHELL', 'curl -f http://localhost:8080/ || exit 1'] },
  systemControls: [{ namespace: 'net.core.somaxconn', value: '1024' }],
  resourceRequirements: [{ type: 'GPU', value: '1' }],
  firelensConfiguration: { type: 'fluentbit' },
  credentialSpecs: ['credentialspecdomainless:arn:aws:s3:::specs/gmsa.json'],
} satisfies Record<keyof ContainerDefinition, unknown>;

describe('the fields of RegisterTaskDefinition', () => {
  it('are all in the schema, and no others', () => {
    expect(Object.keys(TaskDefinitionInputSchema.shape).sort()).toEqual(Object.keys(TASK_FIELDS).sort());
    expect(Object.keys(ContainerDefinitionInputSchema.shape).sort()).toEqual(Object.keys(CONTAINER_FIELDS).sort());
  });

  it('are all accepted together', () => {
    const db = { name: 'db', image: 'postgres:17', memory: 512 };
    expect(violationsOf({ ...TASK_FIELDS, containerDefinitions: [CONTAINER_FIELDS, db] })).toEqual([]);
  });
});

describe('every violation at once', () => {
  it('reports a bad family, a duplicate container name and a Fargate size mismatch together', () => {
    const body = fargate({ family: 'web app', memory: '4 GB' }, [container(), container()]);
    expect(violationsOf(body)).toEqual([
      v('$.family', 'Family contains invalid characters. Use letters, numbers, hyphens and underscores.'),
      v('$.containerDefinitions[1].name', 'Container names must be unique within a Task Definition.'),
      v(
        '$.memory',
        'No Fargate configuration exists for given values: 256 CPU, 4096 memory. ' +
          'With 256 CPU units, Fargate supports 512, 1024 or 2048 MiB.',
      ),
    ]);
  });

  it.each<[string, Body, Violation[]]>([
    [
      'a malformed tag list beside a Fargate network mode',
      fargate({ tags: 'team=jobs', networkMode: 'bridge' }),
      [v('$.tags', 'Must be an array.'), v('$.networkMode', "Fargate only supports network mode 'awsvpc'.")],
    ],
    [
      'a malformed container cpu beside duplicate names',
      ec2({}, [container({ cpu: 'lots' }), container()]),
      [
        v('$.containerDefinitions[0].cpu', "'cpu' must be a non-negative integer (CPU units)."),
        v('$.containerDefinitions[1].name', 'Container names must be unique within a Task Definition.'),
      ],
    ],
    [
      'an unknown field beside an all-non-essential task',
      ec2({ labels: {} }, [container({ essential: false })]),
      [
        v('$.labels', 'Unknown parameter "labels".'),
        v('$.containerDefinitions', "Task definition doesn't have any essential container."),
      ],
    ],
  ])('runs the cross-field rules despite %s', (_, body, violations) => {
    expect(violationsOf(body)).toEqual(violations);
  });

  it.each<[string, Body, Violation[]]>([
    [
      'a malformed container memory (no "at least one of memory" on top)',
      ec2({}, [container({ memory: 'lots' })]),
      [v('$.containerDefinitions[0].memory', "'memory' must be a non-negative integer (MiB).")],
    ],
    [
      'a malformed task cpu (no "Fargate requires cpu" on top; the network mode rule still runs)',
      fargate({ cpu: 'lots', networkMode: 'host' }),
      [
        v(
          '$.cpu',
          'Invalid \'cpu\' setting for task. Give CPU units from 128 to 196608 ("1024" or 1024) or vCPUs ("1 vCPU").',
        ),
        v('$.networkMode', "Fargate only supports network mode 'awsvpc'."),
      ],
    ],
    [
      'a malformed essential flag (it might have been true)',
      ec2({}, [container({ essential: 'no' }), container({ name: 'b', essential: false })]),
      [v('$.containerDefinitions[0].essential', 'Must be a boolean.')],
    ],
    [
      'a malformed port mapping (its neighbours are still checked)',
      ports('awsvpc', { containerPort: 'http' }, { containerPort: 80, hostPort: 81 }),
      [
        v(
          '$.containerDefinitions[0].portMappings[0].containerPort',
          "'containerPort' must be an integer from 1 to 65535.",
        ),
        v(
          '$.containerDefinitions[0].portMappings[1].hostPort',
          'When networkMode=awsvpc, the host ports and container ports in port mappings must match.',
        ),
      ],
    ],
  ])('lets a malformed field silence only the rules that need it: %s', (_, body, violations) => {
    expect(violationsOf(body)).toEqual(violations);
  });
});

describe('messages', () => {
  const wrongValues: unknown[] = [null, 1.5, 'x', true, [], {}, [null], [{}], { a: null }];
  const bodies = [
    ...Object.keys(TASK_FIELDS).flatMap((field) => wrongValues.map((value) => ec2({ [field]: value }))),
    ...Object.keys(CONTAINER_FIELDS).flatMap((field) =>
      wrongValues.map((value) => ec2({}, [container({ [field]: value })])),
    ),
  ];

  it('are written out for every way a field can be wrong (zod/mini has none of its own)', () => {
    const messages = new Set(bodies.flatMap((body) => violationsOf(body).map((violation) => violation.message)));
    expect(messages.size).toBeGreaterThan(10);
    for (const message of messages) {
      expect(message).not.toMatch(/invalid input/i);
      expect(message).toMatch(/^\S.*[.)]$/);
    }
  });
});

describe('TaskDefinitionInputSchema', () => {
  it('converts to JSON Schema for the request body (the input side: numbers or strings)', () => {
    const schema = z.toJSONSchema(TaskDefinitionInputSchema, { io: 'input' }) as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, unknown>;
    };
    expect(schema.required).toEqual(['family', 'containerDefinitions']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.memory).toEqual({ type: ['number', 'string'] });
  });
});
