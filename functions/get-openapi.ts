/** GET /openapi.json: the API's OpenAPI 3.1 document, generated at build time from the route declarations. */
import { httpApi, ok } from '../lib/http';
import { openApiDocument } from '../lib/openapi/served';
import { getOpenApiRoute } from '../lib/routes/get-openapi';

export const handler = httpApi(getOpenApiRoute, async () => ok(openApiDocument));
