/** GET /openapi.json */
import { route } from './route';

export const getOpenApiRoute = route({
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApiDocument',
  summary: 'This document.',
  tag: 'API',
  request: {},
  responses: { '200': { description: 'The OpenAPI 3.1 document.', body: 'OpenApiDocument' } },
});
