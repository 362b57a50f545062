import canonicalize from 'canonicalize';
import type { RunRequest } from '../../../lib/runs/request';
import { MAX_OVERRIDES_LENGTH, parseRunRequest, type RunDefaults, toExecutionInput } from '../../../lib/runs/request';
import type { Violation } from '../../../lib/task-definition/validate';

type Body = Record<string, unknown>;
const defaults: RunDefaults = { capacity: { waitSeconds: 600, checkIntervalSeconds: 30 } };
const run = (fields: Body = {}): Body => ({ taskDefinition: 'anjana-educative:1', ...fields });
const v = (path: string, message: string): Violation => ({ path, message });

function violationsOf(body: unknown): Violation[] {
  const result = parseRunRequest(body, defaults);
  return result.ok ? [] : result.violations;
}

function parsed(body: unknown): RunRequest {
  const result = parseRunRequest(body, defaults);
  if (!result.ok) throw new Error(`expected a valid request, got ${JSON.stringify(result.violations)}`);
  return result.value;
}

describe('parseRunRequest: defaults', () => {
  it('fills count, retry and the stage capacity for the smallest request', () => {
    expect(parsed(run())).toEqual({
      taskDefinition: 'anjana-educative:1',
      count: 1,
      retry: { attempts: 1, evaluateOnExit: [] },
      capacity: { waitSeconds: 600, checkIntervalSeconds: 30 },
    });
  });

  it.each([
    [
      'a short wait shrinks the default interval to it',
      { waitSeconds: 5 },
      { waitSeconds: 5, checkIntervalSeconds: 5 },
    ],
    [
      'a zero wait still checks at a positive interval',
      { waitSeconds: 0 },
      { waitSeconds: 0, checkIntervalSeconds: 1 },
    ],
    [
      'an explicit interval is kept',
      { waitSeconds: 5, checkIntervalSeconds: 2 },
      { waitSeconds: 5, checkIntervalSeconds: 2 },
    ],
    [
      'an interval alone keeps the default wait',
      { checkIntervalSeconds: 10 },
      { waitSeconds: 600, checkIntervalSeconds: 10 },
    ],
  ])('capacity: %s', (_name, capacity, expected) => {
    expect(parsed(run({ capacity })).capacity).toEqual(expected);
  });

  it.each([
    ['retry', 'retry'],
    ['RETRY', 'RETRY'],
    ['Exit', 'EXIT'],
  ])('action %s is read case-insensitively as %s, as AWS Batch does', (action, expected) => {
    const rule = parsed(run({ retry: { evaluateOnExit: [{ onExitCode: '3', action }] } })).retry.evaluateOnExit[0];
    expect(rule?.action).toBe(expected.toUpperCase());
  });

  it('normalises task-level override sizes to ECS strings', () => {
    expect(parsed(run({ overrides: { cpu: '1 vCPU', memory: '2 GB' } })).overrides).toEqual({
      cpu: '1024',
      memory: '2048',
    });
  });
});

describe('parseRunRequest: valid requests', () => {
  it.each<[string, Body]>([
    ['family only', { taskDefinition: 'web' }],
    ['a task definition ARN', { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:3' }],
    ['a cluster ARN', { cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/default' }],
    ['count 10', { count: 10 }],
    ['a capacity provider strategy', { capacityProviderStrategy: [{ capacityProvider: 'cp', weight: 1, base: 2 }] }],
    [
      'awsvpc network configuration',
      {
        networkConfiguration: {
          awsvpcConfiguration: { subnets: ['subnet-1'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' },
        },
      },
    ],
    [
      'container overrides',
      {
        overrides: {
          containerOverrides: [
            {
              name: 'anjana',
              command: ['sh', '-c', 'exit 3'],
              environment: [{ name: 'A', value: '1' }],
              cpu: 128,
              memory: 256,
              memoryReservation: 128,
            },
          ],
        },
      },
    ],
    [
      'placement',
      {
        placementConstraints: [
          { type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' },
          { type: 'distinctInstance' },
        ],
        placementStrategy: [
          { type: 'spread', field: 'instanceId' },
          { type: 'binpack', field: 'memory' },
        ],
      },
    ],
    [
      'retry with every condition kind',
      {
        retry: {
          attempts: 10,
          backoffSeconds: 5,
          backoffRate: 1.5,
          evaluateOnExit: [
            { onExitCode: '1*', action: 'RETRY' },
            { onStatusReason: 'Host EC2*', action: 'RETRY' },
            { onReason: 'CannotPullContainerError:*', action: 'EXIT' },
            { onExitCode: '*', action: 'EXIT' },
          ],
        },
      },
    ],
    ['timeoutSeconds 1', { timeoutSeconds: 1 }],
    [
      'tags',
      {
        tags: [
          { key: 'team', value: 'data' },
          { key: 'cost center', value: 'a+b=c@d/e' },
        ],
      },
    ],
    ['startedBy', { startedBy: 'nightly/report_1' }],
    ['propagateTags', { propagateTags: 'TASK_DEFINITION' }],
  ])('accepts %s', (_name, fields) => {
    expect(violationsOf(run(fields))).toEqual([]);
  });
});

describe('parseRunRequest: violations, with their JSONPath', () => {
  it.each<[string, unknown, Violation[]]>([
    ['not an object', 'run it', [v('$', 'The run request must be a JSON object.')]],
    ['no taskDefinition', {}, [v('$.taskDefinition', 'taskDefinition is required.')]],
    [
      'a malformed taskDefinition',
      { taskDefinition: 'web:latest' },
      [
        v(
          '$.taskDefinition',
          'taskDefinition must be a family, family:revision or a task definition ARN (letters, numbers, hyphens and underscores).',
        ),
      ],
    ],
    ['an unknown field', run({ image: 'x' }), [v('$.image', 'Unknown parameter "image".')]],
    [
      'an unknown nested field',
      run({ retry: { attempts: 2, maxAttempts: 3 } }),
      [v('$.retry.maxAttempts', 'Unknown parameter "maxAttempts".')],
    ],
    ['count 0', run({ count: 0 }), [v('$.count', "'count' must be an integer from 1 to 10.")]],
    ['count 11', run({ count: 11 }), [v('$.count', "'count' must be an integer from 1 to 10.")]],
    ['count as a string', run({ count: '2' }), [v('$.count', "'count' must be an integer from 1 to 10.")]],
    [
      'launchType and capacityProviderStrategy',
      run({ launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'cp' }] }),
      [
        v(
          '$.capacityProviderStrategy',
          'Specifying both a launch type and capacity provider strategy is not supported.',
        ),
      ],
    ],
    [
      'two bases',
      run({
        capacityProviderStrategy: [
          { capacityProvider: 'a', base: 1 },
          { capacityProvider: 'b', base: 1 },
        ],
      }),
      [
        v(
          '$.capacityProviderStrategy',
          'Only one capacity provider in a capacity provider strategy can have a base defined.',
        ),
      ],
    ],
    [
      'an unknown launch type',
      run({ launchType: 'LAMBDA' }),
      [v('$.launchType', 'Must be one of: EC2, FARGATE, EXTERNAL.')],
    ],
    [
      'no subnets',
      run({ networkConfiguration: { awsvpcConfiguration: { subnets: [] } } }),
      [v('$.networkConfiguration.awsvpcConfiguration.subnets', 'subnets can not be empty.')],
    ],
    [
      'attempts 0',
      run({ retry: { attempts: 0 } }),
      [v('$.retry.attempts', "'attempts' must be an integer from 1 to 10.")],
    ],
    [
      'attempts 11',
      run({ retry: { attempts: 11 } }),
      [v('$.retry.attempts', "'attempts' must be an integer from 1 to 10.")],
    ],
    [
      'six evaluateOnExit rules',
      run({ retry: { evaluateOnExit: Array.from({ length: 6 }, () => ({ onExitCode: '1', action: 'EXIT' })) } }),
      [v('$.retry.evaluateOnExit', 'At most 5 evaluateOnExit rules are allowed.')],
    ],
    [
      'a rule with no condition',
      run({ retry: { evaluateOnExit: [{ action: 'EXIT' }] } }),
      [v('$.retry.evaluateOnExit[0]', 'Each rule takes exactly one of onExitCode, onStatusReason and onReason.')],
    ],
    [
      'a rule with two conditions',
      run({ retry: { evaluateOnExit: [{ onExitCode: '1', onReason: 'x', action: 'EXIT' }] } }),
      [v('$.retry.evaluateOnExit[0]', 'Each rule takes exactly one of onExitCode, onStatusReason and onReason.')],
    ],
    [
      'an exit code glob with a letter',
      run({ retry: { evaluateOnExit: [{ onExitCode: '1a', action: 'EXIT' }] } }),
      [
        v(
          '$.retry.evaluateOnExit[0].onExitCode',
          'The pattern can contain only numbers, and can end with an asterisk (*).',
        ),
      ],
    ],
    [
      'an exit code glob with an inner asterisk',
      run({ retry: { evaluateOnExit: [{ onExitCode: '1*2', action: 'EXIT' }] } }),
      [
        v(
          '$.retry.evaluateOnExit[0].onExitCode',
          'The pattern can contain only numbers, and can end with an asterisk (*).',
        ),
      ],
    ],
    [
      'a reason glob with a hyphen',
      run({ retry: { evaluateOnExit: [{ onReason: 'Task-failed*', action: 'EXIT' }] } }),
      [
        v(
          '$.retry.evaluateOnExit[0].onReason',
          'The pattern can contain only letters, numbers, periods, colons and white space, and can end with an asterisk (*).',
        ),
      ],
    ],
    [
      'a 513-character pattern',
      run({ retry: { evaluateOnExit: [{ onExitCode: '1'.repeat(513), action: 'EXIT' }] } }),
      [v('$.retry.evaluateOnExit[0].onExitCode', 'The pattern can be up to 512 characters long.')],
    ],
    [
      'an unknown action',
      run({ retry: { evaluateOnExit: [{ onExitCode: '1', action: 'IGNORE' }] } }),
      [v('$.retry.evaluateOnExit[0].action', 'action must be RETRY or EXIT (any case).')],
    ],
    [
      'no action',
      run({ retry: { evaluateOnExit: [{ onExitCode: '1' }] } }),
      [v('$.retry.evaluateOnExit[0].action', 'action is required: RETRY or EXIT.')],
    ],
    [
      'backoffRate below 1',
      run({ retry: { backoffRate: 0.5 } }),
      [v('$.retry.backoffRate', "'backoffRate' must be a number from 1 to 10.")],
    ],
    [
      'timeoutSeconds 0',
      run({ timeoutSeconds: 0 }),
      [v('$.timeoutSeconds', "'timeoutSeconds' must be an integer from 1 to 31536000 (a year).")],
    ],
    [
      'a fractional timeout',
      run({ timeoutSeconds: 1.5 }),
      [v('$.timeoutSeconds', "'timeoutSeconds' must be an integer from 1 to 31536000 (a year).")],
    ],
    [
      'a negative wait',
      run({ capacity: { waitSeconds: -1 } }),
      [v('$.capacity.waitSeconds', "'waitSeconds' must be an integer from 0 to 604800.")],
    ],
    [
      'a zero interval',
      run({ capacity: { checkIntervalSeconds: 0 } }),
      [v('$.capacity.checkIntervalSeconds', "'checkIntervalSeconds' must be an integer from 1 to 3600.")],
    ],
    [
      'an aws: tag',
      run({ tags: [{ key: 'AWS:owner', value: 'x' }] }),
      [v('$.tags[0].key', 'Tag keys starting with aws: are reserved for AWS use.')],
    ],
    ['a duplicate tag', run({ tags: [{ key: 'a' }, { key: 'a' }] }), [v('$.tags[1].key', 'Duplicate tag key a.')]],
    [
      'a tag with a bad character',
      run({ tags: [{ key: 'a!' }] }),
      [v('$.tags[0].key', 'Tag keys may contain letters, numbers, spaces and + - = . _ : / @.')],
    ],
    [
      'a bad startedBy',
      run({ startedBy: 'me!' }),
      [v('$.startedBy', 'startedBy allows up to 128 letters, numbers, hyphens, forward slashes and underscores.')],
    ],
    [
      'a memberOf with no expression',
      run({ placementConstraints: [{ type: 'memberOf' }] }),
      [v('$.placementConstraints[0]', 'memberOf expression must be specified.')],
    ],
    [
      'a distinctInstance with an expression',
      run({ placementConstraints: [{ type: 'distinctInstance', expression: 'x' }] }),
      [v('$.placementConstraints[0]', 'distinctInstance expression should not be specified.')],
    ],
    [
      'a binpack on an unknown field',
      run({ placementStrategy: [{ type: 'binpack', field: 'gpu' }] }),
      [v('$.placementStrategy[0]', "Invalid binpack field 'gpu'. Valid fields are cpu and memory.")],
    ],
    [
      'six strategies',
      run({ placementStrategy: Array.from({ length: 6 }, () => ({ type: 'random' })) }),
      [v('$.placementStrategy', 'Too many placement strategies: 6 (at most 5).')],
    ],
    [
      'placement on Fargate',
      run({ launchType: 'FARGATE', placementStrategy: [{ type: 'random' }] }),
      [v('$.placementStrategy', 'Task placement constraints and strategies are not supported for tasks on Fargate.')],
    ],
    [
      'a container overridden twice',
      run({ overrides: { containerOverrides: [{ name: 'a' }, { name: 'a' }] } }),
      [v('$.overrides.containerOverrides[1].name', 'Container a is overridden more than once.')],
    ],
    [
      'a container override with no name',
      run({ overrides: { containerOverrides: [{ command: ['true'] }] } }),
      [v('$.overrides.containerOverrides[0].name', 'Container override name is required.')],
    ],
    [
      'an invalid task cpu override',
      run({ overrides: { cpu: '64' } }),
      [
        v(
          '$.overrides.cpu',
          'Invalid \'cpu\' override for task. Give CPU units from 128 to 196608 ("1024" or 1024) or vCPUs ("1 vCPU").',
        ),
      ],
    ],
  ])('%s', (_name, body, expected) => {
    expect(violationsOf(body)).toEqual(expected);
  });

  it('reports every violation at once', () => {
    const paths = violationsOf(
      run({ count: 0, launchType: 'x', retry: { attempts: 99 }, timeoutSeconds: -1, extra: true }),
    ).map((x) => x.path);
    expect(paths).toEqual(['$.count', '$.launchType', '$.retry.attempts', '$.timeoutSeconds', '$.extra']);
  });

  it("refuses overrides over ECS's 8192 characters, counting the JSON", () => {
    const fits = 'x'.repeat(MAX_OVERRIDES_LENGTH - 200);
    expect(violationsOf(run({ overrides: { containerOverrides: [{ name: 'a', command: [fits] }] } }))).toEqual([]);
    const tooLong = 'x'.repeat(MAX_OVERRIDES_LENGTH);
    const [violation] = violationsOf(run({ overrides: { containerOverrides: [{ name: 'a', command: [tooLong] }] } }));
    expect(violation?.path).toBe('$.overrides');
    expect(violation?.message).toMatch(
      /^Container Overrides length must be at most 8192 \(\d+ characters as JSON\)\.$/,
    );
  });
});

describe('toExecutionInput', () => {
  const request = parsed(
    run({
      count: 2,
      launchType: 'EC2',
      overrides: {
        containerOverrides: [
          { name: 'anjana', command: ['sh', '-c', 'exit 3'], environment: [{ name: 'A', value: '1' }] },
        ],
        memory: '1024',
      },
      placementConstraints: [{ type: 'distinctInstance' }],
      placementStrategy: [{ type: 'binpack', field: 'cpu' }],
      retry: { attempts: 3, evaluateOnExit: [{ onExitCode: '3', action: 'retry' }] },
      timeoutSeconds: 120,
      tags: [{ key: 'team', value: 'data' }],
      propagateTags: 'TASK_DEFINITION',
    }),
  );

  it('builds the RunTask parameters in PascalCase, exactly as the state machine passes them on', () => {
    const input = toExecutionInput({
      runId: 'r-1',
      submittedAt: new Date('2025-01-02T03:04:05.000Z'),
      request,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/anjana-educative:1',
      cluster: 'default',
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'], assignPublicIp: 'DISABLED' } },
      trigger: { type: 'api', name: 'nightly' },
    });
    expect(input).toEqual({
      runId: 'r-1',
      submittedAt: '2025-01-02T03:04:05.000Z',
      trigger: { type: 'api', name: 'nightly' },
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/anjana-educative:1',
      runTask: {
        Cluster: 'default',
        TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/anjana-educative:1',
        Count: 2,
        LaunchType: 'EC2',
        NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' } },
        Overrides: {
          ContainerOverrides: [
            { Name: 'anjana', Command: ['sh', '-c', 'exit 3'], Environment: [{ Name: 'A', Value: '1' }] },
          ],
          Memory: '1024',
        },
        PlacementConstraints: [{ Type: 'distinctInstance' }],
        PlacementStrategy: [{ Type: 'binpack', Field: 'cpu' }],
        Tags: [{ Key: 'team', Value: 'data' }],
        PropagateTags: 'TASK_DEFINITION',
      },
      retry: { attempts: 3, backoffSeconds: 0, backoffRate: 2, evaluateOnExit: [{ onExitCode: '3', action: 'RETRY' }] },
      timeoutSeconds: 120,
      capacity: { waitSeconds: 600, checkIntervalSeconds: 30 },
    });
  });

  it('leaves out what the request left out', () => {
    const input = toExecutionInput({
      runId: 'r-2',
      submittedAt: new Date(0),
      request: parsed(run()),
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/anjana-educative:1',
      cluster: 'default',
    });
    expect(input.runTask).toEqual({
      Cluster: 'default',
      TaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/anjana-educative:1',
      Count: 1,
    });
    expect(input).not.toHaveProperty('timeoutSeconds');
    expect(input).not.toHaveProperty('trigger');
  });
});

describe('canonical JSON (RFC 8785)', () => {
  it('is the same for the same request whatever the key order, and differs otherwise', () => {
    const a = parsed({ count: 1, taskDefinition: 'web', retry: { evaluateOnExit: [], attempts: 2 } });
    const b = parsed({ retry: { attempts: 2 }, taskDefinition: 'web' });
    expect(canonicalize(a)).toBe(canonicalize(b));
    expect(canonicalize(a)).not.toBe(canonicalize(parsed({ taskDefinition: 'web', retry: { attempts: 3 } })));
  });
});
