/**
 * `berth`: a small CLI on the typed client (bin/berth.js runs it). Each command is one entry of
 * COMMANDS (./command-table.ts): its words, argument, options, parameters and action; the help
 * text and the checks of the command line come from that table. Parsing is pure
 * (`parseCommandLine`), running takes its streams, environment and client factory as arguments
 * (`runCli`), so both are tested without a terminal.
 *
 * Exit codes: 0 success (for `run --wait`, `runs wait` and `logs --follow`: the run SUCCEEDED); 1 the run ended
 * FAILED, CANCELLED, TIMED_OUT or SKIPPED (a trigger's firing its concurrencyPolicy did not start); 2 bad
 * arguments; 3 the API refused the request or could not be reached; 4 `--timeout` elapsed before the run finished.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { QueueView } from './client';
import {
  BerthClient,
  type BerthClientOptions,
  type ClusterCapacity,
  type Credentials,
  isFinished,
  type PlacementPlan,
  type RunLogEvent,
  type RunRequestInput,
  type RunStatus,
  type RunView,
  type TaskDefinitionInput,
} from './client';
import {
  type Cli,
  commandsFor,
  flag,
  integer,
  type Parsed,
  parseWith,
  seconds,
  text,
  UsageError,
  upperCased,
  usageOf,
} from './command-table';
import { startConsoleServer } from './console-server';
import { BerthApiError, BerthConnectionError, BerthError, PolicyError, WaitTimeoutError } from './errors';
import { outcomeLine, progressLines } from './progress';

export { UsageError } from './command-table';

export const EXIT = { OK: 0, RUN_FAILED: 1, USAGE: 2, API_ERROR: 3, WAIT_TIMEOUT: 4 } as const;
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  newClient?: (options: BerthClientOptions) => BerthClient;
  readFile?: (path: string) => Promise<string>;
  now?: () => Date;
  /** For tests: waitForRun's polling delays. */
  pollDelays?: { minDelay: number; maxDelay: number };
  /** For tests: resolves when `berth console` should stop (default: SIGINT or SIGTERM). */
  untilStopped?: () => Promise<void>;
}

const untilSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });

/** What every action gets. */
interface Context {
  client: BerthClient;
  io: CliIo;
  json: boolean;
  /** `value` as JSON with --json, else `text()`. */
  print: (value: unknown, text: () => string) => void;
}

const pad = (cells: string[][]) => {
  const widths = cells[0]?.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length))) ?? [];
  return cells
    .map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '))
    .join('\n');
};

async function readJson(io: CliIo, file: string, what: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await (io.readFile ?? ((p) => (p === '-' ? Promise.resolve(readFileSync(0, 'utf8')) : readFile(p, 'utf8'))))(
      file,
    );
  } catch (err) {
    throw new UsageError(
      `Cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`,
    );
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not an object');
    return value as Record<string, unknown>;
  } catch (err) {
    throw new UsageError(`${what} ${file} is not a JSON object: ${(err as Error).message}.`);
  }
}

const exitFor = (run: RunView) => (run.status === 'SUCCEEDED' ? EXIT.OK : EXIT.RUN_FAILED);

/** One event as `berth logs` prints it: `container | message`, or a JSON line with --json. */
const logLine = (json: boolean, event: RunLogEvent) =>
  json ? `${JSON.stringify(event)}\n` : `${event.container} | ${event.message}\n`;

interface LogsParams {
  runId: string;
  follow?: boolean;
  container?: string;
  attempt?: number;
}

/**
 * `berth logs`: the run's output so far, or with --follow as it is written until the run finishes, then exits with
 * its outcome as `run --wait` does.
 */
async function printLogs({ client, io, json }: Context, params: LogsParams) {
  const query = {
    ...(params.container !== undefined && { container: params.container }),
    ...(params.attempt !== undefined && { attempt: params.attempt }),
  };
  if (!params.follow) {
    let nextToken: string | undefined;
    for (;;) {
      const page = await client.getRunLogs(params.runId, { ...query, ...(nextToken !== undefined && { nextToken }) });
      for (const event of page.events) io.stdout(logLine(json, event));
      if (page.events.length === 0) return EXIT.OK;
      nextToken = page.nextToken;
    }
  }
  for await (const event of client.followLogs(params.runId, { ...query, ...io.pollDelays })) {
    io.stdout(logLine(json, event));
  }
  const run = await client.getRun(params.runId);
  io.stderr(`${outcomeLine(run)}\n`);
  return exitFor(run);
}

async function follow({ client, io, json }: Context, runId: string, timeoutSeconds: number | undefined, logs = false) {
  const now = io.now ?? (() => new Date());
  const stamp = () => now().toISOString().slice(11, 19);
  // With --logs the output goes to stdout as it is written, beside the progress on stderr.
  const printing = logs
    ? (async () => {
        for await (const event of client.followLogs(runId, io.pollDelays ?? {})) io.stdout(logLine(json, event));
      })()
    : Promise.resolve();
  const run = await client.waitForRun(runId, {
    ...(timeoutSeconds !== undefined && { timeout: timeoutSeconds * 1000 }),
    ...io.pollDelays,
    onChange: (view, previous) => {
      for (const line of progressLines(previous, view)) io.stderr(`${stamp()} ${line}\n`);
    },
  });
  await printing;
  io.stdout(json ? `${JSON.stringify(run, null, 2)}\n` : `${outcomeLine(run)}\n`);
  return exitFor(run);
}

interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** A page of a list, or with --all every item; printed as a table with the next page's token. */
async function printList<T>(
  { print }: Context,
  source: Promise<Page<T>> | AsyncIterable<T>,
  table: { header: string[]; row: (item: T) => string[] },
) {
  let page: Page<T> = { items: [] };
  if (Symbol.asyncIterator in source) for await (const item of source) page.items.push(item);
  else page = await source;
  const next = page.nextToken;
  print({ items: page.items, ...(next !== undefined && { nextToken: next }) }, () =>
    [
      pad([table.header, ...page.items.map(table.row)]),
      ...(next !== undefined ? [`more: --next-token ${next}`] : []),
    ].join('\n'),
  );
  return EXIT.OK;
}

/** `family` or `family:revision`. */
function familyRevision(value: string, needRevision: boolean, command: string) {
  const m = /^([^:]+)(?::([^:]+))?$/.exec(value);
  if (m === null || (needRevision && m[2] === undefined)) {
    throw new UsageError(
      `berth ${command} needs ${needRevision ? 'family:revision' : 'family or family:revision'}, not "${value}".`,
    );
  }
  return { family: m[1] as string, ...(m[2] !== undefined && { revision: m[2] }) };
}

const shortArn = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

/** A plan as `berth plan` prints it: the verdict, then each task's instance or each instance's refusal. */
export function planText(plan: PlacementPlan): string {
  const lines = [
    `${shortArn(plan.taskDefinitionArn)} x${plan.count} on ${plan.cluster} (${plan.launch}): ${plan.message}`,
    `each task reserves ${plan.needs.cpu} CPU units, ${plan.needs.memory} MiB${plan.needs.ports.length > 0 ? `, host ports ${plan.needs.ports.join(', ')}` : ''}`,
  ];
  for (const task of plan.tasks) {
    const at = task.containerInstanceArn;
    const name = task.ec2InstanceId ?? (at === undefined ? undefined : shortArn(at));
    lines.push(`task ${task.copy + 1}: ${name === undefined ? 'no instance has room' : `-> ${name}`}`);
    for (const r of task.refusals) {
      lines.push(`  ${r.ec2InstanceId ?? shortArn(r.containerInstanceArn)}: ${r.message} (${r.reason})`);
    }
  }
  if (plan.shortfall !== undefined && plan.shortfall.tasks > 0) {
    const s = plan.shortfall;
    lines.push(
      `short: ${s.tasks} task${s.tasks === 1 ? '' : 's'} (${s.cpu ?? 0} CPU units, ${s.memory ?? 0} MiB)${s.reason ? `, ${s.reason}` : ''}`,
    );
  }
  return lines.join('\n');
}

/** A cluster's capacity as `berth capacity` prints it: one row per instance, then the totals. */
/** Queues as a table; with `shares`, each queue's fair-share counts under it. */
export function queuesText(queues: readonly QueueView[], shares = false): string {
  const rows = queues.map((q) => [
    q.name,
    q.maxConcurrentRuns === undefined ? 'none' : String(q.maxConcurrentRuns),
    String(q.running),
    `${q.queued}${q.queuedIsLowerBound ? '+' : ''}`,
    q.oldestQueuedSeconds === undefined ? '-' : `${q.oldestQueuedSeconds}s`,
    q.paused ? 'paused' : 'admitting',
  ]);
  const lines = [pad([['QUEUE', 'LIMIT', 'RUNNING', 'QUEUED', 'OLDEST WAIT', 'STATE'], ...rows])];
  for (const q of shares ? queues : []) {
    if (q.shares === undefined) continue;
    lines.push(
      '',
      pad([
        ['SHARE', 'WEIGHT', 'RUNNING', 'QUEUED'],
        ...q.shares.map((s) => [s.shareIdentifier, String(s.weightFactor), String(s.running), String(s.queued)]),
      ]),
    );
  }
  return lines.join('\n');
}

export function capacityText(view: ClusterCapacity): string {
  const t = view.totals;
  const rows = view.instances.map((i) => [
    shortArn(i.containerInstanceArn),
    i.ec2InstanceId ?? '-',
    i.agentConnected ? 'connected' : 'DISCONNECTED',
    `${i.remaining.cpu}/${i.registered.cpu}`,
    `${i.remaining.memory}/${i.registered.memory}`,
    `${i.usedByRuns.cpu}/${i.usedByRuns.memory}`,
    `${i.usedByOthers.cpu}/${i.usedByOthers.memory}`,
    String(i.tasks.length),
  ]);
  return [
    `cluster ${view.cluster} at ${view.observedAt}: ${t.instances} ACTIVE instance${t.instances === 1 ? '' : 's'} (${t.connected} connected), ${t.runs} run${t.runs === 1 ? '' : 's'}, ${t.tasks} task${t.tasks === 1 ? '' : 's'}`,
    pad([
      ['INSTANCE', 'EC2', 'AGENT', 'CPU FREE/ALL', 'MIB FREE/ALL', 'RUNS CPU/MIB', 'OTHERS CPU/MIB', 'TASKS'],
      ...rows,
      [
        'total',
        '',
        '',
        `${t.remaining.cpu}/${t.registered.cpu}`,
        `${t.remaining.memory}/${t.registered.memory}`,
        `${t.usedByRuns.cpu}/${t.usedByRuns.memory}`,
        `${t.usedByOthers.cpu}/${t.usedByOthers.memory}`,
        String(t.tasks),
      ],
    ]),
  ].join('\n');
}

const command = commandsFor<Context>();

const limit = integer('limit', '<n>', 'at most this many');
const nextToken = text('next-token', '<token>', 'the page after the one that printed it');
const all = flag('all', 'every page');

const GLOBAL = {
  api: text('api', '<url>', `the API (default: $BERTH_API_URL, else ${DEFAULT_API_URL})`),
  region: text('region', '<name>', 'signing region (default: from the URL, else $AWS_REGION)'),
  json: flag('json', 'print JSON instead of text'),
};

const COMMANDS = [
  command({
    words: 'run',
    summary: 'start a run (family, family:revision or ARN)',
    arg: { name: 'taskDefinition', value: '<taskDefinition>', what: 'a task definition' },
    options: {
      wait: flag('wait', 'follow its progress and exit with its outcome'),
      logs: flag('logs', "print the run's output as it is written", { requires: 'wait' }),
      timeoutSeconds: seconds('timeout', '<seconds>', 'stop following after this long', { requires: 'wait' }),
      count: integer('count', '<n>', 'tasks to start'),
      cluster: text('cluster', '<name>', 'the ECS cluster to run on'),
      launchType: upperCased<NonNullable<RunRequestInput['launchType']>>('launch-type', 'EC2|FARGATE|EXTERNAL'),
      requestFile: text('request', '<file.json>', 'more of the POST /runs body (taskDefinition and flags win)'),
      idempotencyKey: text('idempotency-key', '<key>', 'a repeat returns the run the key started'),
      queue: text('queue', '<name>', 'the queue it waits in for a slot (default: default)'),
      priority: integer('priority', '<n>', 'its priority in the queue, 0 to 9999, higher first'),
      shareIdentifier: text('share', '<id>', 'its share identifier, in a queue with a fair-share policy'),
    },
    parse: ({ taskDefinition, count, cluster, launchType, queue, priority, shareIdentifier, ...rest }) => {
      const request: RunRequestInput = { taskDefinition };
      if (count !== undefined) request.count = count;
      if (cluster !== undefined) request.cluster = cluster;
      if (launchType !== undefined) request.launchType = launchType;
      if (queue !== undefined) request.queue = queue;
      if (priority !== undefined) request.priority = priority;
      if (shareIdentifier !== undefined) request.shareIdentifier = shareIdentifier;
      return { request, ...rest };
    },
    action: async (command, context) => {
      const { client, io, json, print } = context;
      const extra = command.requestFile === undefined ? {} : await readJson(io, command.requestFile, 'run request');
      const request = { ...extra, ...command.request } as RunRequestInput;
      const started = await client.startRun(request, {
        ...(command.idempotencyKey !== undefined && { idempotencyKey: command.idempotencyKey }),
      });
      if (!command.wait) {
        print(
          started,
          () =>
            `run ${started.runId}: ${started.status}${started.created ? '' : ' (started earlier with this idempotency key)'}`,
        );
        return EXIT.OK;
      }
      if (!json)
        io.stderr(
          `run ${started.runId} ${started.created ? 'started' : 'already started with this idempotency key'}\n`,
        );
      return follow(context, started.runId, command.timeoutSeconds, command.logs);
    },
  }),
  command({
    words: 'plan',
    summary: "where a run's tasks would land now, or why not (starts nothing)",
    arg: { name: 'taskDefinition', value: '<taskDefinition>', what: 'a task definition' },
    options: {
      count: integer('count', '<n>', 'tasks to place'),
      cluster: text('cluster', '<name>', 'the ECS cluster'),
      launchType: upperCased<NonNullable<RunRequestInput['launchType']>>('launch-type', 'EC2|FARGATE|EXTERNAL'),
      requestFile: text('request', '<file.json>', 'more of the POST /runs body (taskDefinition and flags win)'),
    },
    parse: ({ taskDefinition, count, cluster, launchType, requestFile }) => {
      const request: RunRequestInput = { taskDefinition };
      if (count !== undefined) request.count = count;
      if (cluster !== undefined) request.cluster = cluster;
      if (launchType !== undefined) request.launchType = launchType;
      return { request, requestFile };
    },
    action: async (command, { client, io, print }) => {
      const extra = command.requestFile === undefined ? {} : await readJson(io, command.requestFile, 'run request');
      const plan = await client.planRun({ ...extra, ...command.request } as RunRequestInput);
      print(plan, () => planText(plan));
      return EXIT.OK;
    },
  }),
  command({
    words: 'capacity',
    summary: "each container instance's room and the runs on it (default: default)",
    arg: { name: 'cluster', value: '<cluster>', what: 'a cluster', optional: true },
    action: async ({ cluster }, { client, print }) => {
      const view = await client.getClusterCapacity(cluster ?? 'default');
      print(view, () => capacityText(view));
      return EXIT.OK;
    },
  }),
  command({
    words: 'queues list',
    summary: 'the queues: slots held, runs waiting, the oldest wait',
    action: async (_params, context) => {
      const queues = await context.client.listQueues();
      context.print({ queues }, () => queuesText(queues));
      return EXIT.OK;
    },
  }),
  command({
    words: 'queues get',
    summary: 'a queue: its limit, slots held, runs waiting, per share counts',
    arg: { name: 'name', value: '<queue>', what: 'a queue name' },
    action: async ({ name }, { client, print }) => {
      const queue = await client.getQueue(name);
      print(queue, () => queuesText([queue], true));
      return EXIT.OK;
    },
  }),
  command({
    words: 'queues pause',
    summary: 'admit no runs until resumed; runs holding a slot go on',
    arg: { name: 'name', value: '<queue>', what: 'a queue name' },
    action: async ({ name }, { client, print }) => {
      const queue = await client.pauseQueue(name);
      print(queue, () => queuesText([queue]));
      return EXIT.OK;
    },
  }),
  command({
    words: 'queues resume',
    summary: 'resume a queue: it admits the waiting runs it has slots for',
    arg: { name: 'name', value: '<queue>', what: 'a queue name' },
    action: async ({ name }, { client, print }) => {
      const queue = await client.resumeQueue(name);
      print(queue, () => queuesText([queue]));
      return EXIT.OK;
    },
  }),
  command({
    words: 'console',
    summary: 'serve the console on 127.0.0.1, signing its API calls (Ctrl-C stops)',
    options: { port: integer('port', '<n>', 'the local port (default: a free one)') },
    action: async ({ port }, { client, io }) => {
      if (port !== undefined && (port < 0 || port > 65_535)) throw new UsageError('--port must be from 0 to 65535.');
      const server = await startConsoleServer(client, port ?? 0);
      io.stdout(`Berth console for ${client.baseUrl.href} on ${server.url}\n`);
      await (io.untilStopped ?? untilSignal)();
      await server.close();
      return EXIT.OK;
    },
  }),
  command({
    words: 'runs list',
    isDefault: true,
    summary: 'the runs, newest first',
    options: {
      status: upperCased<RunStatus>('status', '<status>', 'only runs in this status'),
      family: text('family', '<family>', 'only runs of this task definition family'),
      trigger: text('trigger', '<type|name>', 'only runs of this trigger type (api, schedule, event) or name'),
      queue: text('queue', '<name>', 'only runs of this queue'),
      createdAfter: text('created-after', '<time>', 'only runs created at or after this ISO-8601 time'),
      createdBefore: text('created-before', '<time>', 'only runs created at or before this ISO-8601 time'),
      limit,
      nextToken,
      all,
    },
    action: ({ all, nextToken, ...query }, context) =>
      printList(
        context,
        all
          ? context.client.paginateRuns(query)
          : context.client.listRuns({ ...query, ...(nextToken !== undefined && { nextToken }) }),
        {
          header: ['RUN ID', 'STATUS', 'CREATED', 'STOPPED'],
          row: (r) => [r.runId, r.status, r.createdAt, r.stoppedAt ?? '-'],
        },
      ),
  }),
  command({
    words: 'runs get',
    summary: 'a run, its attempts and outcome',
    arg: { name: 'runId', value: '<runId>', what: 'a run id' },
    action: async ({ runId }, { client, print }) => {
      const run = await client.getRun(runId);
      print(run, () => [...progressLines(undefined, run), outcomeLine(run)].join('\n'));
      return EXIT.OK;
    },
  }),
  command({
    words: 'runs wait',
    summary: 'follow a run and exit with its outcome',
    arg: { name: 'runId', value: '<runId>', what: 'a run id' },
    options: { timeoutSeconds: seconds('timeout', '<seconds>', 'stop following after this long') },
    action: ({ runId, timeoutSeconds }, context) => follow(context, runId, timeoutSeconds),
  }),
  command({
    words: 'logs',
    summary: "a run's output (container | message), oldest first",
    arg: { name: 'runId', value: '<runId>', what: 'a run id' },
    options: {
      follow: flag('follow', 'as it is written, until the run finishes; exit with its outcome', { short: 'f' }),
      container: text('container', '<name>', 'one container (default every essential one)'),
      attempt: integer('attempt', '<n>', 'one attempt (default the last)'),
    },
    action: (params, context) => printLogs(context, params),
  }),
  command({
    words: 'runs cancel',
    summary: 'stop a run',
    arg: { name: 'runId', value: '<runId>', what: 'a run id' },
    action: async ({ runId }, { client, print }) => {
      const run = await client.cancelRun(runId);
      print(run, () => `run ${run.runId}: ${run.status} at ${run.stoppedAt}`);
      return EXIT.OK;
    },
  }),
  command({
    words: 'task-definitions register',
    summary: 'register a task definition',
    arg: { name: 'file', value: '<file.json>', what: 'a JSON file' },
    action: async ({ file }, { client, io, print }) => {
      const input = (await readJson(io, file, 'task definition')) as TaskDefinitionInput;
      const td = await client.registerTaskDefinition(input);
      print(td, () => `registered ${td.family}:${td.revision} (${td.taskDefinitionArn})`);
      return EXIT.OK;
    },
  }),
  command({
    words: 'task-definitions list',
    isDefault: true,
    summary: 'the task definition families',
    options: {
      familyPrefix: text('family-prefix', '<prefix>', 'only families whose name starts so'),
      status: upperCased<'ACTIVE' | 'INACTIVE' | 'ALL'>(
        'status',
        'ACTIVE|INACTIVE|ALL',
        'only families in this status',
      ),
      limit,
      nextToken,
      all,
    },
    action: ({ all, nextToken, ...query }, context) =>
      printList(
        context,
        all
          ? context.client.paginateTaskDefinitions(query)
          : context.client.listTaskDefinitions({ ...query, ...(nextToken !== undefined && { nextToken }) }),
        { header: ['FAMILY', 'LATEST', 'STATUS'], row: (f) => [f.family, String(f.latestRevision), f.status] },
      ),
  }),
  command({
    words: 'task-definitions get',
    summary: 'a revision, or the latest one',
    arg: { name: 'ref', value: '<family>[:<revision>]', what: 'a task definition' },
    parse: ({ ref }) => familyRevision(ref, false, 'task-definitions get'),
    action: async ({ family, revision }, { client, io }) => {
      const td =
        revision === undefined
          ? await client.getLatestTaskDefinition(family)
          : await client.getTaskDefinition(family, revision);
      io.stdout(`${JSON.stringify(td, null, 2)}\n`);
      return EXIT.OK;
    },
  }),
  command({
    words: 'task-definitions deregister',
    summary: 'deregister a revision',
    arg: { name: 'ref', value: '<family>:<revision>', what: 'family:revision' },
    parse: ({ ref }) => {
      const { family, revision } = familyRevision(ref, true, 'task-definitions deregister');
      return { family, revision: revision as string };
    },
    action: async ({ family, revision }, { client, print }) => {
      const td = await client.deregisterTaskDefinition(family, revision);
      print(td, () => `deregistered ${td.family}:${td.revision}: ${td.status}`);
      return EXIT.OK;
    },
  }),
  command({
    words: 'openapi',
    summary: "print the API's OpenAPI document",
    action: async (_, { client, io }) => {
      io.stdout(`${JSON.stringify(await client.getOpenApiDocument(), null, 2)}\n`);
      return EXIT.OK;
    },
  }),
  command({
    words: 'help',
    summary: 'this text',
    action: (_, { io }) => {
      io.stdout(USAGE);
      return EXIT.OK;
    },
  }),
];

const CLI: Cli<Context, typeof GLOBAL> = {
  program: 'berth',
  commands: COMMANDS,
  global: GLOBAL,
  aliases: { td: 'task-definitions' },
  footer: `Requests are signed with SigV4 (execute-api) from the default AWS credential chain; against a
loopback API without AWS credentials in the environment, dummy ones are used.
Exit codes: 0 success, 1 the run failed, was cancelled or timed out, 2 bad arguments,
3 the API refused or could not be reached, 4 --timeout elapsed first.`,
};

export const USAGE = usageOf(CLI);

/** A parsed command: its name (its words) and its parameters. */
export type Command = Parsed<(typeof COMMANDS)[number]>;

export interface Invocation {
  command: Command;
  api: string;
  region?: string;
  json: boolean;
}

/** Reads the command line (without `node` and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Invocation {
  const { command, params, global } = parseWith(CLI, argv);
  return {
    command: { name: command.words, ...params } as Command,
    api: global.api ?? env.BERTH_API_URL ?? DEFAULT_API_URL,
    json: global.json,
    ...(global.region !== undefined && { region: global.region }),
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

/**
 * The credentials the CLI signs with: the default chain, except against a loopback API with no AWS
 * credentials in the environment, where dummy ones do (serverless-offline does not check
 * signatures) and the chain's instance-metadata probe would only add a delay.
 */
export function cliCredentials(api: string, env: NodeJS.ProcessEnv): Credentials | undefined {
  let host: string;
  try {
    host = new URL(api).hostname;
  } catch {
    return undefined;
  }
  if (!LOOPBACK.has(host) || CREDENTIAL_VARIABLES.some((name) => env[name])) return undefined;
  return { accessKeyId: 'berth-local', secretAccessKey: 'berth-local' };
}

function describeApiError(err: BerthApiError): string {
  const lines = [`error: ${err.status} ${err.message}`];
  const violations = 'violations' in err && Array.isArray(err.violations) ? err.violations : [];
  if (err instanceof PolicyError && err.rule) lines.push(`  rule: ${err.rule}`);
  for (const v of violations as Array<{ path: string; message: string }>) lines.push(`  ${v.path}: ${v.message}`);
  if (err.requestId) lines.push(`  request id: ${err.requestId}`);
  return `${lines.join('\n')}\n`;
}

/** Runs the CLI; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let invocation: Invocation;
  let client: BerthClient;
  try {
    invocation = parseCommandLine(argv, io.env);
    const credentials = cliCredentials(invocation.api, io.env);
    const options: BerthClientOptions = {
      baseUrl: invocation.api,
      ...(invocation.region !== undefined && { region: invocation.region }),
      ...(credentials !== undefined && { credentials }),
    };
    client = (io.newClient ?? ((o) => new BerthClient(o)))(options);
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof BerthError)) throw err;
    io.stderr(`berth: ${err.message}\nRun berth --help for usage.\n`);
    return EXIT.USAGE;
  }
  const { command, json } = invocation;
  const print = (value: unknown, text: () => string) =>
    io.stdout(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
  try {
    const spec = CLI.commands.find((c) => c.words === command.name);
    return await (spec as (typeof CLI.commands)[number]).action(command, { client, io, json, print });
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`berth: ${err.message}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof WaitTimeoutError) {
      const run = err.run as RunView | undefined;
      io.stderr(
        `berth: ${err.message}${run && !isFinished(run.status) ? ' It goes on; follow it with berth runs wait.' : ''}\n`,
      );
      return EXIT.WAIT_TIMEOUT;
    }
    if (err instanceof BerthApiError) {
      io.stderr(describeApiError(err));
      return EXIT.API_ERROR;
    }
    if (err instanceof BerthConnectionError || err instanceof BerthError) {
      io.stderr(`berth: ${err.message}\n`);
      return EXIT.API_ERROR;
    }
    io.stderr(`berth: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.API_ERROR;
  }
}
