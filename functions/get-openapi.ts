/** GET /openapi.json: the API's OpenAPI 3.1 document, generated at build time from the zod schemas. */
import { httpApi, ok } from '../lib/http';
import { openApiDocument } from '../lib/openapi/served';

export const handler = httpApi(async () => ok(openApiDocument));
