/**
 * The docker runtime's overhead: time from RunTask to RUNNING and to STOPPED for a container that exits at once
 * (`true` in the imported busybox image), against `docker run` of the same image in the same run, on the same
 * network (the cluster's, `berth-default`: joining a bridge network is part of the cost) with the same memory limit:
 * - RUNNING baseline: `docker run -d --rm ... <image> true` (returns once the container has started);
 * - STOPPED baseline: `docker run --rm ... <image> true` (returns once it has exited and is removed).
 * Berth's side is the local endpoint as `npm start` runs it (its default lifecycle step, BERTH_ECS_RUNTIME=docker),
 * in this process, polled with DescribeTasks every POLL_MS. Runs are interleaved, medians and ratios printed.
 * Needs a Docker daemon; bounded: ROUNDS rounds (BENCH_ROUNDS, default 15), each task at most 60 s.
 *
 *   npm run bench:docker-runtime
 */
import { execFileSync } from 'node:child_process';
import { DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { localEcsServices } from '../../local/ecs/service';
import { dockerAvailable, ensureTestImage, TEST_IMAGE } from '../../test/conformance/docker-image';
import { startLocalEndpoint, tempStateDir } from '../../test/conformance/endpoint';

const ROUNDS = Math.min(100, Math.max(1, Number(process.env.BENCH_ROUNDS ?? 15)));
const POLL_MS = 5;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

function timed(args: string[]): number {
  const started = performance.now();
  execFileSync('docker', args, { stdio: 'ignore' });
  return performance.now() - started;
}

async function main() {
  const probe = dockerAvailable();
  if (!probe.ok) {
    console.error(`bench:docker-runtime needs Docker: ${probe.why}`);
    process.exit(1);
  }
  ensureTestImage();
  const endpoint = await startLocalEndpoint(tempStateDir(), {
    services: localEcsServices({ runtime: 'docker' }),
  });
  const { ecs } = endpoint;
  try {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'bench-docker',
        containerDefinitions: [{ name: 'main', image: TEST_IMAGE, memory: 64, command: ['true'] }],
      }),
    );
    // One Berth run first: it makes the cluster network the baseline joins too; then one of each to warm up.
    await berthRun(ecs);
    const same = ['--network', 'berth-default', '--memory', '64m'];
    timed(['run', '--rm', ...same, TEST_IMAGE, 'true']);

    const base = { running: [] as number[], stopped: [] as number[] };
    const berth = { running: [] as number[], stopped: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      base.running.push(timed(['run', '-d', '--rm', ...same, TEST_IMAGE, 'true']));
      base.stopped.push(timed(['run', '--rm', ...same, TEST_IMAGE, 'true']));
      const run = await berthRun(ecs);
      berth.running.push(run.running);
      berth.stopped.push(run.stopped);
    }
    const row = (label: string, b: number[], d: number[]) =>
      `${label.padEnd(22)} ${median(b).toFixed(0).padStart(7)} ms ${median(d).toFixed(0).padStart(9)} ms ${(median(b) / median(d)).toFixed(2).padStart(7)}x`;
    console.log(`docker runtime vs docker run, ${ROUNDS} rounds, medians (${TEST_IMAGE}, command true)`);
    console.log(`${''.padEnd(22)} ${'Berth'.padStart(10)} ${'docker run'.padStart(12)} ${'ratio'.padStart(8)}`);
    console.log(row('RunTask -> RUNNING', berth.running, base.running));
    console.log(row('RunTask -> STOPPED', berth.stopped, base.stopped));
  } finally {
    await endpoint.close();
  }
}

/** One RunTask, timed to the first DescribeTasks showing RUNNING (or later) and to STOPPED. */
async function berthRun(ecs: import('@aws-sdk/client-ecs').ECSClient): Promise<{ running: number; stopped: number }> {
  const started = performance.now();
  const out = await ecs.send(new RunTaskCommand({ taskDefinition: 'bench-docker' }));
  const arn = out.tasks?.[0]?.taskArn;
  if (arn === undefined) throw new Error(`RunTask placed nothing: ${JSON.stringify(out.failures)}`);
  let running: number | undefined;
  const deadline = started + 60_000;
  for (;;) {
    const task = (await ecs.send(new DescribeTasksCommand({ tasks: [arn] }))).tasks?.[0];
    const now = performance.now();
    if (task?.startedAt !== undefined && running === undefined) running = now - started;
    if (task?.lastStatus === 'STOPPED') {
      if (task.containers?.[0]?.exitCode !== 0) throw new Error(`the task did not exit 0: ${JSON.stringify(task)}`);
      return { running: running ?? now - started, stopped: now - started };
    }
    if (now > deadline) throw new Error(`task ${arn} did not stop within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
