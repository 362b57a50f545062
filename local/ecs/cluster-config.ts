/**
 * The shape of the local ECS cluster: which clusters exist and which container instances they have, read from
 * `local/cluster.json` (or the file named by BERTH_CLUSTER_CONFIG) and validated at startup, so a typo fails
 * `npm start` with the path of the bad member instead of surfacing later as a strange placement.
 *
 * ```json
 * {"clusters": [{"name": "default", "instances": [
 *   {"count": 3, "instanceType": "m5.large", "cpu": 2048, "memory": 3840, "availabilityZones": ["a", "b"],
 *    "attributes": {"stack": "local"}, "reservedPorts": [22, 2375, 2376, 51678, 51679]}]}]}
 * ```
 * A cluster's `capacityProviders` (default FARGATE and FARGATE_SPOT) are associated with it, as DescribeClusters
 * shows them. An `instances` entry describes `count` identical instances (default 1). `availabilityZones` are cycled over
 * them; a single letter is appended to the region (`a` -> `us-east-1a`). `reservedPorts` defaults to the ports the
 * ECS agent reserves (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html,
 * ECS_RESERVED_PORTS: 22, 2375, 2376, 51678, 51679). Custom `attributes` sit beside the ones ECS sets itself
 * (`ecs.instance-type`, `ecs.availability-zone`, `ecs.os-type`, ...); a value of null is an attribute without a value.
 *
 * When the config is applied: a cluster of the config is created, with its instances, the first time a state
 * directory meets it (see Clusters.applyConfig). Later edits to a cluster the state already has change nothing
 * (its instances change at run time through the API and BerthLocal admin operations); a new cluster added to the
 * file is created at the next start.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';

export const DEFAULT_RESERVED_PORTS = [22, 2375, 2376, 51678, 51679] as const;

const NAME = /^[A-Za-z0-9_-]{1,255}$/;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_./-]{1,128}$/;

export const InstanceGroupSchema = z
  .object({
    count: z.int().min(1).max(5000).default(1),
    instanceType: z.string().min(1).max(64).default('m5.large'),
    cpu: z.int().min(128).max(1_000_000).default(2048),
    memory: z.int().min(128).max(10_000_000).default(3840),
    availabilityZones: z
      .array(z.string().regex(/^([a-z]|[a-z]{2}(-[a-z]+)+-\d[a-z])$/, 'a zone letter (a) or a full name (us-east-1a)'))
      .min(1)
      .default(['a', 'b']),
    attributes: z
      .record(
        z.string().regex(ATTRIBUTE_NAME, 'letters, digits, _ . / - (at most 128)'),
        z.string().max(128).nullable(),
      )
      .default({}),
    reservedPorts: z
      .array(z.int().min(1).max(65535))
      .max(100)
      .default([...DEFAULT_RESERVED_PORTS]),
    reservedUdpPorts: z.array(z.int().min(1).max(65535)).max(100).default([]),
    agentConnected: z.boolean().default(true),
  })
  .strict();
export type InstanceGroup = z.infer<typeof InstanceGroupSchema>;

export const ClusterShapeSchema = z
  .object({
    name: z.string().regex(NAME, 'up to 255 letters, numbers, underscores and hyphens'),
    instances: z.array(InstanceGroupSchema).default([]),
    // Associated with the cluster as a cluster made in the console with Fargate has them: a run's
    // capacityProviderStrategy may name only providers its cluster has (PutClusterCapacityProviders on AWS).
    capacityProviders: z
      .array(z.enum(['FARGATE', 'FARGATE_SPOT']))
      .refine((p) => new Set(p).size === p.length, 'capacity providers must be unique')
      .default(['FARGATE', 'FARGATE_SPOT']),
  })
  .strict();
export type ClusterShape = z.infer<typeof ClusterShapeSchema>;

export const ClusterConfigSchema = z
  .object({
    clusters: z
      .array(ClusterShapeSchema)
      .refine(
        (clusters) => new Set(clusters.map((c) => c.name)).size === clusters.length,
        'cluster names must be unique',
      ),
  })
  .strict();
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

export const DEFAULT_CLUSTER_CONFIG_PATH = path.join(__dirname, '..', 'cluster.json');

/** Validates a parsed config; throws an Error listing every problem with its path. */
export function parseClusterConfig(value: unknown, source = 'cluster config'): ClusterConfig {
  const result = ClusterConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new Error(`${source} is not a valid Berth cluster config:\n${problems.join('\n')}`);
}

/** Reads and validates the config file. */
export function loadClusterConfig(file = DEFAULT_CLUSTER_CONFIG_PATH): ClusterConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the cluster config ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`the cluster config ${file} is not JSON: ${(err as Error).message}`);
  }
  return parseClusterConfig(value, file);
}

/** `a` -> `us-east-1a`; a full name stays as it is. */
export function availabilityZoneName(region: string, zone: string): string {
  return zone.length === 1 ? `${region}${zone}` : zone;
}
