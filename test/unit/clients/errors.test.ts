/**
 * The classification of AWS SDK errors (lib/clients/errors.ts) and what a workflow step fails with
 * (lib/workflow-step.ts), with real SDK clients: their retry strategy and middleware run, only the HTTP
 * answer is made here (a request handler that answers as ECS does, no network).
 */
import { DescribeClustersCommand, ECSClient, ECSServiceException } from '@aws-sdk/client-ecs';
import { AWS_MAX_ATTEMPTS, awsCallOf, awsClientConfig, withCallNames } from '../../../lib/clients/config';
import { awsErrorKind, isTransientAwsError } from '../../../lib/clients/errors';
import { classifyStepError, TRANSIENT_AWS_ERROR, WorkflowStepError, workflowStep } from '../../../lib/workflow-step';

const sdkError = (name: string, status: number | undefined, extra: Record<string, unknown> = {}) =>
  Object.assign(
    new ECSServiceException({
      name,
      $fault: status !== undefined && status >= 500 ? 'server' : 'client',
      $metadata: status === undefined ? {} : { httpStatusCode: status },
      message: `${name} message`,
    }),
    extra,
  );

describe('awsErrorKind', () => {
  it.each(
    [
      ['ECS ThrottlingException (HTTP 400)', sdkError('ThrottlingException', 400), 'THROTTLING'],
      ['a throttling trait', sdkError('SomethingElse', 400, { $retryable: { throttling: true } }), 'THROTTLING'],
      ['HTTP 429', sdkError('TooManyRequests', 429), 'THROTTLING'],
      ['TooManyRequestsException', sdkError('TooManyRequestsException', 400), 'THROTTLING'],
      ['ECS ServerException (HTTP 500)', sdkError('ServerException', 500), 'SERVER'],
      ['HTTP 503', sdkError('ServiceUnavailable', 503), 'SERVER'],
      ['a retryable trait', sdkError('Odd', 400, { $retryable: {} }), 'SERVER'],
      ['an SDK timeout (no HTTP answer)', sdkError('TimeoutError', undefined), 'NETWORK'],
      [
        'a reset connection',
        Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: {} }),
        'NETWORK',
      ],
      ['ClientException', sdkError('ClientException', 400), 'REFUSED'],
      ['InvalidParameterException', sdkError('InvalidParameterException', 400), 'REFUSED'],
      ['AccessDeniedException', sdkError('AccessDeniedException', 400), 'REFUSED'],
      ['ClusterNotFoundException', sdkError('ClusterNotFoundException', 400), 'REFUSED'],
      ['LimitExceededException (an ECS quota, not a rate)', sdkError('LimitExceededException', 400), 'REFUSED'],
    ].map(([what, err, kind]) => ({ what, err, kind })),
  )('$what is $kind', ({ err, kind }) => {
    expect(awsErrorKind(err)).toBe(kind);
    expect(isTransientAwsError(err)).toBe(kind !== 'REFUSED');
  });

  it('leaves errors that did not come from an AWS call unclassified', () => {
    expect(awsErrorKind(new TypeError('x is undefined'))).toBeUndefined();
    expect(awsErrorKind({ name: 'ThrottlingException' })).toBeUndefined();
    expect(isTransientAwsError('Rate exceeded')).toBe(false);
  });
});

/** An ECS client of lib/clients/config.ts whose every HTTP request gets the next of `answers`. */
function ecsAnswering(answers: Array<{ status: number; type?: string; message?: string; body?: unknown }>) {
  const calls: string[] = [];
  const client = withCallNames(
    new ECSClient({
      ...awsClientConfig,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: {
        handle: async (request: { headers: Record<string, string> }) => {
          calls.push(request.headers['x-amz-target'] ?? '');
          const answer = answers[Math.min(calls.length - 1, answers.length - 1)]!;
          const body =
            answer.type === undefined ? answer.body : { __type: answer.type, message: answer.message ?? answer.type };
          return {
            response: {
              statusCode: answer.status,
              headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'req-1' },
              body: Buffer.from(JSON.stringify(body ?? {})),
            },
          };
        },
      } as never,
    }),
  );
  return { client, calls };
}

const throttled = { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' };

describe('the clients retry, and a workflow step names what is left', () => {
  beforeEach(() => {
    // Full jitter draws every backoff from [0, ceiling): 0 makes the SDK's waits instant here.
    jest.spyOn(Math, 'random').mockReturnValue(0);
  });
  afterEach(() => jest.restoreAllMocks());

  it(`retries a throttled ECS call up to ${AWS_MAX_ATTEMPTS} attempts`, async () => {
    const { client, calls } = ecsAnswering([
      ...Array(AWS_MAX_ATTEMPTS - 1).fill(throttled),
      { status: 200, body: { clusters: [{ clusterName: 'default' }], failures: [] } },
    ]);
    const out = await client.send(new DescribeClustersCommand({ clusters: ['default'] }));
    expect(out.clusters?.[0]?.clusterName).toBe('default');
    expect(calls).toHaveLength(AWS_MAX_ATTEMPTS);
    expect(AWS_MAX_ATTEMPTS).toBeGreaterThan(3); // more than the SDK's default
  });

  it('names throttling that outlasts the retries Berth.TransientAwsError, with the call and the attempts', async () => {
    const { client, calls } = ecsAnswering([throttled]);
    const err = await client.send(new DescribeClustersCommand({ clusters: ['default'] })).catch((e: unknown) => e);
    expect(calls).toHaveLength(AWS_MAX_ATTEMPTS);
    expect(awsCallOf(err)).toEqual({ service: 'ECS', operation: 'DescribeClusters' });
    const step = classifyStepError(err);
    expect(step).toBeInstanceOf(WorkflowStepError);
    expect(step).toMatchObject({
      name: TRANSIENT_AWS_ERROR,
      message: `ECS DescribeClusters throttled after ${AWS_MAX_ATTEMPTS} attempts (ThrottlingException): Rate exceeded.`,
    });
  });

  it('names a server error that outlasts the retries Berth.TransientAwsError', async () => {
    const { client } = ecsAnswering([{ status: 500, type: 'ServerException', message: 'Internal failure' }]);
    const err = await client.send(new DescribeClustersCommand({})).catch((e: unknown) => e);
    expect(classifyStepError(err)).toMatchObject({
      name: TRANSIENT_AWS_ERROR,
      message: expect.stringMatching(
        /^ECS DescribeClusters failed on its side .* \(ServerException\): Internal failure\.$/,
      ),
    });
  });

  it('does not retry a refusal, and names it <Service>.<Exception> saying the request is at fault', async () => {
    const { client, calls } = ecsAnswering([
      { status: 400, type: 'ClientException', message: 'Unable to describe task definition.' },
    ]);
    const err = await client.send(new DescribeClustersCommand({})).catch((e: unknown) => e);
    expect(calls).toHaveLength(1);
    expect(classifyStepError(err)).toMatchObject({
      name: 'ECS.ClientException',
      message:
        'ECS refused DescribeClusters (ClientException): Unable to describe task definition. The request is at fault, so it is not retried.',
    });
  });

  it('keeps errors of its own as they are', () => {
    const own = new TypeError('boom');
    expect(classifyStepError(own)).toBe(own);
  });

  it('a workflow step throws the classified error, which is what Lambda reports as the errorType', async () => {
    const { client } = ecsAnswering([throttled]);
    const handler = workflowStep(async () => client.send(new DescribeClustersCommand({})));
    const context = { awsRequestId: 'r', functionName: 'f', getRemainingTimeInMillis: () => 1000 };
    await expect(handler({}, context as never)).rejects.toMatchObject({ name: TRANSIENT_AWS_ERROR });
  });
});
