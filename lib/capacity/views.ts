/**
 * What GET /clusters/{cluster}/capacity and POST /runs/plan answer, declared once: the OpenAPI document reads these
 * schemas (lib/openapi/document.ts) and the use cases take their types from them with `import type`, so no Lambda
 * bundles zod for them and the two cannot drift.
 */
import * as z from 'zod/mini';
import { ShortfallSchema } from '../runs/record';

const isoTime = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T/, 'an ISO-8601 timestamp'));
const AmountSchema = z.object({ cpu: z.number(), memory: z.number() });

export const InstanceTaskSchema = z.object({
  taskArn: z.string(),
  taskDefinitionArn: z.string(),
  lastStatus: z.string(),
  desiredStatus: z.string(),
  group: z.optional(z.string()),
  startedBy: z.optional(z.string()),
  /** Set when Berth started the task: its group is `berth:<run id>:<attempt>` and its startedBy the run id. */
  runId: z.optional(z.string()),
  /** CPU units and MiB the task reserves on the instance (task size, else the sum over its containers). */
  reserved: AmountSchema,
});

export const InstanceCapacitySchema = z.object({
  containerInstanceArn: z.string(),
  ec2InstanceId: z.optional(z.string()),
  status: z.string(),
  agentConnected: z.boolean(),
  registered: z.object({ cpu: z.number(), memory: z.number(), ports: z.array(z.int()) }),
  remaining: z.object({ cpu: z.number(), memory: z.number(), ports: z.array(z.int()) }),
  /** What Berth's runs reserve on it, and what everything else does (registered - remaining - runs). */
  usedByRuns: AmountSchema,
  usedByOthers: AmountSchema,
  attributes: z.record(z.string(), z.string()),
  runningTasksCount: z.int(),
  pendingTasksCount: z.int(),
  tasks: z.array(InstanceTaskSchema),
});

export const ClusterCapacitySchema = z.object({
  cluster: z.string(),
  /** When ECS was asked: answers are cached per cluster for a few seconds. */
  observedAt: isoTime,
  instances: z.array(InstanceCapacitySchema),
  totals: z.object({
    instances: z.int(),
    connected: z.int(),
    registered: AmountSchema,
    remaining: AmountSchema,
    usedByRuns: AmountSchema,
    usedByOthers: AmountSchema,
    tasks: z.int(),
    runs: z.int(),
  }),
});

const RefusalSchema = z.object({
  containerInstanceArn: z.string(),
  ec2InstanceId: z.optional(z.string()),
  /** ECS's failure reason: RESOURCE:CPU, RESOURCE:MEMORY, RESOURCE:PORTS, AGENT, ATTRIBUTE, or a constraint's. */
  reason: z.string(),
  /** The same in words, with the amounts. */
  message: z.string(),
  remaining: AmountSchema,
});

export const PlanTaskSchema = z.object({
  copy: z.int(),
  /** Where the copy would land; absent when no instance can take it. */
  containerInstanceArn: z.optional(z.string()),
  ec2InstanceId: z.optional(z.string()),
  eligibleCount: z.int(),
  refusals: z.array(RefusalSchema),
});

export const PlacementPlanSchema = z.object({
  taskDefinitionArn: z.string(),
  cluster: z.string(),
  count: z.int(),
  /** EC2 when the tasks go on the cluster's container instances; FARGATE (or a provider strategy) is not checked. */
  launch: z.string(),
  /** False when the launch has no container instances to check (Fargate): the run starts without waiting. */
  checked: z.boolean(),
  /** What one copy reserves. */
  needs: z.object({ cpu: z.number(), memory: z.number(), ports: z.array(z.int()) }),
  fits: z.boolean(),
  placeableCount: z.int(),
  instanceCount: z.int(),
  tasks: z.array(PlanTaskSchema),
  shortfall: z.optional(ShortfallSchema),
  /** RUN now, WAIT for room (up to capacity.waitSeconds, checking every checkIntervalSeconds), or GIVE_UP at once. */
  decision: z.enum(['RUN', 'WAIT', 'GIVE_UP']),
  wouldWait: z.boolean(),
  capacity: z.object({ waitSeconds: z.int(), checkIntervalSeconds: z.int() }),
  message: z.string(),
});

export type InstanceTask = z.infer<typeof InstanceTaskSchema>;
export type InstanceCapacity = z.infer<typeof InstanceCapacitySchema>;
export type ClusterCapacity = z.infer<typeof ClusterCapacitySchema>;
export type PlanTask = z.infer<typeof PlanTaskSchema>;
export type PlacementPlan = z.infer<typeof PlacementPlanSchema>;
