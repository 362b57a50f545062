/**
 * Every run has logs (docs/api.md "Run logs"): at registration, a container with no logConfiguration gets the
 * awslogs driver writing to the stage's run log group, with `awslogs-stream-prefix` = the family (so its stream is
 * `family/container/task-id`) and `awslogs-region` = the stage's region; the definition gets the stage's execution
 * role for pushing them when it names none. A container with a logConfiguration of its own keeps it. Fargate's
 * requirements for awslogs are then checked in ECS's words (RegisterTaskDefinition's ClientException texts):
 * an execution role, and a stream prefix (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html).
 * Pure: the stage settings come from lib/config.ts.
 */
import type { TaskDefinitionInput } from './schema';
import type { Violation } from './validate';

export interface RunLogDefaults {
  /** The stage's run log group (serverless.yml creates it). */
  logGroup: string;
  /** The stage's region, for `awslogs-region`. */
  region: string;
  /** The stage's role for pushing logs, given to definitions that name no execution role. */
  executionRoleArn: string;
}

/** The definition with the stage's log configuration where it has none (see the module comment). */
export function withRunLogDefaults(td: TaskDefinitionInput, defaults: RunLogDefaults): TaskDefinitionInput {
  const containers = td.containerDefinitions ?? [];
  if (containers.every((c) => c.logConfiguration !== undefined)) return td;
  const logConfiguration = {
    logDriver: 'awslogs' as const,
    options: {
      'awslogs-group': defaults.logGroup,
      'awslogs-region': defaults.region,
      'awslogs-stream-prefix': td.family,
    },
  };
  return {
    ...td,
    ...(td.executionRoleArn === undefined ? { executionRoleArn: defaults.executionRoleArn } : {}),
    containerDefinitions: containers.map((c) => (c.logConfiguration === undefined ? { ...c, logConfiguration } : c)),
  };
}

/** Fargate's rules for awslogs, which ECS checks at registration. */
export function fargateLogViolations(td: TaskDefinitionInput): Violation[] {
  if (!td.requiresCompatibilities?.includes('FARGATE')) return [];
  const out: Violation[] = [];
  (td.containerDefinitions ?? []).forEach((c, i) => {
    if (c.logConfiguration?.logDriver !== 'awslogs') return;
    if (td.executionRoleArn === undefined && !out.some((v) => v.path === '$.executionRoleArn')) {
      out.push({
        path: '$.executionRoleArn',
        message: 'Fargate requires task definition to have execution role ARN to support log driver awslogs.',
      });
    }
    const prefix = c.logConfiguration.options?.['awslogs-stream-prefix'];
    if (prefix === undefined || prefix === '') {
      out.push({
        path: `$.containerDefinitions[${i}].logConfiguration.options`,
        message:
          'Fargate requires log configuration options to include awslogs-stream-prefix to support log driver awslogs.',
      });
    }
  });
  return out;
}
