/**
 * Where a container's output is in CloudWatch Logs, as the awslogs log driver names it
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html): the group `awslogs-group`, in
 * `awslogs-region` (else the task's region), and the stream `prefix/container-name/task-id` for
 * `awslogs-stream-prefix` = prefix. Without a prefix the driver names the stream by the Docker container id, which
 * only the container instance knows (and Fargate refuses such a definition), so there is no location to give.
 * Pure: the run record keeps what this returns per attempt and container, and the local ECS writes where it says.
 */

export interface LogConfigurationLike {
  logDriver?: string;
  options?: Record<string, string>;
}

export interface ContainerLike {
  name?: string;
  logConfiguration?: LogConfigurationLike;
}

export type LogLocation =
  | { logGroup: string; logStream: string; region: string }
  /** Why the container's output cannot be read through CloudWatch Logs. */
  | { reason: string };

/** The task id: the last part of a task ARN (`arn:aws:ecs:region:account:task/cluster/id`). */
export function taskIdOf(taskArn: string): string {
  return taskArn.slice(taskArn.lastIndexOf('/') + 1);
}

export function logLocation(container: ContainerLike, taskArn: string, region: string): LogLocation {
  const configuration = container.logConfiguration;
  if (configuration === undefined) return { reason: 'The container has no log configuration.' };
  if (configuration.logDriver !== 'awslogs') {
    return { reason: `The container logs with the ${configuration.logDriver} driver, not awslogs.` };
  }
  const options = configuration.options ?? {};
  const logGroup = options['awslogs-group'];
  if (logGroup === undefined || logGroup === '') return { reason: 'The awslogs configuration names no awslogs-group.' };
  const prefix = options['awslogs-stream-prefix'];
  if (prefix === undefined || prefix === '') {
    return {
      reason: 'The awslogs configuration has no awslogs-stream-prefix: the stream is named by the Docker container id.',
    };
  }
  return {
    logGroup,
    logStream: `${prefix}/${container.name ?? ''}/${taskIdOf(taskArn)}`,
    region: options['awslogs-region'] ?? region,
  };
}
