/** Run logs by default at registration: lib/task-definition/log-defaults.ts and registerTaskDefinition with ECS mocked. */
import { ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { loadConfig } from '../../../lib/config';
import { PolicyError, ValidationError } from '../../../lib/errors';
import { fargateLogViolations, withRunLogDefaults } from '../../../lib/task-definition/log-defaults';
import type { TaskDefinitionInput } from '../../../lib/task-definition/schema';
import { registerTaskDefinition } from '../../../lib/task-definitions';

const ROLE = 'arn:aws:iam::123456789012:role/berth-ci-run-logs';
const defaults = { logGroup: '/berth/ci/runs', region: 'eu-west-1', executionRoleArn: ROLE };
const env = {
  BERTH_DEFAULT_RUN_LOGS: 'true',
  BERTH_RUN_LOG_GROUP: '/berth/ci/runs',
  BERTH_RUN_LOG_EXECUTION_ROLE_ARN: ROLE,
  AWS_REGION: 'eu-west-1',
};
const ownLogs = {
  logDriver: 'awslogs' as const,
  options: { 'awslogs-group': '/team/jobs', 'awslogs-stream-prefix': 'x' },
};
const td = (extra: Partial<TaskDefinitionInput> = {}): TaskDefinitionInput => ({
  family: 'nightly',
  containerDefinitions: [{ name: 'app', image: 'busybox', memory: 128 }],
  ...extra,
});

describe('withRunLogDefaults', () => {
  it('gives a container with no logConfiguration awslogs to the stage group, prefix = family, and the role', () => {
    expect(withRunLogDefaults(td(), defaults)).toEqual({
      family: 'nightly',
      executionRoleArn: ROLE,
      containerDefinitions: [
        {
          name: 'app',
          image: 'busybox',
          memory: 128,
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': '/berth/ci/runs',
              'awslogs-region': 'eu-west-1',
              'awslogs-stream-prefix': 'nightly',
            },
          },
        },
      ],
    });
  });

  it.each([
    ['its own awslogs configuration', ownLogs],
    ['another driver', { logDriver: 'json-file' as const, options: { 'max-size': '10m' } }],
  ])('keeps a container with %s, and adds no role when nothing was added', (_, logConfiguration) => {
    const given = td({ containerDefinitions: [{ name: 'app', image: 'busybox', memory: 128, logConfiguration }] });
    expect(withRunLogDefaults(given, defaults)).toBe(given);
  });

  it("keeps the definition's own execution role, and only fills the containers that have none", () => {
    const out = withRunLogDefaults(
      td({
        executionRoleArn: 'arn:aws:iam::123456789012:role/own',
        containerDefinitions: [
          { name: 'a', image: 'busybox', memory: 64, logConfiguration: ownLogs },
          { name: 'b', image: 'busybox', memory: 64 },
        ],
      }),
      defaults,
    );
    expect(out.executionRoleArn).toBe('arn:aws:iam::123456789012:role/own');
    expect(out.containerDefinitions?.[0]?.logConfiguration).toBe(ownLogs);
    expect(out.containerDefinitions?.[1]?.logConfiguration?.options?.['awslogs-group']).toBe('/berth/ci/runs');
  });
});

describe('fargateLogViolations', () => {
  const fargate = (extra: Partial<TaskDefinitionInput>) => td({ requiresCompatibilities: ['FARGATE'], ...extra });
  it.each([
    [
      'EC2 with awslogs and no role or prefix',
      td({
        containerDefinitions: [
          { name: 'a', image: 'x', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } } },
        ],
      }),
      [],
    ],
    [
      'Fargate awslogs without an execution role',
      fargate({ containerDefinitions: [{ name: 'a', image: 'x', logConfiguration: ownLogs }] }),
      [
        {
          path: '$.executionRoleArn',
          message: 'Fargate requires task definition to have execution role ARN to support log driver awslogs.',
        },
      ],
    ],
    [
      'Fargate awslogs without a stream prefix',
      fargate({
        executionRoleArn: ROLE,
        containerDefinitions: [
          { name: 'a', image: 'x', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } } },
        ],
      }),
      [
        {
          path: '$.containerDefinitions[0].logConfiguration.options',
          message:
            'Fargate requires log configuration options to include awslogs-stream-prefix to support log driver awslogs.',
        },
      ],
    ],
    [
      'Fargate with both',
      fargate({ executionRoleArn: ROLE, containerDefinitions: [{ name: 'a', image: 'x', logConfiguration: ownLogs }] }),
      [],
    ],
  ])('%s', (_, given, expected) => {
    expect(fargateLogViolations(given)).toEqual(expected);
  });
});

describe('registerTaskDefinition with the stage defaults', () => {
  const ecs = mockClient(ECSClient);
  beforeEach(() => {
    ecs.reset();
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { family: 'nightly', revision: 1 } });
  });
  const sent = () => ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;

  it('registers the defaults, the default role passing the guardrails as an allowlisted role', async () => {
    await registerTaskDefinition({ ecs: new ECSClient({}), config: loadConfig(env) }, td());
    expect(sent()?.executionRoleArn).toBe(ROLE);
    expect(sent()?.containerDefinitions?.[0]?.logConfiguration?.options?.['awslogs-stream-prefix']).toBe('nightly');
  });

  it('registers the definition as given when the stage turns the default off', async () => {
    await registerTaskDefinition(
      { ecs: new ECSClient({}), config: loadConfig({ ...env, BERTH_DEFAULT_RUN_LOGS: 'false' }) },
      td(),
    );
    expect(sent()?.containerDefinitions?.[0]?.logConfiguration).toBeUndefined();
    expect(sent()?.executionRoleArn).toBeUndefined();
  });

  it('refuses a Fargate definition whose own awslogs has no execution role, in ECS words, before ECS', async () => {
    const given = td({
      requiresCompatibilities: ['FARGATE'],
      containerDefinitions: [{ name: 'app', image: 'busybox', logConfiguration: ownLogs }],
    });
    await expect(registerTaskDefinition({ ecs: new ECSClient({}), config: loadConfig(env) }, given)).rejects.toThrow(
      ValidationError,
    );
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)).toHaveLength(0);
  });

  it('still applies the guardrails to other roles', async () => {
    const given = td({ executionRoleArn: 'arn:aws:iam::123456789012:role/other' });
    await expect(registerTaskDefinition({ ecs: new ECSClient({}), config: loadConfig(env) }, given)).rejects.toThrow(
      PolicyError,
    );
  });

  it('fails the cold start when the defaults are on and their settings are missing', () => {
    expect(() => loadConfig({ BERTH_DEFAULT_RUN_LOGS: 'true' })).toThrow('BERTH_RUN_LOG_GROUP');
  });
});
