/**
 * The OpenAPI 3.1 document of the REST API, generated from the route declarations the handlers validate
 * with (lib/routes/: zod 4's `toJSONSchema`, io 'input': what a caller may send, defaults optional) and from the
 * response schemas in ./responses.ts. Never written by hand: `API_ROUTES` is the one list of routes,
 * checked against serverless.yml by test/unit/openapi/openapi.test.ts, and the typed client's method
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
import { ClusterCapacitySchema, PlacementPlanSchema } from '../capacity/views';
import { QueueListSchema, QueueViewSchema } from '../queues/views';
import { API_ROUTES } from '../routes';
import { TaskDefinitionBodySchema } from '../routes/register-task-definition';
import type { Route } from '../routes/route';
import { RunRequestSchema } from '../runs/request';
import {
  CancelledRunSchema,
  OpenApiDocumentSchema,
  ProblemSchema,
  RunLogPageSchema,
  RunPageSchema,
  RunRefSchema,
  RunViewSchema,
  TaskDefinitionPageSchema,
  TaskDefinitionSchema,
} from './responses';

export { API_ROUTES };

type Schema = z.core.$ZodType;

/** Named schemas, emitted under components.schemas; a route's body that is one of them is referenced by name. */
export const COMPONENT_SCHEMAS = {
  TaskDefinitionInput: TaskDefinitionBodySchema,
  TaskDefinition: TaskDefinitionSchema,
  TaskDefinitionPage: TaskDefinitionPageSchema,
  RunRequest: RunRequestSchema,
  RunRef: RunRefSchema,
  Run: RunViewSchema,
  RunPage: RunPageSchema,
  RunLogPage: RunLogPageSchema,
  CancelledRun: CancelledRunSchema,
  PlacementPlan: PlacementPlanSchema,
  ClusterCapacity: ClusterCapacitySchema,
  Queue: QueueViewSchema,
  QueueList: QueueListSchema,
  Problem: ProblemSchema,
  OpenApiDocument: OpenApiDocumentSchema,
} as const satisfies Record<string, Schema>;

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

function ref(name: string) {
  // Fails the build, not a caller, when a route names a response body that is not a component.
  if (!Object.hasOwn(COMPONENT_SCHEMAS, name)) throw new Error(`No component schema named ${name}`);
  return { $ref: `#/components/schemas/${name}` };
}

function schemaOrRef(schema: Schema) {
  const named = Object.entries(COMPONENT_SCHEMAS).find(([, component]) => component === schema);
  return named === undefined ? jsonSchemaOf(schema) : ref(named[0]);
}

/** A route's path, query and header members as OpenAPI parameters: required unless optional or defaulted. */
function parametersOf(route: Route) {
  const sections = [
    ['path', route.request.path],
    ['query', route.request.query],
    ['header', route.request.headers],
  ] as const;
  return sections.flatMap(([where, members]) =>
    Object.entries(members?.def.shape ?? {}).map(([name, member]) => {
      const { description, ...schema } = jsonSchemaOf(member);
      return {
        name,
        in: where,
        ...(typeof description === 'string' && { description }),
        required: where === 'path' || member._zod.optin === undefined,
        schema,
      };
    }),
  );
}

function operationOf(route: Route) {
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
  const parameters = parametersOf(route);
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(parameters.length > 0 && { parameters }),
    ...(route.request.body && {
      requestBody: {
        required: true,
        content: { 'application/json': { schema: schemaOrRef(route.request.body) } },
      },
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

export function buildOpenApiDocument(routes: readonly Route[] = API_ROUTES): OpenApiDocument {
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
    tags: [{ name: 'Task definitions' }, { name: 'Runs' }, { name: 'Clusters' }, { name: 'Queues' }, { name: 'API' }],
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
