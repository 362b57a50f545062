/** local/ecs/awslogs.ts: how a container's output becomes PutLogEvents-sized events and batches. */
import { awslogsTarget, batchesOf, messagesOf } from '../../../local/ecs/awslogs';

const TASK = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';

describe('messagesOf', () => {
  it('keeps a line that fits one event whole', () => {
    expect(messagesOf('line 1')).toEqual(['line 1']);
  });

  it('splits a line over 256 KB less the 26-byte overhead, at character boundaries', () => {
    const max = 262_144 - 26;
    const parts = messagesOf(`${'x'.repeat(max - 1)}ééé`);
    expect(parts.map((p) => Buffer.byteLength(p))).toEqual([max - 1, 6]);
    expect(parts.join('')).toBe(`${'x'.repeat(max - 1)}ééé`);
  });
});

describe('batchesOf', () => {
  it('keeps each batch to 10,000 events and 1,048,576 bytes counting 26 an event', () => {
    const small = Array.from({ length: 10_001 }, () => ({ timestamp: 1, message: 'm' }));
    expect(batchesOf(small).map((b) => b.length)).toEqual([10_000, 1]);
    const big = Array.from({ length: 5 }, () => ({ timestamp: 1, message: 'b'.repeat(262_118) }));
    expect(batchesOf(big).map((b) => b.length)).toEqual([4, 1]);
  });
});

describe('awslogsTarget', () => {
  const container = (options: Record<string, string>, logDriver = 'awslogs') => ({
    name: 'app',
    logConfiguration: { logDriver: logDriver as 'awslogs', options },
  });

  it('names the stream prefix/container/task-id, and the container id without a prefix', () => {
    expect(
      awslogsTarget(container({ 'awslogs-group': 'g', 'awslogs-stream-prefix': 'p' }), TASK, 'cid', 'us-east-1'),
    ).toEqual({
      group: 'g',
      stream: 'p/app/0123456789abcdef0123456789abcdef',
      createGroup: false,
    });
    expect(
      awslogsTarget(container({ 'awslogs-group': 'g', 'awslogs-create-group': 'true' }), TASK, 'cid', 'us-east-1'),
    ).toEqual({ group: 'g', stream: 'cid', createGroup: true });
  });

  it('has nothing to do for another driver', () => {
    expect(awslogsTarget(container({}, 'json-file'), TASK, 'cid', 'us-east-1')).toBeUndefined();
  });
});
