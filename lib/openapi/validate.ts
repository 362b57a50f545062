/**
 * Structural validation of an OpenAPI 3.1 document, after the specification
 * (https://spec.openapis.org/oas/v3.1.0): the fields each object requires, the values they may
 * take, path templating, unique operationIds and parameters, security requirements naming defined
 * schemes, and every local `$ref` resolving. Schemas themselves are JSON Schema 2020-12; the test
 * checks them against the 2020-12 meta-schema. No I/O: returns what is wrong, each with the JSON
 * pointer of where it is.
 */

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const PATH_ITEM_FIELDS = new Set<string>([...METHODS, '$ref', 'summary', 'description', 'servers', 'parameters']);
const PARAMETER_LOCATIONS = new Set(['query', 'header', 'path', 'cookie']);
const SECURITY_TYPES = new Set(['apiKey', 'http', 'mutualTLS', 'oauth2', 'openIdConnect']);
const STATUS_KEY = /^(?:default|[1-5](?:[0-9]{2}|XX))$/;
const TEMPLATE = /\{([^{}]+)\}/g;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const escapeKey = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');
const pointer = (...keys: Array<string | number>) => `#/${keys.map((k) => escapeKey(String(k))).join('/')}`;

/** Resolves a local JSON pointer (`#/components/schemas/Run`) in the document. */
function resolvePointer(doc: unknown, ref: string): unknown {
  if (ref === '#') return doc;
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObject(node) && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

function checkRefs(doc: unknown, node: unknown, at: string, out: string[]) {
  if (Array.isArray(node)) {
    node.forEach((item, i) => {
      checkRefs(doc, item, `${at}/${i}`, out);
    });
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if (key === '$ref' && typeof value === 'string') {
      if (value.startsWith('#') && resolvePointer(doc, value) === undefined) {
        out.push(`${at}: $ref ${value} does not resolve`);
      }
    } else {
      checkRefs(doc, value, `${at}/${escapeKey(key)}`, out);
    }
  }
}

function deref(doc: unknown, node: unknown): unknown {
  return isObject(node) && typeof node.$ref === 'string' ? resolvePointer(doc, node.$ref) : node;
}

function checkParameters(doc: Json, list: unknown, at: string, out: string[]): Json[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    out.push(`${at}: parameters must be an array`);
    return [];
  }
  const seen = new Set<string>();
  const params: Json[] = [];
  list.forEach((raw, i) => {
    const where = `${at}/${i}`;
    const p = deref(doc, raw);
    if (!isObject(p)) {
      out.push(`${where}: a parameter must be an object`);
      return;
    }
    params.push(p);
    if (typeof p.name !== 'string' || p.name === '') out.push(`${where}: name is required`);
    if (typeof p.in !== 'string' || !PARAMETER_LOCATIONS.has(p.in)) {
      out.push(`${where}: in must be one of query, header, path, cookie`);
    }
    if (p.in === 'path' && p.required !== true) out.push(`${where}: a path parameter must be required: true`);
    if ((p.schema === undefined) === (p.content === undefined)) {
      out.push(`${where}: a parameter takes exactly one of schema and content`);
    }
    const key = `${String(p.in)}:${String(p.in === 'header' ? String(p.name).toLowerCase() : p.name)}`;
    if (seen.has(key)) out.push(`${where}: duplicate parameter ${String(p.name)} in ${String(p.in)}`);
    seen.add(key);
  });
  return params;
}

function checkContent(content: unknown, at: string, out: string[], required: boolean) {
  if (content === undefined) {
    if (required) out.push(`${at}: content is required`);
    return;
  }
  if (!isObject(content)) {
    out.push(`${at}: content must be a map of media types`);
    return;
  }
  for (const [mediaType, value] of Object.entries(content)) {
    if (!/^[\w.+-]+\/[\w.+*-]+$/.test(mediaType)) out.push(`${at}/${escapeKey(mediaType)}: not a media type`);
    if (!isObject(value)) out.push(`${at}/${escapeKey(mediaType)}: a media type object is required`);
    else if (value.schema !== undefined && !isObject(value.schema) && typeof value.schema !== 'boolean') {
      out.push(`${at}/${escapeKey(mediaType)}/schema: a schema must be an object or a boolean`);
    }
  }
}

function checkOperation(
  doc: Json,
  op: Json,
  at: string,
  template: Set<string>,
  inherited: Json[],
  operationIds: Map<string, string>,
  out: string[],
) {
  if (op.operationId !== undefined) {
    if (typeof op.operationId !== 'string') out.push(`${at}/operationId: must be a string`);
    else if (operationIds.has(op.operationId)) {
      out.push(`${at}/operationId: ${op.operationId} is also used at ${operationIds.get(op.operationId)}`);
    } else operationIds.set(op.operationId, at);
  }
  if (op.tags !== undefined && (!Array.isArray(op.tags) || op.tags.some((t) => typeof t !== 'string'))) {
    out.push(`${at}/tags: must be an array of strings`);
  }
  const own = checkParameters(doc, op.parameters, `${at}/parameters`, out);
  const pathParams = new Set(
    [...inherited, ...own].filter((p) => p.in === 'path' && typeof p.name === 'string').map((p) => p.name as string),
  );
  for (const name of template) {
    if (!pathParams.has(name)) out.push(`${at}: path parameter {${name}} is not described`);
  }
  for (const name of pathParams) {
    if (!template.has(name)) out.push(`${at}: path parameter ${name} is not in the path`);
  }
  if (op.requestBody !== undefined) {
    const body = deref(doc, op.requestBody);
    if (!isObject(body)) out.push(`${at}/requestBody: must be an object`);
    else checkContent(body.content, `${at}/requestBody/content`, out, true);
  }
  if (!isObject(op.responses) || Object.keys(op.responses).length === 0) {
    out.push(`${at}/responses: at least one response is required`);
    return;
  }
  for (const [status, raw] of Object.entries(op.responses)) {
    const where = `${at}/responses/${escapeKey(status)}`;
    if (!STATUS_KEY.test(status)) out.push(`${where}: not an HTTP status code, a range like 4XX, or default`);
    const response = deref(doc, raw);
    if (!isObject(response)) {
      out.push(`${where}: a response must be an object`);
      continue;
    }
    if (typeof response.description !== 'string') out.push(`${where}: description is required`);
    checkContent(response.content, `${where}/content`, out, false);
  }
  if (op.security !== undefined) checkSecurity(doc, op.security, `${at}/security`, out);
}

function checkSecurity(doc: Json, security: unknown, at: string, out: string[]) {
  if (!Array.isArray(security)) {
    out.push(`${at}: must be an array`);
    return;
  }
  const schemes =
    isObject(doc.components) && isObject(doc.components.securitySchemes) ? doc.components.securitySchemes : {};
  security.forEach((requirement, i) => {
    if (!isObject(requirement)) {
      out.push(`${at}/${i}: must be an object`);
      return;
    }
    for (const [name, scopes] of Object.entries(requirement)) {
      if (!Object.hasOwn(schemes, name)) out.push(`${at}/${i}: security scheme ${name} is not defined`);
      if (!Array.isArray(scopes)) out.push(`${at}/${i}/${escapeKey(name)}: scopes must be an array`);
    }
  });
}

function checkComponents(doc: Json, out: string[]) {
  const components = doc.components;
  if (components === undefined) return;
  if (!isObject(components)) {
    out.push('#/components: must be an object');
    return;
  }
  for (const [section, map] of Object.entries(components)) {
    if (section.startsWith('x-')) continue;
    if (!isObject(map)) {
      out.push(`${pointer('components', section)}: must be a map`);
      continue;
    }
    for (const name of Object.keys(map)) {
      if (!/^[a-zA-Z0-9.\-_]+$/.test(name)) out.push(`${pointer('components', section, name)}: invalid component name`);
    }
  }
  if (isObject(components.schemas)) {
    for (const [name, schema] of Object.entries(components.schemas)) {
      if (!isObject(schema) && typeof schema !== 'boolean') {
        out.push(`${pointer('components', 'schemas', name)}: a schema must be an object or a boolean`);
      }
    }
  }
  if (isObject(components.securitySchemes)) {
    for (const [name, raw] of Object.entries(components.securitySchemes)) {
      const at = pointer('components', 'securitySchemes', name);
      const scheme = deref(doc, raw);
      if (!isObject(scheme) || typeof scheme.type !== 'string' || !SECURITY_TYPES.has(scheme.type)) {
        out.push(`${at}: type must be one of ${[...SECURITY_TYPES].join(', ')}`);
        continue;
      }
      if (
        scheme.type === 'apiKey' &&
        (typeof scheme.name !== 'string' || !['query', 'header', 'cookie'].includes(String(scheme.in)))
      ) {
        out.push(`${at}: an apiKey scheme needs name and in (query, header or cookie)`);
      }
      if (scheme.type === 'http' && typeof scheme.scheme !== 'string') out.push(`${at}: an http scheme needs scheme`);
    }
  }
}

/** Everything wrong with the document, or [] when it is a structurally valid OpenAPI 3.1 document. */
export function validateOpenApiDocument(doc: unknown): string[] {
  const out: string[] = [];
  if (!isObject(doc)) return ['#: the document must be an object'];
  if (typeof doc.openapi !== 'string' || !/^3\.1\.\d+$/.test(doc.openapi)) out.push('#/openapi: must be 3.1.x');
  if (!isObject(doc.info)) out.push('#/info: is required');
  else {
    if (typeof doc.info.title !== 'string') out.push('#/info/title: is required');
    if (typeof doc.info.version !== 'string') out.push('#/info/version: is required');
  }
  if (doc.paths === undefined && doc.components === undefined && doc.webhooks === undefined) {
    out.push('#: at least one of paths, components and webhooks is required');
  }
  if (doc.jsonSchemaDialect !== undefined && typeof doc.jsonSchemaDialect !== 'string') {
    out.push('#/jsonSchemaDialect: must be a URI');
  }
  if (doc.security !== undefined) checkSecurity(doc, doc.security, '#/security', out);
  checkComponents(doc, out);

  const operationIds = new Map<string, string>();
  const shapes = new Map<string, string>();
  if (doc.paths !== undefined && !isObject(doc.paths)) out.push('#/paths: must be an object');
  for (const [path, rawItem] of Object.entries(isObject(doc.paths) ? doc.paths : {})) {
    const at = pointer('paths', path);
    if (!path.startsWith('/')) out.push(`${at}: a path must start with /`);
    // Paths that differ only in their template names are the same path (OAS 3.1, Paths Object).
    const shape = path.replace(TEMPLATE, '{}');
    if (shapes.has(shape)) out.push(`${at}: same templated path as ${shapes.get(shape)}`);
    shapes.set(shape, path);
    const item = deref(doc, rawItem);
    if (!isObject(item)) {
      out.push(`${at}: a path item must be an object`);
      continue;
    }
    for (const key of Object.keys(item)) {
      if (!PATH_ITEM_FIELDS.has(key) && !key.startsWith('x-')) out.push(`${at}: unknown field ${key}`);
    }
    const template = new Set([...path.matchAll(TEMPLATE)].map((m) => m[1] as string));
    const inherited = checkParameters(doc, item.parameters, `${at}/parameters`, out);
    for (const method of METHODS) {
      const op = item[method];
      if (op === undefined) continue;
      if (!isObject(op)) out.push(`${at}/${method}: an operation must be an object`);
      else checkOperation(doc, op, `${at}/${method}`, template, inherited, operationIds, out);
    }
  }
  checkRefs(doc, doc, '#', out);
  return out;
}
