/**
 * The typed client and the `berth` CLI against the real local stack (`npm start`): task
 * definitions, typed errors, GET /openapi.json as the bundle serves it, and runs followed to their
 * outcome with `npx berth run ... --wait`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BerthClient, NotFoundError, PolicyError, ValidationError } from '../../client';
import { API_ROUTES, buildOpenApiDocument } from '../../lib/openapi/document';
import { validateOpenApiDocument } from '../../lib/openapi/validate';
import { berthCli, type Stack, startStack } from './stack';

jest.setTimeout(240_000);

const root = path.join(__dirname, '..', '..');
const examplePath = path.join(root, 'examples', 'anjana-educative.json');
const example = JSON.parse(readFileSync(examplePath, 'utf8'));
let stack: Stack;
let berth: BerthClient;

/** `npx berth ...` against this stack. */
const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) => berthCli(stack.api, args, env);

beforeAll(async () => {
  stack = await startStack();
  berth = new BerthClient({ baseUrl: stack.api, maxAttempts: 1 });
});

afterAll(async () => {
  await stack?.kill();
});

describe('task definitions through the client', () => {
  it('registers, reads, lists and deregisters', async () => {
    const td = await berth.registerTaskDefinition({ ...example, family: 'client-it' });
    expect(td).toMatchObject({ family: 'client-it', revision: 1, status: 'ACTIVE', cpu: '256', memory: '512' });
    expect(td.containerDefinitions?.[0]).toMatchObject({ memory: 100, cpu: 99 });
    expect(await berth.getTaskDefinition('client-it', 1)).toMatchObject({ taskDefinitionArn: td.taskDefinitionArn });
    expect(await berth.getLatestTaskDefinition('client-it')).toMatchObject({ revision: 1 });
    const page = await berth.listTaskDefinitions({ familyPrefix: 'client-it' });
    expect(page.items).toEqual([expect.objectContaining({ family: 'client-it', latestRevision: 1, status: 'ACTIVE' })]);
    expect(await berth.deregisterTaskDefinition('client-it', 1)).toMatchObject({ status: 'INACTIVE' });
    const families = [];
    for await (const f of berth.paginateTaskDefinitions({ status: 'INACTIVE', limit: 1 })) families.push(f.family);
    expect(families).toContain('client-it');
  });

  it('throws ValidationError with every violation', async () => {
    const err = await berth
      .registerTaskDefinition({ ...example, family: 'not a family!', memory: '4096' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).status).toBe(400);
    expect((err as ValidationError).violations.map((v) => v.path).sort()).toEqual(['$.family', '$.memory']);
  });

  it('throws PolicyError naming the rule', async () => {
    const err = await berth
      .registerTaskDefinition({
        ...example,
        containerDefinitions: [{ ...example.containerDefinitions[0], privileged: true }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyError);
    expect((err as PolicyError).rule).toBe('allowPrivileged');
  });

  it('throws NotFoundError for an unknown revision and run', async () => {
    await expect(berth.getTaskDefinition('anjana-educative', 999)).rejects.toBeInstanceOf(NotFoundError);
    await expect(berth.getRun('no-such-run')).rejects.toThrow(
      new NotFoundError(404, { detail: 'Run no-such-run does not exist.' }),
    );
  });
});

describe('GET /openapi.json', () => {
  it('serves the document generated at build time: valid OpenAPI 3.1, every route', async () => {
    const served = await berth.getOpenApiDocument();
    expect(validateOpenApiDocument(served)).toEqual([]);
    expect(served).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
    const paths = served.paths as Record<string, Record<string, unknown>>;
    for (const route of API_ROUTES) expect(paths[route.path]?.[route.method]).toBeDefined();
  });
});

describe('the berth CLI', () => {
  it('registers a task definition file and lists it, with dummy credentials when it has none', async () => {
    const { AWS_ACCESS_KEY_ID: _a, AWS_SECRET_ACCESS_KEY: _s, ...noCredentials } = process.env;
    const registered = await cli(['task-definitions', 'register', examplePath], noCredentials);
    expect(registered.code).toBe(0);
    // npm may print its own notices on stderr; the CLI prints nothing there on success.
    expect(registered.stderr).not.toMatch(/berth:|error/);
    expect(registered.stdout).toMatch(/^registered anjana-educative:\d+ \(arn:aws:ecs:[^)]+\)\n$/);
    const listed = await cli(['task-definitions', 'list', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).items).toEqual(
      expect.arrayContaining([expect.objectContaining({ family: 'anjana-educative' })]),
    );
  });

  it('runs anjana-educative:1 to SUCCEEDED with --wait, printing progress, and exits 0', async () => {
    await berth.registerTaskDefinition(example);
    const run = await cli(['run', 'anjana-educative:1', '--wait', '--timeout', '120']);
    expect(run.stdout).toMatch(/^run \S+ SUCCEEDED\n$/);
    expect(run.stderr).toMatch(/run \S+ started\n/);
    expect(run.stderr).toMatch(/attempt 1: SUCCEEDED, anjana exit 0/);
    expect(run.code).toBe(0);
    const runId = /^run (\S+) SUCCEEDED/.exec(run.stdout)?.[1] ?? '';
    const runs = await cli(['runs']);
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain(runId);
  });

  it('exits 1 when the run fails, after showing each attempt, its exit code and the retry', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cli-'));
    const request = path.join(dir, 'run.json');
    writeFileSync(
      request,
      JSON.stringify({
        overrides: {
          containerOverrides: [{ name: 'anjana', environment: [{ name: 'BERTH_SIMULATE_EXIT_CODE', value: '3' }] }],
        },
        retry: { attempts: 2 },
      }),
    );
    const run = await cli(['run', 'anjana-educative:1', '--request', request, '--wait', '--timeout', '120']);
    expect(run.stderr).toMatch(/attempt 1: FAILED, anjana exit 3/);
    expect(run.stderr).toMatch(/attempt 1: will retry/);
    expect(run.stderr).toMatch(/attempt 2: FAILED, anjana exit 3/);
    expect(run.stdout).toMatch(/^run \S+ FAILED/);
    expect(run.code).toBe(1);
  });

  it('exits 3 with the violations when the API refuses the run', async () => {
    const run = await cli(['run', 'anjana-educative:1', '--count', '11']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("$.count: 'count' must be an integer from 1 to 10.");
  });
});
