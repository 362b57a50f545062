/**
 * A route's declaration is its contract: the request parts parse against it with every violation at once, the
 * use case gets the parsed values, and the OpenAPI document describes the same members.
 */
import * as z from 'zod/mini';
import { ValidationError } from '../../../lib/errors';
import { buildOpenApiDocument } from '../../../lib/openapi/document';
import { withRules } from '../../../lib/parse';
import { FamilySchema, LimitSchema, RevisionSchema } from '../../../lib/routes/parameters';
import { parseRequest, type RawRequest, route } from '../../../lib/routes/route';

const example = route({
  method: 'post',
  path: '/things/{family}/{revision}',
  operationId: 'postThing',
  summary: 'A route for the test.',
  tag: 'API',
  request: {
    path: z.object({ family: FamilySchema, revision: RevisionSchema }),
    query: z.object({ limit: LimitSchema, tag: z.optional(z.string().check(z.describe('A tag.'))) }),
    headers: z.object({ 'Idempotency-Key': z.optional(z.string().check(z.maxLength(3, 'Too long.'))) }),
    body: withRules(z.strictObject({ count: z.number(), max: z.number() }), (b) =>
      b.count > b.max ? [{ path: '$.count', message: 'count is over max.' }] : [],
    ),
  },
  responses: { '200': { description: 'OK.' } },
});

const raw = (over: Partial<RawRequest> = {}): RawRequest => ({
  path: { family: 'web', revision: '3' },
  query: {},
  headers: {},
  body: { count: 1, max: 2 },
  requestId: 'r',
  caller: undefined,
  ...over,
});

function violations(request: RawRequest) {
  try {
    parseRequest(example, request);
  } catch (err) {
    if (err instanceof ValidationError) return err.violations;
    throw err;
  }
  return [];
}

describe('parseRequest', () => {
  it('hands over the parsed parts: numbers from strings, defaults applied, headers found in any case', () => {
    const input = parseRequest(example, raw({ headers: { 'idempotency-key': 'abc' }, query: { tag: 'x' } }));
    expect(input).toEqual({
      path: { family: 'web', revision: 3 },
      query: { limit: 20, tag: 'x' },
      headers: { 'Idempotency-Key': 'abc' },
      body: { count: 1, max: 2 },
      requestId: 'r',
      caller: undefined,
    });
  });

  it('reports every violation of every part at once, path, query, headers and body in that order', () => {
    expect(
      violations(
        raw({
          path: { family: 'bad family', revision: '0' },
          query: { limit: '101' },
          headers: { 'idempotency-key': 'abcd' },
          body: { count: 'x', max: 1, extra: true },
        }),
      ).map((v) => v.path),
    ).toEqual(['$.family', '$.revision', '$.limit', "$.headers['Idempotency-Key']", '$.count', '$.extra']);
  });

  it("runs a body's rules once its members parse, with the rule's own path", () => {
    expect(violations(raw({ body: { count: 3, max: 2 } }))).toEqual([
      { path: '$.count', message: 'count is over max.' },
    ]);
  });
});

describe('the document of a route', () => {
  it('describes the members the route parses, required unless optional or defaulted', () => {
    const doc = buildOpenApiDocument([example]);
    const op = doc.paths['/things/{family}/{revision}']?.post as { parameters: object[] };
    expect(op.parameters).toEqual([
      expect.objectContaining({ name: 'family', in: 'path', required: true, description: 'Task definition family.' }),
      expect.objectContaining({ name: 'revision', in: 'path', required: true }),
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: expect.objectContaining({ type: 'integer', default: 20 }),
      }),
      expect.objectContaining({ name: 'tag', in: 'query', required: false, description: 'A tag.' }),
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    ]);
  });
});
