/**
 * The API's response bodies as zod/mini schemas, for the OpenAPI document only: handlers build their
 * responses from the TypeScript types in lib/runs/types.ts and lib/task-definitions.ts, and the
 * assertions at the end of this file fail to compile when a schema and its type drift apart.
 * Nothing here is bundled into a Lambda (the document is generated at build time).
 */
import * as z from 'zod/mini';
import type { RunLogPage } from '../logs/get-run-logs';
import { RUN_STATUSES, RunSummarySchema, RunViewSchema } from '../runs/record';
import type { RunRef, RunSummary, RunView } from '../runs/types';
import type { FamilySummary } from '../task-definitions';

const isoTime = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T/, 'an ISO-8601 timestamp'));
const RunStatusSchema = z.enum(RUN_STATUSES);

export const ViolationSchema = z.object({
  path: z.string(),
  message: z.string(),
  /** Set on a policy violation: the stage setting that refused it. */
  rule: z.optional(z.string()),
});

/** RFC 9457 problem details, as lib/http.ts `toProblem` writes them. */
export const ProblemSchema = z.looseObject({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  detail: z.string(),
  instance: z.optional(z.string()),
  requestId: z.optional(z.string()),
  /** 400 validation-failed and 403 policy-violation: every violation with its JSONPath. */
  errors: z.optional(z.array(ViolationSchema)),
  /** 403 policy-violation: the first refusing rule. */
  rule: z.optional(z.string()),
});

const KeyValueSchema = z.looseObject({ name: z.optional(z.string()), value: z.optional(z.string()) });

/** ECS's ContainerDefinition as DescribeTaskDefinition returns it (normalised: numbers are numbers). */
const ContainerDefinitionSchema = z.looseObject({
  name: z.string(),
  image: z.string(),
  cpu: z.optional(z.int()),
  memory: z.optional(z.int()),
  memoryReservation: z.optional(z.int()),
  essential: z.optional(z.boolean()),
  entryPoint: z.optional(z.array(z.string())),
  command: z.optional(z.array(z.string())),
  environment: z.optional(z.array(KeyValueSchema)),
  portMappings: z.optional(z.array(z.looseObject({}))),
});

/** ECS's TaskDefinition (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html) plus its tags. */
export const TaskDefinitionSchema = z.looseObject({
  taskDefinitionArn: z.string(),
  family: z.string(),
  revision: z.int(),
  status: z.enum(['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS']),
  containerDefinitions: z.array(ContainerDefinitionSchema),
  networkMode: z.optional(z.string()),
  requiresCompatibilities: z.optional(z.array(z.string())),
  compatibilities: z.optional(z.array(z.string())),
  cpu: z.optional(z.string()),
  memory: z.optional(z.string()),
  taskRoleArn: z.optional(z.string()),
  executionRoleArn: z.optional(z.string()),
  registeredAt: z.optional(isoTime),
  deregisteredAt: z.optional(isoTime),
  tags: z.optional(z.array(z.object({ key: z.optional(z.string()), value: z.optional(z.string()) }))),
});

export const FamilySummarySchema = z.object({
  family: z.string(),
  latestRevision: z.int(),
  taskDefinitionArn: z.string(),
  status: z.string(),
});

export const TaskDefinitionPageSchema = z.object({
  items: z.array(FamilySummarySchema),
  nextToken: z.optional(z.string()),
});

export const RunRefSchema = z.object({ runId: z.string(), status: RunStatusSchema });

export const CancelledRunSchema = z.object({ runId: z.string(), status: RunStatusSchema, stoppedAt: isoTime });

export const RunPageSchema = z.object({ items: z.array(RunSummarySchema), nextToken: z.optional(z.string()) });

// The run view and the list item are derived from the run record's schema (lib/runs/record.ts), declared once.
export { RunSummarySchema, RunViewSchema };

/** GET /runs/{runId}/logs: one page of a run's container output. */
export const RunLogPageSchema = z.object({
  runId: z.string(),
  status: RunStatusSchema,
  attempt: z.optional(z.int()),
  events: z.array(
    z.object({
      timestamp: z.int(),
      message: z.string(),
      container: z.string(),
      taskArn: z.string(),
      attempt: z.int(),
    }),
  ),
  nextToken: z.string(),
  unavailable: z.optional(z.array(z.object({ container: z.string(), taskArn: z.string(), reason: z.string() }))),
});

/** The document itself, loosely: GET /openapi.json. */
export const OpenApiDocumentSchema = z.looseObject({ openapi: z.string(), info: z.looseObject({}) });

// Compile-time checks that each schema describes exactly the type the handlers return.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const drift: [
  Same<z.output<typeof RunViewSchema>, RunView>,
  Same<z.output<typeof RunSummarySchema>, RunSummary>,
  Same<z.output<typeof RunRefSchema>, RunRef>,
  Same<z.output<typeof FamilySummarySchema>, FamilySummary>,
  Same<z.output<typeof RunLogPageSchema>, RunLogPage>,
] = [true, true, true, true, true];
void drift;
