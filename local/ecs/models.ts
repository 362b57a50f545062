/**
 * ECS task definitions: state and rules, kept in memory with indexes and made durable in a DurableStore.
 * Follows https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_TaskDefinition.html, the pages of
 * RegisterTaskDefinition, DescribeTaskDefinition, ListTaskDefinitions, ListTaskDefinitionFamilies,
 * DeregisterTaskDefinition and DeleteTaskDefinitions, and the lifecycle in
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-definition-state.html
 * Deliberate deviations from ECS:
 * - DELETE_IN_PROGRESS revisions are never purged (ECS purges them once no task or service uses them):
 *   they stay describable and keep their family listed, as ECS does until the purge.
 * - `compatibilities` and `requiresAttributes` come from a few rules (below), not ECS's full set.
 * - Validation is Berth's (lib/task-definition/validate.ts): stricter than ECS on unknown members, and it
 *   accepts digit strings and units ("1 vCPU") where ECS wants integers, storing what ECS would.
 */
import type { ContainerDefinition, PortMapping, TaskDefinition as SdkTaskDefinition, Tag } from '@aws-sdk/client-ecs';
import { fargateMemory } from '../../lib/task-definition/fargate';
import type { Compatibility, ContainerDefinitionInput, TaskDefinitionInput } from '../../lib/task-definition/schema';
import type { DurableStore } from '../store';
import { ClientException, InvalidParameterException } from './exceptions';
import { insertSorted, lowerBound, removeSorted, upperBound } from './sorted';

export type TaskDefinitionStatus = 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
export const TASK_DEFINITION_STATUSES: readonly TaskDefinitionStatus[] = ['ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS'];
export type FamilyStatus = 'ACTIVE' | 'INACTIVE' | 'ALL';

/** A task definition as ECS puts it on the wire: timestamps are epoch seconds. */
export type TaskDefinition = Omit<
  SdkTaskDefinition,
  'registeredAt' | 'deregisteredAt' | 'deleteRequestedAt' | 'status' | 'family' | 'revision' | 'taskDefinitionArn'
> & {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: TaskDefinitionStatus;
  registeredAt: number;
  deregisteredAt?: number;
  deleteRequestedAt?: number;
};

/** One revision as the store keeps it. Immutable: a change stores a new object. */
export interface StoredTaskDefinition {
  taskDefinition: TaskDefinition;
  tags: Tag[];
}

interface StoredFamily {
  /** Revisions only go up, through deregistration and deletion. */
  lastRevision: number;
}

export interface Failure {
  arn: string;
  reason: string;
}

export interface ListQuery {
  familyPrefix?: string;
  status: TaskDefinitionStatus;
  sort: 'ASC' | 'DESC';
  maxResults: number;
  nextToken?: string;
}

export interface FamiliesQuery {
  familyPrefix?: string;
  status: FamilyStatus;
  maxResults: number;
  nextToken?: string;
}

export interface TaskDefinitionsOptions {
  region: string;
  accountId: string;
  /** Epoch milliseconds; tests pass a fixed clock. */
  now?: () => number;
}

const DEFINITION_KEY = 'task-definition/';
const FAMILY_KEY = 'task-definition-family/';
const FAMILY_NAME = /^[A-Za-z0-9_-]{1,255}$/;
const REVISION = /^[1-9][0-9]{0,9}$/;

const UNABLE_TO_DESCRIBE = 'Unable to describe task definition.';
const DOES_NOT_EXIST = 'The specified task definition does not exist.';
const INVALID_IDENTIFIER =
  'The specified task definition identifier is invalid. Specify a valid name or ARN and try again.';
const DELETE_NOT_FOUND =
  'The specified task definition does not exist. Specify a valid account, family, revision and try again.';

/** What deregistering and deleting do to a revision in each status: its next status, or ECS's refusal. */
const LIFECYCLE: Record<
  'deregister' | 'delete',
  Record<TaskDefinitionStatus, TaskDefinitionStatus | { refuse: string }>
> = {
  deregister: {
    ACTIVE: 'INACTIVE',
    INACTIVE: 'INACTIVE',
    DELETE_IN_PROGRESS: {
      refuse: 'The task definition could not be deregistered because it is in the process of being deleted.',
    },
  },
  delete: {
    ACTIVE: {
      refuse: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
    },
    INACTIVE: 'DELETE_IN_PROGRESS',
    DELETE_IN_PROGRESS: 'DELETE_IN_PROGRESS',
  },
};

/** ECS's ContainerDefinition member order, so responses read like ECS's. */
const CONTAINER_FIELDS_FIRST = [
  'name',
  'image',
  'repositoryCredentials',
  'cpu',
  'memory',
  'memoryReservation',
  'links',
];

/** ECS's TaskDefinition member order. */
const TASK_DEFINITION_FIELDS = [
  'taskDefinitionArn',
  'containerDefinitions',
  'family',
  'taskRoleArn',
  'executionRoleArn',
  'networkMode',
  'revision',
  'volumes',
  'status',
  'requiresAttributes',
  'placementConstraints',
  'compatibilities',
  'runtimePlatform',
  'requiresCompatibilities',
  'cpu',
  'memory',
  'inferenceAccelerators',
  'pidMode',
  'ipcMode',
  'proxyConfiguration',
  'registeredAt',
  'deregisteredAt',
  'deleteRequestedAt',
  'registeredBy',
  'ephemeralStorage',
  'enableFaultInjection',
] as const;

function ordered<T extends object>(fields: readonly string[], source: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const field of fields) if (source[field] !== undefined) out[field] = source[field];
  for (const field of Object.keys(source))
    if (!(field in out) && source[field] !== undefined) out[field] = source[field];
  return out as T;
}

/** What ECS fills in on a container: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html */
function containerWithDefaults(c: ContainerDefinitionInput, networkMode: string | undefined): ContainerDefinition {
  // awsvpc and host tasks use the container's port on the host, and ECS writes it back as hostPort.
  const mirrorsPorts = networkMode === 'awsvpc' || networkMode === 'host';
  const portMappings: PortMapping[] = (c.portMappings ?? []).map((m) => ({
    ...m,
    ...(mirrorsPorts && m.hostPort === undefined && m.containerPort !== undefined ? { hostPort: m.containerPort } : {}),
    protocol: m.protocol ?? 'tcp',
  }));
  return ordered<ContainerDefinition>(CONTAINER_FIELDS_FIRST, {
    ...c,
    cpu: c.cpu ?? 0,
    portMappings,
    essential: c.essential ?? true,
    environment: c.environment ?? [],
    mountPoints: c.mountPoints ?? [],
    volumesFrom: c.volumesFrom ?? [],
  });
}

/**
 * Where ECS says the definition can run. EC2 takes anything valid; FARGATE needs awsvpc, a Fargate task
 * size and none of the EC2-only features; EXTERNAL (ECS Anywhere) does not do awsvpc. ECS lists them in
 * this order (["EXTERNAL", "EC2"], ["EC2", "FARGATE"]).
 */
export function compatibilitiesOf(input: TaskDefinitionInput): Compatibility[] {
  const out: Compatibility[] = [];
  if (input.networkMode !== 'awsvpc') out.push('EXTERNAL');
  out.push('EC2');
  const cpu = input.cpu === undefined ? undefined : Number(input.cpu);
  const memory = input.memory === undefined ? undefined : Number(input.memory);
  const fargate =
    input.networkMode === 'awsvpc' &&
    cpu !== undefined &&
    memory !== undefined &&
    fargateMemory(cpu)?.allows(memory) === true &&
    input.ipcMode === undefined &&
    input.pidMode !== 'host' &&
    (input.placementConstraints ?? []).length === 0 &&
    !(input.volumes ?? []).some((v) => v.host?.sourcePath !== undefined) &&
    !input.containerDefinitions.some((c) => c.privileged === true || (c.links ?? []).length > 0);
  if (fargate) out.push('FARGATE');
  if (input.requiresCompatibilities?.includes('MANAGED_INSTANCES')) out.push('MANAGED_INSTANCES');
  return out;
}

/** The attributes a container instance needs; ECS computes many more, this keeps the ones awsvpc implies. */
function requiresAttributesOf(input: TaskDefinitionInput) {
  if (input.networkMode !== 'awsvpc') return [];
  return [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }, { name: 'ecs.capability.task-eni' }];
}

interface Reference {
  family: string;
  revision?: number;
}

class Family {
  lastRevision = 0;
  readonly revisions = new Map<number, StoredTaskDefinition>();
  /** Revisions in each status, ascending. */
  readonly byStatus: Record<TaskDefinitionStatus, number[]> = { ACTIVE: [], INACTIVE: [], DELETE_IN_PROGRESS: [] };

  constructor(readonly name: string) {}

  latestActive(): StoredTaskDefinition | undefined {
    const active = this.byStatus.ACTIVE;
    return active.length === 0 ? undefined : this.revisions.get(active[active.length - 1]!);
  }
}

function encodeToken(position: object): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

function decodeToken(token: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new InvalidParameterException('The nextToken is not valid: pass the nextToken of a previous page unchanged.');
}

export class TaskDefinitions {
  private readonly families = new Map<string, Family>();
  /** Families with at least one revision, in each status; sorted. */
  private readonly familiesWith: Record<TaskDefinitionStatus, string[]> = {
    ACTIVE: [],
    INACTIVE: [],
    DELETE_IN_PROGRESS: [],
  };
  /** Every family with a revision, and those with no ACTIVE one (ListTaskDefinitionFamilies' INACTIVE); sorted. */
  private readonly allFamilies: string[] = [];
  private readonly familiesWithoutActive: string[] = [];
  private readonly arnPrefix: string;
  private readonly registeredBy: string;
  private readonly now: () => number;

  private constructor(
    private readonly store: DurableStore<unknown>,
    options: TaskDefinitionsOptions,
  ) {
    this.arnPrefix = `arn:aws:ecs:${options.region}:${options.accountId}:task-definition/`;
    this.registeredBy = `arn:aws:iam::${options.accountId}:root`;
    this.now = options.now ?? Date.now;
  }

  /** Builds the indexes from the store (the one pass over the whole state). */
  static load(store: DurableStore<unknown>, options: TaskDefinitionsOptions): TaskDefinitions {
    const model = new TaskDefinitions(store, options);
    for (const [key, value] of store.entries(FAMILY_KEY)) {
      const family = model.family(key.slice(FAMILY_KEY.length));
      family.lastRevision = Math.max(family.lastRevision, (value as StoredFamily).lastRevision);
    }
    for (const value of store.values(DEFINITION_KEY)) {
      const stored = value as StoredTaskDefinition;
      const { family: name, revision, status } = stored.taskDefinition;
      const family = model.family(name);
      family.revisions.set(revision, stored);
      family.byStatus[status].push(revision);
      family.lastRevision = Math.max(family.lastRevision, revision);
    }
    for (const family of model.families.values()) {
      if (family.revisions.size === 0) continue;
      model.allFamilies.push(family.name);
      if (family.byStatus.ACTIVE.length === 0) model.familiesWithoutActive.push(family.name);
      for (const status of TASK_DEFINITION_STATUSES) {
        const revisions = family.byStatus[status];
        revisions.sort((a, b) => a - b);
        if (revisions.length > 0) model.familiesWith[status].push(family.name);
      }
    }
    model.allFamilies.sort();
    model.familiesWithoutActive.sort();
    for (const status of TASK_DEFINITION_STATUSES) model.familiesWith[status].sort();
    return model;
  }

  /** Resolves once every change so far is on disk; reads await it so no answer shows what a crash could undo. */
  durable(): Promise<void> {
    return this.store.durable();
  }

  /** Registers the next revision of the family. `input` has passed validateTaskDefinition. */
  async register(input: TaskDefinitionInput): Promise<StoredTaskDefinition> {
    const compatibilities = compatibilitiesOf(input);
    for (const wanted of input.requiresCompatibilities ?? []) {
      if (!compatibilities.includes(wanted)) {
        throw new ClientException(`Task definition does not support launch_type ${wanted}.`);
      }
    }
    const family = this.family(input.family);
    const revision = family.lastRevision + 1;
    const { tags, containerDefinitions, ...task } = input;
    const taskDefinition = ordered<TaskDefinition>(TASK_DEFINITION_FIELDS, {
      ...task,
      taskDefinitionArn: `${this.arnPrefix}${input.family}:${revision}`,
      containerDefinitions: containerDefinitions.map((c) => containerWithDefaults(c, input.networkMode)),
      revision,
      volumes: input.volumes ?? [],
      status: 'ACTIVE',
      requiresAttributes: requiresAttributesOf(input),
      placementConstraints: input.placementConstraints ?? [],
      compatibilities,
      registeredAt: this.now() / 1000,
      registeredBy: this.registeredBy,
    });
    const stored: StoredTaskDefinition = { taskDefinition, tags: tags ?? [] };
    family.lastRevision = revision;
    this.index(family, stored, undefined);
    // One turn, so one batch: the counter is written before the revision that uses it.
    const counter = this.store.put(`${FAMILY_KEY}${family.name}`, { lastRevision: revision } satisfies StoredFamily);
    await Promise.all([counter, this.store.put(this.key(family.name, revision), stored)]);
    return stored;
  }

  /** By family (its latest ACTIVE revision), `family:revision` or ARN (that revision in any status). */
  describe(identifier: string): StoredTaskDefinition {
    const ref = this.parse(identifier);
    const family = ref && this.families.get(ref.family);
    const found = ref?.revision === undefined ? family?.latestActive() : family?.revisions.get(ref.revision);
    if (found === undefined) throw new ClientException(UNABLE_TO_DESCRIBE);
    return found;
  }

  /** The revision a task definition ARN names, in any status; undefined when there is none. */
  byArn(arn: string): StoredTaskDefinition | undefined {
    if (!arn.startsWith(this.arnPrefix)) return undefined;
    const ref = this.parse(arn);
    return ref?.revision === undefined ? undefined : this.families.get(ref.family)?.revisions.get(ref.revision);
  }

  /** TagResource and UntagResource on a revision: its tags become `tags`. */
  async setTags(stored: StoredTaskDefinition, tags: Tag[]): Promise<void> {
    const changed: StoredTaskDefinition = { ...stored, tags };
    const { family, revision } = changed.taskDefinition;
    this.families.get(family)!.revisions.set(revision, changed);
    await this.store.put(this.key(family, revision), changed);
  }

  /** Marks one revision INACTIVE (deregistering an INACTIVE one changes nothing). */
  async deregister(identifier: string): Promise<TaskDefinition> {
    const ref = this.parse(identifier);
    if (ref === undefined) {
      // `family:abc`, `family:0`: ECS names the revision it could not read (its words, as users report them).
      const rest = identifier.startsWith(this.arnPrefix) ? identifier.slice(this.arnPrefix.length) : identifier;
      const colon = rest.indexOf(':');
      if (colon >= 0 && FAMILY_NAME.test(rest.slice(0, colon))) {
        throw new InvalidParameterException(`Invalid revision number. Number: ${rest.slice(colon + 1)}`);
      }
      throw new ClientException(INVALID_IDENTIFIER);
    }
    if (ref.revision === undefined) throw new ClientException('Revision is missing.');
    const stored = this.families.get(ref.family)?.revisions.get(ref.revision);
    if (stored === undefined) throw new ClientException(DOES_NOT_EXIST);
    const next = LIFECYCLE.deregister[stored.taskDefinition.status];
    if (typeof next === 'object') throw new ClientException(next.refuse);
    if (next === stored.taskDefinition.status) {
      await this.durable();
      return stored.taskDefinition;
    }
    const { changed, written } = this.transition(stored, next, { deregisteredAt: this.now() / 1000 });
    await written;
    return changed.taskDefinition;
  }

  /** Submits INACTIVE revisions for deletion; each one ECS would refuse becomes a failure instead. */
  async delete(identifiers: readonly string[]) {
    const taskDefinitions: TaskDefinition[] = [];
    const failures: Failure[] = [];
    const writes: Promise<unknown>[] = [];
    for (const identifier of identifiers) {
      const ref = this.parse(identifier);
      if (ref?.revision === undefined) {
        failures.push({ arn: identifier, reason: INVALID_IDENTIFIER });
        continue;
      }
      const stored = this.families.get(ref.family)?.revisions.get(ref.revision);
      if (stored === undefined) {
        failures.push({ arn: identifier, reason: DELETE_NOT_FOUND });
        continue;
      }
      const next = LIFECYCLE.delete[stored.taskDefinition.status];
      if (typeof next === 'object') {
        failures.push({ arn: stored.taskDefinition.taskDefinitionArn, reason: next.refuse });
      } else if (next === stored.taskDefinition.status) {
        taskDefinitions.push(stored.taskDefinition);
      } else {
        const { changed, written } = this.transition(stored, next, { deleteRequestedAt: this.now() / 1000 });
        writes.push(written);
        taskDefinitions.push(changed.taskDefinition);
      }
    }
    await Promise.all(writes);
    await this.durable();
    return { taskDefinitions, failures };
  }

  /** ARNs in family then revision order (DESC reverses both); `familyPrefix` is a full family name, as in ECS. */
  list(query: ListQuery): { taskDefinitionArns: string[]; nextToken?: string } {
    const after = query.nextToken === undefined ? undefined : this.listCursor(query.nextToken);
    const names =
      query.familyPrefix === undefined
        ? this.familiesWith[query.status]
        : this.families.get(query.familyPrefix)?.byStatus[query.status].length
          ? [query.familyPrefix]
          : [];
    const descending = query.sort === 'DESC';
    const arns: string[] = [];
    let last: Reference | undefined;
    let more = false;
    const step = descending ? -1 : 1;
    let i =
      after === undefined
        ? descending
          ? names.length - 1
          : 0
        : descending
          ? upperBound(names, after.family) - 1
          : lowerBound(names, after.family);
    outer: for (; i >= 0 && i < names.length; i += step) {
      const family = this.families.get(names[i]!)!;
      const revisions = family.byStatus[query.status];
      let j = revisions.length === 0 ? -1 : descending ? revisions.length - 1 : 0;
      if (after !== undefined && family.name === after.family) {
        j = descending ? lowerBound(revisions, after.revision!) - 1 : upperBound(revisions, after.revision!);
      }
      for (; j >= 0 && j < revisions.length; j += step) {
        if (arns.length === query.maxResults) {
          more = true;
          break outer;
        }
        const revision = revisions[j]!;
        arns.push(family.revisions.get(revision)!.taskDefinition.taskDefinitionArn);
        last = { family: family.name, revision };
      }
    }
    return more && last
      ? { taskDefinitionArns: arns, nextToken: encodeToken({ f: last.family, r: last.revision }) }
      : { taskDefinitionArns: arns };
  }

  /** Family names in order. ACTIVE: those with an ACTIVE revision; INACTIVE: those without; ALL: every one. */
  listFamilies(query: FamiliesQuery): { families: string[]; nextToken?: string } {
    const names =
      query.status === 'ACTIVE'
        ? this.familiesWith.ACTIVE
        : query.status === 'INACTIVE'
          ? this.familiesWithoutActive
          : this.allFamilies;
    const prefix = query.familyPrefix ?? '';
    let i = lowerBound(names, prefix);
    if (query.nextToken !== undefined) {
      const { f } = decodeToken(query.nextToken);
      if (typeof f !== 'string')
        throw new InvalidParameterException(
          'The nextToken is not valid: pass the nextToken of a previous page unchanged.',
        );
      i = Math.max(i, upperBound(names, f));
    }
    const families: string[] = [];
    for (; i < names.length && names[i]!.startsWith(prefix); i++) {
      if (families.length === query.maxResults) {
        return { families, nextToken: encodeToken({ f: families[families.length - 1] }) };
      }
      families.push(names[i]!);
    }
    return { families };
  }

  private listCursor(token: string): Required<Reference> {
    const { f, r } = decodeToken(token);
    if (typeof f !== 'string' || typeof r !== 'number' || !Number.isSafeInteger(r)) {
      throw new InvalidParameterException(
        'The nextToken is not valid: pass the nextToken of a previous page unchanged.',
      );
    }
    return { family: f, revision: r };
  }

  private key(family: string, revision: number): string {
    return `${DEFINITION_KEY}${family}:${revision}`;
  }

  private family(name: string): Family {
    let family = this.families.get(name);
    if (family === undefined) {
      family = new Family(name);
      this.families.set(name, family);
    }
    return family;
  }

  /** `family`, `family:revision` or this account and region's ARN; undefined when it is none of them. */
  private parse(identifier: string): Reference | undefined {
    let rest = identifier;
    if (identifier.startsWith('arn:')) {
      if (!identifier.startsWith(this.arnPrefix)) return undefined;
      rest = identifier.slice(this.arnPrefix.length);
    }
    const colon = rest.indexOf(':');
    const family = colon < 0 ? rest : rest.slice(0, colon);
    if (!FAMILY_NAME.test(family)) return undefined;
    if (colon < 0) return { family };
    const revision = rest.slice(colon + 1);
    return REVISION.test(revision) ? { family, revision: Number(revision) } : undefined;
  }

  /** Keeps the indexes in step with a revision's status (`from` undefined: a new revision). */
  private index(family: Family, stored: StoredTaskDefinition, from: TaskDefinitionStatus | undefined) {
    const { revision, status } = stored.taskDefinition;
    if (from !== undefined) {
      removeSorted(family.byStatus[from], revision);
      if (family.byStatus[from].length === 0) removeSorted(this.familiesWith[from], family.name);
    }
    family.revisions.set(revision, stored);
    insertSorted(family.byStatus[status], revision);
    insertSorted(this.familiesWith[status], family.name);
    insertSorted(this.allFamilies, family.name);
    if (family.byStatus.ACTIVE.length > 0) removeSorted(this.familiesWithoutActive, family.name);
    else insertSorted(this.familiesWithoutActive, family.name);
  }

  /** Applies a status change in memory now; `written` resolves once it is on disk. */
  private transition(stored: StoredTaskDefinition, status: TaskDefinitionStatus, stamp: Partial<TaskDefinition>) {
    const from = stored.taskDefinition.status;
    const changed: StoredTaskDefinition = {
      ...stored,
      taskDefinition: ordered<TaskDefinition>(TASK_DEFINITION_FIELDS, { ...stored.taskDefinition, ...stamp, status }),
    };
    const { family, revision } = changed.taskDefinition;
    this.index(this.families.get(family)!, changed, from);
    return { changed, written: this.store.put(this.key(family, revision), changed) };
  }
}
