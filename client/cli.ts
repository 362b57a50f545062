/**
 * `berth`: a small CLI on the typed client (bin/berth.js runs it). Parsing is pure
 * (`parseCommandLine`), running takes its streams, environment and client factory as arguments
 * (`runCli`), so both are tested without a terminal.
 *
 * Exit codes: 0 success (for `run --wait` and `runs wait`: the run SUCCEEDED); 1 the run ended
 * FAILED, CANCELLED or TIMED_OUT; 2 bad arguments; 3 the API refused the request or could not be
 * reached; 4 `--timeout` elapsed before the run finished.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  BerthClient,
  type BerthClientOptions,
  type Credentials,
  isFinished,
  type RunRequestInput,
  type RunStatus,
  type RunView,
  type TaskDefinitionInput,
} from './client';
import { BerthApiError, BerthConnectionError, BerthError, PolicyError, WaitTimeoutError } from './errors';
import { outcomeLine, progressLines } from './progress';

export const EXIT = { OK: 0, RUN_FAILED: 1, USAGE: 2, API_ERROR: 3, WAIT_TIMEOUT: 4 } as const;
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export class UsageError extends Error {
  override name = 'UsageError';
}

export const USAGE = `Usage: berth <command> [options]

Commands:
  run <taskDefinition>                 start a run (family, family:revision or ARN)
      [--wait] [--timeout <seconds>]   follow its progress and exit with its outcome
      [--count <n>] [--cluster <name>] [--launch-type EC2|FARGATE|EXTERNAL]
      [--request <file.json>]          more of the POST /runs body (taskDefinition and flags win)
      [--idempotency-key <key>]
  runs [list] [--status <status>] [--limit <n>] [--next-token <token>] [--all]
  runs get <runId>
  runs wait <runId> [--timeout <seconds>]
  runs cancel <runId>
  task-definitions register <file.json>        (also: td)
  task-definitions [list] [--family-prefix <prefix>] [--status ACTIVE|INACTIVE|ALL] [--limit <n>] [--all]
  task-definitions get <family>[:<revision>]
  task-definitions deregister <family>:<revision>
  openapi                              print the API's OpenAPI document

Options for every command:
  --api <url>      the API (default: $BERTH_API_URL, else ${DEFAULT_API_URL})
  --region <name>  signing region (default: from an execute-api URL, else $AWS_REGION)
  --json           print JSON instead of text
  -h, --help       this text

Requests are signed with SigV4 (execute-api) from the default AWS credential chain; against a
loopback API without AWS credentials in the environment, dummy ones are used.
Exit codes: 0 success, 1 the run failed, was cancelled or timed out, 2 bad arguments,
3 the API refused or could not be reached, 4 --timeout elapsed first.
`;

export type Command =
  | { name: 'help' }
  | {
      name: 'run';
      request: RunRequestInput;
      requestFile?: string;
      idempotencyKey?: string;
      wait: boolean;
      timeoutSeconds?: number;
    }
  | { name: 'runs list'; status?: RunStatus; limit?: number; nextToken?: string; all: boolean }
  | { name: 'runs get'; runId: string }
  | { name: 'runs wait'; runId: string; timeoutSeconds?: number }
  | { name: 'runs cancel'; runId: string }
  | { name: 'task-definitions register'; file: string }
  | {
      name: 'task-definitions list';
      familyPrefix?: string;
      status?: 'ACTIVE' | 'INACTIVE' | 'ALL';
      limit?: number;
      nextToken?: string;
      all: boolean;
    }
  | { name: 'task-definitions get'; family: string; revision?: string }
  | { name: 'task-definitions deregister'; family: string; revision: string }
  | { name: 'openapi' };

export interface Invocation {
  command: Command;
  api: string;
  region?: string;
  json: boolean;
}

const OPTIONS = {
  api: { type: 'string' },
  region: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  count: { type: 'string' },
  cluster: { type: 'string' },
  'launch-type': { type: 'string' },
  request: { type: 'string' },
  'idempotency-key': { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  'next-token': { type: 'string' },
  all: { type: 'boolean' },
  'family-prefix': { type: 'string' },
} as const;
type OptionName = keyof typeof OPTIONS;

const GLOBAL: readonly OptionName[] = ['api', 'region', 'json', 'help'];
const ALLOWED: Readonly<Record<Command['name'], readonly OptionName[]>> = {
  help: [],
  run: ['wait', 'timeout', 'count', 'cluster', 'launch-type', 'request', 'idempotency-key'],
  'runs list': ['status', 'limit', 'next-token', 'all'],
  'runs get': [],
  'runs wait': ['timeout'],
  'runs cancel': [],
  'task-definitions register': [],
  'task-definitions list': ['family-prefix', 'status', 'limit', 'next-token', 'all'],
  'task-definitions get': [],
  'task-definitions deregister': [],
  openapi: [],
};

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value)) throw new UsageError(`--${name} must be an integer, not "${value}".`);
  return Number(value);
}

function seconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw new UsageError(`--timeout must be a positive number of seconds, not "${value}".`);
  }
  return n;
}

function one(args: string[], what: string, command: string): string {
  if (args.length === 0) throw new UsageError(`berth ${command} needs ${what}.`);
  if (args.length > 1) throw new UsageError(`berth ${command} takes one argument (${what}), got: ${args.join(' ')}.`);
  return args[0] as string;
}

function none(args: string[], command: string) {
  if (args.length > 0) throw new UsageError(`berth ${command} takes no arguments, got: ${args.join(' ')}.`);
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

function commandOf(words: string[], v: Partial<Record<OptionName, string | boolean>>): Command {
  const str = (name: OptionName) => v[name] as string | undefined;
  const [first, second, ...rest] = words;
  switch (first) {
    case undefined:
    case 'help':
      return { name: 'help' };
    case 'run': {
      const args = second === undefined ? [] : [second, ...rest];
      const request: RunRequestInput = { taskDefinition: one(args, 'a task definition', 'run') };
      const count = integer('count', str('count'));
      if (count !== undefined) request.count = count;
      if (str('cluster') !== undefined) request.cluster = str('cluster');
      const launchType = str('launch-type');
      if (launchType !== undefined) request.launchType = launchType.toUpperCase() as RunRequestInput['launchType'];
      const wait = v.wait === true;
      if (!wait && str('timeout') !== undefined) throw new UsageError('--timeout applies to --wait.');
      const timeoutSeconds = seconds(str('timeout'));
      return {
        name: 'run',
        request,
        wait,
        ...(str('request') !== undefined && { requestFile: str('request') }),
        ...(str('idempotency-key') !== undefined && { idempotencyKey: str('idempotency-key') }),
        ...(timeoutSeconds !== undefined && { timeoutSeconds }),
      };
    }
    case 'runs': {
      const sub = second ?? 'list';
      if (sub === 'list') {
        none(rest, 'runs list');
        const limit = integer('limit', str('limit'));
        return {
          name: 'runs list',
          all: v.all === true,
          ...(str('status') !== undefined && { status: str('status')?.toUpperCase() as RunStatus }),
          ...(limit !== undefined && { limit }),
          ...(str('next-token') !== undefined && { nextToken: str('next-token') }),
        };
      }
      if (sub === 'get' || sub === 'cancel')
        return { name: `runs ${sub}`, runId: one(rest, 'a run id', `runs ${sub}`) };
      if (sub === 'wait') {
        const timeoutSeconds = seconds(str('timeout'));
        return {
          name: 'runs wait',
          runId: one(rest, 'a run id', 'runs wait'),
          ...(timeoutSeconds !== undefined && { timeoutSeconds }),
        };
      }
      throw new UsageError(`Unknown command: berth runs ${sub}.`);
    }
    case 'task-definitions':
    case 'td': {
      const sub = second ?? 'list';
      if (sub === 'register')
        return { name: 'task-definitions register', file: one(rest, 'a JSON file', 'task-definitions register') };
      if (sub === 'list') {
        none(rest, 'task-definitions list');
        const limit = integer('limit', str('limit'));
        const status = str('status')?.toUpperCase();
        return {
          name: 'task-definitions list',
          all: v.all === true,
          ...(str('family-prefix') !== undefined && { familyPrefix: str('family-prefix') }),
          ...(status !== undefined && { status: status as 'ACTIVE' | 'INACTIVE' | 'ALL' }),
          ...(limit !== undefined && { limit }),
          ...(str('next-token') !== undefined && { nextToken: str('next-token') }),
        };
      }
      if (sub === 'get') {
        return {
          name: 'task-definitions get',
          ...familyRevision(one(rest, 'a task definition', 'task-definitions get'), false, 'task-definitions get'),
        };
      }
      if (sub === 'deregister') {
        const ref = familyRevision(
          one(rest, 'family:revision', 'task-definitions deregister'),
          true,
          'task-definitions deregister',
        );
        return { name: 'task-definitions deregister', family: ref.family, revision: ref.revision as string };
      }
      throw new UsageError(`Unknown command: berth task-definitions ${sub}.`);
    }
    case 'openapi':
      none(
        [second, ...rest].filter((w): w is string => w !== undefined),
        'openapi',
      );
      return { name: 'openapi' };
    default:
      throw new UsageError(`Unknown command: ${first}.`);
  }
}

/** Reads the command line (without `node` and the script). Throws UsageError. */
export function parseCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Invocation {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true; strict: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Partial<Record<OptionName, string | boolean>>;
  const command: Command = values.help === true ? { name: 'help' } : commandOf(parsed.positionals, values);
  const allowed = new Set([...GLOBAL, ...ALLOWED[command.name]]);
  for (const name of Object.keys(values) as OptionName[]) {
    if (!allowed.has(name)) throw new UsageError(`--${name} does not apply to berth ${command.name}.`);
  }
  const api = (values.api as string | undefined) ?? env.BERTH_API_URL ?? DEFAULT_API_URL;
  return {
    command,
    api,
    json: values.json === true,
    ...(values.region !== undefined && { region: values.region as string }),
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

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  newClient?: (options: BerthClientOptions) => BerthClient;
  readFile?: (path: string) => Promise<string>;
  now?: () => Date;
  /** For tests: waitForRun's polling delays. */
  pollDelays?: { minDelay: number; maxDelay: number };
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

async function follow(
  client: BerthClient,
  io: CliIo,
  runId: string,
  timeoutSeconds: number | undefined,
  json: boolean,
): Promise<number> {
  const now = io.now ?? (() => new Date());
  const stamp = () => now().toISOString().slice(11, 19);
  const run = await client.waitForRun(runId, {
    ...(timeoutSeconds !== undefined && { timeout: timeoutSeconds * 1000 }),
    ...io.pollDelays,
    onChange: (view, previous) => {
      for (const line of progressLines(previous, view)) io.stderr(`${stamp()} ${line}\n`);
    },
  });
  io.stdout(json ? `${JSON.stringify(run, null, 2)}\n` : `${outcomeLine(run)}\n`);
  return exitFor(run);
}

async function execute(client: BerthClient, invocation: Invocation, io: CliIo): Promise<number> {
  const { command, json } = invocation;
  const print = (value: unknown, text: () => string) =>
    io.stdout(`${json ? JSON.stringify(value, null, 2) : text()}\n`);
  switch (command.name) {
    case 'help':
      io.stdout(USAGE);
      return EXIT.OK;
    case 'run': {
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
      return follow(client, io, started.runId, command.timeoutSeconds, json);
    }
    case 'runs wait':
      return follow(client, io, command.runId, command.timeoutSeconds, json);
    case 'runs list': {
      const query = {
        ...(command.status !== undefined && { status: command.status }),
        ...(command.limit !== undefined && { limit: command.limit }),
      };
      let items: Awaited<ReturnType<BerthClient['listRuns']>>['items'] = [];
      let nextToken: string | undefined;
      if (command.all) for await (const run of client.paginateRuns(query)) items.push(run);
      else {
        const page = await client.listRuns({
          ...query,
          ...(command.nextToken !== undefined && { nextToken: command.nextToken }),
        });
        items = page.items;
        nextToken = page.nextToken;
      }
      print({ items, ...(nextToken !== undefined && { nextToken }) }, () =>
        [
          pad([
            ['RUN ID', 'STATUS', 'CREATED', 'STOPPED'],
            ...items.map((r) => [r.runId, r.status, r.createdAt, r.stoppedAt ?? '-']),
          ]),
          ...(nextToken !== undefined ? [`more: --next-token ${nextToken}`] : []),
        ].join('\n'),
      );
      return EXIT.OK;
    }
    case 'runs get': {
      const run = await client.getRun(command.runId);
      print(run, () => [...progressLines(undefined, run), outcomeLine(run)].join('\n'));
      return EXIT.OK;
    }
    case 'runs cancel': {
      const run = await client.cancelRun(command.runId);
      print(run, () => `run ${run.runId}: ${run.status} at ${run.stoppedAt}`);
      return EXIT.OK;
    }
    case 'task-definitions register': {
      const input = (await readJson(io, command.file, 'task definition')) as TaskDefinitionInput;
      const td = await client.registerTaskDefinition(input);
      print(td, () => `registered ${td.family}:${td.revision} (${td.taskDefinitionArn})`);
      return EXIT.OK;
    }
    case 'task-definitions list': {
      const query = {
        ...(command.familyPrefix !== undefined && { familyPrefix: command.familyPrefix }),
        ...(command.status !== undefined && { status: command.status }),
        ...(command.limit !== undefined && { limit: command.limit }),
      };
      let items: Awaited<ReturnType<BerthClient['listTaskDefinitions']>>['items'] = [];
      let nextToken: string | undefined;
      if (command.all) for await (const f of client.paginateTaskDefinitions(query)) items.push(f);
      else {
        const page = await client.listTaskDefinitions({
          ...query,
          ...(command.nextToken !== undefined && { nextToken: command.nextToken }),
        });
        items = page.items;
        nextToken = page.nextToken;
      }
      print({ items, ...(nextToken !== undefined && { nextToken }) }, () =>
        [
          pad([['FAMILY', 'LATEST', 'STATUS'], ...items.map((f) => [f.family, String(f.latestRevision), f.status])]),
          ...(nextToken !== undefined ? [`more: --next-token ${nextToken}`] : []),
        ].join('\n'),
      );
      return EXIT.OK;
    }
    case 'task-definitions get': {
      const td =
        command.revision === undefined
          ? await client.getLatestTaskDefinition(command.family)
          : await client.getTaskDefinition(command.family, command.revision);
      io.stdout(`${JSON.stringify(td, null, 2)}\n`);
      return EXIT.OK;
    }
    case 'task-definitions deregister': {
      const td = await client.deregisterTaskDefinition(command.family, command.revision);
      print(td, () => `deregistered ${td.family}:${td.revision}: ${td.status}`);
      return EXIT.OK;
    }
    case 'openapi':
      io.stdout(`${JSON.stringify(await client.getOpenApiDocument(), null, 2)}\n`);
      return EXIT.OK;
  }
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
  try {
    return await execute(client, invocation, io);
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
