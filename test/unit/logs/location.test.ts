/** lib/logs/location.ts: where a container's output is, as the awslogs driver names it. */
import { logLocation } from '../../../lib/logs/location';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';

it.each([
  [
    'awslogs with a prefix: prefix/container/task-id in its region',
    {
      name: 'app',
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': 'g', 'awslogs-stream-prefix': 'fam', 'awslogs-region': 'eu-west-1' },
      },
    },
    { logGroup: 'g', logStream: 'fam/app/0123456789abcdef0123456789abcdef', region: 'eu-west-1' },
  ],
  [
    'awslogs without awslogs-region: the task region',
    {
      name: 'app',
      logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-stream-prefix': 'p' } },
    },
    { logGroup: 'g', logStream: 'p/app/0123456789abcdef0123456789abcdef', region: 'us-east-1' },
  ],
  [
    'awslogs without a prefix (EC2): named by the container id',
    { name: 'app', logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': 'g' } } },
    {
      reason: 'The awslogs configuration has no awslogs-stream-prefix: the stream is named by the Docker container id.',
    },
  ],
  [
    'another driver',
    { name: 'app', logConfiguration: { logDriver: 'splunk', options: {} } },
    { reason: 'The container logs with the splunk driver, not awslogs.' },
  ],
  ['no log configuration', { name: 'app' }, { reason: 'The container has no log configuration.' }],
])('%s', (_, container, expected) => {
  expect(logLocation(container, TASK, 'us-east-1')).toEqual(expected);
});
