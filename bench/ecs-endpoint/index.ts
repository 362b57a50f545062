/**
 * Requests per second and p50/p99 latency of Berth's local ECS endpoint for RegisterTaskDefinition, RunTask
 * (simulated runtime, count 1) and DescribeTasks, from this one client process over loopback, against two
 * baselines measured in the same run:
 * - moto_server (the peer): a child on a free loopback port, with a cluster and EC2-backed container instances
 *   (RunInstances, then RegisterContainerInstance with an instance identity document) so its RunTask places;
 * - a bare Node HTTP server answering a fixed JSON body per operation (the ceiling), the very body Berth gave.
 * Every server is a child process, so each has its own event loop and the client's work is the same for all.
 * Every target is driven by the same client: @aws-sdk/client-ecs with a keep-alive agent, at fixed concurrency
 * (requests in flight), after a warm-up, in rounds interleaved across the targets so that the machine's changing
 * load hits all alike (a cell's requests/s is its median round). Two more rows drive Berth and the bare server with a raw node:http
 * client (JSON in and out, nothing else): what each server does when the SDK's cost is off the client, and by
 * difference what the SDK costs per request. Each answer is checked (a revision registered, one task placed with
 * no failures, one task described), so no target is measured on errors. The table also gives CPU time per
 * request of this client and of each server process (Linux /proc), which tells client-bound from server-bound.
 * Targets (issue 3 item 8): Berth >= 5x moto's requests/s, and the bare server <= 3x Berth, on each operation.
 * The process exits non-zero only when a request failed or a server did not start, not on a missed target.
 *
 *   npm run bench:ecs-endpoint [-- --requests 2000 --warmup 200 --rounds 4 --concurrency 1,16 --ops RunTask
 *                                  --profile <dir> (writes a --cpu-prof profile of Berth's endpoint there)]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  CreateClusterCommand,
  DescribeTasksCommand,
  ECSClient,
  RegisterContainerInstanceCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  RunTaskCommand,
  type RunTaskCommandInput,
} from '@aws-sdk/client-ecs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = path.resolve(__dirname, '..', '..');
const REGION = 'us-east-1';
const ACCOUNT_ID = '123456789012'; // moto's default account; Berth is given the same, so ARNs are alike
const ECS_PREFIX = 'AmazonEC2ContainerServiceV20141113';
const CLUSTER = 'default';

const OPERATIONS = ['RegisterTaskDefinition', 'RunTask', 'DescribeTasks'] as const;
type OperationName = (typeof OPERATIONS)[number];

const { values: flags } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '1,16' },
    ops: { type: 'string', default: OPERATIONS.join(',') },
    profile: { type: 'string' },
  },
});
const REQUESTS = positiveInteger('requests', flags.requests);
const WARMUP = positiveInteger('warmup', flags.warmup);
const ROUNDS = positiveInteger('rounds', flags.rounds);
const CONCURRENCY = flags.concurrency.split(',').map((c) => positiveInteger('concurrency', c));
const OPS = flags.ops.split(',').map((op) => {
  if (!(OPERATIONS as readonly string[]).includes(op)) throw new Error(`--ops takes ${OPERATIONS.join(', ')}`);
  return op as OperationName;
});

function positiveInteger(name: string, raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

// --- the workload -------------------------------------------------------------------------------------------

/** A typical EC2 web task: what RegisterTaskDefinition registers, as a new revision each time. */
const REGISTER_INPUT: RegisterTaskDefinitionCommandInput = {
  family: 'bench-register',
  networkMode: 'bridge',
  requiresCompatibilities: ['EC2'],
  containerDefinitions: [
    {
      name: 'web',
      image: 'public.ecr.aws/nginx/nginx:1.27',
      cpu: 256,
      memory: 512,
      essential: true,
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: 'tcp' }],
      environment: [
        { name: 'STAGE', value: 'bench' },
        { name: 'LOG_LEVEL', value: 'info' },
      ],
      logConfiguration: {
        logDriver: 'awslogs',
        options: { 'awslogs-group': '/berth/bench', 'awslogs-region': REGION, 'awslogs-stream-prefix': 'web' },
      },
    },
  ],
};

/**
 * What RunTask runs: a container with an image and no command, so Berth simulates it; it is steered to run for
 * an hour, so every task placed keeps its resources for the whole run (moto's tasks never stop either) and
 * both sides hold the same number of tasks when DescribeTasks is measured.
 */
const TASK_CPU = 2;
const TASK_MEMORY = 8;
const RUN_DEFINITION: RegisterTaskDefinitionCommandInput = {
  family: 'bench-run',
  networkMode: 'bridge',
  requiresCompatibilities: ['EC2'],
  containerDefinitions: [
    {
      name: 'app',
      image: 'public.ecr.aws/docker/library/busybox:1.36',
      cpu: TASK_CPU,
      memory: TASK_MEMORY,
      essential: true,
      dockerLabels: { 'berth.simulate.seconds': '3600' },
    },
  ],
};
const RUN_INPUT: RunTaskCommandInput = {
  cluster: CLUSTER,
  taskDefinition: 'bench-run:1',
  count: 1,
  launchType: 'EC2',
  startedBy: 'bench',
};

/** moto's container instances have 4096 CPU units and 7482 MiB (moto/ecs/models.py ContainerInstance). */
const INSTANCE_CPU = 4096;
const INSTANCE_MEMORY = 7482;
const TASKS_PER_INSTANCE = Math.min(Math.floor(INSTANCE_CPU / TASK_CPU), Math.floor(INSTANCE_MEMORY / TASK_MEMORY));
/**
 * Tasks an endpoint runs: one while capturing bodies, then warm-up and measured requests per concurrency, twice
 * for Berth (the SDK client and the raw one).
 */
const TASKS_RUN = OPS.includes('RunTask')
  ? 1 + 2 * CONCURRENCY.length * (WARMUP + ROUNDS * Math.ceil(REQUESTS / ROUNDS))
  : 1;
const INSTANCES = Math.ceil(TASKS_RUN / TASKS_PER_INSTANCE) + 1;

interface Target {
  name: string;
  /** The server's process, for its CPU time. */
  pid: number | undefined;
  send(op: OperationName, input: object): Promise<Record<string, unknown>>;
  /** Task ARNs it returned, which DescribeTasks then asks about. */
  taskArns: string[];
  /** Operations the server answers UnknownOperationException to: reported, never measured. */
  missing: Set<OperationName>;
  close(): void;
}

const COMMANDS = {
  RegisterTaskDefinition: RegisterTaskDefinitionCommand,
  RunTask: RunTaskCommand,
  DescribeTasks: DescribeTasksCommand,
} as const;

function inputOf(op: OperationName, target: Target, i: number): object {
  switch (op) {
    case 'RegisterTaskDefinition':
      return REGISTER_INPUT;
    case 'RunTask':
      return RUN_INPUT;
    case 'DescribeTasks':
      return { cluster: CLUSTER, tasks: [target.taskArns[i % target.taskArns.length]] };
  }
}

/** Throws unless the answer is the real thing. */
function check(op: OperationName, target: Target, output: Record<string, unknown>): void {
  const tasks = output.tasks as Array<{ taskArn?: string; lastStatus?: string }> | undefined;
  const failures = output.failures as unknown[] | undefined;
  const ok =
    op === 'RegisterTaskDefinition'
      ? typeof (output.taskDefinition as { revision?: unknown } | undefined)?.revision === 'number'
      : tasks?.length === 1 && typeof tasks[0]?.taskArn === 'string' && (failures ?? []).length === 0;
  if (!ok) throw new Error(`${target.name} ${op}: unexpected answer ${JSON.stringify(output).slice(0, 400)}`);
  if (op === 'RunTask') target.taskArns.push(tasks![0]!.taskArn!);
}

// --- clients ------------------------------------------------------------------------------------------------

function agent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: Math.max(...CONCURRENCY) });
}

function sdkTarget(name: string, url: string, pid: number | undefined, close: () => void = () => {}): Target {
  const httpAgent = agent();
  const ecs = new ECSClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts: 1, // an error is counted as it comes, not retried
    requestHandler: { httpAgent },
  });
  return {
    name,
    pid,
    taskArns: [],
    missing: new Set(),
    async send(op, input) {
      // biome-ignore lint/suspicious/noExplicitAny: one call site for three command classes
      const { $metadata: _, ...output } = await ecs.send(new (COMMANDS[op] as any)(input));
      return output;
    },
    close() {
      ecs.destroy();
      httpAgent.destroy();
      close();
    },
  };
}

interface RawAnswer {
  status: number;
  body: string;
}

function rawPost(httpAgent: http.Agent, url: string, target: string, body: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent: httpAgent,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'content-length': Buffer.byteLength(body),
          'x-amz-target': target,
          // unsigned, as Berth allows; moto picks the service and region from the credential scope
          authorization: `AWS4-HMAC-SHA256 Credential=bench/20250101/${REGION}/ecs/aws4_request, SignedHeaders=host, Signature=0`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The same requests with node:http and JSON only: no SDK serialisation, signing, middleware or parsing. */
function rawTarget(name: string, url: string, pid: number | undefined): Target {
  const httpAgent = agent();
  return {
    name,
    pid,
    taskArns: [],
    missing: new Set(),
    async send(op, input) {
      const answer = await rawPost(httpAgent, url, `${ECS_PREFIX}.${op}`, JSON.stringify(input));
      if (answer.status !== 200) throw new Error(`${name} ${op}: HTTP ${answer.status} ${answer.body.slice(0, 300)}`);
      return JSON.parse(answer.body) as Record<string, unknown>;
    },
    close() {
      httpAgent.destroy();
    },
  };
}

// --- servers ------------------------------------------------------------------------------------------------

const children: ChildProcess[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Starts a Node child that prints `{"url": ...}` once it listens. */
async function startNodeChild(
  script: string,
  args: string[],
  nodeArgs: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<ChildProcess & { url: string }> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(__dirname, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', resolve);
    child.once('exit', (code, signal) => reject(new Error(`${script} exited (${code ?? signal}) before listening`)));
  });
  return Object.assign(child, { url: (JSON.parse(line) as { url: string }).url });
}

async function startMoto(): Promise<ChildProcess & { url: string }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  children.push(child);
  const spawned = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(new Error(`cannot start moto_server: ${err.message}`)));
    child.once('exit', (code, signal) => reject(new Error(`moto_server exited (${code ?? signal}) before answering`)));
  });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answered = await Promise.race([
      spawned,
      new Promise<boolean>((resolve) => {
        http
          .get(`${url}/moto-api/`, (res) => {
            res.resume();
            resolve(true);
          })
          .on('error', () => resolve(false));
      }),
    ]);
    if (answered) return Object.assign(child, { url });
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${url} within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function stopChildren(): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
          child.once('exit', () => {
            clearTimeout(force);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopChildren().finally(() => process.exit(130));
  });
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU milliseconds a process has used so far (Linux /proc), or undefined elsewhere. */
function cpuMillis(pid: number | undefined): number | undefined {
  if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS; // utime, stime: fields 14, 15 of stat
}

// --- setup --------------------------------------------------------------------------------------------------

/** moto's EC2 RunInstances on the query protocol (no EC2 client in this repo); returns the instance ids. */
async function motoInstances(url: string, count: number): Promise<string[]> {
  const body = new URLSearchParams({
    Action: 'RunInstances',
    Version: '2016-11-15',
    ImageId: 'ami-1e749f67', // an Ubuntu image in moto's catalogue
    InstanceType: 'm5.xlarge',
    MinCount: String(count),
    MaxCount: String(count),
  }).toString();
  const answer = await new Promise<RawAnswer>((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          // moto reads the region from the credential scope; it does not check the signature
          authorization: `AWS4-HMAC-SHA256 Credential=bench/20250101/${REGION}/ec2/aws4_request, SignedHeaders=host, Signature=0`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
  const ids = [...answer.body.matchAll(/<instanceId>(i-[0-9a-f]+)<\/instanceId>/g)].map((m) => m[1]!);
  if (answer.status !== 200 || ids.length !== count) {
    throw new Error(`moto RunInstances: HTTP ${answer.status}, ${ids.length} of ${count} instances`);
  }
  return ids;
}

async function setUpMoto(url: string): Promise<void> {
  const ecs = new ECSClient({
    endpoint: url,
    region: REGION,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  try {
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    for (const instanceId of await motoInstances(url, INSTANCES)) {
      const document = { instanceId, region: REGION, accountId: ACCOUNT_ID, availabilityZone: `${REGION}a` };
      await ecs.send(
        new RegisterContainerInstanceCommand({
          cluster: CLUSTER,
          instanceIdentityDocument: JSON.stringify(document),
          instanceIdentityDocumentSignature: 'bench',
        }),
      );
    }
  } finally {
    ecs.destroy();
  }
}

/**
 * Registers the task definition RunTask runs, then sends one request of each operation with a raw client and
 * keeps the answers (the bare server replays them). An operation the target answers UnknownOperationException
 * to is marked missing.
 */
async function prepare(target: Target, url: string): Promise<Map<OperationName, string>> {
  check('RegisterTaskDefinition', target, await target.send('RegisterTaskDefinition', RUN_DEFINITION));
  const httpAgent = agent();
  const bodies = new Map<OperationName, string>();
  try {
    for (const op of OPERATIONS) {
      if (op === 'DescribeTasks' && target.taskArns.length === 0) {
        target.missing.add(op); // nothing to describe without RunTask
        continue;
      }
      const answer = await rawPost(httpAgent, url, `${ECS_PREFIX}.${op}`, JSON.stringify(inputOf(op, target, 0)));
      if (answer.status === 400 && answer.body.includes('UnknownOperationException')) {
        target.missing.add(op);
        continue;
      }
      if (answer.status !== 200) throw new Error(`${target.name} ${op}: HTTP ${answer.status} ${answer.body}`);
      check(op, target, JSON.parse(answer.body) as Record<string, unknown>);
      bodies.set(op, answer.body);
    }
  } finally {
    httpAgent.destroy();
  }
  return bodies;
}

// --- measuring ----------------------------------------------------------------------------------------------

interface Cell {
  target: string;
  op: OperationName;
  concurrency: number;
  requests: number;
  errors: number;
  firstError?: unknown;
  /** The median round's requests per second. */
  rps: number;
  /** Over every request of every round. */
  p50: number;
  p99: number;
  /** CPU microseconds per request: this client process, and the server process. */
  clientCpu: number;
  serverCpu: number | undefined;
}

interface Round {
  latencies: Float64Array;
  wallMs: number;
  errors: number;
  firstError?: unknown;
  clientCpuMicros: number;
  serverCpuMillis: number | undefined;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** `count` requests, `concurrency` at a time; request i of the round is request `offset + i` of the cell. */
async function drive(
  target: Target,
  op: OperationName,
  concurrency: number,
  count: number,
  offset: number,
): Promise<Round> {
  const latencies = new Float64Array(count);
  let next = 0;
  let errors = 0;
  let firstError: unknown;
  const client0 = process.cpuUsage();
  const server0 = cpuMillis(target.pid);
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const input = inputOf(op, target, offset + i);
        const sent = performance.now();
        try {
          const output = await target.send(op, input);
          latencies[i] = performance.now() - sent;
          check(op, target, output);
        } catch (err) {
          latencies[i] = performance.now() - sent;
          errors++;
          firstError ??= err;
        }
      }
    }),
  );
  const wallMs = performance.now() - start;
  const client = process.cpuUsage(client0);
  const server1 = cpuMillis(target.pid);
  return {
    latencies,
    wallMs,
    errors,
    firstError,
    clientCpuMicros: client.user + client.system,
    serverCpuMillis: server0 === undefined || server1 === undefined ? undefined : server1 - server0,
  };
}

function summarise(target: Target, op: OperationName, concurrency: number, rounds: Round[]): Cell {
  const requests = rounds.reduce((n, r) => n + r.latencies.length, 0);
  const latencies = new Float64Array(requests);
  let at = 0;
  for (const r of rounds) {
    latencies.set(r.latencies, at);
    at += r.latencies.length;
  }
  latencies.sort();
  const serverCpu = rounds.every((r) => r.serverCpuMillis !== undefined)
    ? (rounds.reduce((t, r) => t + r.serverCpuMillis!, 0) * 1000) / requests
    : undefined;
  return {
    target: target.name,
    op,
    concurrency,
    requests,
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    firstError: rounds.find((r) => r.errors > 0)?.firstError,
    rps: median(rounds.map((r) => (r.latencies.length / r.wallMs) * 1000)),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    clientCpu: rounds.reduce((t, r) => t + r.clientCpuMicros, 0) / requests,
    serverCpu,
  };
}

// --- report -------------------------------------------------------------------------------------------------

const fixed = (n: number, digits: number, width: number) => n.toFixed(digits).padStart(width);

function printTable(cells: Cell[]): void {
  console.log(
    `\n${'operation'.padEnd(23)} ${'in flight'.padStart(9)}  ${'target'.padEnd(24)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'client CPU µs/req'.padStart(18)} ${'server CPU µs/req'.padStart(18)} ${'errors'.padStart(6)}`,
  );
  for (const c of cells) {
    console.log(
      `${c.op.padEnd(23)} ${String(c.concurrency).padStart(9)}  ${c.target.padEnd(24)} ${fixed(c.rps, 0, 8)} ${fixed(c.p50, 2, 8)} ${fixed(c.p99, 2, 8)} ${fixed(c.clientCpu, 0, 18)} ${(c.serverCpu === undefined ? '-' : c.serverCpu.toFixed(0)).padStart(18)} ${String(c.errors).padStart(6)}`,
    );
  }
}

// --- main ---------------------------------------------------------------------------------------------------

async function main() {
  const work = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-ecs-'));
  const targets: Target[] = [];
  let failed = false;
  try {
    console.log(
      `ECS endpoint benchmark: Node ${process.version}, ${os.cpus().length} CPUs, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ' ',
        )}; ${REQUESTS} requests per cell in ${ROUNDS} interleaved rounds after ${WARMUP} warm-up, ${CONCURRENCY.join(' and ')} in flight`,
    );
    const moto = await startMoto();
    await setUpMoto(moto.url);
    // Berth's cluster mirrors moto's: as many instances, each as large (see local/ecs/cluster-config.ts).
    const clusterConfig = path.join(work, 'cluster.json');
    writeFileSync(
      clusterConfig,
      JSON.stringify({
        clusters: [
          {
            name: CLUSTER,
            instances: [{ count: INSTANCES, instanceType: 'm5.xlarge', cpu: INSTANCE_CPU, memory: INSTANCE_MEMORY }],
          },
        ],
      }),
    );
    const berth = await startNodeChild(
      'berth-endpoint.ts',
      [path.join(work, 'state')],
      flags.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(flags.profile)}`],
      // No injected faults, whatever this shell has set.
      { BERTH_CLUSTER_CONFIG: clusterConfig, BERTH_FAULT_THROTTLE_RATE: '0', BERTH_FAULT_PLACEMENT_REASON: '' },
    );

    const berthTarget = sdkTarget("Berth's endpoint", berth.url, berth.pid);
    const motoTarget = sdkTarget('moto_server', moto.url, moto.pid);
    targets.push(berthTarget, motoTarget);
    const berthBodies = await prepare(berthTarget, berth.url);
    const motoBodies = await prepare(motoTarget, moto.url);
    console.log(
      `cluster ${CLUSTER} on both: ${INSTANCES} container instances of ${INSTANCE_CPU} CPU / ${INSTANCE_MEMORY} MiB; tasks of ${TASK_CPU} CPU / ${TASK_MEMORY} MiB`,
    );
    for (const op of berthTarget.missing) {
      console.log(`NOT MEASURED on Berth: its endpoint does not implement ${op} yet (UnknownOperationException)`);
    }

    // The ceiling replays Berth's answers, or moto's for an operation Berth does not have yet.
    const bodies: Record<string, string> = {};
    for (const op of OPERATIONS) {
      const body = berthBodies.get(op) ?? motoBodies.get(op);
      if (body !== undefined) bodies[`${ECS_PREFIX}.${op}`] = body;
    }
    const ceilingArn = berthTarget.taskArns[0] ?? motoTarget.taskArns[0];
    const bodiesFile = path.join(work, 'bodies.json');
    writeFileSync(bodiesFile, JSON.stringify(bodies));
    const bare = await startNodeChild('bare-server.ts', [bodiesFile]);
    const bareTarget = sdkTarget('bare Node server', bare.url, bare.pid);
    if (ceilingArn !== undefined) bareTarget.taskArns.push(ceilingArn);
    targets.push(bareTarget);
    // Without the SDK's cost on the client, what each server does per request: diagnostic rows, no targets.
    const berthRaw = rawTarget("Berth's endpoint, raw http", berth.url, berth.pid);
    berthRaw.taskArns.push(...berthTarget.taskArns.slice(0, 1));
    for (const op of berthTarget.missing) berthRaw.missing.add(op);
    const bareRaw = rawTarget('bare Node server, raw http', bare.url, bare.pid);
    if (ceilingArn !== undefined) bareRaw.taskArns.push(ceilingArn);
    targets.push(berthRaw, bareRaw);

    const cells: Cell[] = [];
    for (const op of OPS) {
      if (op === 'DescribeTasks') {
        // moto's DescribeTasks walks every task it has: say how many there are.
        const berthTasks = berthTarget.taskArns.length + berthRaw.taskArns.length;
        console.log(`DescribeTasks with ${berthTasks} tasks on Berth, ${motoTarget.taskArns.length} on moto`);
      }
      for (const concurrency of CONCURRENCY) {
        // Every target in turn, round after round, so drift in the machine's load hits them alike; a cell's
        // throughput is its median round.
        const measured = targets.filter((t) => !t.missing.has(op));
        const rounds = new Map(measured.map((t) => [t, [] as Round[]]));
        for (const target of measured) rounds.get(target)!.push(await drive(target, op, concurrency, WARMUP, 0));
        const perRound = Math.ceil(REQUESTS / ROUNDS);
        for (let r = 0; r < ROUNDS; r++) {
          for (const target of measured) {
            rounds.get(target)!.push(await drive(target, op, concurrency, perRound, WARMUP + r * perRound));
            process.stderr.write('.');
          }
        }
        for (const target of measured) {
          const [warm, ...timed] = rounds.get(target)!;
          const cell = summarise(target, op, concurrency, timed);
          cell.errors += warm!.errors;
          cell.firstError ??= warm!.firstError;
          cells.push(cell);
        }
      }
    }
    process.stderr.write('\n');
    printTable(cells);
    console.log(
      `load average after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );

    console.log('\ntargets: Berth >= 5x moto_server req/s; bare Node server <= 3x Berth req/s');
    const missed: string[] = [];
    const find = (target: Target, op: OperationName, concurrency: number) =>
      cells.find((c) => c.target === target.name && c.op === op && c.concurrency === concurrency);
    for (const op of OPS) {
      for (const concurrency of CONCURRENCY) {
        const b = find(berthTarget, op, concurrency);
        const m = find(motoTarget, op, concurrency);
        const ceiling = find(bareTarget, op, concurrency);
        const label = `${op.padEnd(23)} ${String(concurrency).padStart(2)} in flight:`;
        if (b === undefined) {
          console.log(`${label} NOT MEASURED (Berth does not implement ${op} yet)`);
          missed.push(`${op}@${concurrency} not measured`);
          continue;
        }
        const parts: string[] = [];
        if (m !== undefined) {
          const ratio = b.rps / m.rps;
          const pass = ratio >= 5;
          if (!pass) missed.push(`${op}@${concurrency} vs moto`);
          parts.push(`Berth/moto ${ratio.toFixed(2)}x ${pass ? 'PASS' : 'FAIL'}`);
        }
        if (ceiling !== undefined) {
          const ratio = ceiling.rps / b.rps;
          const pass = ratio <= 3;
          if (!pass) missed.push(`${op}@${concurrency} vs bare`);
          parts.push(`bare/Berth ${ratio.toFixed(2)}x ${pass ? 'PASS' : 'FAIL'}`);
        }
        // When the ceiling itself is under 5x moto, no server could meet that target with this client here.
        const notes: string[] = [];
        if (m !== undefined && ceiling !== undefined) notes.push(`bare/moto ${(ceiling.rps / m.rps).toFixed(2)}x`);
        // Server CPU per request hardly depends on the machine's load: what the ratio would be server-bound.
        if (m?.serverCpu !== undefined && b.serverCpu !== undefined) {
          notes.push(`server CPU/req moto/Berth ${(m.serverCpu / b.serverCpu).toFixed(2)}x`);
        }
        const raw = find(berthRaw, op, concurrency);
        const rawCeiling = find(bareRaw, op, concurrency);
        if (raw !== undefined && rawCeiling !== undefined) {
          notes.push(`raw http: bare/Berth ${(rawCeiling.rps / raw.rps).toFixed(2)}x`);
        }
        if (notes.length > 0) parts.push(`(${notes.join('; ')})`);
        console.log(`${label} ${parts.join('   ')}`);
      }
    }
    const errored = cells.filter((c) => c.errors > 0);
    for (const c of errored) {
      console.error(`ERRORS: ${c.target} ${c.op} ${c.concurrency} in flight: ${c.errors}, first:`, c.firstError);
    }
    if (errored.length > 0) failed = true;
    console.log(
      missed.length === 0 ? '\nall targets met' : `\nTARGETS MISSED (${missed.length}): ${missed.join(', ')}`,
    );
  } finally {
    for (const t of targets) t.close();
    await stopChildren();
    rmSync(work, { recursive: true, force: true });
  }
  if (failed) process.exitCode = 1;
}

main().catch(async (err) => {
  console.error(err);
  await stopChildren();
  process.exit(1);
});
