/**
 * POST /runs/plan: where a run's tasks would land now, or why they would not, without starting anything (Nomad's
 * `job plan` for Berth). It answers what the run's first Check Capacity would find, from the same parts:
 * 1. Validate the request as POST /runs does (lib/routes/start-run.ts's body schema, then checkRunRequest): the same
 *    fault gets the same 4xx.
 * 2. Resolve the launch as the capacity check does (the cluster's default capacity provider strategy, else EC2);
 *    Fargate and external launches have no container instances to check: the run would start at once.
 * 3. Otherwise read the ACTIVE, agent-connected container instances (lib/capacity/check-run.ts) and place `count`
 *    copies with the one placement engine (lib/capacity/capacity.ts -> lib/placement), asking it to explain each
 *    copy: the instance it takes, or each instance's refusal.
 * 4. Decide as the workflow would on its first check: RUN when it fits, WAIT when the run may wait for room
 *    (capacity.waitSeconds > 0), else GIVE_UP (InsufficientCapacity).
 *
 * Ties: without a placement strategy ECS picks at random among equally good instances, so the plan names one of
 * them; how many copies fit, and the shortfall, do not depend on the pick.
 */
import type { ContainerInstance } from '@aws-sdk/client-ecs';
import { checkCapacity, placementOverrides, placementTaskDefinition } from '../capacity/capacity';
import { launchTargetOn, listConnectedInstances } from '../capacity/check-run';
import type { PlacementPlan, PlanTask } from '../capacity/views';
import { ValidationError } from '../errors';
import {
  FailureReason,
  type PlacementRefusal,
  type PlacementStep,
  type TaskNeeds,
  taskNeeds,
} from '../placement/placement';
import type { RunsConfig } from './config';
import { historyBoundViolationOf, type RunRequestBody, toRunTaskParameters, withStageDefaults } from './request';
import { checkRunRequest, type RunsDeps } from './start-run';
import type { RunTaskParameters } from './types';
import { runsOnContainerInstances } from './workflow';

/** The placement group the plan's copies share, as a run's share its run id (only this run's copies count). */
const PLAN_GROUP = 'berth-plan';

export async function planRun(
  deps: Pick<RunsDeps, 'ecs' | 'config' | 'now'>,
  body: RunRequestBody,
): Promise<PlacementPlan> {
  const config: RunsConfig = deps.config;
  const request = withStageDefaults(body, config);
  const historyBound = historyBoundViolationOf(request);
  if (historyBound !== undefined) throw new ValidationError([historyBound]);
  const { td, cluster, clusterNamed, network } = await checkRunRequest(deps, request);
  const taskDefinitionArn = td.taskDefinitionArn ?? request.taskDefinition;
  const runTask = launchTargetOn(
    toRunTaskParameters({
      runId: PLAN_GROUP,
      submittedAt: (deps.now ?? (() => new Date()))(),
      request,
      taskDefinitionArn,
      cluster: clusterNamed,
      ...(network !== undefined && { networkConfiguration: network }),
    }),
    cluster,
  );
  const definition = placementTaskDefinition(td);
  const overrides = placementOverrides(runTask.Overrides);
  const base = {
    taskDefinitionArn,
    cluster: clusterNamed,
    count: request.count,
    launch: launchOf(runTask),
    capacity: request.capacity,
  };

  if (!runsOnContainerInstances(runTask)) {
    const needs = taskNeeds(definition, overrides);
    return {
      ...base,
      checked: false,
      needs: needsView(needs),
      fits: true,
      placeableCount: request.count,
      instanceCount: 0,
      tasks: [],
      decision: 'RUN',
      wouldWait: false,
      message: `${base.launch} tasks do not run on the cluster's container instances: the capacity check is skipped and the run starts at once (room is ${base.launch}'s to find).`,
    };
  }

  const instances = await listConnectedInstances(deps.ecs, runTask.Cluster);
  const result = checkCapacity({
    instances,
    taskDefinition: definition,
    count: runTask.Count,
    overrides,
    placementConstraints: (runTask.PlacementConstraints ?? []).map((c) => ({ type: c.Type, expression: c.Expression })),
    placementStrategy: (runTask.PlacementStrategy ?? []).map((s) => ({ type: s.Type, field: s.Field })),
    group: PLAN_GROUP,
    explain: true,
  });
  const needs = result.needs ?? taskNeeds(definition, overrides);
  const decision = result.fits ? 'RUN' : request.capacity.waitSeconds > 0 ? 'WAIT' : 'GIVE_UP';
  return {
    ...base,
    checked: true,
    needs: needsView(needs),
    fits: result.fits,
    placeableCount: result.placeableCount,
    instanceCount: result.instanceCount,
    tasks: (result.steps ?? []).map((step) => planTask(step, instances, needs)),
    ...(result.shortfall !== undefined && { shortfall: result.shortfall }),
    decision,
    wouldWait: decision === 'WAIT',
    message: summary(result.placeableCount, request.count, instances.length, decision, request.capacity.waitSeconds),
  };
}

function launchOf(runTask: RunTaskParameters): string {
  if (runTask.LaunchType !== undefined) return runTask.LaunchType;
  return (runTask.CapacityProviderStrategy ?? []).map((p) => p.CapacityProvider).join('+') || 'EC2';
}

function needsView(needs: TaskNeeds) {
  return { cpu: needs.cpu, memory: needs.memory, ports: [...needs.tcpPorts, ...needs.udpPorts] };
}

function planTask(step: PlacementStep, instances: readonly ContainerInstance[], needs: TaskNeeds): PlanTask {
  // The EC2 instance id, as people and the capacity view name instances.
  const ec2 = (index: number | undefined) => {
    const id = index === undefined ? undefined : instances[index]?.ec2InstanceId;
    return id === undefined ? {} : { ec2InstanceId: id };
  };
  return {
    copy: step.copy,
    ...(step.instanceArn !== undefined && { containerInstanceArn: step.instanceArn }),
    ...ec2(step.instanceIndex),
    eligibleCount: step.eligibleCount,
    refusals: step.refusals.map((r) => ({
      containerInstanceArn: r.arn,
      ...ec2(r.instanceIndex),
      reason: r.reason,
      message: refusalMessage(r, needs, instances[r.instanceIndex]),
      remaining: r.remaining,
    })),
  };
}

/** A refusal in words, with the amounts that decided it. */
export function refusalMessage(refusal: PlacementRefusal, needs: TaskNeeds, instance?: ContainerInstance): string {
  switch (refusal.reason) {
    case FailureReason.Cpu:
      return `needs ${needs.cpu} CPU units, ${refusal.remaining.cpu} left`;
    case FailureReason.Memory:
      return `needs ${needs.memory} MiB of memory, ${refusal.remaining.memory} MiB left`;
    case FailureReason.Ports: {
      const ports = [...needs.tcpPorts, ...needs.udpPorts].join(', ');
      return `host port${needs.tcpPorts.length + needs.udpPorts.length === 1 ? '' : 's'} ${ports} already taken`;
    }
    case FailureReason.Agent:
      return 'its ECS agent is not connected';
    case FailureReason.Attribute: {
      const have = new Set((instance?.attributes ?? []).map((a) => a.name));
      const missing = (needs.requiredAttributes ?? []).filter((a) => !have.has(a.name)).map((a) => a.name);
      return `lacks an attribute the task definition requires${missing.length > 0 ? ` (${missing.join(', ')})` : ''}`;
    }
    case FailureReason.DistinctInstance:
      return 'already takes a copy of this run (distinctInstance)';
    default:
      return 'does not match a memberOf placement constraint';
  }
}

function summary(placed: number, count: number, instances: number, decision: string, waitSeconds: number): string {
  if (instances === 0) {
    return `No ACTIVE container instance with a connected agent: ${decision === 'WAIT' ? `the run would wait up to ${waitSeconds} s for one` : 'the run would fail with InsufficientCapacity'}.`;
  }
  if (decision === 'RUN')
    return `All ${count} ${count === 1 ? 'task fits' : 'tasks fit'} now: the run would start at once.`;
  const short = `${placed} of ${count} tasks fit now`;
  return decision === 'WAIT'
    ? `${short}: the run would wait for room, up to ${waitSeconds} s.`
    : `${short} and the run may not wait (capacity.waitSeconds is 0): it would fail with InsufficientCapacity.`;
}
