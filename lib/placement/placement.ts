/**
 * ECS task placement for the EC2 launch type: one engine for the local ECS emulator's RunTask
 * (which places the copies and answers `failures[]`) and the run workflow's Check Capacity
 * Lambda (which asks whether `count` copies fit, how many do, and what is short).
 *
 * Follows "Amazon ECS task placement", "task placement strategies", "task placement constraints"
 * and "API failure reasons" in the Amazon ECS Developer Guide:
 * - only ACTIVE container instances are considered (DRAINING ones take no new tasks);
 * - copies are placed one at a time and each reserves its CPU, memory and static host ports on
 *   the chosen instance, so the next copy sees less: free totals are not enough (four instances
 *   with 1024 CPU free cannot host one 2048-CPU task);
 * - for each copy, an instance is checked in the order the guide gives: the agent is connected
 *   (`AGENT`), the task definition's required attributes are present (`ATTRIBUTE`), then CPU,
 *   memory and ports ("identify the instances that satisfy the CPU, memory, and port
 *   requirements"), then the constraints in the order given ("DistinctInstance placement
 *   constraint unsatisfied.", "MemberOf placement constraint unsatisfied.");
 * - strategies order the instances that are left, each breaking the ties of the ones before it:
 *   `binpack` prefers the least remaining cpu/memory, `spread` the instanceId/host or attribute
 *   value with the fewest tasks of the task's group ("standalone tasks are spread based on the
 *   tasks from the same task group"), `random` picks uniformly. Ties left after the last strategy
 *   (and any request without one) are broken at random, as ECS gives no order; strategies after a
 *   `random` have no ties left to break;
 * - `distinctInstance` keeps each copy off instances that already run a task of the same group,
 *   including copies placed by this call.
 *
 * `failures[]`: ECS answers one failure per container instance, not per task: each names a
 * container instance ARN and the reason that instance refused the task (`RESOURCE:*`, `AGENT`,
 * `ATTRIBUTE` are documented "(container instance ID)" in "API failure reasons"; a RunTask that
 * fits nowhere answers `tasks: []` with one `RESOURCE:CPU` entry per instance, and the console
 * lists "Reasons: ["MemberOf placement constraint unsatisfied.","AGENT"]" for a two-instance
 * cluster). So when a copy cannot be placed, every ACTIVE instance is reported once, in input
 * order, with the first check it failed for that copy. Later copies are identical and the state
 * no longer changes, so they would add nothing. `shortfall.reason` is the summary ECS's service
 * events give ("the closest matching container-instance ... encountered error ..."): the check
 * that eliminated the last candidates, i.e. the latest check any instance reached.
 *
 * Because copies are identical, how many fit does not depend on which instance wins a tie: each
 * instance holds as many copies as its own room allows, so `placedCount` is deterministic even
 * when the chosen instances are random.
 *
 * Deliberately not modelled: GPUs and ENIs (`RESOURCE:GPU`, `RESOURCE:ENI`), `LOCATION`, and
 * `RESOURCE:PORTS_UDP` (a UDP conflict is reported as `RESOURCE:PORTS`).
 *
 * Cost: O(instances) set-up, then O(count x instances x (strategies + constraints)) with no
 * allocation per candidate.
 */
import { type ClusterQuery, dependsOnTaskGroups, evaluateClusterQuery, parseClusterQuery } from './cluster-query';
import { PlacementParameterError } from './errors';
import {
  addTaskGroup,
  type ClusterQueryTarget,
  countTaskGroup,
  FailureReason,
  type InstanceResources,
  type Placement,
  type PlacementConstraintInput,
  type PlacementFailure,
  type PlacementInstance,
  type PlacementRefusal,
  type PlacementRequest,
  type PlacementResult,
  type PlacementStep,
  type PlacementStrategyInput,
  type RequiredAttribute,
  type Shortfall,
  type TaskNeeds,
} from './types';

export { ClusterQueryError, PlacementParameterError } from './errors';
export type {
  PlacementContainerDefinition,
  PlacementOverrides,
  PlacementTaskDefinition,
} from './task-needs';
export { taskNeeds } from './task-needs';
export type {
  ClusterQueryTarget,
  InstanceResources,
  Placement,
  PlacementConstraintInput,
  PlacementFailure,
  PlacementInstance,
  PlacementRefusal,
  PlacementRequest,
  PlacementResult,
  PlacementStep,
  PlacementStrategyInput,
  RequiredAttribute,
  Shortfall,
  TaskNeeds,
};
export { FailureReason };

/** ECS limits (RunTask API reference). */
export const MAX_COUNT = 10;
export const MAX_CONSTRAINTS = 10;
export const MAX_STRATEGIES = 5;
export const MAX_EXPRESSION_LENGTH = 2000;

type Constraint = { kind: 'distinctInstance' } | { kind: 'memberOf'; query: ClusterQuery; dynamic: boolean };

type Strategy =
  | { kind: 'random' }
  | { kind: 'binpack'; resource: 'cpu' | 'memory' }
  | { kind: 'spread'; attribute?: string };

interface Plan {
  constraints: Constraint[];
  /** The strategies before the first `random`: the ones that rank instances. */
  ranked: Array<Exclude<Strategy, { kind: 'random' }>>;
}

/**
 * Checks placement constraints and strategies as RunTask does, without placing anything: for the
 * emulator to reject a request before it looks at the cluster, and for request validation.
 * Throws PlacementParameterError (ClusterQueryError for a bad expression).
 */
export function validatePlacementOptions(
  placementConstraints?: readonly PlacementConstraintInput[],
  placementStrategy?: readonly PlacementStrategyInput[],
): void {
  compile(placementConstraints, placementStrategy);
}

/** What an instance has left once `needs` is placed on it: for the emulator to record a placement. */
export function reserve(remaining: InstanceResources, needs: TaskNeeds): InstanceResources {
  return {
    cpu: remaining.cpu - needs.cpu,
    memory: remaining.memory - needs.memory,
    ports: needs.tcpPorts.length > 0 ? [...remaining.ports, ...needs.tcpPorts] : remaining.ports,
    portsUdp: needs.udpPorts.length > 0 ? [...remaining.portsUdp, ...needs.udpPorts] : remaining.portsUdp,
  };
}

// Checks in the order an instance goes through them; a failed check's number orders "closeness".
const INACTIVE = -2;
const ELIGIBLE = -1;
const CHECK_AGENT = 0;
const CHECK_ATTRIBUTE = 1;
const CHECK_CPU = 2;
const CHECK_MEMORY = 3;
const CHECK_PORTS = 4;
const CHECK_CONSTRAINT = 5; // + the constraint's index

/** Places `count` copies of a task; see the module comment for the rules. Pure: the input is not modified. */
export function placeTasks(request: PlacementRequest): PlacementResult {
  const { instances, needs, count } = request;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new PlacementParameterError(`count must be a whole number from 1 to ${MAX_COUNT}, not ${count}.`);
  }
  const { constraints, ranked } = compile(request.placementConstraints, request.placementStrategy);
  const random = request.random ?? Math.random;
  const group = needs.group;
  const required = needs.requiredAttributes ?? [];
  const n = instances.length;

  // Working state, allocated once: what each instance has left as copies are placed.
  const gate = new Int8Array(n); // INACTIVE, CHECK_AGENT, CHECK_ATTRIBUTE or ELIGIBLE (the checks that never change)
  const cpu = new Float64Array(n);
  const memory = new Float64Array(n);
  const tcp: Array<readonly number[]> = new Array(n);
  const udp: Array<readonly number[]> = new Array(n);
  const groupTasks = new Int32Array(n); // tasks of the group on the instance, copies placed here included
  let activeCount = 0;
  let candidateCount = 0;
  for (let i = 0; i < n; i++) {
    const instance = instances[i]!;
    if (group !== undefined) {
      groupTasks[i] = countTaskGroup(instance.taskGroups, group);
    }
    if (instance.status !== 'ACTIVE') {
      gate[i] = INACTIVE;
      continue;
    }
    activeCount++;
    if (instance.agentConnected) candidateCount++;
    gate[i] = !instance.agentConnected
      ? CHECK_AGENT
      : !hasAttributes(instance.attributes, required)
        ? CHECK_ATTRIBUTE
        : ELIGIBLE;
    cpu[i] = instance.remaining.cpu;
    memory[i] = instance.remaining.memory;
    tcp[i] = instance.remaining.ports;
    udp[i] = instance.remaining.portsUdp;
  }

  // memberOf results that cannot change are computed once per instance: 0 unknown, 1 yes, 2 no.
  const memo = constraints.map((c) => (c.kind === 'memberOf' && !c.dynamic ? new Int8Array(n) : undefined));
  // Queries on task:group see the copies placed so far: such an instance's target is replaced on placement.
  const tracksGroups = group !== undefined && constraints.some((c) => c.kind === 'memberOf' && c.dynamic);
  const tracked: ClusterQueryTarget[] | undefined = tracksGroups ? instances.slice() : undefined;
  const targets: readonly ClusterQueryTarget[] = tracked ?? instances;

  // spread by attribute: each instance's value as a bucket number, and the group's tasks per bucket.
  const buckets = ranked.map((s) => {
    if (s.kind !== 'spread' || s.attribute === undefined) return undefined;
    const ids = new Map<string | undefined, number>();
    const of = new Int32Array(n);
    const tasks: number[] = [];
    for (let i = 0; i < n; i++) {
      const attributes = instances[i]!.attributes;
      const value = Object.hasOwn(attributes, s.attribute) ? (attributes[s.attribute] ?? '') : undefined;
      let id = ids.get(value);
      if (id === undefined) {
        id = tasks.length;
        ids.set(value, id);
        tasks.push(0);
      }
      of[i] = id;
      tasks[id]! += groupTasks[i]!;
    }
    return { of, tasks };
  });

  const satisfies = (k: number, i: number): boolean => {
    const c = constraints[k]!;
    if (c.kind === 'distinctInstance') return groupTasks[i] === 0;
    const known = memo[k];
    if (known === undefined) return evaluateClusterQuery(c.query, targets[i]!);
    if (known[i] === 0) known[i] = evaluateClusterQuery(c.query, targets[i]!) ? 1 : 2;
    return known[i] === 1;
  };

  const check = (i: number): number => {
    const g = gate[i]!;
    if (g !== ELIGIBLE) return g;
    if (needs.cpu > cpu[i]!) return CHECK_CPU;
    if (needs.memory > memory[i]!) return CHECK_MEMORY;
    if (overlaps(needs.tcpPorts, tcp[i]!) || overlaps(needs.udpPorts, udp[i]!)) return CHECK_PORTS;
    for (let k = 0; k < constraints.length; k++) if (!satisfies(k, i)) return CHECK_CONSTRAINT + k;
    return ELIGIBLE;
  };

  /** Lower is better for every strategy. */
  const rank = (r: number, i: number): number => {
    const s = ranked[r]!;
    if (s.kind === 'binpack') return s.resource === 'cpu' ? cpu[i]! : memory[i]!;
    const bucket = buckets[r];
    return bucket === undefined ? groupTasks[i]! : bucket.tasks[bucket.of[i]!]!;
  };

  const steps: PlacementStep[] | undefined = request.explain ? [] : undefined;
  const refusal = (i: number, failed: number): PlacementRefusal => ({
    arn: instances[i]!.arn,
    instanceIndex: i,
    reason: reasonOf(failed, constraints),
    remaining: { cpu: cpu[i]!, memory: memory[i]! },
  });

  const placements: Placement[] = [];
  const tied = new Int32Array(n);
  const best = new Float64Array(ranked.length);
  while (placements.length < count) {
    let ties = 0;
    let eligibleCount = 0;
    const refusals: PlacementRefusal[] | undefined = steps && [];
    for (let i = 0; i < n; i++) {
      const failed = check(i);
      if (failed !== ELIGIBLE) {
        if (refusals !== undefined && failed !== INACTIVE) refusals.push(refusal(i, failed));
        continue;
      }
      eligibleCount++;
      if (ties > 0) {
        let order = 0;
        for (let r = 0; r < ranked.length && order === 0; r++) {
          const key = rank(r, i);
          if (key !== best[r]) order = key < best[r]! ? -1 : 1;
        }
        if (order > 0) continue;
        if (order === 0) {
          tied[ties++] = i;
          continue;
        }
      }
      for (let r = 0; r < ranked.length; r++) best[r] = rank(r, i);
      tied[0] = i;
      ties = 1;
    }
    if (ties === 0) {
      // Copies are identical and nothing changes any more: every copy left is refused the same way.
      if (steps !== undefined && refusals !== undefined) {
        for (let copy = placements.length; copy < count; copy++) steps.push({ copy, eligibleCount: 0, refusals });
      }
      break;
    }

    const c = tied[ties === 1 ? 0 : Math.min(ties - 1, Math.floor(random() * ties))]!;
    if (steps !== undefined && refusals !== undefined) {
      steps.push({
        copy: placements.length,
        instanceArn: instances[c]!.arn,
        instanceIndex: c,
        eligibleCount,
        refusals,
      });
    }
    cpu[c]! -= needs.cpu;
    memory[c]! -= needs.memory;
    if (needs.tcpPorts.length > 0) tcp[c] = [...tcp[c]!, ...needs.tcpPorts];
    if (needs.udpPorts.length > 0) udp[c] = [...udp[c]!, ...needs.udpPorts];
    groupTasks[c]!++;
    for (const bucket of buckets) {
      if (bucket !== undefined) bucket.tasks[bucket.of[c]!]!++;
    }
    if (tracked !== undefined) {
      const target = tracked[c]!;
      tracked[c] = { ...target, taskGroups: addTaskGroup(target.taskGroups, group as string) };
    }
    placements.push({ instanceArn: instances[c]!.arn, instanceIndex: c });
  }

  const placedCount = placements.length;
  const failures: PlacementFailure[] = [];
  const shortfall: Shortfall = { tasks: count - placedCount };
  if (shortfall.tasks > 0) {
    let closest = ELIGIBLE;
    for (let i = 0; i < n; i++) {
      const failed = check(i);
      if (failed < 0) continue;
      failures.push({ arn: instances[i]!.arn, reason: reasonOf(failed, constraints) });
      if (failed > closest) closest = failed;
    }
    shortfall.cpu = shortfall.tasks * needs.cpu;
    shortfall.memory = shortfall.tasks * needs.memory;
    if (closest >= 0) shortfall.reason = reasonOf(closest, constraints);
  }

  return {
    placements,
    failures,
    placedCount,
    fits: placedCount === count,
    shortfall,
    instanceCount: n,
    activeCount,
    candidateCount,
    ...(steps !== undefined && { steps }),
  };
}

function reasonOf(check: number, constraints: readonly Constraint[]): FailureReason {
  switch (check) {
    case CHECK_AGENT:
      return FailureReason.Agent;
    case CHECK_ATTRIBUTE:
      return FailureReason.Attribute;
    case CHECK_CPU:
      return FailureReason.Cpu;
    case CHECK_MEMORY:
      return FailureReason.Memory;
    case CHECK_PORTS:
      return FailureReason.Ports;
    default:
      return constraints[check - CHECK_CONSTRAINT]?.kind === 'distinctInstance'
        ? FailureReason.DistinctInstance
        : FailureReason.MemberOf;
  }
}

function hasAttributes(
  attributes: Readonly<Record<string, string | undefined>>,
  required: readonly RequiredAttribute[],
): boolean {
  for (const { name, value } of required) {
    if (!Object.hasOwn(attributes, name)) return false;
    if (value !== undefined && attributes[name] !== value) return false;
  }
  return true;
}

function overlaps(wanted: readonly number[], taken: readonly number[]): boolean {
  for (const port of wanted) if (taken.includes(port)) return true;
  return false;
}

function compile(
  placementConstraints: readonly PlacementConstraintInput[] = [],
  placementStrategy: readonly PlacementStrategyInput[] = [],
): Plan {
  if (placementConstraints.length > MAX_CONSTRAINTS) {
    throw new PlacementParameterError(
      `Too many placement constraints: ${placementConstraints.length} (at most ${MAX_CONSTRAINTS}, counting the task definition's).`,
    );
  }
  if (placementStrategy.length > MAX_STRATEGIES) {
    throw new PlacementParameterError(
      `Too many placement strategies: ${placementStrategy.length} (at most ${MAX_STRATEGIES}).`,
    );
  }

  const constraints = placementConstraints.map((c): Constraint => {
    switch (c.type) {
      case 'distinctInstance':
        if (c.expression !== undefined && c.expression !== null) {
          throw new PlacementParameterError('distinctInstance expression should not be specified.');
        }
        return { kind: 'distinctInstance' };
      case 'memberOf': {
        if (c.expression === undefined || c.expression === null || c.expression.trim() === '') {
          throw new PlacementParameterError('memberOf expression must be specified.');
        }
        if (c.expression.length > MAX_EXPRESSION_LENGTH) {
          throw new PlacementParameterError(
            `memberOf expression is too long: ${c.expression.length} characters (at most ${MAX_EXPRESSION_LENGTH}).`,
          );
        }
        const query = parseClusterQuery(c.expression);
        return { kind: 'memberOf', query, dynamic: dependsOnTaskGroups(query) };
      }
      default:
        throw new PlacementParameterError(
          `Invalid placement constraint type '${c.type}'. Valid types are distinctInstance and memberOf.`,
        );
    }
  });

  const strategies = placementStrategy.map((s): Strategy => {
    switch (s.type) {
      case 'random':
        return { kind: 'random' };
      case 'binpack':
        if (s.field === 'cpu' || s.field === 'memory') return { kind: 'binpack', resource: s.field };
        if (s.field === undefined || s.field === null) {
          throw new PlacementParameterError('The binpack placement strategy needs a field: cpu or memory.');
        }
        throw new PlacementParameterError(`Invalid binpack field '${s.field}'. Valid fields are cpu and memory.`);
      case 'spread': {
        if (s.field === 'instanceId' || s.field === 'host') return { kind: 'spread' };
        if (s.field === undefined || s.field === null) {
          throw new PlacementParameterError(
            'The spread placement strategy needs a field: instanceId, host or attribute:<name>.',
          );
        }
        const attribute = s.field?.startsWith('attribute:') ? s.field.slice('attribute:'.length) : '';
        if (attribute !== '') return { kind: 'spread', attribute };
        throw new PlacementParameterError(
          `Invalid spread field '${s.field}'. Valid fields are instanceId, host and attribute:<name>.`,
        );
      }
      default:
        throw new PlacementParameterError(
          `Invalid placement strategy type '${s.type}'. Valid types are random, spread and binpack.`,
        );
    }
  });

  const firstRandom = strategies.findIndex((s) => s.kind === 'random');
  const ranked = (firstRandom < 0 ? strategies : strategies.slice(0, firstRandom)) as Plan['ranked'];
  return { constraints, ranked };
}
