/**
 * The OpenAPI 3.1 document of the REST API, generated from the zod schemas the handlers validate
 * with (zod 4's `toJSONSchema`, io 'input': what a caller may send, defaults optional) and from the
 * response schemas in ./responses.ts. Never written by hand: `API_ROUTES` is the one list of routes,
 * checked against serverless.yml by test/unit/api/openapi.test.ts, and the typed client's method
 * names are its operationIds.
 *
 * The document is computed at build time (deploy/esbuild-plugins.js replaces ./served.ts with its
 * JSON), so the getOpenApi Lambda bundles neither zod nor the schemas.
 *
 * Security: every route uses API Gateway's AWS_IAM authorization, described the way API Gateway
 * itself exports it (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-authtype.html):
 * an apiKey scheme on the Authorization header with `x-amazon-apigateway-authtype: awsSigv4`.
 */
import * as z from 'zod/mini';
import packageJson from '../../package.json';
import { MAX_BODY_BYTES } from '../http';
import { RunRequestSchema } from '../runs/request';
import { RUN_STATUSES } from '../runs/types';
import { TaskDefinitionInputSchema } from '../task-definition/schema';
import {
  CancelledRunSchema,
  OpenApiDocumentSchema,
  ProblemSchema,
  RunPageSchema,
  RunRefSchema,
  RunViewSchema,
  TaskDefinitionPageSchema,
  TaskDefinitionSchema,
} from './responses';

type Schema = z.core.$ZodType;
export type HttpMethod = 'get' | 'post' | 'delete';

/** Named schemas, emitted under components.schemas and referenced by name. */
export const COMPONENT_SCHEMAS = {
  TaskDefinitionInput: TaskDefinitionInputSchema,
  TaskDefinition: TaskDefinitionSchema,
  TaskDefinitionPage: TaskDefinitionPageSchema,
  RunRequest: RunRequestSchema,
  RunRef: RunRefSchema,
  Run: RunViewSchema,
  RunPage: RunPageSchema,
  CancelledRun: CancelledRunSchema,
  Problem: ProblemSchema,
  OpenApiDocument: OpenApiDocumentSchema,
} as const satisfies Record<string, Schema>;
type ComponentName = keyof typeof COMPONENT_SCHEMAS;

export interface ParameterDoc {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema: Schema;
}

export interface ResponseDoc {
  description: string;
  body?: ComponentName;
  headers?: Record<string, string>;
}

export interface RouteDoc {
  method: HttpMethod;
  /** As API Gateway writes it: `/runs/{runId}`. */
  path: string;
  operationId: string;
  summary: string;
  tag: 'Task definitions' | 'Runs' | 'API';
  parameters?: ParameterDoc[];
  body?: ComponentName;
  responses: Record<string, ResponseDoc>;
}

const family: ParameterDoc = {
  name: 'family',
  in: 'path',
  description: 'Task definition family.',
  schema: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}$/)),
};
const revision: ParameterDoc = {
  name: 'revision',
  in: 'path',
  description: 'Revision number.',
  schema: z.string().check(z.regex(/^[1-9][0-9]{0,9}$/)),
};
const runId: ParameterDoc = {
  name: 'runId',
  in: 'path',
  description: 'The run id POST /runs returned (the execution name).',
  schema: z.string().check(z.minLength(1), z.maxLength(80)),
};
const limit: ParameterDoc = {
  name: 'limit',
  in: 'query',
  description: 'Page size, 1 to 100 (default 20).',
  schema: z.int().check(z.gte(1), z.lte(100)),
};
const nextToken = (what: string): ParameterDoc => ({
  name: 'nextToken',
  in: 'query',
  description: `The token the previous page returned${what}.`,
  schema: z.string().check(z.minLength(1)),
});

const location = { Location: 'Where the resource can be read.' };
const problem = (description: string): ResponseDoc => ({ description, body: 'Problem' });
const invalid = problem('The request breaks a rule: `errors` lists every violation with its JSONPath.');
const notFound = problem('No such resource.');
const throttled: ResponseDoc = {
  description: 'AWS is throttling or briefly unavailable; retry.',
  body: 'Problem',
  headers: { 'Retry-After': 'Seconds to wait.' },
};

/** Every route of the REST API. Keep in step with serverless.yml (the unit test checks both ways). */
export const API_ROUTES: readonly RouteDoc[] = [
  {
    method: 'post',
    path: '/task-definitions',
    operationId: 'registerTaskDefinition',
    summary: 'Validate and register a new revision of a task definition family.',
    tag: 'Task definitions',
    body: 'TaskDefinitionInput',
    responses: {
      '201': { description: 'Registered.', body: 'TaskDefinition', headers: location },
      '400': invalid,
      '403': problem('A stage guardrail refuses it: `rule` names the setting.'),
      '413': problem(`The body is over ${MAX_BODY_BYTES} bytes.`),
      '415': problem('The body is not application/json.'),
      '503': throttled,
    },
  },
  {
    method: 'get',
    path: '/task-definitions',
    operationId: 'listTaskDefinitions',
    summary: 'Task definition families with their latest revision, one page at a time.',
    tag: 'Task definitions',
    parameters: [
      {
        name: 'familyPrefix',
        in: 'query',
        description: 'Only families starting with this.',
        schema: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}$/)),
      },
      {
        name: 'status',
        in: 'query',
        description: 'ACTIVE (default), INACTIVE or ALL.',
        schema: z.enum(['ACTIVE', 'INACTIVE', 'ALL']),
      },
      limit,
      nextToken(''),
    ],
    responses: { '200': { description: 'One page.', body: 'TaskDefinitionPage' }, '400': invalid, '503': throttled },
  },
  {
    method: 'get',
    path: '/task-definitions/{family}',
    operationId: 'getLatestTaskDefinition',
    summary: 'The latest ACTIVE revision of a family.',
    tag: 'Task definitions',
    parameters: [family],
    responses: {
      '200': { description: 'The revision.', body: 'TaskDefinition' },
      '400': invalid,
      '404': notFound,
      '503': throttled,
    },
  },
  {
    method: 'get',
    path: '/task-definitions/{family}/{revision}',
    operationId: 'getTaskDefinition',
    summary: 'One revision, ACTIVE or INACTIVE.',
    tag: 'Task definitions',
    parameters: [family, revision],
    responses: {
      '200': { description: 'The revision.', body: 'TaskDefinition' },
      '400': invalid,
      '404': notFound,
      '503': throttled,
    },
  },
  {
    method: 'delete',
    path: '/task-definitions/{family}/{revision}',
    operationId: 'deregisterTaskDefinition',
    summary: 'Deregister a revision (it becomes INACTIVE).',
    tag: 'Task definitions',
    parameters: [family, revision],
    responses: {
      '200': { description: 'The revision, now INACTIVE.', body: 'TaskDefinition' },
      '400': invalid,
      '404': notFound,
      '503': throttled,
    },
  },
  {
    method: 'post',
    path: '/runs',
    operationId: 'startRun',
    summary: 'Start a run: check capacity, wait for room, run the task to completion, retry by policy.',
    tag: 'Runs',
    parameters: [
      {
        name: 'Idempotency-Key',
        in: 'header',
        description: 'At most 64 printable ASCII characters: the same key with the same body returns the same run.',
        schema: z.string().check(z.regex(/^[\x20-\x7e]{1,64}$/)),
      },
    ],
    body: 'RunRequest',
    responses: {
      '202': { description: 'Started.', body: 'RunRef', headers: location },
      '200': { description: 'The run an earlier request with this Idempotency-Key started.', body: 'RunRef' },
      '400': invalid,
      '403': problem('A stage guardrail refuses it: `rule` names the setting.'),
      '404': problem('The task definition does not exist.'),
      '409': problem('The Idempotency-Key was used with another body.'),
      '413': problem(`The body is over ${MAX_BODY_BYTES} bytes.`),
      '415': problem('The body is not application/json.'),
      '503': throttled,
    },
  },
  {
    method: 'get',
    path: '/runs',
    operationId: 'listRuns',
    summary: 'Runs, newest first; a page may hold fewer than `limit` and still have a nextToken.',
    tag: 'Runs',
    parameters: [
      { name: 'status', in: 'query', description: 'Only runs with this status.', schema: z.enum(RUN_STATUSES) },
      limit,
      nextToken(' (valid for the same status only)'),
    ],
    responses: { '200': { description: 'One page.', body: 'RunPage' }, '400': invalid, '503': throttled },
  },
  {
    method: 'get',
    path: '/runs/{runId}',
    operationId: 'getRun',
    summary: 'A run: status, attempts with exit codes and retry decisions, the last capacity check, the error.',
    tag: 'Runs',
    parameters: [runId],
    responses: { '200': { description: 'The run.', body: 'Run' }, '400': invalid, '404': notFound, '503': throttled },
  },
  {
    method: 'post',
    path: '/runs/{runId}/cancel',
    operationId: 'cancelRun',
    summary: 'Stop the run and its ECS task.',
    tag: 'Runs',
    parameters: [runId],
    responses: {
      '202': { description: 'Cancelling.', body: 'CancelledRun', headers: location },
      '400': invalid,
      '404': notFound,
      '409': problem('The run has already finished.'),
      '503': throttled,
    },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document.',
    tag: 'API',
    responses: { '200': { description: 'The OpenAPI 3.1 document.', body: 'OpenApiDocument' } },
  },
];

/** A JSON Schema object as OpenAPI 3.1 embeds it (the 2020-12 dialect is the document's default). */
export type JsonSchema = Record<string, unknown>;

export function jsonSchemaOf(schema: Schema): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    // Refinements with no JSON Schema equivalent (cross-field rules) are documented in the prose.
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
}

const ref = (name: ComponentName) => ({ $ref: `#/components/schemas/${name}` });

function operationOf(route: RouteDoc) {
  const responses: Record<string, unknown> = {};
  for (const [status, r] of Object.entries(route.responses)) {
    const mediaType = r.body === 'Problem' ? 'application/problem+json' : 'application/json';
    responses[status] = {
      description: r.description,
      ...(r.headers && {
        headers: Object.fromEntries(
          Object.entries(r.headers).map(([name, description]) => [name, { description, schema: { type: 'string' } }]),
        ),
      }),
      ...(r.body && { content: { [mediaType]: { schema: ref(r.body) } } }),
    };
  }
  responses.default = {
    description: 'Any other error (500: the request id identifies it in the logs).',
    content: { 'application/problem+json': { schema: ref('Problem') } },
  };
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(route.parameters && {
      parameters: route.parameters.map((p) => ({
        name: p.name,
        in: p.in,
        description: p.description,
        required: p.in === 'path' ? true : (p.required ?? false),
        schema: jsonSchemaOf(p.schema),
      })),
    }),
    ...(route.body && {
      requestBody: { required: true, content: { 'application/json': { schema: ref(route.body) } } },
    }),
    responses,
  };
}

export interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
  components: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

export function buildOpenApiDocument(routes: readonly RouteDoc[] = API_ROUTES): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method] = operationOf(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Berth',
      version: packageJson.version,
      description:
        'Runs containerised jobs on Amazon ECS to completion. Errors are RFC 9457 application/problem+json. ' +
        'Every route uses AWS_IAM authorization: sign requests with SigV4 for the execute-api service.',
    },
    tags: [{ name: 'Task definitions' }, { name: 'Runs' }, { name: 'API' }],
    security: [{ sigv4: [] }],
    paths,
    components: {
      securitySchemes: {
        sigv4: { type: 'apiKey', name: 'Authorization', in: 'header', 'x-amazon-apigateway-authtype': 'awsSigv4' },
      },
      schemas: Object.fromEntries(Object.entries(COMPONENT_SCHEMAS).map(([name, s]) => [name, jsonSchemaOf(s)])),
    },
  };
}
