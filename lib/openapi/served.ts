/**
 * The document GET /openapi.json serves. Bundles replace this module with the document as a JSON
 * literal (deploy/esbuild-plugins.js, `openApiAtBuildTime`), so the Lambda ships the result and
 * not the generator; run from source (tests, tsx) it is generated once on load, to the same value.
 */
import { buildOpenApiDocument } from './document';

export const openApiDocument: unknown = buildOpenApiDocument();
