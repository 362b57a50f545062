/**
 * Runs end to end against the local stack (`npm start`'s launcher on free ports, its own state
 * directory; issue 4, item 9): POST /runs of the example task definition (a simulated container)
 * until GET /runs/{id} says SUCCEEDED, through the local Step Functions engine, the real Lambdas
 * behind serverless-offline and the local ECS cluster.
 *
 * - Throughput: runs per second with 1, 4 and 16 runs in flight (a closed loop: each finished run
 *   is replaced by a new one), against the baseline measured in the same run: the same task started
 *   with a bare RunTask straight against the local ECS endpoint and polled with DescribeTasks until
 *   STOPPED, at the same concurrency and poll interval. The ratio is what the workflow costs on top
 *   of the task itself.
 * - Overhead after the task: from the task's STOPPED (ECS `stoppedAt`) to the execution's
 *   `stopDate` (the run's `stoppedAt`), and to the moment a GET /runs/{id} first answers SUCCEEDED,
 *   p50/p99. The second includes the client's poll interval (100 ms by default: every GET /runs is a
 *   Lambda call that reads the execution's history, so polling harder loads the stack it measures); the engine's part comes mostly from
 *   the `.sync` driver's DescribeTasks interval (BERTH_SFN_ECS_POLL_MS, 250 ms by default, as the
 *   stack runs it unless `--ecs-poll-ms` is given).
 *
 * - Views: GET /runs/{id} views per second with 16 in flight, over the runs the levels finished, against the
 *   old read path measured in the same run on the same stack: the view built from the execution and its history
 *   (lib/runs/execution-view.ts: DescribeExecution + GetExecutionHistory, what GET /runs/{id} did before runs
 *   were records), called straight against the local Step Functions endpoint. The old figure leaves out the
 *   Lambda hop the new one pays, so the ratio understates the change.
 *
 * - Lambda breakdown: per level, each function's invocations and handler time per run, from serverless-offline's
 *   own log of each invocation, and the client's GET /runs/{id} per run (bench/runs/README.md keeps the figures).
 * - CPU breakdown: per level, each process's and thread's CPU per run, from /proc (stackCpu).
 * - Views while runs execute (viewsInFlight): GET /runs/{id} of runs in flight at --view-rate, and what it costs
 *   the runs it watches, against the same runs unwatched.
 * - Overhead to the record: task STOPPED to the record's write that said SUCCEEDED (its updatedAt).
 *
 * - Memory (--memory N): the resident size of each process of the stack (found by its BERTH_STATE_DIR) after 10
 *   runs and after N (16 in flight, stopped early at --memory-seconds), and the ratio (issue 14: at most 1.5x).
 *
 *   npm run bench:runs -- --memory 1000 [--memory-seconds 240]
 *   npm run bench:runs [-- --runs 24 --concurrency 1,4,16 --poll-ms 100 --ecs-poll-ms 250 --views 400 --view-rate 100 --warmup 64]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DescribeTasksCommand, ECSClient, RunTaskCommand } from '@aws-sdk/client-ecs';
import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { getRunFromExecution } from '../../lib/runs/execution-view';
import { stackProcesses as processesOf, type Stack, startStack } from '../../test/integration/stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = path.resolve(__dirname, '..', '..');
const argAt = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
};
const RUNS = Number(argAt('runs')) || 24;
const LEVELS = (argAt('concurrency') ?? '1,4,16')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const POLL_MS = Number(argAt('poll-ms')) || 100;
const ECS_POLL_MS = argAt('ecs-poll-ms');
const VIEWS = Number(argAt('views')) || 400;
const VIEWS_IN_FLIGHT = 16;
/** --view-rate: GET /runs/{id} per second of runs in flight while 16 run (issue 14: at least 100). */
const VIEW_RATE = Number(argAt('view-rate')) || 100;
/** --memory N: the memory mode (see memoryGrowth): N runs at most, within --memory-seconds (default 240). */
const MEMORY_RUNS = Number(argAt('memory')) || 0;
const MEMORY_SECONDS = Number(argAt('memory-seconds')) || 240;
/**
 * --warmup N: runs (and as many bare tasks) at each level's concurrency before the level is measured (default 64;
 * 0 for none). Each Lambda worker starts cold, and V8 compiles a handler's code for speed only once it has run it
 * many times: without a warm-up, a level measures its workers' start and their first invocations (the first 32 runs
 * at 16 in flight took 219 ms of CPU each, the third 32 176 ms). The warm-up's own rate is printed beside the level.
 */
const WARMUP = argAt('warmup') === undefined ? 64 : Math.max(0, Number(argAt('warmup')) || 0);
const finishedRuns: string[] = [];
/** The placeholder subnet `npm start` gives awsvpc runs (local/start.ts); the bare RunTask uses it too. */
const SUBNET = 'subnet-00000000000000000';
const TASK_DEFINITION = 'anjana-educative:1';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Sample {
  /** From the request to the client seeing the end, ms. */
  latency: number;
  /** Run only: task stoppedAt -> execution stopDate, ms. */
  engineOverhead?: number;
  /** Run only: task stoppedAt -> the first GET that answered the terminal status, ms. */
  observedOverhead?: number;
  /** Run only: the GET /runs/{id} the client made until it saw the end. */
  polls?: number;
  /** Run only: task stoppedAt -> the record's updatedAt when first seen SUCCEEDED (the write that said so, or a later one), ms. */
  recordOverhead?: number;
  /** Run only: the record's createdAt -> its updatedAt when first seen SUCCEEDED: the run as the server saw it, ms. */
  recordSeconds?: number;
}

/**
 * Where a level's time went in the Lambdas: serverless-offline logs each invocation it ran, API or Lambda port,
 * as `(λ: <function>) RequestId: <id>  Duration: <ms> ms` (the handler's run in its warm worker, not the
 * worker's start). Per function: invocations and handler ms per run, and the p50 of one invocation.
 */
function lambdaBreakdown(output: string, runs: number): string {
  const byFunction = new Map<string, number[]>();
  for (const match of output.matchAll(/\(λ: (\w+)\) RequestId: \S+\s+Duration: ([0-9.]+) ms/g)) {
    const durations = byFunction.get(match[1]!) ?? [];
    durations.push(Number(match[2]));
    byFunction.set(match[1]!, durations);
  }
  const rows = [...byFunction].sort((a, b) => sum(b[1]) - sum(a[1]));
  const lines = rows.map(
    ([name, durations]) =>
      `    ${name.padEnd(24)} ${(durations.length / runs).toFixed(2).padStart(8)} ${ms(sum(durations) / runs).padStart(10)} ${ms(percentile(durations, 50)).padStart(8)}`,
  );
  const total = rows.reduce((acc, [, durations]) => acc + sum(durations), 0);
  return [
    `    ${'function'.padEnd(24)} ${'calls/run'.padStart(8)} ${'ms/run'.padStart(10)} ${'p50 ms'.padStart(8)}`,
    ...lines,
    `    ${'all Lambdas'.padEnd(24)} ${(rows.reduce((acc, [, d]) => acc + d.length, 0) / runs).toFixed(2).padStart(8)} ${ms(total / runs).padStart(10)}`,
  ].join('\n');
}

const sum = (xs: number[]) => xs.reduce((acc, x) => acc + x, 0);

/** `total` jobs with `concurrency` in flight; returns each job's sample and the wall time. */
async function closedLoop(concurrency: number, total: number, job: () => Promise<Sample>) {
  const samples: Sample[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        samples.push(await job());
      }
    }),
  );
  return { samples, seconds: (performance.now() - start) / 1000 };
}

/** The baseline: RunTask of the same task straight against the local ECS endpoint, polled until STOPPED. */
async function bareTask(ecs: ECSClient): Promise<Sample> {
  const start = performance.now();
  const out = await ecs.send(
    new RunTaskCommand({
      cluster: 'default',
      taskDefinition: TASK_DEFINITION,
      networkConfiguration: { awsvpcConfiguration: { subnets: [SUBNET] } },
    }),
  );
  const arn = out.tasks?.[0]?.taskArn;
  if (arn === undefined) throw new Error(`RunTask placed nothing: ${JSON.stringify(out.failures)}`);
  for (;;) {
    const task = (await ecs.send(new DescribeTasksCommand({ cluster: 'default', tasks: [arn] }))).tasks?.[0];
    if (task?.lastStatus === 'STOPPED') {
      const exitCode = task.containers?.[0]?.exitCode;
      if (exitCode !== 0) throw new Error(`the bare task exited ${exitCode}: ${task.stoppedReason}`);
      return { latency: performance.now() - start };
    }
    await sleep(POLL_MS);
  }
}

interface RunView {
  status: string;
  createdAt: string;
  updatedAt: string;
  stoppedAt?: string;
  attempts: { stoppedAt?: string }[];
}

/** The runs in flight now (POSTed, not yet seen SUCCEEDED), for the viewers of viewsInFlight. */
const inFlight = new Set<string>();

async function oneRun(stack: Stack, pollMs = POLL_MS): Promise<Sample> {
  const start = performance.now();
  const res = await fetch(`${stack.api}/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ taskDefinition: TASK_DEFINITION }),
  });
  const answer = await res.text();
  if (res.status !== 202) throw new Error(`POST /runs answered ${res.status}: ${answer}`);
  const { runId } = JSON.parse(answer) as { runId: string };
  inFlight.add(runId);
  let polls = 0;
  for (;;) {
    polls++;
    const got = await fetch(`${stack.api}/runs/${runId}`);
    const text = await got.text();
    if (got.status !== 200) throw new Error(`GET /runs/${runId} answered ${got.status}: ${text}`);
    const view = JSON.parse(text) as RunView;
    if (view.status === 'SUCCEEDED') {
      const seenAt = Date.now();
      inFlight.delete(runId);
      finishedRuns.push(runId);
      const latency = performance.now() - start;
      const taskStopped = Date.parse(view.attempts[0]?.stoppedAt ?? '');
      return {
        latency,
        engineOverhead: Date.parse(view.stoppedAt ?? '') - taskStopped,
        observedOverhead: seenAt - taskStopped,
        recordOverhead: Date.parse(view.updatedAt) - taskStopped,
        recordSeconds: (Date.parse(view.updatedAt) - Date.parse(view.createdAt)) / 1000,
        polls,
      };
    }
    if (['FAILED', 'CANCELLED', 'TIMED_OUT'].includes(view.status)) {
      throw new Error(`run ${runId} ended ${view.status}: ${JSON.stringify(view)}`);
    }
    await sleep(pollMs);
  }
}

const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)}` : '-');
const pad = (s: string, n: number) => s.padStart(n);

/** The stack's processes (every process whose environment names its state directory), by role, with their RSS in KiB. */
function stackProcesses(stateDir: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const { pid, cmdline } of processesOf(stateDir)) {
    const role = cmdline.includes('local/start.ts')
      ? 'launcher (endpoint, Step Functions engine)'
      : cmdline.includes('serverless.js offline')
        ? 'serverless-offline (API, Lambda workers)'
        : cmdline.includes('--service=')
          ? 'esbuild service'
          : cmdline.slice(0, 60);
    try {
      const rss = Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? Number.NaN);
      found.set(`${role} [${pid}]`, rss);
    } catch {
      // gone
    }
  }
  return found;
}

/** CPU seconds (user + system) each process of the stack has used so far, by the same names as stackProcesses. */
function stackCpu(stateDir: string): Map<string, number> {
  const ticks = 100; // USER_HZ: /proc's clock ticks per second on Linux
  const found = new Map<string, number>();
  for (const name of stackProcesses(stateDir).keys()) {
    const pid = /\[([0-9]+)\]$/.exec(name)?.[1];
    if (pid === undefined) continue;
    // Per thread, by the thread's name (the main thread's is the process's; Node names a Worker's thread after
    // the worker, libuv's pool `libuv-worker`, V8's platform threads `V8 DefaultWorke`...).
    for (const tid of readdirSync(`/proc/${pid}/task`, { withFileTypes: true }).map((d) => d.name)) {
      try {
        const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        // Fields after the command's closing parenthesis: state is field 3, utime 14 and stime 15.
        const fields = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        const thread = tid === pid ? 'main thread' : comm;
        const key = `${name.replace(/ \[[0-9]+\]$/, '')}: ${thread}`;
        found.set(key, (found.get(key) ?? 0) + (Number(fields[11]) + Number(fields[12])) / ticks);
      } catch {
        // gone
      }
    }
  }
  const self = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  found.set('bench client (polling, bare tasks)', (Number(self[11]) + Number(self[12])) / ticks);
  return found;
}

/** Each process's CPU ms per run between two stackCpu readings. */
function cpuBreakdown(before: Map<string, number>, after: Map<string, number>, runs: number): string {
  const rows = [...after]
    .map(([name, seconds]) => [name, ((seconds - (before.get(name) ?? 0)) * 1000) / runs] as const)
    .filter(([, perRun]) => perRun > 0)
    .sort((a, b) => b[1] - a[1]);
  return [
    `    ${'process'.padEnd(56)} ${'CPU ms/run'.padStart(10)}`,
    ...rows.map(([name, perRun]) => `    ${name.padEnd(56)} ${ms(perRun).padStart(10)}`),
    `    ${'all'.padEnd(56)} ${ms(sum(rows.map(([, perRun]) => perRun))).padStart(10)}`,
  ].join('\n');
}

/**
 * Memory mode: 10 runs (16 in flight), each process's RSS; then runs up to MEMORY_RUNS in all (stopped at
 * MEMORY_SECONDS), each process's RSS again. Growth per run shows as a ratio above 1 that rises with the runs.
 */
async function memoryGrowth(stack: Stack) {
  /**
   * Each process's RSS once the runs are over, as the lowest and the highest of 20 samples over 10 s: a heap grows
   * between full collections and falls back after one (V8 collects an idle heap on its own), so a single sample
   * lands anywhere in that sawtooth; the lowest is what the process keeps, the highest what it last reached.
   */
  const settled = async () => {
    const low = new Map<string, number>();
    const high = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      await sleep(500);
      for (const [name, rss] of stackProcesses(stack.stateDir)) {
        low.set(name, Math.min(low.get(name) ?? rss, rss));
        high.set(name, Math.max(high.get(name) ?? rss, rss));
      }
    }
    return { low, high };
  };
  await closedLoop(VIEWS_IN_FLIGHT, 10, () => oneRun(stack));
  const early = await settled();
  const deadline = performance.now() + MEMORY_SECONDS * 1000;
  let done = 10;
  const start = performance.now();
  const runUntil = (total: number) =>
    Promise.all(
      Array.from({ length: VIEWS_IN_FLIGHT }, async () => {
        while (done < total && performance.now() < deadline) {
          done++;
          await oneRun(stack);
        }
      }),
    );
  // After 100 runs too: serverless-offline's workers (BERTH_LAMBDA_WORKERS per function) are all started by then,
  // so growth from there on is growth per run, not the pool filling up to its bound.
  await runUntil(Math.min(100, MEMORY_RUNS));
  const warmed = done;
  const middle = await settled();
  await runUntil(MEMORY_RUNS);
  const seconds = (performance.now() - start) / 1000;
  const late = await settled();
  console.log(
    `bench/runs memory: RSS after 10 runs, ${warmed} and ${done} (${VIEWS_IN_FLIGHT} in flight, ${seconds.toFixed(0)} s` +
      ` of runs; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}), the lowest` +
      ' of 20 samples over 10 s after each (the highest in brackets); ratios against 10 runs and against 100',
  );
  const mib = (kib: number | undefined) => (kib === undefined ? '-' : `${(kib / 1024).toFixed(0)}`);
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`;
  console.log(
    `  ${'process'.padEnd(52)} ${'MiB: 10 runs'.padStart(14)} ${`${warmed} runs`.padStart(12)} ${`${done} runs`.padStart(12)}` +
      `  ${'/10'.padStart(11)} ${`/${warmed}`.padStart(6)}  growth after ${warmed}`,
  );
  for (const [name, first] of early.low) {
    const mid = middle.low.get(name);
    const last = late.low.get(name);
    const perRun =
      last === undefined || mid === undefined
        ? '-'
        : `${((last - mid) / Math.max(1, done - warmed)).toFixed(1)} KiB/run`;
    console.log(
      `  ${name.padEnd(52)} ${`${mib(first)} (${mib(early.high.get(name))})`.padStart(14)}` +
        ` ${`${mib(mid)} (${mib(middle.high.get(name))})`.padStart(12)} ${`${mib(last)} (${mib(late.high.get(name))})`.padStart(12)}` +
        `  ${`${ratio(last, first)} (${ratio(late.high.get(name), first)})`.padStart(11)} ${ratio(last, mid).padStart(6)}  ${perRun}`,
    );
  }
}

/**
 * Views while runs execute (issue 14, item 4): RUNS runs with 16 in flight whose clients look once a second (the
 * baseline: next to no polling), then the same with viewers reading GET /runs/{id} of the runs in flight at
 * VIEW_RATE views/s (paced, at most 16 at once). A run's time is the record's own (createdAt to the write that said
 * SUCCEEDED), so the clients' poll interval does not enter it; the slowdown is watched against quiet.
 */
async function viewsInFlight(stack: Stack) {
  const recordSeconds = (samples: Sample[]) => samples.map((x) => x.recordSeconds ?? Number.NaN);
  const quiet = recordSeconds((await closedLoop(VIEWS_IN_FLIGHT, RUNS, () => oneRun(stack, 1000))).samples);
  let viewing = true;
  const latencies: number[] = [];
  let open = 0;
  const viewers = (async () => {
    const start = performance.now();
    const pending: Promise<void>[] = [];
    for (let n = 0; viewing; n++) {
      // Paced: view n goes at start + n / VIEW_RATE; behind schedule, at most 16 wait at once.
      const due = start + (n * 1000) / VIEW_RATE - performance.now();
      if (due > 0) await sleep(due);
      while (open >= VIEWS_IN_FLIGHT && viewing) await sleep(1);
      const ids = [...inFlight];
      if (ids.length === 0) continue;
      const id = ids[n % ids.length]!;
      open++;
      const t = performance.now();
      pending.push(
        fetch(`${stack.api}/runs/${id}`)
          .then(async (res) => {
            await res.text();
            if (res.status !== 200) throw new Error(`GET /runs/${id} answered ${res.status}`);
            latencies.push(performance.now() - t);
          })
          .finally(() => open--),
      );
    }
    await Promise.all(pending);
  })();
  const started = performance.now();
  const watched = recordSeconds((await closedLoop(VIEWS_IN_FLIGHT, RUNS, () => oneRun(stack, 1000))).samples);
  const seconds = (performance.now() - started) / 1000;
  viewing = false;
  await viewers;
  const row = (name: string, xs: number[]) =>
    `  ${name.padEnd(44)} p50/p99/max ${percentile(xs, 50).toFixed(2)}/${percentile(xs, 99).toFixed(2)}/${Math.max(...xs).toFixed(2)} s`;
  console.log(
    `\nviews while ${VIEWS_IN_FLIGHT} runs are in flight (${RUNS} runs each way, run time from its record):\n` +
      `  GET /runs/{id} of runs in flight: ${(latencies.length / seconds).toFixed(1)} views/s (paced at ${VIEW_RATE}), ` +
      `p50/p99 ${ms(percentile(latencies, 50))}/${ms(percentile(latencies, 99))} ms\n` +
      `${row('runs, their clients looking once a second', quiet)}\n` +
      `${row('runs, with the viewers', watched)}\n` +
      `  watched/quiet: p50 ${(percentile(watched, 50) / percentile(quiet, 50)).toFixed(2)}x, p99 ` +
      `${(percentile(watched, 99) / percentile(quiet, 99)).toFixed(2)}x`,
  );
}

async function main() {
  const env: Record<string, string> = {};
  if (ECS_POLL_MS !== undefined) env.BERTH_SFN_ECS_POLL_MS = ECS_POLL_MS;
  const stack = await startStack({ env });
  const ecs = new ECSClient({
    endpoint: stack.aws,
    region: process.env.AWS_REGION ?? 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    const registered = await fetch(`${stack.api}/task-definitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(path.join(root, 'examples', 'anjana-educative.json'), 'utf8'),
    });
    if (registered.status !== 201) throw new Error(`registering the example answered ${registered.status}`);

    if (MEMORY_RUNS > 0) {
      await memoryGrowth(stack);
      return;
    }
    // serverless-offline loads each handler on its first call; each level warms up its own workers below.
    await closedLoop(2, 4, () => oneRun(stack));
    await closedLoop(2, 4, () => bareTask(ecs));

    console.log(
      `bench/runs: ${RUNS} runs per level of ${TASK_DEFINITION} (simulated container), client poll ${POLL_MS} ms, ` +
        `.sync poll ${ECS_POLL_MS ?? '250 (default)'} ms`,
    );
    console.log(
      `${pad('in flight', 9)} ${pad('bare tasks/s', 12)} ${pad('runs/s', 7)} ${pad('bare/run', 8)}` +
        ` ${pad('bare p50/p99 ms', 15)} ${pad('run p50/p99 ms', 15)} ${pad('run/bare p50', 12)}` +
        ` ${pad('STOPPED->stopDate p50/p99', 25)} ${pad('STOPPED->record p50/p99', 23)} ${pad('STOPPED->GET p50/p99', 20)}`,
    );
    const breakdowns: string[] = [];
    const cpuBreakdowns: string[] = [];
    const warmups: string[] = [];
    for (const level of LEVELS) {
      if (WARMUP > 0) {
        const warm = await closedLoop(level, WARMUP, () => oneRun(stack));
        await closedLoop(level, WARMUP, () => bareTask(ecs));
        warmups.push(`${level} in flight: ${(WARMUP / warm.seconds).toFixed(2)} runs/s`);
      }
      const bareCpu = stackCpu(stack.stateDir);
      const bare = await closedLoop(level, RUNS, () => bareTask(ecs));
      const outputFrom = stack.output().length;
      const runCpu = stackCpu(stack.stateDir);
      const runs = await closedLoop(level, RUNS, () => oneRun(stack));
      const afterCpu = stackCpu(stack.stateDir);
      cpuBreakdowns.push(
        `  ${level} in flight, bare task:\n${cpuBreakdown(bareCpu, runCpu, RUNS)}\n` +
          `  ${level} in flight, run:\n${cpuBreakdown(runCpu, afterCpu, RUNS)}`,
      );
      breakdowns.push(
        `  ${level} in flight: ${((runs.seconds * 1000) / RUNS).toFixed(0)} ms of wall per run, ` +
          `client GET /runs/{id} ${(sum(runs.samples.map((x) => x.polls ?? 0)) / RUNS).toFixed(1)} per run, ` +
          `the stack's log ${((stack.output().length - outputFrom) / 1024 / RUNS).toFixed(1)} KiB per run\n` +
          lambdaBreakdown(stack.output().slice(outputFrom), RUNS),
      );
      const bareRate = RUNS / bare.seconds;
      const runRate = RUNS / runs.seconds;
      const bareLat = bare.samples.map((s) => s.latency);
      const runLat = runs.samples.map((s) => s.latency);
      const engine = runs.samples.map((s) => s.engineOverhead ?? Number.NaN);
      const observed = runs.samples.map((s) => s.observedOverhead ?? Number.NaN);
      const recorded = runs.samples.map((s) => s.recordOverhead ?? Number.NaN);
      console.log(
        `${pad(String(level), 9)} ${pad(bareRate.toFixed(1), 12)} ${pad(runRate.toFixed(2), 7)}` +
          ` ${pad(`${(bareRate / runRate).toFixed(1)}x`, 8)}` +
          ` ${pad(`${ms(percentile(bareLat, 50))}/${ms(percentile(bareLat, 99))}`, 15)}` +
          ` ${pad(`${ms(percentile(runLat, 50))}/${ms(percentile(runLat, 99))}`, 15)}` +
          ` ${pad(`${(percentile(runLat, 50) / percentile(bareLat, 50)).toFixed(1)}x`, 12)}` +
          ` ${pad(`${ms(percentile(engine, 50))}/${ms(percentile(engine, 99))}`, 25)}` +
          ` ${pad(`${ms(percentile(recorded, 50))}/${ms(percentile(recorded, 99))}`, 23)}` +
          ` ${pad(`${ms(percentile(observed, 50))}/${ms(percentile(observed, 99))}`, 20)}`,
      );
    }

    if (warmups.length > 0) {
      console.log(`warm-up before each level, ${WARMUP} runs and ${WARMUP} bare tasks: ${warmups.join(', ')}`);
    }
    console.log(`\nLambda invocations per run (serverless-offline's own durations):\n${breakdowns.join('\n')}`);
    await viewsInFlight(stack);

    console.log(`\nCPU per run by process (/proc user + system time over the level):\n${cpuBreakdowns.join('\n')}`);

    // Views of finished runs, 16 in flight: the record (GET /runs/{id}) against the execution history.
    const ids = [...finishedRuns];
    let n = 0;
    const nextId = () => ids[n++ % ids.length]!;
    const sfn = new SFNClient({
      endpoint: stack.aws,
      region: process.env.AWS_REGION ?? 'us-east-1',
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    });
    const described = await fetch(`${stack.api}/runs/${ids[0]}`);
    if (described.status !== 200) throw new Error(`GET /runs/${ids[0]} answered ${described.status}`);
    const machine = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.find((m) =>
      m.name?.endsWith('-run-task'),
    )?.stateMachineArn;
    if (machine === undefined) throw new Error('the local endpoint has no run-task state machine');
    const viewRecord = async (): Promise<Sample> => {
      const start = performance.now();
      const res = await fetch(`${stack.api}/runs/${nextId()}`);
      const view = (await res.json()) as RunView;
      if (res.status !== 200 || view.status !== 'SUCCEEDED') throw new Error(`GET /runs answered ${res.status}`);
      return { latency: performance.now() - start };
    };
    const viewHistory = async (): Promise<Sample> => {
      const start = performance.now();
      const view = await getRunFromExecution({ sfn, config: { stateMachineArn: machine } }, nextId());
      if (view.status !== 'SUCCEEDED') throw new Error(`the history view says ${view.status}`);
      return { latency: performance.now() - start };
    };
    await closedLoop(4, 16, viewRecord);
    await closedLoop(4, 16, viewHistory);
    const history = await closedLoop(VIEWS_IN_FLIGHT, VIEWS, viewHistory);
    const record = await closedLoop(VIEWS_IN_FLIGHT, VIEWS, viewRecord);
    const rate = (r: { seconds: number }) => VIEWS / r.seconds;
    const lat = (r: { samples: Sample[] }, p: number) =>
      ms(
        percentile(
          r.samples.map((x) => x.latency),
          p,
        ),
      );
    console.log(
      `\nviews of ${ids.length} finished runs, ${VIEWS} each way, ${VIEWS_IN_FLIGHT} in flight:\n` +
        `  GET /runs/{id} (the record, one GetItem):              ${rate(record).toFixed(1)} views/s, p50/p99 ${lat(record, 50)}/${lat(record, 99)} ms\n` +
        `  execution history (old read path, no Lambda hop):      ${rate(history).toFixed(1)} views/s, p50/p99 ${lat(history, 50)}/${lat(history, 99)} ms\n` +
        `  record/history: ${(rate(record) / rate(history)).toFixed(1)}x`,
    );
    sfn.destroy();
  } catch (err) {
    // What the stack said last (serverless-offline's 504 names the function that timed out).
    console.error(stack.output().slice(-4000));
    throw err;
  } finally {
    ecs.destroy();
    // Profiled (BERTH_CPU_PROFILE_DIR), the processes must exit on their own to write their profiles.
    if (process.env.BERTH_CPU_PROFILE_DIR) await stack.stop();
    else await stack.kill();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
