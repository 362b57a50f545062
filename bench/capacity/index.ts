/**
 * The capacity check against a cluster of 5,000 container instances (ECS's maximum per cluster),
 * through Berth's local ECS endpoint (issue 4, item 9):
 * - API calls: ListContainerInstances and DescribeContainerInstances take at most 100 instances a
 *   call, so 5,000 instances cost at least 100 calls (50 + 50): printed against that floor;
 * - the placement math (lib/capacity: mapping every instance and simulating `count` placements)
 *   against a plain loop over the same instances that sums their free CPU and memory, measured in
 *   the same run: the ratio says what the real check costs over merely looking at each instance;
 * - the whole Check Capacity use case (the calls and the math) once the task definition is cached.
 *
 *   npm run bench:capacity [-- --instances 5000 --runs 51]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  type ContainerInstance,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { checkCapacity, placementTaskDefinition, toPlacementInstance } from '../../lib/capacity/capacity';
import { checkRunCapacity, listConnectedInstances } from '../../lib/capacity/check-run';
import type { WorkflowState } from '../../lib/runs/workflow';
import { parseClusterConfig } from '../../local/ecs/cluster-config';
import { localEcsServices } from '../../local/ecs/service';
import { startAwsEndpoint } from '../../local/endpoint/server';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(`--${name}`) + 1]) || fallback;
const INSTANCES = arg('instances', 5000);
const RUNS = arg('runs', 51);
const FLOOR = 2 * Math.ceil(INSTANCES / 100);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function time(fn: () => void, runs: number): number {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

async function timeAsync(fn: () => Promise<unknown>, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(samples);
}

/** The baseline: one pass over the instances reading what the check reads, with no placement. */
function plainLoop(instances: readonly ContainerInstance[]): number {
  let cpu = 0;
  let memory = 0;
  for (const instance of instances) {
    for (const r of instance.remainingResources ?? []) {
      if (r.name === 'CPU') cpu += r.integerValue ?? 0;
      else if (r.name === 'MEMORY') memory += r.integerValue ?? 0;
    }
  }
  return cpu + memory;
}

async function main() {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-capacity-'));
  const clusterConfig = parseClusterConfig({
    clusters: [
      {
        name: 'default',
        // Mostly busy instances (256 CPU left) and a few roomy ones: fragmentation the math must see through.
        instances: [
          { count: INSTANCES - 10, cpu: 256, memory: 4096 },
          { count: 10, cpu: 4096, memory: 8192 },
        ],
      },
    ],
  });
  const [ecsService] = localEcsServices({ clusterConfig });
  const endpoint = await startAwsEndpoint({
    host: '127.0.0.1',
    port: 0,
    region: 'us-east-1',
    accountId: '123456789012',
    stateDir,
    services: [ecsService],
  });
  const ecs = new ECSClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  const calls = new Map<string, number>();
  ecs.middlewareStack.add(
    (next, context) => async (args) => {
      calls.set(context.commandName ?? '?', (calls.get(context.commandName ?? '?') ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );

  try {
    const registered = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bench',
        containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 1024, memory: 512 }],
      }),
    );
    const taskDefinition = registered.taskDefinition!;
    calls.clear();

    const instances = await listConnectedInstances(ecs, 'default');
    const listed = new Map(calls);
    const apiCalls = [...listed.values()].reduce((a, b) => a + b, 0);
    const fetchMs = await timeAsync(() => listConnectedInstances(ecs, 'default'), Math.min(RUNS, 11));

    const count = 10;
    const request = {
      instances,
      taskDefinition: placementTaskDefinition(taskDefinition),
      count,
    };
    const result = checkCapacity(request);
    const mathMs = time(() => checkCapacity(request), RUNS);
    const loopMs = time(() => plainLoop(instances), RUNS);
    const mappingMs = time(() => instances.map(toPlacementInstance), RUNS);

    const state: WorkflowState = {
      runId: 'bench',
      submittedAt: new Date().toISOString(),
      taskDefinitionArn: taskDefinition.taskDefinitionArn!,
      runTask: {
        Cluster: 'default',
        TaskDefinition: taskDefinition.taskDefinitionArn!,
        Count: count,
        LaunchType: 'EC2',
      },
      retry: { attempts: 1, backoffSeconds: 0, backoffRate: 1, evaluateOnExit: [] },
      capacity: { waitSeconds: 0, checkIntervalSeconds: 1 },
    };
    const deps = { ecs, taskDefinitions: new Map<string, TaskDefinition>() };
    await checkRunCapacity(deps, state);
    const useCaseMs = await timeAsync(() => checkRunCapacity(deps, state), Math.min(RUNS, 11));

    const rows: Array<[string, string]> = [
      ['container instances', String(instances.length)],
      ['fits / placeable', `${result.fits} / ${result.placeableCount} of ${count}`],
      ['API calls', `${apiCalls} (${[...listed].map(([k, v]) => `${k} ${v}`).join(', ')})`],
      ['API calls / floor', `${(apiCalls / FLOOR).toFixed(2)}x (floor ${FLOOR})`],
      ['fetch (List + Describe), median', `${fetchMs.toFixed(1)} ms`],
      ['placement math, median', `${mathMs.toFixed(2)} ms`],
      ['  of which mapping instances, median', `${mappingMs.toFixed(2)} ms`],
      ['plain loop (baseline), median', `${loopMs.toFixed(3)} ms`],
      ['placement math / plain loop', `${(mathMs / loopMs).toFixed(1)}x`],
      ['placement math / fetch', `${((100 * mathMs) / fetchMs).toFixed(1)}%`],
      ['whole check (cached definition), median', `${useCaseMs.toFixed(1)} ms`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  } finally {
    ecs.destroy();
    await endpoint.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
