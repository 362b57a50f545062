/**
 * POST /runs/plan and GET /clusters/{cluster}/capacity against the real local stack (`npm start`), through the
 * `berth` CLI and the typed client: the plan agrees with what RunTask then does, and the capacity view sees it.
 * The local cluster (local/cluster.json) is three m5.large instances of 2048 CPU units and 3840 MiB.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BerthClient, type ClusterCapacity, PolicyError, ValidationError } from '../../client';
import { berthCli, type Stack, startStack } from './stack';

jest.setTimeout(240_000);

const root = path.join(__dirname, '..', '..');
const example = JSON.parse(readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8'));
/** The example made for the EC2 launch type: bridge networking, a task of half an instance's CPU. */
const ec2Example = {
  family: 'anjana-ec2',
  requiresCompatibilities: ['EC2' as const],
  networkMode: 'bridge' as const,
  cpu: '1024',
  memory: '1536',
  containerDefinitions: [{ name: 'anjana', image: 'someimage', memory: 100, cpu: 99 }],
};
/** Keeps the simulated containers running while the test looks at the cluster. */
const longRunning = (name: string, seconds: number) => ({
  containerOverrides: [{ name, environment: [{ name: 'BERTH_SIMULATE_SECONDS', value: String(seconds) }] }],
});

let stack: Stack;
let berth: BerthClient;

/** `npx berth ...` against this stack. */
const cli = (args: string[]) => berthCli(stack.api, args);

/** Polls the capacity view until `done` holds, for at most `ms`. */
async function capacityUntil(done: (view: ClusterCapacity) => boolean, ms = 60_000): Promise<ClusterCapacity> {
  const deadline = Date.now() + ms;
  let view = await berth.getClusterCapacity('default');
  while (!done(view)) {
    if (Date.now() > deadline) throw new Error(`the cluster never got there: ${JSON.stringify(view.totals)}`);
    await new Promise((r) => setTimeout(r, 250));
    view = await berth.getClusterCapacity('default');
  }
  return view;
}

/** Copies per instance, largest first: what a plan and a placement share whichever instance wins a tie. */
const spreadOf = (arns: Array<string | undefined>) =>
  [
    ...arns.reduce((m, a) => (a === undefined ? m : m.set(a, (m.get(a) ?? 0) + 1)), new Map<string, number>()).values(),
  ].sort((x, y) => y - x);

beforeAll(async () => {
  stack = await startStack();
  berth = new BerthClient({ baseUrl: stack.api, maxAttempts: 1 });
  await berth.registerTaskDefinition(example);
  await berth.registerTaskDefinition(ec2Example);
});

afterAll(async () => {
  await stack?.kill();
});

describe('GET /clusters/{cluster}/capacity', () => {
  it('shows the three idle instances with their room, and berth capacity prints them', async () => {
    const view = await capacityUntil((v) => v.totals.tasks === 0);
    expect(view.totals).toMatchObject({
      instances: 3,
      connected: 3,
      registered: { cpu: 6144, memory: 11520 },
      remaining: { cpu: 6144, memory: 11520 },
    });
    expect(view.instances[0]?.attributes).toMatchObject({ 'ecs.instance-type': 'm5.large', stack: 'local' });
    const printed = await cli(['capacity']);
    expect(printed.code).toBe(0);
    expect(printed.stdout).toContain('3 ACTIVE instances (3 connected)');
    expect(printed.stdout).toMatch(/total\s+6144\/6144\s+11520\/11520/);
  });

  it("refuses a cluster outside the stage's runClusters (403) and a malformed name (400)", async () => {
    await expect(berth.getClusterCapacity('elsewhere')).rejects.toThrow(PolicyError);
    await expect(berth.getClusterCapacity('not a cluster!')).rejects.toThrow(ValidationError);
  });
});

describe('POST /runs/plan agrees with what RunTask then does', () => {
  it('berth plan anjana-educative:1 --count 4: on the EC2 cluster all four fit, and the run places four', async () => {
    const printed = await cli(['plan', 'anjana-educative:1', '--count', '4', '--json']);
    expect(printed.stderr).toBe('');
    const plan = JSON.parse(printed.stdout);
    // No launchType: the cluster has no default capacity provider strategy, so the run launches on EC2.
    expect(plan).toMatchObject({ launch: 'EC2', checked: true, fits: true, placeableCount: 4, decision: 'RUN' });
    expect(plan.needs).toEqual({ cpu: 256, memory: 512, ports: [] });

    const { runId } = await berth.startRun({
      taskDefinition: 'anjana-educative:1',
      count: 4,
      overrides: longRunning('anjana', 20),
    });
    const view = await capacityUntil(
      (v) => v.instances.flatMap((i) => i.tasks).filter((t) => t.runId === runId).length === 4,
    );
    expect(view.totals.usedByRuns).toEqual({ cpu: 4 * 256, memory: 4 * 512 });
    expect(view.totals.runs).toBe(1);
    await berth.cancelRun(runId);
    await capacityUntil((v) => v.totals.tasks === 0);
  });

  it('the same for FARGATE: nothing to check, the run would start at once', async () => {
    const plan = await berth.planRun({ taskDefinition: 'anjana-educative:1', count: 4, launchType: 'FARGATE' });
    expect(plan).toMatchObject({ launch: 'FARGATE', checked: false, fits: true, decision: 'RUN', tasks: [] });
    expect(plan.message).toContain('capacity check is skipped');
  });

  it('an EC2 task of half an instance: six fit two per instance, the seventh waits, and RunTask places the same', async () => {
    const plan = await berth.planRun({ taskDefinition: 'anjana-ec2', count: 7 });
    expect(plan).toMatchObject({
      fits: false,
      placeableCount: 6,
      decision: 'WAIT',
      shortfall: { tasks: 1, cpu: 1024, memory: 1536, reason: 'RESOURCE:CPU' },
    });
    expect(plan.tasks[6]?.refusals.map((r) => r.message)).toEqual([
      'needs 1024 CPU units, 0 left',
      'needs 1024 CPU units, 0 left',
      'needs 1024 CPU units, 0 left',
    ]);

    const binpack = [{ type: 'binpack' as const, field: 'cpu' }];
    const four = await berth.planRun({ taskDefinition: 'anjana-ec2', count: 4, placementStrategy: binpack });
    expect(four.fits).toBe(true);
    expect(spreadOf(four.tasks.map((t) => t.containerInstanceArn))).toEqual([2, 2]);
    const { runId } = await berth.startRun({
      taskDefinition: 'anjana-ec2',
      count: 4,
      placementStrategy: binpack,
      overrides: longRunning('anjana', 20),
    });
    const view = await capacityUntil(
      (v) => v.instances.flatMap((i) => i.tasks).filter((t) => t.runId === runId).length === 4,
    );
    const placed = view.instances.flatMap((i) =>
      i.tasks.filter((t) => t.runId === runId).map(() => i.containerInstanceArn),
    );
    expect(spreadOf(placed)).toEqual([2, 2]);
    expect(view.totals.usedByRuns).toEqual({ cpu: 4096, memory: 6144 });
    // Planned while the run holds two instances: only the third has room, for two.
    const after = await berth.planRun({ taskDefinition: 'anjana-ec2', count: 4, capacity: { waitSeconds: 0 } });
    expect(after).toMatchObject({ placeableCount: 2, fits: false, decision: 'GIVE_UP' });
    expect(spreadOf(after.tasks.map((t) => t.containerInstanceArn))).toEqual([2]);
    await berth.cancelRun(runId);
    await capacityUntil((v) => v.totals.tasks === 0);
  });

  it('refuses what POST /runs refuses, with the same status and violations', async () => {
    for (const bad of [
      { taskDefinition: 'anjana-ec2', count: 0 },
      { taskDefinition: 'anjana-ec2', launchType: 'FARGATE' as const },
      { taskDefinition: 'anjana-ec2', cluster: 'elsewhere' },
    ]) {
      const planned = await berth.planRun(bad).catch((e: unknown) => e as ValidationError);
      const started = await berth.startRun(bad).catch((e: unknown) => e as ValidationError);
      expect(planned).toBeInstanceOf(Error);
      expect([planned.constructor, (planned as ValidationError).status, (planned as ValidationError).message]).toEqual([
        started.constructor,
        (started as ValidationError).status,
        (started as ValidationError).message,
      ]);
    }
  });
});
