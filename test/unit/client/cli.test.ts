/**
 * The CLI's argument handling (parseCommandLine), its credentials rule, the progress lines, and
 * runCli's exit codes with a fake client.
 */
import {
  BerthClient,
  type BerthClientOptions,
  NotFoundError,
  PolicyError,
  type RunView,
  ValidationError,
  WaitTimeoutError,
} from '../../../client';
import { cliCredentials, DEFAULT_API_URL, EXIT, parseCommandLine, runCli } from '../../../client/cli';
import { outcomeLine, progressLines } from '../../../client/progress';

describe('parseCommandLine', () => {
  it.each<[string, string[], object]>([
    [
      'run with --wait',
      ['run', 'anjana-educative:1', '--wait'],
      { command: { name: 'run', request: { taskDefinition: 'anjana-educative:1' }, wait: true } },
    ],
    [
      'run with its flags',
      [
        'run',
        'anjana-educative',
        '--count',
        '3',
        '--cluster',
        'batch',
        '--launch-type',
        'ec2',
        '--idempotency-key',
        'k1',
        '--request',
        'run.json',
        '--wait',
        '--timeout',
        '90',
      ],
      {
        command: {
          name: 'run',
          request: { taskDefinition: 'anjana-educative', count: 3, cluster: 'batch', launchType: 'EC2' },
          requestFile: 'run.json',
          idempotencyKey: 'k1',
          wait: true,
          timeoutSeconds: 90,
        },
      },
    ],
    ['runs (list by default)', ['runs'], { command: { name: 'runs list', all: false } }],
    [
      'runs list with a filter',
      ['runs', '--status', 'failed', '--limit', '5', '--next-token', 't'],
      { command: { name: 'runs list', status: 'FAILED', limit: 5, nextToken: 't', all: false } },
    ],
    ['runs get', ['runs', 'get', 'r-1'], { command: { name: 'runs get', runId: 'r-1' } }],
    [
      'runs wait with a timeout',
      ['runs', 'wait', 'r-1', '--timeout', '0.5'],
      { command: { name: 'runs wait', runId: 'r-1', timeoutSeconds: 0.5 } },
    ],
    ['runs cancel', ['runs', 'cancel', 'r-1'], { command: { name: 'runs cancel', runId: 'r-1' } }],
    [
      'task-definitions register',
      ['task-definitions', 'register', 'examples/anjana-educative.json'],
      { command: { name: 'task-definitions register', file: 'examples/anjana-educative.json' } },
    ],
    [
      'td list --all',
      ['td', '--family-prefix', 'anj', '--status', 'all', '--all'],
      { command: { name: 'task-definitions list', familyPrefix: 'anj', status: 'ALL', all: true } },
    ],
    [
      'task-definitions get family',
      ['td', 'get', 'anjana-educative'],
      { command: { name: 'task-definitions get', family: 'anjana-educative' } },
    ],
    [
      'task-definitions get family:revision',
      ['td', 'get', 'anjana-educative:2'],
      { command: { name: 'task-definitions get', family: 'anjana-educative', revision: '2' } },
    ],
    [
      'task-definitions deregister',
      ['task-definitions', 'deregister', 'anjana-educative:2'],
      { command: { name: 'task-definitions deregister', family: 'anjana-educative', revision: '2' } },
    ],
    ['openapi', ['openapi'], { command: { name: 'openapi' } }],
    ['no command', [], { command: { name: 'help' } }],
    ['--help anywhere', ['runs', 'get', '--help'], { command: { name: 'help' } }],
    [
      'global options before the command',
      ['--api', 'https://x.execute-api.eu-west-1.amazonaws.com/prod', '--region', 'eu-west-1', '--json', 'runs'],
      { api: 'https://x.execute-api.eu-west-1.amazonaws.com/prod', region: 'eu-west-1', json: true },
    ],
  ])('reads %s', (_name, argv, expected) => {
    expect(parseCommandLine(argv)).toMatchObject(expected);
  });

  it('takes the API URL from --api, else BERTH_API_URL, else the local default', () => {
    expect(parseCommandLine(['runs'], {}).api).toBe(DEFAULT_API_URL);
    expect(parseCommandLine(['runs'], { BERTH_API_URL: 'http://127.0.0.1:9' }).api).toBe('http://127.0.0.1:9');
    expect(parseCommandLine(['runs', '--api', 'http://a'], { BERTH_API_URL: 'http://b' }).api).toBe('http://a');
  });

  it.each<[string, string[], string]>([
    ['an unknown command', ['launch'], 'Unknown command: launch.'],
    ['an unknown subcommand', ['runs', 'delete', 'r'], 'Unknown command: berth runs delete.'],
    ['an unknown option', ['runs', '--colour'], "Unknown option '--colour'"],
    ['an option of another command', ['runs', '--wait'], '--wait does not apply to berth runs list.'],
    ['run without a task definition', ['run', '--wait'], 'berth run needs a task definition.'],
    ['run with two task definitions', ['run', 'a', 'b'], 'berth run takes one argument (a task definition), got: a b.'],
    ['a count that is not a number', ['run', 'a', '--count', 'two'], '--count must be an integer, not "two".'],
    ['--timeout without --wait', ['run', 'a', '--timeout', '5'], '--timeout applies to --wait.'],
    ['a zero timeout', ['runs', 'wait', 'r', '--timeout', '0'], '--timeout must be a positive number of seconds'],
    ['an option without its value', ['runs', '--status'], "Option '--status <value>' argument missing"],
    ['deregister without a revision', ['td', 'deregister', 'fam'], 'needs family:revision, not "fam".'],
    ['register without a file', ['td', 'register'], 'berth task-definitions register needs a JSON file.'],
    ['runs get without an id', ['runs', 'get'], 'berth runs get needs a run id.'],
  ])('refuses %s', (_name, argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
  });
});

describe('cliCredentials', () => {
  it.each<[string, Record<string, string>, boolean]>([
    ['http://127.0.0.1:3000', {}, true],
    ['http://localhost:3000', {}, true],
    ['http://127.0.0.1:3000', { AWS_ACCESS_KEY_ID: 'AKID' }, false],
    ['http://127.0.0.1:3000', { AWS_PROFILE: 'dev' }, false],
    ['https://abc.execute-api.us-east-1.amazonaws.com/prod', {}, false],
  ])('%s with %j: dummy credentials %s', (api, env, dummy) => {
    expect(cliCredentials(api, env) !== undefined).toBe(dummy);
  });
});

const arn = 'arn:aws:ecs:us-east-1:000000000000:task-definition/anjana-educative:1';
const view = (over: Partial<RunView>): RunView => ({
  runId: 'r1',
  status: 'PENDING',
  taskDefinitionArn: arn,
  cluster: 'default',
  createdAt: '2025-01-01T00:00:00.000Z',
  attempts: [],
  ...over,
});
const task = 'arn:aws:ecs:us-east-1:000000000000:task/default/abc123';

describe('progressLines', () => {
  it.each<[string, RunView | undefined, RunView, string[]]>([
    ['the first view', undefined, view({}), [`run r1: PENDING (${arn} on default)`]],
    ['a status change', view({}), view({ status: 'RUNNING' }), ['status: PENDING -> RUNNING']],
    ['nothing new', view({ status: 'RUNNING' }), view({ status: 'RUNNING' }), []],
    [
      'a capacity check with no room',
      view({}),
      view({
        status: 'WAITING_FOR_CAPACITY',
        capacity: {
          checkedAt: '2025-01-01T00:00:05Z',
          fits: false,
          placeableCount: 0,
          instanceCount: 2,
          shortfall: { tasks: 1, cpu: 512, reason: 'RESOURCE:CPU' },
        },
      }),
      [
        'status: PENDING -> WAITING_FOR_CAPACITY',
        'capacity: no room yet, 0 placeable on 2 instance(s) (512 CPU units short; RESOURCE:CPU)',
      ],
    ],
    [
      'an attempt starting',
      view({ status: 'RUNNING' }),
      view({
        status: 'RUNNING',
        attempts: [{ attempt: 1, taskArns: [task], containers: [], outcome: 'RUNNING' }],
      }),
      ['attempt 1: started task abc123'],
    ],
    [
      'an attempt failing and being retried',
      view({
        status: 'RUNNING',
        attempts: [{ attempt: 1, taskArns: [task], containers: [], outcome: 'RUNNING' }],
      }),
      view({
        status: 'RUNNING',
        attempts: [
          {
            attempt: 1,
            taskArns: [task],
            containers: [{ name: 'anjana', exitCode: 3 }],
            stopCode: 'EssentialContainerExited',
            stoppedReason: 'Essential container in task exited',
            outcome: 'FAILED',
            retry: { decision: 'RETRY', why: 'attempts remain' },
          },
        ],
      }),
      [
        'attempt 1: FAILED, anjana exit 3 [EssentialContainerExited: Essential container in task exited]',
        'attempt 1: will retry (attempts remain)',
      ],
    ],
    [
      'the run failing',
      view({ status: 'RUNNING' }),
      view({ status: 'FAILED', error: { code: 'States.TaskFailed', message: 'exit 3' } }),
      ['status: RUNNING -> FAILED', 'error: States.TaskFailed: exit 3'],
    ],
    [
      'a run waiting in its queue, moving up, then admitted',
      view({}),
      view({
        status: 'QUEUED',
        queue: {
          name: 'nightly',
          priority: 0,
          enqueuedAt: '2025-01-01T00:00:00Z',
          position: 3,
          waitingFor: 'A slot in queue nightly: 2 of 2 are held; 2 ahead of it.',
        },
      }),
      [
        'status: PENDING -> QUEUED',
        'queue nightly, position 3: waiting for a slot in queue nightly: 2 of 2 are held; 2 ahead of it.',
      ],
    ],
    [
      'a queued run admitted',
      view({
        status: 'QUEUED',
        queue: { name: 'nightly', priority: 0, enqueuedAt: '2025-01-01T00:00:00Z', position: 1 },
      }),
      view({
        status: 'PENDING',
        queue: { name: 'nightly', priority: 0, enqueuedAt: '2025-01-01T00:00:00Z', admittedAt: '2025-01-01T00:00:09Z' },
      }),
      ['status: QUEUED -> PENDING', 'queue nightly: admitted'],
    ],
    [
      'a run that replaced earlier runs of its trigger',
      undefined,
      view({ replaced: ['r0', 'r00'] }),
      [`run r1: PENDING (${arn} on default)`, 'replaced: r0, r00 (cancelled before this run started)'],
    ],
  ])('%s', (_name, before, now, lines) => {
    expect(progressLines(before, now)).toEqual(lines);
  });

  it('ends with the outcome', () => {
    expect(outcomeLine(view({ status: 'SUCCEEDED' }))).toBe('run r1 SUCCEEDED');
    expect(outcomeLine(view({ status: 'FAILED', error: { code: 'X', message: 'y' } }))).toBe('run r1 FAILED: X: y');
    const skipped = { reason: 'Trigger nightly has concurrencyPolicy Forbid ...', overlappedRunId: 'r0' };
    expect(outcomeLine(view({ status: 'SKIPPED', skipped }))).toBe(
      'run r1 SKIPPED: Trigger nightly has concurrencyPolicy Forbid ...',
    );
  });
});

describe('runCli', () => {
  function harness(client: Partial<Record<keyof BerthClient, unknown>>) {
    const out: string[] = [];
    const err: string[] = [];
    const made: BerthClientOptions[] = [];
    const io = {
      stdout: (t: string) => out.push(t),
      stderr: (t: string) => err.push(t),
      env: {},
      newClient: (options: BerthClientOptions) => {
        made.push(options);
        return client as unknown as BerthClient;
      },
      readFile: async (p: string) => {
        if (p === 'run.json') return '{"count": 2, "retry": {"attempts": 3}}';
        if (p === 'bad.json') return '[1]';
        throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      },
      now: () => new Date('2025-01-01T12:34:56Z'),
    };
    return { io, out, err, made };
  }

  const waiting = (final: RunView) => ({
    startRun: jest.fn(async () => ({ runId: 'r1', status: 'PENDING', created: true, location: '/runs/r1' })),
    waitForRun: jest.fn(async (_id: string, options: { onChange?: (r: RunView, p?: RunView) => void }) => {
      options.onChange?.(view({}), undefined);
      options.onChange?.(final, view({}));
      return final;
    }),
  });

  it('exits 0 when the run succeeds, with progress on stderr and the outcome on stdout', async () => {
    const client = waiting(view({ status: 'SUCCEEDED' }));
    const h = harness(client);
    const code = await runCli(['run', 'anjana-educative:1', '--wait', '--request', 'run.json', '--count', '1'], h.io);
    expect(code).toBe(EXIT.OK);
    expect(client.startRun).toHaveBeenCalledWith(
      { taskDefinition: 'anjana-educative:1', count: 1, retry: { attempts: 3 } },
      {},
    );
    expect(h.err.join('')).toBe(
      `run r1 started\n12:34:56 run r1: PENDING (${arn} on default)\n12:34:56 status: PENDING -> SUCCEEDED\n`,
    );
    expect(h.out.join('')).toBe('run r1 SUCCEEDED\n');
    expect(h.made[0]).toMatchObject({ baseUrl: DEFAULT_API_URL, credentials: { accessKeyId: 'berth-local' } });
  });

  const logEvent = (container: string, message: string) => ({
    timestamp: 1,
    message,
    container,
    taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/default/abc',
    attempt: 1,
  });
  async function* following(...events: ReturnType<typeof logEvent>[]) {
    yield* events;
    return 'SUCCEEDED';
  }

  it.each([
    ['SUCCEEDED', EXIT.OK],
    ['FAILED', EXIT.RUN_FAILED],
  ] as const)('logs --follow prints container | message and exits as the run ended (%s)', async (status, exit) => {
    const client = {
      followLogs: jest.fn(() => following(logEvent('app', 'hello'), logEvent('side', 'world'))),
      getRun: jest.fn(async () => view({ status })),
    };
    const h = harness(client);
    expect(await runCli(['logs', 'r1', '--follow', '--container', 'app', '--attempt', '2'], h.io)).toBe(exit);
    expect(h.out.join('')).toBe('app | hello\nside | world\n');
    expect(client.followLogs).toHaveBeenCalledWith('r1', { container: 'app', attempt: 2 });
    expect(h.err.join('')).toBe(`run r1 ${status}\n`);
  });

  it('logs without --follow prints the pages there are and exits 0', async () => {
    const pages = [
      { runId: 'r1', status: 'RUNNING', events: [logEvent('app', 'one')], nextToken: 't1' },
      { runId: 'r1', status: 'RUNNING', events: [], nextToken: 't1' },
    ];
    const client = { getRunLogs: jest.fn(async () => pages.shift()) };
    const h = harness(client);
    expect(await runCli(['logs', 'r1'], h.io)).toBe(EXIT.OK);
    expect(h.out.join('')).toBe('app | one\n');
    expect(client.getRunLogs).toHaveBeenLastCalledWith('r1', { nextToken: 't1' });
  });

  it('run --wait --logs prints the output while it waits', async () => {
    const client = {
      ...waiting(view({ status: 'SUCCEEDED' })),
      followLogs: jest.fn(() => following(logEvent('app', 'hi'))),
    };
    const h = harness(client);
    expect(await runCli(['run', 'f:1', '--wait', '--logs'], h.io)).toBe(EXIT.OK);
    expect(h.out.join('')).toBe('app | hi\nrun r1 SUCCEEDED\n');
  });

  it.each(['FAILED', 'CANCELLED', 'TIMED_OUT'] as const)('exits 1 when the run ends %s', async (status) => {
    const h = harness(waiting(view({ status })));
    expect(await runCli(['run', 'f:1', '--wait'], h.io)).toBe(EXIT.RUN_FAILED);
  });

  it('exits 4 when --timeout elapses first', async () => {
    const h = harness({
      startRun: async () => ({ runId: 'r1', status: 'PENDING', created: true }),
      waitForRun: async () => {
        throw new WaitTimeoutError('Run r1 is still RUNNING after 1000 ms.', view({ status: 'RUNNING' }));
      },
    });
    expect(await runCli(['run', 'f:1', '--wait', '--timeout', '1'], h.io)).toBe(EXIT.WAIT_TIMEOUT);
    expect(h.err.join('')).toContain('It goes on; follow it with berth runs wait.');
  });

  it('exits 3 with every violation when the API refuses', async () => {
    const h = harness({
      startRun: async () => {
        throw new ValidationError(400, {
          detail: '$.count: too many',
          requestId: 'q1',
          errors: [{ path: '$.count', message: "'count' must be an integer from 1 to 10." }],
        });
      },
    });
    expect(await runCli(['run', 'f:1', '--count', '11'], h.io)).toBe(EXIT.API_ERROR);
    expect(h.err.join('')).toBe(
      "error: 400 $.count: too many\n  $.count: 'count' must be an integer from 1 to 10.\n  request id: q1\n",
    );
  });

  it('names the rule of a policy refusal', async () => {
    const h = harness({
      registerTaskDefinition: async () => {
        throw new PolicyError(403, { detail: 'no', rule: 'allowPrivileged', errors: [] });
      },
    });
    expect(await runCli(['td', 'register', 'run.json'], h.io)).toBe(EXIT.API_ERROR);
    expect(h.err.join('')).toContain('  rule: allowPrivileged\n');
  });

  it.each<[string, string[], string]>([
    ['a bad option', ['runs', '--colour'], "berth: Unknown option '--colour'"],
    ['a bad API URL', ['runs', '--api', 'ftp://x'], 'berth: The API URL must be http or https'],
    [
      'a file that is missing',
      ['td', 'register', 'missing.json'],
      'berth: Cannot read task definition missing.json: ENOENT.',
    ],
    [
      'a file that is not an object',
      ['td', 'register', 'bad.json'],
      'berth: task definition bad.json is not a JSON object',
    ],
  ])('exits 2 on %s', async (_name, argv, message) => {
    const h = harness({ registerTaskDefinition: async () => ({}) });
    // A real client constructor refuses bad URLs.
    h.io.newClient = (o) => {
      new BerthClient(o);
      return { registerTaskDefinition: async () => ({}) } as unknown as BerthClient;
    };
    expect(await runCli(argv, h.io)).toBe(EXIT.USAGE);
    expect(h.err.join('')).toContain(message);
  });

  it('lists runs as a table, with the next page token', async () => {
    const h = harness({
      listRuns: async () => ({
        items: [
          { runId: 'r1', status: 'SUCCEEDED', createdAt: '2025-01-01T00:00:00Z', stoppedAt: '2025-01-01T00:01:00Z' },
        ],
        nextToken: 'n1',
      }),
    });
    expect(await runCli(['runs'], h.io)).toBe(EXIT.OK);
    expect(h.out.join('')).toBe(
      'RUN ID  STATUS     CREATED               STOPPED\nr1      SUCCEEDED  2025-01-01T00:00:00Z  2025-01-01T00:01:00Z\nmore: --next-token n1\n',
    );
  });

  it('prints JSON with --json', async () => {
    const h = harness({ getRun: async () => view({ status: 'RUNNING' }) });
    expect(await runCli(['runs', 'get', 'r1', '--json'], h.io)).toBe(EXIT.OK);
    expect(JSON.parse(h.out.join(''))).toMatchObject({ runId: 'r1', status: 'RUNNING' });
  });

  it('exits 3 for an unknown run', async () => {
    const h = harness({
      getRun: async () => {
        throw new NotFoundError(404, { detail: 'Run r9 does not exist.' });
      },
    });
    expect(await runCli(['runs', 'get', 'r9'], h.io)).toBe(EXIT.API_ERROR);
    expect(h.err.join('')).toBe('error: 404 Run r9 does not exist.\n');
  });
});
