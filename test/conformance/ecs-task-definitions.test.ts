/**
 * The local ECS endpoint's task definition operations, driven by the unmodified AWS SDK v3 client:
 * every operation, its ECS semantics, and its errors (name, HTTP status, message) as ECS answers them.
 */
import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionFamiliesCommand,
  ListTaskDefinitionsCommand,
  paginateListTaskDefinitionFamilies,
  paginateListTaskDefinitions,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from '@aws-sdk/client-ecs';
import { ACCOUNT_ID, arn, example, type LocalEndpoint, startLocalEndpoint } from './endpoint';

let endpoint: LocalEndpoint;

beforeAll(async () => {
  endpoint = await startLocalEndpoint();
});

afterAll(async () => {
  await endpoint?.close();
});

/** The SDK types numbers as numbers; Berth's endpoint also takes the example's digit strings. */
const register = (input: Record<string, unknown>) =>
  endpoint.ecs.send(new RegisterTaskDefinitionCommand(input as unknown as RegisterTaskDefinitionCommandInput));

const minimal = (family: string, overrides: Record<string, unknown> = {}) => ({
  family,
  containerDefinitions: [{ name: 'app', image: 'busybox', memory: 64 }],
  ...overrides,
});

async function expectAwsError(sent: Promise<unknown>, name: string, status: number, message: string | RegExp) {
  const err = await sent.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ name, $metadata: { httpStatusCode: status } });
  expect((err as Error).message).toMatch(message);
  expect((err as { $metadata: { requestId?: string } }).$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
}

describe('RegisterTaskDefinition', () => {
  it('registers the example as revision 1, with what ECS fills in', async () => {
    const out = await register(example());
    const td = out.taskDefinition!;
    expect(td).toMatchObject({
      taskDefinitionArn: arn('anjana-educative', 1),
      family: 'anjana-educative',
      revision: 1,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      cpu: '256',
      memory: '512',
      requiresCompatibilities: ['FARGATE'],
      compatibilities: ['EC2', 'FARGATE'],
      volumes: [],
      placementConstraints: [],
      registeredBy: `arn:aws:iam::${ACCOUNT_ID}:root`,
    });
    expect(td.containerDefinitions).toEqual([
      {
        name: 'anjana',
        image: 'someimage',
        cpu: 99,
        memory: 100,
        portMappings: [],
        essential: true,
        environment: [],
        mountPoints: [],
        volumesFrom: [],
      },
    ]);
    expect(td.registeredAt).toBeInstanceOf(Date);
    expect(Math.abs(td.registeredAt!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(out.tags).toBeUndefined();
  });

  it('counts revisions per family', async () => {
    expect((await register(example())).taskDefinition?.revision).toBe(2);
    expect((await register(minimal('reg-other'))).taskDefinition?.revision).toBe(1);
  });

  it('mirrors hostPort under awsvpc, defaults the protocol, and answers the tags it was given', async () => {
    const out = await register(
      example({
        family: 'reg-ports',
        containerDefinitions: [{ name: 'web', image: 'nginx', memory: 100, portMappings: [{ containerPort: 80 }] }],
        tags: [{ key: 'team', value: 'jobs' }],
      }),
    );
    expect(out.taskDefinition?.containerDefinitions?.[0]?.portMappings).toEqual([
      { containerPort: 80, hostPort: 80, protocol: 'tcp' },
    ]);
    expect(out.tags).toEqual([{ key: 'team', value: 'jobs' }]);
  });

  it('computes EC2 and EXTERNAL for a bridge definition, and leaves networkMode unset as ECS does', async () => {
    const td = (await register(minimal('reg-bridge'))).taskDefinition!;
    expect(td.compatibilities).toEqual(['EXTERNAL', 'EC2']);
    expect(td.networkMode).toBeUndefined();
    expect(td.requiresAttributes).toEqual([]);
  });

  it.each([
    [
      'Fargate with bridge networking',
      example({ family: 'bad-1', networkMode: 'bridge' }),
      "Fargate only supports network mode 'awsvpc'.",
    ],
    [
      'two containers with one name',
      minimal('bad-2', {
        containerDefinitions: [
          { name: 'a', image: 'x', memory: 10 },
          { name: 'a', image: 'y', memory: 10 },
        ],
      }),
      'Container names must be unique within a Task Definition.',
    ],
    ['no containers', { family: 'bad-3', containerDefinitions: [] }, 'Container list cannot be empty.'],
    ['a blank family', minimal(''), 'Family can not be blank.'],
  ])('refuses %s with a ClientException in ECS words', async (_case, input, message) => {
    await expectAwsError(register(input), 'ClientException', 400, message);
  });

  it('never consumes a revision on a refused registration', async () => {
    await expectAwsError(register(minimal('reg-refused', { cpu: 'lots' })), 'ClientException', 400, /Invalid 'cpu'/);
    expect((await register(minimal('reg-refused'))).taskDefinition?.revision).toBe(1);
  });
});

describe('DescribeTaskDefinition', () => {
  beforeAll(async () => {
    await register(minimal('desc', { tags: [{ key: 'k', value: 'v' }] }));
    await register(minimal('desc'));
    await register(minimal('desc'));
    await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'desc:3' }));
  });

  it('takes a family to mean its latest ACTIVE revision', async () => {
    const out = await endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'desc' }));
    expect(out.taskDefinition).toMatchObject({ revision: 2, status: 'ACTIVE' });
  });

  it('takes family:revision and the full ARN, whatever the status', async () => {
    const byName = await endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'desc:3' }));
    expect(byName.taskDefinition).toMatchObject({ revision: 3, status: 'INACTIVE' });
    const byArn = await endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn('desc', 1) }));
    expect(byArn.taskDefinition?.taskDefinitionArn).toBe(arn('desc', 1));
  });

  it('returns tags only when asked to include them', async () => {
    const without = await endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'desc:1' }));
    expect(without.tags).toBeUndefined();
    const tagged = await endpoint.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'desc:1', include: ['TAGS'] }),
    );
    expect(tagged.tags).toEqual([{ key: 'k', value: 'v' }]);
    const untagged = await endpoint.ecs.send(
      new DescribeTaskDefinitionCommand({ taskDefinition: 'desc:2', include: ['TAGS'] }),
    );
    expect(untagged.tags).toEqual([]);
  });

  it.each([
    ['an unknown family', 'nope'],
    ['an unknown revision', 'desc:99'],
    ['another region', 'arn:aws:ecs:eu-west-1:123456789012:task-definition/desc:1'],
    ['a malformed identifier', 'desc:one'],
  ])('answers ClientException "Unable to describe task definition." for %s', async (_case, taskDefinition) => {
    await expectAwsError(
      endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })),
      'ClientException',
      400,
      'Unable to describe task definition.',
    );
  });

  it('answers ClientException for a family with no ACTIVE revision left', async () => {
    await register(minimal('desc-gone'));
    await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'desc-gone:1' }));
    await expectAwsError(
      endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'desc-gone' })),
      'ClientException',
      400,
      'Unable to describe task definition.',
    );
  });

  it('refuses an include other than TAGS', async () => {
    await expectAwsError(
      endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'desc', include: ['NOPE' as 'TAGS'] })),
      'InvalidParameterException',
      400,
      "'include' may only hold TAGS; got 'NOPE'.",
    );
  });
});

describe('ListTaskDefinitions', () => {
  beforeAll(async () => {
    for (const family of ['lst-b', 'lst-a', 'lst-b', 'lst-a', 'lst-a', 'lst-aa']) await register(minimal(family));
    await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'lst-a:2' }));
  });

  it('lists one family by its full name, ascending by revision, ACTIVE only by default', async () => {
    const out = await endpoint.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'lst-a' }));
    expect(out.taskDefinitionArns).toEqual([arn('lst-a', 1), arn('lst-a', 3)]);
    expect(out.nextToken).toBeUndefined();
  });

  it('filters by status and sorts DESC', async () => {
    const inactive = await endpoint.ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'lst-a', status: 'INACTIVE' }),
    );
    expect(inactive.taskDefinitionArns).toEqual([arn('lst-a', 2)]);
    const desc = await endpoint.ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: 'lst-b', sort: 'DESC' }));
    expect(desc.taskDefinitionArns).toEqual([arn('lst-b', 2), arn('lst-b', 1)]);
  });

  it('pages through every family in order with maxResults and nextToken', async () => {
    const asc: string[] = [];
    for await (const page of paginateListTaskDefinitions({ client: endpoint.ecs, pageSize: 2 }, {})) {
      expect(page.taskDefinitionArns!.length).toBeLessThanOrEqual(2);
      asc.push(...page.taskDefinitionArns!.filter((a) => a.includes('/lst-')));
    }
    expect(asc).toEqual([arn('lst-a', 1), arn('lst-a', 3), arn('lst-aa', 1), arn('lst-b', 1), arn('lst-b', 2)]);
    const desc: string[] = [];
    for await (const page of paginateListTaskDefinitions({ client: endpoint.ecs, pageSize: 3 }, { sort: 'DESC' })) {
      desc.push(...page.taskDefinitionArns!.filter((a) => a.includes('/lst-')));
    }
    expect(desc).toEqual([...asc].reverse());
  });

  it.each([0, 101])('refuses maxResults %i', async (maxResults) => {
    await expectAwsError(
      endpoint.ecs.send(new ListTaskDefinitionsCommand({ maxResults })),
      'InvalidParameterException',
      400,
      `'maxResults' must be between 1 and 100; got ${maxResults}.`,
    );
  });

  it('refuses a nextToken it did not issue, and a status ECS does not have', async () => {
    await expectAwsError(
      endpoint.ecs.send(new ListTaskDefinitionsCommand({ nextToken: 'garbage' })),
      'InvalidParameterException',
      400,
      /nextToken is not valid/,
    );
    await expectAwsError(
      endpoint.ecs.send(new ListTaskDefinitionsCommand({ status: 'GONE' as 'ACTIVE' })),
      'InvalidParameterException',
      400,
      "'status' must be one of ACTIVE, INACTIVE, DELETE_IN_PROGRESS; got 'GONE'.",
    );
  });
});

describe('ListTaskDefinitionFamilies', () => {
  beforeAll(async () => {
    for (const family of ['fam-c', 'fam-a', 'fam-b', 'fam-b', 'other']) await register(minimal(family));
    await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'fam-b:1' }));
    await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'fam-c:1' }));
  });

  const families = async (input: { status?: 'ACTIVE' | 'INACTIVE' | 'ALL' }) => {
    const out: string[] = [];
    const pages = paginateListTaskDefinitionFamilies(
      { client: endpoint.ecs, pageSize: 1 },
      { familyPrefix: 'fam-', ...input },
    );
    for await (const page of pages) out.push(...page.families!);
    return out;
  };

  it('lists ACTIVE and INACTIVE families by default, by prefix, one page at a time', async () => {
    expect(await families({})).toEqual(['fam-a', 'fam-b', 'fam-c']);
    expect(await families({ status: 'ALL' })).toEqual(['fam-a', 'fam-b', 'fam-c']);
  });

  it('ACTIVE: families with an ACTIVE revision; INACTIVE: families with none', async () => {
    expect(await families({ status: 'ACTIVE' })).toEqual(['fam-a', 'fam-b']);
    expect(await families({ status: 'INACTIVE' })).toEqual(['fam-c']);
  });

  it('returns a nextToken only when more families follow', async () => {
    const first = await endpoint.ecs.send(
      new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'fam-', maxResults: 2 }),
    );
    expect(first).toMatchObject({ families: ['fam-a', 'fam-b'], nextToken: expect.any(String) });
    const last = await endpoint.ecs.send(
      new ListTaskDefinitionFamiliesCommand({ familyPrefix: 'fam-', maxResults: 2, nextToken: first.nextToken }),
    );
    expect(last.families).toEqual(['fam-c']);
    expect(last.nextToken).toBeUndefined();
  });

  it('refuses maxResults over 100', async () => {
    await expectAwsError(
      endpoint.ecs.send(new ListTaskDefinitionFamiliesCommand({ maxResults: 500 })),
      'InvalidParameterException',
      400,
      "'maxResults' must be between 1 and 100; got 500.",
    );
  });
});

describe('DeregisterTaskDefinition', () => {
  it('makes a revision INACTIVE with deregisteredAt, and is idempotent', async () => {
    await register(minimal('dereg'));
    const out = await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: arn('dereg', 1) }));
    expect(out.taskDefinition).toMatchObject({ revision: 1, status: 'INACTIVE' });
    expect(out.taskDefinition?.deregisteredAt).toBeInstanceOf(Date);
    const again = await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'dereg:1' }));
    expect(again.taskDefinition?.deregisteredAt).toEqual(out.taskDefinition?.deregisteredAt);
  });

  it.each([
    ['an unknown revision', 'dereg:42', 'The specified task definition does not exist.'],
    ['a family without a revision', 'dereg', 'Revision is missing.'],
  ])('answers ClientException for %s', async (_case, taskDefinition, message) => {
    await expectAwsError(
      endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition })),
      'ClientException',
      400,
      message,
    );
  });
});

describe('DeleteTaskDefinitions', () => {
  it('deletes INACTIVE revisions and reports the others as failures, as ECS does', async () => {
    await register(minimal('del'));
    await register(minimal('del'));
    await endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'del:1' }));
    const out = await endpoint.ecs.send(
      new DeleteTaskDefinitionsCommand({ taskDefinitions: ['del:1', 'del:2', 'del:9', 'del'] }),
    );
    expect(out.taskDefinitions?.map((td) => [td.taskDefinitionArn, td.status])).toEqual([
      [arn('del', 1), 'DELETE_IN_PROGRESS'],
    ]);
    expect(out.taskDefinitions?.[0]?.deleteRequestedAt).toBeInstanceOf(Date);
    expect(out.failures).toEqual([
      {
        arn: arn('del', 2),
        reason: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
      },
      {
        arn: 'del:9',
        reason:
          'The specified task definition does not exist. Specify a valid account, family, revision and try again.',
      },
      {
        arn: 'del',
        reason: 'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.',
      },
    ]);
  });

  it('keeps a deleted revision describable and listed as DELETE_IN_PROGRESS, and revisions keep going up', async () => {
    const described = await endpoint.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'del:1' }));
    expect(described.taskDefinition?.status).toBe('DELETE_IN_PROGRESS');
    const listed = await endpoint.ecs.send(
      new ListTaskDefinitionsCommand({ familyPrefix: 'del', status: 'DELETE_IN_PROGRESS' }),
    );
    expect(listed.taskDefinitionArns).toEqual([arn('del', 1)]);
    await expectAwsError(
      endpoint.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: 'del:1' })),
      'ClientException',
      400,
      'The task definition could not be deregistered because it is in the process of being deleted.',
    );
    expect((await register(minimal('del'))).taskDefinition?.revision).toBe(3);
  });

  it('refuses more than 10 task definitions, and none', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => `del:${i + 1}`);
    await expectAwsError(
      endpoint.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: eleven })),
      'InvalidParameterException',
      400,
      'taskDefinitions can have at most 10 items.',
    );
    await expectAwsError(
      endpoint.ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: [] })),
      'InvalidParameterException',
      400,
      "'taskDefinitions' is required.",
    );
  });
});
