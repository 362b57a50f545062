/**
 * The endpoint's side of the AWS JSON protocols, whatever the service: routing by X-Amz-Target, errors as
 * AWS shapes them, request ids, and how a service plugs in (a fake awsJson1_0 service here).
 */
import { CreateServiceCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ecsService } from '../../local/ecs/service';
import { AwsError } from '../../local/endpoint/errors';
import type { ServiceFactory } from '../../local/endpoint/service';
import { DEFAULT_SERVICES } from '../../local/endpoint/services';
import { type LocalEndpoint, startLocalEndpoint } from './endpoint';

const ECS = 'AmazonEC2ContainerServiceV20141113';

/** A second service, as Step Functions or EventBridge will plug in: its own prefix and protocol version. */
const fakeService: ServiceFactory = async () => ({
  name: 'Fake',
  targetPrefix: 'AWSFake',
  jsonVersion: '1.0',
  internalErrorCode: 'InternalFailure',
  operations: new Map([
    ['Echo', (input: Record<string, unknown>) => ({ echoed: input })],
    [
      'Refuse',
      () => {
        throw new AwsError('ValidationException', 'No.', 400);
      },
    ],
    [
      'Crash',
      () => {
        throw new Error('secret detail');
      },
    ],
  ]),
  close: async () => {},
});

const minimal = { family: 'x', containerDefinitions: [{ name: 'x', image: 'x', memory: 8 }] };

let endpoint: LocalEndpoint;

beforeAll(async () => {
  endpoint = await startLocalEndpoint(undefined, { services: [...DEFAULT_SERVICES, fakeService] });
});

afterAll(async () => {
  await endpoint?.close();
});

const post = (target: string | undefined, body: string, method = 'POST') =>
  fetch(endpoint.url, {
    method,
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      ...(target === undefined ? {} : { 'x-amz-target': target }),
    },
    ...(method === 'POST' ? { body } : {}),
  });

async function expectError(res: Response, status: number, type: string, message: string | RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('x-amzn-errortype')).toBe(type);
  expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  const body = (await res.json()) as { __type: string; message: string };
  expect(body.__type).toBe(type);
  expect(body.message).toMatch(message);
}

it('answers an ECS operation it does not implement with UnknownOperationException, never {}', async () => {
  const err = await endpoint.ecs.send(new CreateServiceCommand({ serviceName: 'x', taskDefinition: 'x' })).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({
    name: 'UnknownOperationException',
    message: "Berth's local endpoint does not implement ECS operation CreateService.",
    $metadata: { httpStatusCode: 400 },
  });
});

it('answers malformed JSON with SerializationException', async () => {
  const res = await post(`${ECS}.ListTaskDefinitions`, '{"maxResults": ');
  expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
  await expectError(res, 400, 'SerializationException', 'The request body is not valid JSON.');
  await expectError(
    await post(`${ECS}.ListTaskDefinitions`, '[1]'),
    400,
    'SerializationException',
    'The request body must be a JSON object.',
  );
  await expectError(
    await post(`${ECS}.ListTaskDefinitions`, '{"maxResults": "ten"}'),
    400,
    'SerializationException',
    "'maxResults' must be an integer.",
  );
});

it('takes an empty body as an empty input, as the SDKs send none for some operations', async () => {
  const res = await post(`${ECS}.ListTaskDefinitionFamilies`, '');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ families: [] });
});

it('names the services it serves for an unknown target prefix or a missing target', async () => {
  await expectError(
    await post('DynamoDBStreams_20120810.GetRecords', '{}'),
    400,
    'UnknownOperationException',
    /does not serve X-Amz-Target "DynamoDBStreams_20120810.GetRecords": it serves AmazonEC2ContainerServiceV20141113 \(ECS\), .*AWSStepFunctions \(Step Functions\), DynamoDB_20120810 \(DynamoDB\)/,
  );
  await expectError(await post(undefined, '{}'), 400, 'UnknownOperationException', /Missing X-Amz-Target header/);
  await expectError(await post(undefined, '', 'GET'), 405, 'MethodNotAllowedException', /takes POST \//);
});

it('accepts any signature and routes to a plugged-in service with its own protocol version', async () => {
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSFake.Echo',
      authorization: 'AWS4-HMAC-SHA256 Credential=nobody/20240101/us-east-1/fake/aws4_request, Signature=bogus',
    },
    body: '{"a": 1}',
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.0');
  expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  expect(await res.json()).toEqual({ echoed: { a: 1 } });
  await expectError(await post('AWSFake.Refuse', '{}'), 400, 'ValidationException', 'No.');
  await expectError(
    await post('AWSFake.Nope', '{}'),
    400,
    'UnknownOperationException',
    "Berth's local endpoint does not implement Fake operation Nope.",
  );
});

it('answers an unexpected failure with the service internal error, a generic message, and logs the cause', async () => {
  const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const res = await post('AWSFake.Crash', '{}');
    await expectError(res, 500, 'InternalFailure', "An internal error occurred in Berth's local endpoint.");
    expect(logged).toHaveBeenCalledWith(
      expect.stringMatching(/Fake Crash failed \(request [0-9a-f-]{36}\)/),
      expect.objectContaining({ message: 'secret detail' }),
    );
  } finally {
    logged.mockRestore();
  }
});

it('answers an unexpected ECS failure with ServerException (500), the name ECS uses', async () => {
  // An ECS whose state was released underneath it: every write fails in a way no operation expects.
  const released: ServiceFactory = async (context) => {
    const ecs = await ecsService(context);
    await ecs.close();
    return ecs;
  };
  const broken = await startLocalEndpoint(undefined, { services: [released] });
  const logged = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const err = await broken.ecs.send(new RegisterTaskDefinitionCommand(minimal)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      name: 'ServerException',
      message: "An internal error occurred in Berth's local endpoint.",
      $metadata: { httpStatusCode: 500 },
    });
    expect(logged).toHaveBeenCalledWith(expect.stringMatching(/ECS RegisterTaskDefinition failed/), expect.any(Error));
  } finally {
    logged.mockRestore();
    await broken.close();
  }
});

it('refuses a body in any media type but the AWS JSON protocols, as a browser sends without a preflight', async () => {
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/json']) {
    const res = await fetch(endpoint.url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'x-amz-target': `${ECS}.ListClusters` },
      body: '{}',
    });
    await expectError(res, 415, 'UnsupportedMediaTypeException', /Content-Type must be application\/x-amz-json-1\.0/);
  }
});

it('refuses a request from a web origin it was not told to allow, with no CORS header', async () => {
  const res = await fetch(endpoint.url, {
    method: 'POST',
    headers: {
      origin: 'https://evil.example',
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${ECS}.ListClusters`,
    },
    body: '{}',
  });
  await expectError(res, 403, 'AccessDeniedException', /web origin "https:\/\/evil.example" are refused/);
  expect([...res.headers.keys()].filter((name) => name.startsWith('access-control-'))).toEqual([]);
});
