/**
 * Nested members of a task definition, validated against ECS's model (lib/task-definition/model) at every depth:
 * wrong types, unknown members, enums, lengths and ranges, patterns and required members, each with its JSONPath.
 */
import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import type { Violation } from '../../../lib/task-definition/validate';
import { type Body, container, ec2, normalised, v, violationsOf } from './fixtures';

const withContainer = (fields: Body) => ec2({}, [container(fields)]);
const c0 = '$.containerDefinitions[0]';

/** A body as the API receives it: JSON.parse makes `__proto__` an own key, as a client's JSON would. */
const parsed = (json: string): Body => JSON.parse(json) as Body;

const TAG_CHARACTERS = 'Use letters, numbers, spaces and + - = . _ : / @.';
const AWS_PREFIX = "The prefix 'aws:' (in any case) is reserved for AWS use.";
const IMAGE_TOO_LONG = 'Container.image is too long. Use at most 255 characters before any @digest.';
const IMAGE_CHARACTERS =
  'Container.image contains invalid characters. Use letters, numbers, hyphens, underscores, colons, periods, ' +
  'forward slashes and number signs, optionally followed by @sha256: and 64 hexadecimal digits.';
const DIGEST = `sha256:${'a1'.repeat(32)}`;

describe('the reproductions of issue 8 (each was accepted before)', () => {
  it('refuses a typo inside logConfiguration instead of dropping it', () => {
    const body = withContainer({ logConfiguration: { logDriver: 'awslogs', option: { 'awslogs-group': 'jobs' } } });
    expect(violationsOf(body)).toEqual([v(`${c0}.logConfiguration.option`, 'Unknown parameter "option".')]);
  });

  it('refuses nested values of the wrong type instead of storing them as given', () => {
    const body = withContainer({ healthCheck: { command: 'curl -f http://localhost/', interval: 'often' } });
    expect(violationsOf(body)).toEqual([
      v(`${c0}.healthCheck.command`, 'Must be an array.'),
      v(`${c0}.healthCheck.interval`, "'interval' must be an integer from 5 to 300 (seconds)."),
    ]);
  });

  it('checks a __proto__ docker label like any other', () => {
    const body = withContainer({ dockerLabels: parsed('{"__proto__": 5, "team": "jobs"}') });
    expect(violationsOf(body)).toEqual([v(`${c0}.dockerLabels.__proto__`, 'Must be a string.')]);
  });

  it('keeps a __proto__ docker label as a label', () => {
    const body = withContainer({ dockerLabels: parsed('{"__proto__": "x", "constructor": "c", "prototype": "p"}') });
    const labels = normalised(body).containerDefinitions[0]?.dockerLabels as Record<string, string>;
    expect(Object.keys(labels)).toEqual(['__proto__', 'constructor', 'prototype']);
    expect(Object.getOwnPropertyDescriptor(labels, '__proto__')?.value).toBe('x');
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(JSON.stringify(labels)).toBe('{"__proto__":"x","constructor":"c","prototype":"p"}');
  });

  it.each<[string]>([['aws:team'], ['AWS:team'], ['Aws:team'], ['aWs:']])('refuses the tag key %p', (key) => {
    expect(violationsOf(ec2({ tags: [{ key, value: 'jobs' }] }))).toEqual([v('$.tags[0].key', AWS_PREFIX)]);
  });

  it('refuses an image of 300 characters', () => {
    expect(violationsOf(withContainer({ image: `registry.example/${'a'.repeat(283)}` }))).toEqual([
      v(`${c0}.image`, IMAGE_TOO_LONG),
    ]);
  });
});

describe('map keys that name Object.prototype members', () => {
  it.each<[string, string]>([
    ['docker labels', '{"dockerLabels": {"__proto__": {"polluted": "yes"}}}'],
    ['log options', '{"logConfiguration": {"logDriver": "awslogs", "options": {"__proto__": {"polluted": "yes"}}}}'],
  ])('are refused in %s when the value is not a string, and change no prototype', (_, json) => {
    const fields = parsed(json);
    const violations = violationsOf(withContainer(fields));
    expect(violations).toHaveLength(1);
    expect(violations[0]?.path).toMatch(/\.__proto__$/);
    expect(violations[0]?.message).toBe('Must be a string.');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('are kept in every map of the model', () => {
    const map = () => parsed('{"__proto__": "a", "constructor": "b"}');
    const body = ec2({ volumes: [{ name: 'v', dockerVolumeConfiguration: { driverOpts: map(), labels: map() } }] }, [
      container({
        dockerLabels: map(),
        logConfiguration: { logDriver: 'awslogs', options: map() },
        firelensConfiguration: { type: 'fluentbit', options: map() },
      }),
    ]);
    const value = normalised(body);
    const c = value.containerDefinitions[0]!;
    const volume = value.volumes?.[0]?.dockerVolumeConfiguration;
    for (const m of [
      c.dockerLabels,
      c.logConfiguration?.options,
      c.firelensConfiguration?.options,
      volume?.driverOpts,
      volume?.labels,
    ]) {
      expect(Object.entries(m ?? {})).toEqual([
        ['__proto__', 'a'],
        ['constructor', 'b'],
      ]);
    }
  });

  it('reach ECS: RegisterTaskDefinitionCommand sends the label', async () => {
    let sent = '';
    const ecs = new ECSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      maxAttempts: 1,
      requestHandler: {
        handle: async (request: { body: Uint8Array | string }) => {
          sent = typeof request.body === 'string' ? request.body : new TextDecoder().decode(request.body);
          throw new Error('captured');
        },
      },
    });
    const value = normalised(withContainer({ dockerLabels: parsed('{"__proto__": "x"}') }));
    await expect(ecs.send(new RegisterTaskDefinitionCommand(value))).rejects.toThrow('captured');
    expect(JSON.parse(sent).containerDefinitions[0].dockerLabels).toEqual(parsed('{"__proto__": "x"}'));
    expect(sent).toContain('"dockerLabels":{"__proto__":"x"}');
  });
});

describe('nested members', () => {
  it.each<[string, Body]>([
    [
      'a full log configuration',
      {
        logConfiguration: {
          logDriver: 'awslogs',
          options: { 'awslogs-group': 'jobs' },
          secretOptions: [{ name: 'k', valueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/k' }],
        },
      },
    ],
    [
      'a health check at its bounds',
      { healthCheck: { command: ['CMD', 'true'], interval: 5, timeout: 60, retries: 10, startPeriod: 0 } },
    ],
    [
      'linux parameters',
      {
        linuxParameters: {
          capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
          swappiness: 100,
          maxSwap: 0,
          tmpfs: [{ containerPath: '/tmp', size: 64, mountOptions: ['noexec'] }],
          devices: [{ hostPath: '/dev/fuse', permissions: ['read'] }],
        },
      },
    ],
    ['an unlimited ulimit (-1)', { ulimits: [{ name: 'memlock', softLimit: -1, hardLimit: -1 }] }],
    ['a restart policy', { restartPolicy: { enabled: true, ignoredExitCodes: [0, 1], restartAttemptPeriod: 60 } }],
    ['an image of 255 characters', { image: 'a'.repeat(255) }],
    ['an image by digest (the limit is before the @)', { image: `${'a'.repeat(255)}@${DIGEST}` }],
    ['a port mapping name', { portMappings: [{ containerPort: 80, name: 'http_1-a' }] }],
  ])('accepts %s', (_, fields) => {
    expect(violationsOf(withContainer(fields))).toEqual([]);
  });

  it.each<[string, Body]>([
    [
      'volumes of every kind',
      {
        volumes: [
          { name: 'host', host: { sourcePath: '/srv' } },
          { name: 'docker', dockerVolumeConfiguration: { scope: 'shared', autoprovision: true, driver: 'local' } },
          {
            name: 'efs',
            efsVolumeConfiguration: {
              fileSystemId: 'fs-1',
              transitEncryption: 'ENABLED',
              transitEncryptionPort: 2049,
              authorizationConfig: { accessPointId: 'fsap-1', iam: 'ENABLED' },
            },
          },
          {
            name: 'fsx',
            fsxWindowsFileServerVolumeConfiguration: {
              fileSystemId: 'fs-2',
              rootDirectory: 'share',
              authorizationConfig: {
                credentialsParameter: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:fsx',
                domain: 'corp',
              },
            },
          },
          { name: 'launch', configuredAtLaunch: true },
        ],
      },
    ],
    ['ephemeral storage at its bounds', { ephemeralStorage: { sizeInGiB: 200 } }],
    [
      'fifty tags with letters, spaces and symbols',
      { tags: Array.from({ length: 50 }, (_, i) => ({ key: `team ${i}/é+=.:_@-`, value: '' })) },
    ],
    ['a tag key of 128 characters', { tags: [{ key: 'k'.repeat(128) }] }],
    [
      'a proxy configuration',
      {
        proxyConfiguration: {
          type: 'APPMESH',
          containerName: 'app',
          properties: [{ name: 'IgnoredUID', value: '1337' }],
        },
      },
    ],
  ])('accepts %s on the task', (_, fields) => {
    expect(violationsOf(ec2(fields))).toEqual([]);
  });

  it('normalises digit strings at any depth', () => {
    const value = normalised(
      ec2({ ephemeralStorage: { sizeInGiB: '30' } }, [
        container({
          healthCheck: { command: ['CMD', 'true'], interval: '30' },
          ulimits: [{ name: 'nofile', softLimit: '1024', hardLimit: 4096 }],
        }),
      ]),
    );
    expect(value.ephemeralStorage).toEqual({ sizeInGiB: 30 });
    expect(value.containerDefinitions[0]?.healthCheck).toEqual({ command: ['CMD', 'true'], interval: 30 });
    expect(value.containerDefinitions[0]?.ulimits).toEqual([{ name: 'nofile', softLimit: 1024, hardLimit: 4096 }]);
  });

  const capabilities =
    'ALL, AUDIT_CONTROL, AUDIT_WRITE, BLOCK_SUSPEND, CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, IPC_LOCK, ' +
    'IPC_OWNER, KILL, LEASE, LINUX_IMMUTABLE, MAC_ADMIN, MAC_OVERRIDE, MKNOD, NET_ADMIN, NET_BIND_SERVICE, NET_BROADCAST, ' +
    'NET_RAW, SETFCAP, SETGID, SETPCAP, SETUID, SYS_ADMIN, SYS_BOOT, SYS_CHROOT, SYS_MODULE, SYS_NICE, SYS_PACCT, ' +
    'SYS_PTRACE, SYS_RAWIO, SYS_RESOURCE, SYS_TIME, SYS_TTY_CONFIG, SYSLOG, WAKE_ALARM';

  it.each<[string, string, Body, Violation]>([
    // wrong type
    [
      'wrong type',
      'a boolean as a string',
      { linuxParameters: { initProcessEnabled: 'yes' } },
      v(`${c0}.linuxParameters.initProcessEnabled`, 'Must be a boolean.'),
    ],
    [
      'wrong type',
      'an integer as a word',
      { ulimits: [{ name: 'nofile', softLimit: 'many', hardLimit: 4096 }] },
      v(`${c0}.ulimits[0].softLimit`, "'softLimit' must be an integer."),
    ],
    [
      'wrong type',
      'a fraction',
      { restartPolicy: { enabled: true, ignoredExitCodes: [1.5] } },
      v(`${c0}.restartPolicy.ignoredExitCodes[0]`, "'ignoredExitCodes' must be an integer."),
    ],
    [
      'wrong type',
      'log options as a list',
      { logConfiguration: { logDriver: 'awslogs', options: ['awslogs-group=jobs'] } },
      v(`${c0}.logConfiguration.options`, 'Must be an object.'),
    ],
    [
      'wrong type',
      'a log option that is a number',
      { logConfiguration: { logDriver: 'awslogs', options: { 'max-buffer-size': 25 } } },
      v(`${c0}.logConfiguration.options['max-buffer-size']`, 'Must be a string.'),
    ],
    [
      'wrong type',
      'a structure as a string',
      { linuxParameters: 'init' },
      v(`${c0}.linuxParameters`, 'Must be an object.'),
    ],
    [
      'wrong type',
      'a list item that is not a structure',
      { secrets: ['TOKEN'] },
      v(`${c0}.secrets[0]`, 'Must be an object.'),
    ],
    // unknown member
    [
      'unknown member',
      'in linux capabilities',
      { linuxParameters: { capabilities: { add: ['NET_ADMIN'], remove: ['ALL'] } } },
      v(`${c0}.linuxParameters.capabilities.remove`, 'Unknown parameter "remove".'),
    ],
    [
      'unknown member',
      'in a health check',
      { healthCheck: { command: ['CMD', 'true'], intervalSeconds: 30 } },
      v(`${c0}.healthCheck.intervalSeconds`, 'Unknown parameter "intervalSeconds".'),
    ],
    [
      'unknown member',
      'in a secret',
      { secrets: [{ name: 'TOKEN', valueFrom: 'arn', value: 'x' }] },
      v(`${c0}.secrets[0].value`, 'Unknown parameter "value".'),
    ],
    [
      'unknown member',
      'named __proto__ in a structure',
      { repositoryCredentials: parsed('{"credentialsParameter": "arn", "__proto__": {}}') },
      v(`${c0}.repositoryCredentials.__proto__`, 'Unknown parameter "__proto__".'),
    ],
    // enum
    [
      'enum',
      'a log driver',
      { logConfiguration: { logDriver: 'cloudwatch' } },
      v(
        `${c0}.logConfiguration.logDriver`,
        'Must be one of: json-file, syslog, journald, gelf, fluentd, awslogs, splunk, awsfirelens.',
      ),
    ],
    [
      'enum',
      'a dependency condition',
      { dependsOn: [{ containerName: 'db', condition: 'READY' }] },
      v(`${c0}.dependsOn[0].condition`, 'Must be one of: START, COMPLETE, SUCCESS, HEALTHY.'),
    ],
    [
      'enum',
      'a ulimit name',
      { ulimits: [{ name: 'files', softLimit: 1, hardLimit: 1 }] },
      v(
        `${c0}.ulimits[0].name`,
        'Must be one of: core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack.',
      ),
    ],
    [
      'enum',
      'a kernel capability (documented list)',
      { linuxParameters: { capabilities: { add: ['NET_ADMINS'] } } },
      v(`${c0}.linuxParameters.capabilities.add[0]`, `Must be one of: ${capabilities}.`),
    ],
    [
      'enum',
      'a resource type',
      { resourceRequirements: [{ type: 'TPU', value: '1' }] },
      v(`${c0}.resourceRequirements[0].type`, 'Must be one of: GPU, InferenceAccelerator.'),
    ],
    // length and range
    [
      'range',
      'a health check interval below 5',
      { healthCheck: { command: ['CMD', 'true'], interval: 1 } },
      v(`${c0}.healthCheck.interval`, "'interval' must be an integer from 5 to 300 (seconds)."),
    ],
    [
      'range',
      'health check retries above 10',
      { healthCheck: { command: ['CMD', 'true'], retries: 11 } },
      v(`${c0}.healthCheck.retries`, "'retries' must be an integer from 1 to 10."),
    ],
    [
      'range',
      'swappiness above 100',
      { linuxParameters: { swappiness: 101 } },
      v(`${c0}.linuxParameters.swappiness`, "'swappiness' must be an integer from 0 to 100."),
    ],
    [
      'range',
      'a negative maxSwap',
      { linuxParameters: { maxSwap: -1 } },
      v(`${c0}.linuxParameters.maxSwap`, "'maxSwap' must be a non-negative integer (MiB)."),
    ],
    [
      'range',
      'a restart period of 30 s',
      { restartPolicy: { enabled: true, restartAttemptPeriod: 30 } },
      v(
        `${c0}.restartPolicy.restartAttemptPeriod`,
        "'restartAttemptPeriod' must be an integer from 60 to 1800 (seconds).",
      ),
    ],
    [
      'range',
      'a ulimit beyond 32 bits',
      { ulimits: [{ name: 'nofile', softLimit: 2 ** 31, hardLimit: 1 }] },
      v(`${c0}.ulimits[0].softLimit`, "'softLimit' must be an integer."),
    ],
    [
      'length',
      'two credential specs',
      { credentialSpecs: ['a', 'b'] },
      v(`${c0}.credentialSpecs`, 'Must be at most 1 item.'),
    ],
    [
      'length',
      '51 ignored exit codes',
      { restartPolicy: { enabled: true, ignoredExitCodes: Array.from({ length: 51 }, (_, i) => i) } },
      v(`${c0}.restartPolicy.ignoredExitCodes`, 'Must be at most 50 items.'),
    ],
    [
      'length',
      'eleven environment files',
      { environmentFiles: Array.from({ length: 11 }, () => ({ value: 'arn:aws:s3:::b/a.env', type: 's3' })) },
      v(`${c0}.environmentFiles`, 'Must be at most 10 items.'),
    ],
    [
      'length',
      'a port mapping name of 65 characters',
      { portMappings: [{ containerPort: 80, name: 'p'.repeat(65) }] },
      v(`${c0}.portMappings[0].name`, 'Must be at most 64 characters long.'),
    ],
    [
      'length',
      'an image name of 256 characters before its digest',
      { image: `${'a'.repeat(256)}@${DIGEST}` },
      v(`${c0}.image`, IMAGE_TOO_LONG),
    ],
    // pattern
    [
      'pattern',
      'a port mapping name starting with a hyphen',
      { portMappings: [{ containerPort: 80, name: '-http' }] },
      v(
        `${c0}.portMappings[0].name`,
        'Use lowercase letters, numbers, underscores and hyphens, not starting with a hyphen.',
      ),
    ],
    ['pattern', 'an image with a space', { image: 'nginx latest' }, v(`${c0}.image`, IMAGE_CHARACTERS)],
    ['pattern', 'an image digest that is not sha256', { image: 'nginx@md5:abc' }, v(`${c0}.image`, IMAGE_CHARACTERS)],
    // required
    [
      'required',
      'a log configuration without a driver',
      { logConfiguration: { options: { 'awslogs-group': 'jobs' } } },
      v(`${c0}.logConfiguration.logDriver`, 'Missing required parameter.'),
    ],
    [
      'required',
      'a secret without valueFrom',
      { secrets: [{ name: 'TOKEN' }] },
      v(`${c0}.secrets[0].valueFrom`, 'Missing required parameter.'),
    ],
    [
      'required',
      'a health check without a command',
      { healthCheck: { interval: 30 } },
      v(`${c0}.healthCheck.command`, 'Missing required parameter.'),
    ],
    [
      'required',
      'a restart policy without enabled',
      { restartPolicy: { restartAttemptPeriod: 60 } },
      v(`${c0}.restartPolicy.enabled`, 'Missing required parameter.'),
    ],
    [
      'required',
      'a tmpfs without a size',
      { linuxParameters: { tmpfs: [{ containerPath: '/tmp' }] } },
      v(`${c0}.linuxParameters.tmpfs[0].size`, 'Missing required parameter.'),
    ],
  ])('refuses (%s) %s', (_, __, fields, violation) => {
    expect(violationsOf(withContainer(fields))).toEqual([violation]);
  });

  it.each<[string, string, Body, Violation]>([
    [
      'wrong type',
      'a host volume as a path',
      { volumes: [{ name: 'data', host: '/srv' }] },
      v('$.volumes[0].host', 'Must be an object.'),
    ],
    [
      'unknown member',
      'in an EFS volume',
      { volumes: [{ name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1', rootDir: '/' } }] },
      v('$.volumes[0].efsVolumeConfiguration.rootDir', 'Unknown parameter "rootDir".'),
    ],
    [
      'unknown member',
      'in the runtime platform',
      { runtimePlatform: { cpuArchitecture: 'ARM64', os: 'LINUX' } },
      v('$.runtimePlatform.os', 'Unknown parameter "os".'),
    ],
    [
      'enum',
      'a CPU architecture',
      { runtimePlatform: { cpuArchitecture: 'x86' } },
      v('$.runtimePlatform.cpuArchitecture', 'Must be one of: X86_64, ARM64.'),
    ],
    [
      'enum',
      'a placement constraint type',
      { placementConstraints: [{ type: 'distinctInstance' }] },
      v('$.placementConstraints[0].type', 'Must be one of: memberOf.'),
    ],
    [
      'enum',
      'an EFS transit encryption',
      { volumes: [{ name: 'efs', efsVolumeConfiguration: { fileSystemId: 'fs-1', transitEncryption: 'on' } }] },
      v('$.volumes[0].efsVolumeConfiguration.transitEncryption', 'Must be one of: ENABLED, DISABLED.'),
    ],
    [
      'range',
      'ephemeral storage of 20 GiB',
      { ephemeralStorage: { sizeInGiB: 20 } },
      v('$.ephemeralStorage.sizeInGiB', "'sizeInGiB' must be an integer from 21 to 200 (GiB)."),
    ],
    [
      'length',
      'fifty-one tags',
      { tags: Array.from({ length: 51 }, (_, i) => ({ key: `k${i}` })) },
      v('$.tags', 'Must be at most 50 items.'),
    ],
    [
      'length',
      'a tag key of 129 characters',
      { tags: [{ key: 'k'.repeat(129) }] },
      v('$.tags[0].key', 'Must be at most 128 characters long.'),
    ],
    [
      'length',
      'eleven placement constraints',
      {
        placementConstraints: Array.from({ length: 11 }, () => ({ type: 'memberOf', expression: 'attribute:x == y' })),
      },
      v('$.placementConstraints', 'Must be at most 10 items.'),
    ],
    [
      'pattern',
      'a volume name with a space',
      { volumes: [{ name: 'my data' }] },
      v('$.volumes[0].name', 'Use letters, numbers, hyphens and underscores.'),
    ],
    ['pattern', 'a tag key with #', { tags: [{ key: 'team#1' }] }, v('$.tags[0].key', TAG_CHARACTERS)],
    [
      'pattern',
      'a tag value with aws:',
      { tags: [{ key: 'team', value: 'AWS:jobs' }] },
      v('$.tags[0].value', AWS_PREFIX),
    ],
    [
      'required',
      'an EFS volume without a file system',
      { volumes: [{ name: 'efs', efsVolumeConfiguration: {} }] },
      v('$.volumes[0].efsVolumeConfiguration.fileSystemId', 'Missing required parameter.'),
    ],
    [
      'required',
      'ephemeral storage without a size',
      { ephemeralStorage: {} },
      v('$.ephemeralStorage.sizeInGiB', 'Missing required parameter.'),
    ],
    [
      'required',
      'a proxy configuration without its container',
      { proxyConfiguration: { type: 'APPMESH' } },
      v('$.proxyConfiguration.containerName', 'Missing required parameter.'),
    ],
  ])('refuses (%s) %s on the task', (_, __, fields, violation) => {
    expect(violationsOf(ec2(fields))).toEqual([violation]);
  });

  it('refuses a tag key given twice (ECS: each tag key must be unique), and only the repeats', () => {
    const tags = [{ key: 'team', value: 'a' }, { key: 'env' }, { key: 'team', value: 'b' }, { key: 'team' }];
    expect(violationsOf(ec2({ tags }))).toEqual([
      v('$.tags[2].key', 'Tag keys must be unique within a Task Definition.'),
      v('$.tags[3].key', 'Tag keys must be unique within a Task Definition.'),
    ]);
    // Keys differ by case: tags are case-sensitive.
    expect(violationsOf(ec2({ tags: [{ key: 'team' }, { key: 'Team' }] }))).toEqual([]);
  });

  it('reports every nested violation at once, beside the cross-field rules', () => {
    const body = ec2({ ephemeralStorage: { sizeInGiB: 1 }, tags: [{ key: 'aws:x' }] }, [
      container({ logConfiguration: { logDriver: 'awslogs', option: {} } }),
      container({ healthCheck: { command: ['CMD', 'true'], timeout: 90 } }),
    ]);
    expect(violationsOf(body)).toEqual([
      v(`${c0}.logConfiguration.option`, 'Unknown parameter "option".'),
      v('$.containerDefinitions[1].healthCheck.timeout', "'timeout' must be an integer from 2 to 60 (seconds)."),
      v('$.tags[0].key', AWS_PREFIX),
      v('$.ephemeralStorage.sizeInGiB', "'sizeInGiB' must be an integer from 21 to 200 (GiB)."),
      v('$.containerDefinitions[1].name', 'Container names must be unique within a Task Definition.'),
    ]);
  });
});
