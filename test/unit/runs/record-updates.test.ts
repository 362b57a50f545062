/** The run record's ordered changes (lib/runs/record-updates.ts): tables of out-of-order and repeated events. */
import type { RunRecord, TaskRecord } from '../../../lib/runs/record';
import { runView } from '../../../lib/runs/record';
import {
  admitted,
  applyChange,
  attemptDecided,
  capacityChecked,
  newRecord,
  queued,
  type RecordChange,
  runEnded,
  taskChanged,
} from '../../../lib/runs/record-updates';

const T0 = new Date('2026-12-07T15:00:00.000Z');
const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/default/aaaa';
const ARN2 = 'arn:aws:ecs:us-east-1:123456789012:task/default/bbbb';

const fresh = (): RunRecord =>
  newRecord({
    runId: 'run-1',
    family: 'job',
    taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1',
    cluster: 'default',
    trigger: { type: 'schedule', name: 'nightly' },
    request: { taskDefinition: 'job' },
    executionInput: { runId: 'run-1' },
    createdAt: T0,
    retentionDays: 400,
  });

const task = (lastStatus: string, version: number, extra: Partial<TaskRecord> = {}, taskArn = ARN): TaskRecord => ({
  taskArn,
  lastStatus,
  version,
  containers: [],
  ...extra,
});

const running = (version = 2, taskArn = ARN) =>
  taskChanged(1, task('RUNNING', version, { startedAt: '2026-12-07T15:00:05.000Z' }, taskArn));
const stopped = (exitCode: number, version = 3, taskArn = ARN, attempt = 1) =>
  taskChanged(
    attempt,
    task(
      'STOPPED',
      version,
      {
        startedAt: '2026-12-07T15:00:05.000Z',
        stoppedAt: '2026-12-07T15:00:09.000Z',
        stopCode: 'EssentialContainerExited',
        stoppedReason: 'Essential container in task exited',
        containers: [{ name: 'main', exitCode }],
      },
      taskArn,
    ),
  );
const check = (at: string, decision: 'RUN' | 'WAIT' | 'GIVE_UP', attempt = 1) =>
  capacityChecked(attempt, { checkedAt: at, fits: decision === 'RUN', placeableCount: 0, instanceCount: 2 }, decision);
const ended = (
  status: 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT',
  source: 'execution' | 'cancel' = 'execution',
) =>
  runEnded({
    status,
    stoppedAt: '2026-12-07T15:00:10.000Z',
    source,
    ...(status !== 'SUCCEEDED' && {
      error: { code: status === 'CANCELLED' ? 'Berth.Cancelled' : 'TaskFailed', message: 'why' },
    }),
  });
const decided = (attempt: number, decision: 'RETRY' | 'EXIT') =>
  attemptDecided({
    attempt,
    outcome: 'FAILED',
    decision,
    why: 'exit code 1 matched no rule',
    error: { code: 'TaskFailed', message: 'Container main exited with code 1' },
    tasks: [task('STOPPED', 0, { containers: [{ name: 'main', exitCode: 1 }] }, attempt === 1 ? ARN : ARN2)],
  });

/** Applies changes in order; returns the record and how many of them wrote. */
function play(changes: RecordChange[], from = fresh()) {
  let record = from;
  let writes = 0;
  for (const change of changes) {
    const next = applyChange(record, change, new Date(T0.getTime() + 1000 * (writes + 1)));
    if (next !== undefined) {
      record = next;
      writes += 1;
    }
  }
  return { record, writes };
}

/** Every order of a list (n! of them: keep n small). */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((p) => [item, ...p]),
  );
}

/** What must converge: the record without its write bookkeeping. */
const essence = (r: RunRecord) => {
  const { version: _v, updatedAt: _u, ...rest } = r;
  return rest;
};

describe('a new record', () => {
  it('is PENDING at attempt 1, with its index keys and an expiry after the retention', () => {
    expect(fresh()).toMatchObject({
      status: 'PENDING',
      attempt: 1,
      version: 1,
      listKey: 'RUN',
      triggerType: 'schedule',
      triggerName: 'nightly',
      createdAt: '2026-12-07T15:00:00.000Z',
      expiresAt: T0.getTime() / 1000 + 400 * 86_400,
      attempts: [],
    });
  });
});

describe("where an attempt's containers log", () => {
  it("names each task's stream from the logging the record keeps, or says why there is none", () => {
    const record = newRecord({
      ...{ runId: 'run-1', family: 'job', cluster: 'default', trigger: { type: 'api' } as const },
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1',
      request: {},
      executionInput: {},
      createdAt: T0,
      retentionDays: 400,
      logging: [
        {
          name: 'app',
          essential: true,
          logConfiguration: {
            logDriver: 'awslogs',
            options: { 'awslogs-group': '/berth/dev/runs', 'awslogs-stream-prefix': 'job' },
          },
        },
        { name: 'proxy', essential: false, logConfiguration: { logDriver: 'fluentd' } },
      ],
    });
    const [attempt] = runView(play([running(2, ARN), running(2, ARN2)], record).record).attempts;
    expect(attempt?.logs).toEqual([
      { taskArn: ARN, container: 'app', logGroup: '/berth/dev/runs', logStream: 'job/app/aaaa' },
      { taskArn: ARN, container: 'proxy', reason: 'The container logs with the fluentd driver, not awslogs.' },
      { taskArn: ARN2, container: 'app', logGroup: '/berth/dev/runs', logStream: 'job/app/bbbb' },
      { taskArn: ARN2, container: 'proxy', reason: 'The container logs with the fluentd driver, not awslogs.' },
    ]);
  });

  it('says nothing for a record kept before its logging was', () => {
    expect(runView(play([running()]).record).attempts[0]).not.toHaveProperty('logs');
  });
});

describe('the run status only moves forward', () => {
  it.each<[string, RecordChange[], string, number]>([
    ['a capacity wait', [check('2026-12-07T15:00:01Z', 'WAIT')], 'WAITING_FOR_CAPACITY', 1],
    ['a check with room leaves PENDING', [check('2026-12-07T15:00:01Z', 'RUN')], 'PENDING', 1],
    ['a task event after a wait', [check('2026-12-07T15:00:01Z', 'WAIT'), running()], 'RUNNING', 1],
    ['a late wait of the same attempt after RUNNING', [running(), check('2026-12-07T15:00:01Z', 'WAIT')], 'RUNNING', 1],
    [
      'a wait of the next attempt after RUNNING',
      [running(), decided(1, 'RETRY'), check('2026-12-07T15:00:20Z', 'WAIT', 2)],
      'WAITING_FOR_CAPACITY',
      2,
    ],
    [
      'a late RUNNING of attempt 1 during attempt 2',
      [check('2026-12-07T15:00:20Z', 'WAIT', 2), running()],
      'WAITING_FOR_CAPACITY',
      2,
    ],
    ['a STOPPED task with no RUNNING before it', [stopped(0)], 'RUNNING', 1],
    ['the end', [running(), ended('SUCCEEDED')], 'SUCCEEDED', 1],
    ['a task event after the end', [ended('SUCCEEDED'), running()], 'SUCCEEDED', 1],
    [
      'a wait after the end (the attempt follows, the status does not)',
      [ended('FAILED'), check('2026-12-07T15:00:20Z', 'WAIT', 2)],
      'FAILED',
      2,
    ],
    ['a second end after the execution ended', [ended('FAILED'), ended('SUCCEEDED')], 'FAILED', 1],
    [
      'a cancel, then the execution ended on its own first',
      [ended('CANCELLED', 'cancel'), ended('SUCCEEDED')],
      'SUCCEEDED',
      1,
    ],
    ['a cancel, confirmed by the abort', [ended('CANCELLED', 'cancel'), ended('CANCELLED')], 'CANCELLED', 1],
    ['a cancel after the execution ended', [ended('SUCCEEDED'), ended('CANCELLED', 'cancel')], 'SUCCEEDED', 1],
  ])('%s', (_name, changes, status, attempt) => {
    const { record } = play(changes);
    expect([record.status, record.attempt]).toEqual([status, attempt]);
  });
});

describe('a task only moves forward, by lifecycle and ECS version', () => {
  it.each<[string, RecordChange[], string, number]>([
    ['in order', [taskChanged(1, task('PENDING', 1)), running(2), stopped(0, 3)], 'STOPPED', 3],
    ['STOPPED before RUNNING', [stopped(0, 3), running(2)], 'STOPPED', 3],
    ['PENDING after RUNNING', [running(2), taskChanged(1, task('PENDING', 1))], 'RUNNING', 2],
    ['the workflow view (version 0) after the event', [stopped(1, 3), decided(1, 'EXIT')], 'STOPPED', 3],
    ['the event after the workflow view', [decided(1, 'EXIT'), stopped(1, 3)], 'STOPPED', 3],
    ['a newer version in the same status', [stopped(0, 3), stopped(0, 4)], 'STOPPED', 4],
  ])('%s', (_name, changes, lastStatus, version) => {
    const { record } = play(changes);
    expect(record.attempts[0]?.tasks).toHaveLength(1);
    expect(record.attempts[0]?.tasks[0]).toMatchObject({ lastStatus, version });
  });

  it('keeps startedAt from RUNNING when STOPPED comes without one', () => {
    const { record } = play([running(2), taskChanged(1, task('STOPPED', 3))]);
    expect(record.attempts[0]?.tasks[0]?.startedAt).toBe('2026-12-07T15:00:05.000Z');
    expect(record.startedAt).toBe('2026-12-07T15:00:05.000Z');
  });
});

describe('repeats write nothing', () => {
  it.each<[string, RecordChange]>([
    ['a task event', running()],
    ['a capacity check', check('2026-12-07T15:00:01Z', 'WAIT')],
    ['a retry decision', decided(1, 'RETRY')],
    ['the end', ended('SUCCEEDED')],
  ])('%s delivered twice is one write', (_name, change) => {
    expect(play([change, change]).writes).toBe(1);
  });

  it('an older capacity check does not replace a newer one', () => {
    const { record } = play([check('2026-12-07T15:00:05Z', 'WAIT'), check('2026-12-07T15:00:01Z', 'RUN')]);
    expect(record.capacity?.checkedAt).toBe('2026-12-07T15:00:05Z');
  });
});

describe('whatever the order, a run converges', () => {
  const scenarios: [string, RecordChange[], Partial<RunRecord>][] = [
    [
      'a run that waited, ran and succeeded',
      [
        check('2026-12-07T15:00:01Z', 'WAIT'),
        check('2026-12-07T15:00:03Z', 'RUN'),
        running(),
        stopped(0),
        ended('SUCCEEDED'),
      ],
      { status: 'SUCCEEDED', startedAt: '2026-12-07T15:00:05.000Z' },
    ],
    [
      'a run whose first attempt failed and was retried',
      [running(), stopped(1), decided(1, 'RETRY'), stopped(0, 3, ARN2, 2), ended('SUCCEEDED')],
      { status: 'SUCCEEDED' },
    ],
    [
      'a run cancelled while running, the cancel racing the abort',
      [running(), ended('CANCELLED', 'cancel'), ended('CANCELLED'), stopped(143)],
      { status: 'CANCELLED', terminalSource: 'execution' },
    ],
  ];

  it.each(scenarios)('%s', (_name, changes, expected) => {
    const outcomes = permutations(changes).map((order) => essence(play(order).record));
    for (const outcome of outcomes) expect(outcome).toEqual(outcomes[0]);
    expect(outcomes[0]).toMatchObject(expected);
  });

  it('the retried run reads as two attempts, each with its outcome', () => {
    const { record } = play([decided(1, 'RETRY'), stopped(0, 3, ARN2, 2), ended('SUCCEEDED'), stopped(1), running()]);
    expect(runView(record).attempts).toMatchObject([
      { attempt: 1, taskArns: [ARN], outcome: 'FAILED', retry: { decision: 'RETRY' }, containers: [{ exitCode: 1 }] },
      { attempt: 2, taskArns: [ARN2], outcome: 'SUCCEEDED', containers: [{ exitCode: 0 }] },
    ]);
  });
});

describe('the run view', () => {
  it("keeps the fields GET /runs/{id} always had and adds the record's, without what only writers read", () => {
    const { record } = play([check('2026-12-07T15:00:01Z', 'RUN'), running(), stopped(0), ended('SUCCEEDED')]);
    const view = runView(record);
    expect(view).toEqual({
      runId: 'run-1',
      status: 'SUCCEEDED',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1',
      cluster: 'default',
      trigger: { type: 'schedule', name: 'nightly' },
      createdAt: '2026-12-07T15:00:00.000Z',
      startedAt: '2026-12-07T15:00:05.000Z',
      stoppedAt: '2026-12-07T15:00:10.000Z',
      attempts: [
        {
          attempt: 1,
          taskArns: [ARN],
          startedAt: '2026-12-07T15:00:05.000Z',
          stoppedAt: '2026-12-07T15:00:09.000Z',
          stopCode: 'EssentialContainerExited',
          stoppedReason: 'Essential container in task exited',
          containers: [{ name: 'main', exitCode: 0 }],
          outcome: 'SUCCEEDED',
        },
      ],
      capacity: { checkedAt: '2026-12-07T15:00:01Z', fits: true, placeableCount: 0, instanceCount: 2 },
      family: 'job',
      updatedAt: expect.any(String),
    });
  });

  it('lists each task of an attempt with several', () => {
    const { record } = play([running(2, ARN), running(2, ARN2)]);
    expect(runView(record).attempts[0]?.tasks?.map((t) => t.taskArn)).toEqual([ARN, ARN2]);
    expect(runView(record).attempts[0]?.stoppedAt).toBeUndefined();
  });
});

describe('a run in a queue', () => {
  const inQueue = (): RunRecord =>
    newRecord({
      runId: 'run-q',
      family: 'job',
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/job:1',
      cluster: 'default',
      trigger: { type: 'api' },
      request: {},
      executionInput: {},
      createdAt: T0,
      retentionDays: 400,
      queue: { name: 'nightly', priority: 0, enqueuedAt: T0.toISOString() },
    });
  const at = '2026-12-07T15:00:02.000Z';

  it('is QUEUED until admitted, then PENDING with when; the two orders give the same record', () => {
    const queuedFirst = play([queued(), admitted(at)], inQueue());
    const admittedFirst = play([admitted(at), queued()], inQueue());
    expect(queuedFirst.record.status).toBe('PENDING');
    expect(essence(queuedFirst.record)).toEqual(essence(admittedFirst.record));
    expect(admittedFirst.writes).toBe(1);
    expect(play([queued()], inQueue()).record).toMatchObject({ status: 'QUEUED', queueName: 'nightly' });
  });

  it('moves on from QUEUED like PENDING, and never back to QUEUED once it has moved on or ended', () => {
    expect(
      play([queued(), admitted(at), check('2026-12-07T15:00:03.000Z', 'WAIT'), queued()], inQueue()).record.status,
    ).toBe('WAITING_FOR_CAPACITY');
    expect(play([queued(), ended('CANCELLED'), queued()], inQueue()).record.status).toBe('CANCELLED');
  });

  it('writes nothing for a record without a queue', () => {
    expect(play([queued(), admitted(at)]).writes).toBe(0);
  });
});
