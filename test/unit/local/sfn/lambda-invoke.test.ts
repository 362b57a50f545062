/**
 * How a failed Lambda invoke fails the lambda:invoke Task state locally: with the names AWS gives
 * (the handler's errorType; Sandbox.Timedout for a timeout), also when serverless-offline reported the
 * error as a plain "Error" (local/sfn/lambda-invoke.ts, asLambdaReports).
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  asLambdaReports,
  inProcessInvoker,
  type LambdaInvoker,
  lambdaClientInvoker,
  lambdaInvokeDriver,
  OFFLINE_TIMEOUT_MESSAGE,
} from '../../../../local/sfn/lambda-invoke';
import type { TaskContext } from '../../../../local/sfn/task-driver';
import { TaskError } from '../../../../local/sfn/task-error';

const context = {} as TaskContext;
const params = { FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:berth-dev-checkCapacity', Payload: {} };

async function failure(invoker: LambdaInvoker): Promise<TaskError> {
  try {
    await lambdaInvokeDriver(invoker).run(params, context);
  } catch (err) {
    if (err instanceof TaskError) return err;
    throw err;
  }
  throw new Error('expected the state to fail');
}

/** What serverless-offline 13 answers for a function that threw `error` (InvocationsController). */
function offlinePayload(error: Error): string {
  return JSON.stringify({ errorMessage: error.message, errorType: 'Error', trace: (error.stack ?? '').split('\n') });
}

const answering =
  (payload: string): LambdaInvoker =>
  async () => ({ statusCode: 200, functionError: 'Unhandled', payload, executedVersion: '$LATEST', requestId: 'r-1' });

describe('asLambdaReports', () => {
  it("names serverless-offline's timeout Sandbox.Timedout, as Lambda answers a timed-out invoke", () => {
    const payload = JSON.stringify({ errorMessage: OFFLINE_TIMEOUT_MESSAGE, errorType: 'Error', trace: [] });
    expect(JSON.parse(asLambdaReports(payload, 'req-1'))).toEqual({
      errorType: 'Sandbox.Timedout',
      errorMessage: `RequestId: req-1 Error: Task timed out (serverless-offline: ${OFFLINE_TIMEOUT_MESSAGE})`,
    });
  });

  it('takes the error name from the first line of the stack, as the Node.js runtime reports error.name', () => {
    const error = new Error('ECS DescribeClusters throttled after 5 attempts (ThrottlingException): Rate exceeded.');
    error.name = 'Berth.TransientAwsError';
    const reported = JSON.parse(asLambdaReports(offlinePayload(error), 'req-1'));
    expect(reported).toMatchObject({ errorType: 'Berth.TransientAwsError', errorMessage: error.message });
  });

  it('leaves a payload alone when the stack does not name the error with its own message', () => {
    const plain = offlinePayload(new Error('Rate exceeded'));
    expect(asLambdaReports(plain, 'r')).toBe(plain);
    const other = JSON.stringify({ errorType: 'Error', errorMessage: 'one', trace: ['Sneaky: two'] });
    expect(asLambdaReports(other, 'r')).toBe(other);
    const named = JSON.stringify({ errorType: 'CapacityCheckError', errorMessage: 'x', trace: ['Other: x'] });
    expect(asLambdaReports(named, 'r')).toBe(named);
    expect(asLambdaReports('not json', 'r')).toBe('not json');
  });

  it('keeps a message over several lines', () => {
    const error = new Error('first line\nsecond line');
    error.name = 'ECS.ClientException';
    expect(JSON.parse(asLambdaReports(offlinePayload(error), 'r')).errorType).toBe('ECS.ClientException');
  });
});

describe('lambda:invoke driver', () => {
  it('fails the state with the errorType as the error and the error payload as the cause', async () => {
    const payload = JSON.stringify({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'RequestId: r Error: Task timed out',
    });
    const err = await failure(answering(payload));
    expect(err).toMatchObject({ name: 'Sandbox.Timedout', error: 'Sandbox.Timedout', causeText: payload });
  });

  it('an in-process handler that throws fails the state with its error name, as on AWS', async () => {
    const throwing = inProcessInvoker({
      'berth-dev-checkCapacity': async () => {
        const error = new Error('ECS refused DescribeClusters (ClientException): no.');
        error.name = 'ECS.ClientException';
        throw error;
      },
    });
    const err = await failure(throwing);
    expect(err.error).toBe('ECS.ClientException');
    expect(JSON.parse(err.causeText)).toMatchObject({ errorType: 'ECS.ClientException' });
  });

  it('names a Lambda service failure Lambda.<Exception>', async () => {
    const missing = inProcessInvoker({});
    expect((await failure(missing)).error).toBe('Lambda.ResourceNotFoundException');
  });

  describe('through the Lambda API (lambdaClientInvoker, as npm start invokes serverless-offline)', () => {
    let server: Server;
    let answer: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
    beforeAll(async () => {
      server = createServer((req, res) => answer(req, res));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const invoker = () =>
      lambdaClientInvoker(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'us-east-1');

    it('a connection reset before any answer is Lambda.SdkClientException, which workflows retry', () => {
      // In its own process: under jest the SDK wraps a socket error from another realm into a plain Error, which
      // would hide the name (TimeoutError) the SDK really gives a reset connection.
      const script = `
        const { createServer } = require('node:http');
        const { lambdaClientInvoker, lambdaInvokeDriver } = require(${JSON.stringify(require.resolve('../../../../local/sfn/lambda-invoke'))});
        const server = createServer((req) => req.socket.destroy());
        server.listen(0, '127.0.0.1', async () => {
          const invoke = lambdaClientInvoker('http://127.0.0.1:' + server.address().port, 'us-east-1');
          try {
            await lambdaInvokeDriver(invoke).run(${JSON.stringify(params)}, {});
          } catch (err) {
            console.log(JSON.stringify({ error: err.error, cause: err.causeText }));
          }
          server.close();
        });`;
      const out = JSON.parse(
        execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
          encoding: 'utf8',
          env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
          timeout: 20_000,
        }),
      ) as { error: string; cause: string };
      expect(out.error).toBe('Lambda.SdkClientException');
      expect(out.cause).toMatch(/^Unable to execute HTTP request: /);
    });

    it("an error the Lambda service answered keeps the service's name", async () => {
      answer = (_req, res) => {
        res.writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' });
        res.end(JSON.stringify({ Type: 'User', message: 'Function not found: berth-dev-checkCapacity' }));
      };
      expect((await failure(invoker())).error).toBe('Lambda.ResourceNotFoundException');
    });
  });
});
