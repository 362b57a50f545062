/**
 * The OpenAPI document against serverless.yml and the specification: every route in serverless.yml
 * is documented and every documented route exists; the document is valid OpenAPI 3.1 (structure by
 * lib/openapi/validate.ts, schemas by the JSON Schema 2020-12 meta-schema); the generated schemas
 * accept what the API accepts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import YAML from 'yaml';
import { handler } from '../../../functions/get-openapi';
import { API_ROUTES, buildOpenApiDocument, type OpenApiDocument } from '../../../lib/openapi/document';
import { validateOpenApiDocument } from '../../../lib/openapi/validate';

const root = path.join(__dirname, '..', '..', '..');
const doc = buildOpenApiDocument();

interface HttpEvent {
  http?: { method: string; path: string; authorizer?: unknown };
}

/** `METHOD /path` for every http event of every function in serverless.yml. */
function serverlessRoutes(): string[] {
  const config = YAML.parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { events?: HttpEvent[] }>;
  };
  return Object.values(config.functions).flatMap((fn) =>
    (fn.events ?? [])
      .filter((e) => e.http !== undefined)
      .map((e) => `${e.http?.method.toUpperCase()} /${e.http?.path.replace(/^\//, '')}`),
  );
}

function documentedRoutes(document: OpenApiDocument): string[] {
  return Object.entries(document.paths).flatMap(([p, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${p}`),
  );
}

describe('routes', () => {
  it('documents every route in serverless.yml, and no route serverless.yml lacks', () => {
    const deployed = serverlessRoutes();
    const documented = documentedRoutes(doc);
    expect(deployed.length).toBeGreaterThanOrEqual(10);
    expect(documented.filter((r) => !deployed.includes(r))).toEqual([]);
    expect(deployed.filter((r) => !documented.includes(r))).toEqual([]);
  });

  it('puts every serverless.yml route behind AWS_IAM, as the document says', () => {
    const config = YAML.parse(readFileSync(path.join(root, 'serverless.yml'), 'utf8')) as {
      functions: Record<string, { events?: HttpEvent[] }>;
    };
    const authorizers = Object.values(config.functions).flatMap((fn) =>
      (fn.events ?? []).filter((e) => e.http).map((e) => e.http?.authorizer),
    );
    expect(new Set(authorizers)).toEqual(new Set(['aws_iam']));
    expect(doc.security).toEqual([{ sigv4: [] }]);
  });

  it('would notice a route missing from either side', () => {
    const fewer = buildOpenApiDocument(API_ROUTES.filter((r) => r.operationId !== 'cancelRun'));
    expect(serverlessRoutes().filter((r) => !documentedRoutes(fewer).includes(r))).toEqual([
      'POST /runs/{runId}/cancel',
    ]);
  });
});

describe('OpenAPI 3.1', () => {
  it('is a structurally valid 3.1 document', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(validateOpenApiDocument(doc)).toEqual([]);
  });

  it('has schemas that are valid JSON Schema 2020-12, parameters included', () => {
    const ajv = new Ajv2020({ strict: false });
    const schemas = Object.entries(doc.components.schemas ?? {});
    const parameters = Object.values(doc.paths).flatMap((item) =>
      Object.values(item).flatMap((op) =>
        ((op as { parameters?: { schema: object }[] }).parameters ?? []).map((p) => p.schema),
      ),
    );
    expect(schemas.length).toBe(15);
    for (const [name, schema] of schemas) {
      expect([name, ajv.validateSchema(schema as object), ajv.errors]).toEqual([name, true, null]);
    }
    for (const schema of parameters) expect(ajv.validateSchema(schema)).toBe(true);
  });

  it('accepts the example task definition and refuses what the API refuses', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(doc.components.schemas?.TaskDefinitionInput as object);
    const example = JSON.parse(readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8'));
    expect(validate(example)).toBe(true);
    expect(validate({ ...example, famly: 'typo' })).toBe(false);
    expect(validate({ ...example, containerDefinitions: [] })).toBe(false);
  });

  it('describes the nested members of a task definition, so a typo at any depth is refused', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(doc.components.schemas?.TaskDefinitionInput as object);
    const example = JSON.parse(readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8'));
    const withContainer = (fields: object) => ({
      ...example,
      containerDefinitions: [{ ...example.containerDefinitions[0], ...fields }],
    });
    const logs = { logDriver: 'awslogs', options: { 'awslogs-group': 'jobs' } };
    expect(validate(withContainer({ logConfiguration: logs, dockerLabels: { team: 'jobs' } }))).toBe(true);
    expect(validate(withContainer({ healthCheck: { command: ['CMD', 'true'], interval: '30' } }))).toBe(true);
    expect(validate(withContainer({ logConfiguration: { ...logs, option: {} } }))).toBe(false);
    expect(validate(withContainer({ logConfiguration: { logDriver: 'cloudwatch' } }))).toBe(false);
    expect(validate(withContainer({ dockerLabels: { port: 8080 } }))).toBe(false);
    expect(validate(withContainer({ healthCheck: { command: ['CMD', 'true'], interval: 1 } }))).toBe(false);
    expect(validate(withContainer({ image: 'a'.repeat(300) }))).toBe(false);
    expect(validate({ ...example, tags: [{ key: 'aws:team' }] })).toBe(false);
  });

  it('describes the run request with its defaults optional', () => {
    const ajv = new Ajv2020({ strict: false });
    const validate = ajv.compile(doc.components.schemas?.RunRequest as object);
    expect(validate({ taskDefinition: 'anjana-educative:1' })).toBe(true);
    expect(validate({ taskDefinition: 'anjana-educative:1', count: 11 })).toBe(false);
    expect(validate({ count: 1 })).toBe(false);
  });

  it('documents each parameter as the API takes it: status in any case, a run id by its pattern', () => {
    const ajv = new Ajv2020({ strict: false });
    const parameter = (p: string, method: string, name: string) => {
      const op = doc.paths[p]?.[method] as { parameters?: { name: string; schema: object }[] } | undefined;
      return ajv.compile(op?.parameters?.find((x) => x.name === name)?.schema ?? { not: {} });
    };
    const status = parameter('/runs', 'get', 'status');
    expect([status('cancelled'), status('TIMED_OUT'), status('DONE')]).toEqual([true, true, false]);
    const familyStatus = parameter('/task-definitions', 'get', 'status');
    expect([familyStatus('inactive'), familyStatus('DELETED')]).toEqual([true, false]);
    const runId = parameter('/runs/{runId}', 'get', 'runId');
    expect([runId('run-1'), runId('a:b'), runId('x'.repeat(81))]).toEqual([true, false, false]);
  });

  it('has one operationId per route', () => {
    const ids = API_ROUTES.map((r) => r.operationId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('validateOpenApiDocument', () => {
  // biome-ignore lint/suspicious/noExplicitAny: the cases break the document on purpose.
  const base = () => JSON.parse(JSON.stringify(doc)) as any;
  // biome-ignore lint/suspicious/noExplicitAny: the cases break the document on purpose.
  it.each<[string, (d: any) => void, string]>([
    [
      'a 3.0 version',
      (d) => {
        d.openapi = '3.0.3';
      },
      '#/openapi: must be 3.1.x',
    ],
    [
      'no info title',
      (d) => {
        delete d.info.title;
      },
      '#/info/title: is required',
    ],
    [
      'a path without a slash',
      (d) => {
        d.paths.runs = d.paths['/runs'];
      },
      '#/paths/runs: a path must start with /',
    ],
    [
      'an undescribed path parameter',
      (d) => {
        d.paths['/runs/{runId}'].get.parameters = [];
      },
      '#/paths/~1runs~1{runId}/get: path parameter {runId} is not described',
    ],
    [
      'an optional path parameter',
      (d) => {
        d.paths['/runs/{runId}'].get.parameters[0].required = false;
      },
      '#/paths/~1runs~1{runId}/get/parameters/0: a path parameter must be required: true',
    ],
    [
      'a duplicate operationId',
      (d) => {
        d.paths['/runs'].get.operationId = 'startRun';
      },
      '#/paths/~1runs/post/operationId: startRun is also used at #/paths/~1runs/get',
    ],
    [
      'a response without a description',
      (d) => {
        delete d.paths['/runs'].get.responses['200'].description;
      },
      '#/paths/~1runs/get/responses/200: description is required',
    ],
    [
      'a bad status key',
      (d) => {
        d.paths['/runs'].get.responses['2000'] = { description: 'x' };
      },
      '#/paths/~1runs/get/responses/2000: not an HTTP status code, a range like 4XX, or default',
    ],
    [
      'a dangling $ref',
      (d) => {
        delete d.components.schemas.Run;
      },
      '#/paths/~1runs~1{runId}/get/responses/200/content/application~1json/schema: $ref #/components/schemas/Run does not resolve',
    ],
    [
      'an undefined security scheme',
      (d) => {
        d.security = [{ oauth: [] }];
      },
      '#/security/0: security scheme oauth is not defined',
    ],
    [
      'two paths differing only in template names',
      (d) => {
        d.paths['/runs/{id}'] = d.paths['/runs/{runId}'];
      },
      '#/paths/~1runs~1{id}: same templated path as /runs/{runId}',
    ],
    [
      'an unknown path item field',
      (d) => {
        d.paths['/runs'].fetch = {};
      },
      '#/paths/~1runs: unknown field fetch',
    ],
  ])('refuses %s', (_name, mutate, problem) => {
    const d = base();
    mutate(d);
    expect(validateOpenApiDocument(d)).toContain(problem);
  });
});

describe('GET /openapi.json', () => {
  it('serves the generated document', async () => {
    const res = await handler(
      { httpMethod: 'GET', path: '/openapi.json', headers: {}, requestContext: { requestId: 'r' } } as never,
      {} as never,
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('application/json');
    expect(JSON.parse(res.body)).toEqual(doc);
  });
});
