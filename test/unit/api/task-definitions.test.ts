/** The task definition handlers end to end through the middy stack, with ECS mocked. */
import {
  ClientException,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  InvalidParameterException,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import example from '../../../examples/anjana-educative.json';
import { handler as deregister } from '../../../functions/deregister-task-definition';
import { handler as get } from '../../../functions/get-task-definition';
import { handler as list } from '../../../functions/list-task-definitions';
import { handler as register } from '../../../functions/register-task-definition';
import { logger } from '../../../lib/http';
import { apiEvent, context, postJson } from './event';

const ecs = mockClient(ECSClient);
const arn = (family: string, revision: number) =>
  `arn:aws:ecs:us-east-1:123456789012:task-definition/${family}:${revision}`;
const registered = (family: string, revision: number, status: 'ACTIVE' | 'INACTIVE' = 'ACTIVE') => ({
  taskDefinitionArn: arn(family, revision),
  family,
  revision,
  status,
  containerDefinitions: [{ name: 'anjana', image: 'someimage', memory: 100, cpu: 99 }],
});
const body = (result: { body: string }) => JSON.parse(result.body);
const unknownTaskDefinition = () =>
  new ClientException({ message: 'Unable to describe task definition.', $metadata: {} });

beforeEach(() => ecs.reset());

describe('POST /task-definitions', () => {
  it('registers the example with integers and answers 201 with its location', async () => {
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: registered('anjana-educative', 1) });
    const result = await register(postJson('/task-definitions', example), context);
    expect(result.statusCode).toBe(201);
    expect(result.headers).toMatchObject({ Location: '/task-definitions/anjana-educative/1' });
    expect(body(result)).toMatchObject({ family: 'anjana-educative', revision: 1 });
    const sent = ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input;
    expect(sent?.containerDefinitions?.[0]).toMatchObject({ memory: 100, cpu: 99 });
    expect(sent).toMatchObject({ cpu: '256', memory: '512' });
  });

  it('lists every violation at once in one 400 and never calls ECS', async () => {
    const bad = {
      family: 'bad family!',
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '4096',
      containerDefinitions: [
        { name: 'app', image: 'x', memory: 100 },
        { name: 'app', image: 'y', memory: 100 },
      ],
    };
    const result = await register(postJson('/task-definitions', bad), context);
    expect(result.statusCode).toBe(400);
    expect(result.headers).toMatchObject({ 'Content-Type': 'application/problem+json' });
    const problem = body(result);
    expect(problem).toMatchObject({ status: 400, type: 'urn:berth:problem:validation-failed' });
    const paths = problem.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['$.family', '$.memory', '$.containerDefinitions[1].name']));
    expect(problem.errors).toContainEqual({
      path: '$.containerDefinitions[1].name',
      message: 'Container names must be unique within a Task Definition.',
    });
    expect(ecs.calls()).toHaveLength(0);
  });

  it('answers 403 naming the guardrail rule', async () => {
    const privileged = { ...example, containerDefinitions: [{ ...example.containerDefinitions[0], privileged: true }] };
    const result = await register(postJson('/task-definitions', privileged), context);
    expect(result.statusCode).toBe(403);
    expect(body(result)).toMatchObject({ rule: 'allowPrivileged', status: 403 });
    expect(ecs.calls()).toHaveLength(0);
  });

  it.each([
    ['a body over 64 KiB', postJson('/task-definitions', { family: 'x'.repeat(70_000) }), 413],
    ['a body that is not JSON', postJson('/task-definitions', '{"family": '), 400],
    ['a text/plain body', apiEvent({ httpMethod: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }), 415],
    ['a missing content type', apiEvent({ httpMethod: 'POST', headers: {}, body: '{}' }), 415],
    ['no body at all', apiEvent({ httpMethod: 'POST', headers: {}, body: null }), 400],
  ])('refuses %s', async (_name, event, status) => {
    const result = await register(event, context);
    expect(result.statusCode).toBe(status);
    expect(body(result)).toMatchObject({ status, title: expect.any(String), detail: expect.any(String) });
    expect(ecs.calls()).toHaveLength(0);
  });

  it('answers 500 with a generic message when ECS fails unexpectedly', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejects(new Error('socket hang up at 10.0.0.1'));
    const result = await register(postJson('/task-definitions', example), context);
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('socket hang up');
    expect(body(result)).toMatchObject({ status: 500, title: 'Internal error', requestId: 'req-1' });
  });

  it('answers 503 with Retry-After when ECS throttles', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejects(
      // As the SDK throws it after its retries: with the HTTP answer's metadata.
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $retryable: { throttling: true },
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const result = await register(postJson('/task-definitions', example), context);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'Retry-After': '1' });
  });
});

describe('GET /task-definitions/{family}[/{revision}]', () => {
  it('returns the latest ACTIVE revision of a family', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'anjana-educative' })
      .resolves({ taskDefinition: registered('anjana-educative', 2), tags: [{ key: 'team', value: 'a' }] });
    const result = await get(apiEvent({ pathParameters: { family: 'anjana-educative' } }), context);
    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({ revision: 2, tags: [{ key: 'team', value: 'a' }] });
  });

  it('returns one revision', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand, { taskDefinition: 'anjana-educative:1' })
      .resolves({ taskDefinition: registered('anjana-educative', 1) });
    const result = await get(apiEvent({ pathParameters: { family: 'anjana-educative', revision: '1' } }), context);
    expect(body(result)).toMatchObject({ revision: 1 });
  });

  it('answers 404 for an unknown revision', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(unknownTaskDefinition());
    const result = await get(apiEvent({ pathParameters: { family: 'nope', revision: '7' } }), context);
    expect(result.statusCode).toBe(404);
    expect(body(result)).toMatchObject({ detail: 'Task definition nope:7 does not exist.' });
  });

  it.each([
    [{ family: 'bad family' }, '$.family'],
    [{ family: 'ok', revision: '0' }, '$.revision'],
    [{ family: 'ok', revision: 'latest' }, '$.revision'],
  ])('answers 400 for path %j', async (pathParameters, path) => {
    const result = await get(apiEvent({ pathParameters }), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([expect.objectContaining({ path })]);
    expect(ecs.calls()).toHaveLength(0);
  });
});

describe('DELETE /task-definitions/{family}/{revision}', () => {
  it('deregisters the revision', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: registered('anjana-educative', 1) });
    ecs
      .on(DeregisterTaskDefinitionCommand, { taskDefinition: arn('anjana-educative', 1) })
      .resolves({ taskDefinition: registered('anjana-educative', 1, 'INACTIVE') });
    const result = await deregister(
      apiEvent({ httpMethod: 'DELETE', pathParameters: { family: 'anjana-educative', revision: '1' } }),
      context,
    );
    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({ status: 'INACTIVE' });
  });

  it('answers 404 and deregisters nothing for an unknown revision', async () => {
    ecs.on(DescribeTaskDefinitionCommand).rejects(unknownTaskDefinition());
    const result = await deregister(
      apiEvent({ httpMethod: 'DELETE', pathParameters: { family: 'anjana-educative', revision: '9' } }),
      context,
    );
    expect(result.statusCode).toBe(404);
    expect(ecs.commandCalls(DeregisterTaskDefinitionCommand)).toHaveLength(0);
  });
});

describe('GET /task-definitions', () => {
  it('lists families with their latest ACTIVE revision and passes the page token through', async () => {
    ecs
      .on(ListTaskDefinitionFamiliesCommand, { status: 'ACTIVE', maxResults: 2, nextToken: 't1' })
      .resolves({ families: ['a', 'b'], nextToken: 't2' });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'a' }).resolves({ taskDefinition: registered('a', 3) });
    ecs.on(DescribeTaskDefinitionCommand, { taskDefinition: 'b' }).resolves({ taskDefinition: registered('b', 1) });
    const result = await list(apiEvent({ queryStringParameters: { limit: '2', nextToken: 't1' } }), context);
    expect(body(result)).toEqual({
      items: [
        { family: 'a', latestRevision: 3, taskDefinitionArn: arn('a', 3), status: 'ACTIVE' },
        { family: 'b', latestRevision: 1, taskDefinitionArn: arn('b', 1), status: 'ACTIVE' },
      ],
      nextToken: 't2',
    });
  });

  it('finds the latest INACTIVE revision of a family exactly, not of one sharing its prefix', async () => {
    ecs.on(ListTaskDefinitionFamiliesCommand).resolves({ families: ['job'] });
    ecs.on(ListTaskDefinitionsCommand).resolves({ taskDefinitionArns: [arn('jobs', 9), arn('job', 4), arn('job', 2)] });
    const result = await list(apiEvent({ queryStringParameters: { status: 'inactive' } }), context);
    expect(body(result).items).toEqual([
      { family: 'job', latestRevision: 4, taskDefinitionArn: arn('job', 4), status: 'INACTIVE' },
    ]);
  });

  it.each([
    [{ limit: '0' }, '$.limit'],
    [{ limit: '101' }, '$.limit'],
    [{ status: 'DELETED' }, '$.status'],
    [{ familyPrefix: 'a b' }, '$.familyPrefix'],
  ])('answers 400 for query %j', async (query, path) => {
    const result = await list(apiEvent({ queryStringParameters: query }), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([expect.objectContaining({ path })]);
  });
});

describe('what ECS or the caller can get wrong is a 4xx, never a 500', () => {
  it('maps ECS refusing a page token it did not issue to 400 naming $.nextToken, with ECS words', async () => {
    ecs
      .on(ListTaskDefinitionFamiliesCommand)
      .rejects(new InvalidParameterException({ message: 'Invalid NextToken.', $metadata: {} }));
    const result = await list(
      apiEvent({ path: '/task-definitions', queryStringParameters: { nextToken: 'garbage' } }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([{ path: '$.nextToken', message: 'Invalid NextToken.' }]);
  });

  it('maps any other refusal ECS answers as a client error to 400 with its message', async () => {
    ecs
      .on(RegisterTaskDefinitionCommand)
      .rejects(new ClientException({ message: 'Too many revisions.', $metadata: {}, $fault: 'client' } as never));
    const result = await register(postJson('/task-definitions', example), context);
    expect(result.statusCode).toBe(400);
    expect(body(result).errors).toEqual([
      { path: '$', message: 'AWS refused the request (ClientException): Too many revisions.' },
    ]);
  });

  it.each([false, 0, true, null, 'text', 12.5])(
    'answers 400 for a JSON body of %j, as serverless-offline hands it over (already parsed)',
    async (value) => {
      const event = postJson('/task-definitions', {});
      event.body = value as unknown as string;
      const result = await register(event, context);
      expect(result.statusCode).toBe(400);
      expect(result.headers).toMatchObject({ 'Content-Type': 'application/problem+json' });
    },
  );

  it('answers 503 with Retry-After for an ECS server fault or a lost connection, which a retry can outlast', async () => {
    ecs.on(RegisterTaskDefinitionCommand).rejects(
      Object.assign(new Error('Internal'), {
        name: 'ServerException',
        $fault: 'server',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    const result = await register(postJson('/task-definitions', example), context);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'Retry-After': '1' });
  });

  it('answers 503 with its problem body when AWS keeps the call past its deadline, before the runtime cuts it off', async () => {
    ecs.on(RegisterTaskDefinitionCommand).callsFake(() => new Promise(() => {}));
    const started = Date.now();
    const result = await register(postJson('/task-definitions', example), {
      ...context,
      getRemainingTimeInMillis: () => 1200,
    });
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'Retry-After': '1', 'Content-Type': 'application/problem+json' });
    expect(body(result).detail).toMatch(/AWS answered too slowly/);
    // At 200 ms, 1000 ms before the 1200 ms the function had left: before the runtime would have cut it off.
    expect(Date.now() - started).toBeLessThan(1200);
  });

  it("logs a 500's cause under the requestId its problem body shows", async () => {
    const logged = jest.spyOn(logger, 'error');
    try {
      ecs.on(RegisterTaskDefinitionCommand).rejects(new Error('disk on fire'));
      const event = postJson('/task-definitions', example);
      event.requestContext = { ...event.requestContext, requestId: 'req-500-check' };
      const result = await register(event, context);
      expect(result.statusCode).toBe(500);
      expect(body(result)).toMatchObject({ requestId: 'req-500-check' });
      expect(body(result).detail).not.toContain('disk on fire');
      expect(logged).toHaveBeenCalledWith('Unhandled error', {
        requestId: 'req-500-check',
        error: expect.objectContaining({ message: 'disk on fire' }),
      });
    } finally {
      logged.mockRestore();
    }
  });
});
