/** The task lifecycle table (local/ecs/task-agent.ts): its paths, and an agent taking simulated tasks along them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import {
  type AgentHost,
  lastStatusAfter,
  newRun,
  TaskAgent,
  type TaskEntry,
  type TransitionName,
} from '../../../local/ecs/task-agent';
import type { Attachment, LastStatus, WireTask } from '../../../local/ecs/task-types';
import { DurableStore } from '../../../local/store';
import { waitFor } from './runtime/helpers';

const ENI: Attachment = { id: 'eni-attachment', type: 'ElasticNetworkInterface', status: 'PRECREATED', details: [] };

describe('the lifecycle table', () => {
  const walk = (from: LastStatus, attachments: Attachment[], steps: TransitionName[]) => {
    const seen: (LastStatus | undefined)[] = [];
    let lastStatus: LastStatus | undefined = from;
    for (const step of steps) {
      lastStatus = lastStatus === undefined ? undefined : lastStatusAfter(step, { lastStatus, attachments });
      seen.push(lastStatus);
    }
    return seen;
  };

  it.each<[string, LastStatus, Attachment[], TransitionName[], LastStatus[]]>([
    [
      'awsvpc, its essential container exits',
      'PROVISIONING',
      [ENI],
      [
        'provisioned',
        'pullStarted',
        'pullStopped',
        'started',
        'containerExited',
        'stopRequested',
        'executionStopped',
        'stopped',
      ],
      ['PENDING', 'PENDING', 'PENDING', 'RUNNING', 'RUNNING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'],
    ],
    [
      'bridge, StopTask while RUNNING',
      'PENDING',
      [],
      ['pullStarted', 'pullStopped', 'started', 'stopRequested', 'containerExited', 'executionStopped', 'stopped'],
      ['PENDING', 'PENDING', 'RUNNING', 'STOPPING', 'STOPPING', 'STOPPING', 'STOPPED'],
    ],
    [
      'a container fails to start',
      'PENDING',
      [],
      ['pullStarted', 'pullStopped', 'failedToStart', 'stopRequested', 'executionStopped', 'stopped'],
      ['PENDING', 'PENDING', 'PENDING', 'PENDING', 'STOPPING', 'STOPPED'],
    ],
    [
      'StopTask while PROVISIONING',
      'PROVISIONING',
      [ENI],
      ['stopRequested', 'executionStopped', 'stopped'],
      ['PROVISIONING', 'DEPROVISIONING', 'STOPPED'],
    ],
    ['lost on a restart while DEPROVISIONING', 'DEPROVISIONING', [ENI], ['lostOnRestart'], ['STOPPED']],
  ])('%s', (_, from, attachments, steps, expected) => {
    expect(walk(from, attachments, steps)).toEqual(expected);
  });

  it.each<[TransitionName, LastStatus]>([
    ['started', 'RUNNING'],
    ['provisioned', 'PENDING'],
    ['pullStarted', 'RUNNING'],
    ['stopRequested', 'STOPPING'],
    ['stopped', 'RUNNING'],
    ['executionStopped', 'STOPPED'],
    ['lostOnRestart', 'STOPPED'],
  ])('has no %s from %s', (step, lastStatus) => {
    expect(lastStatusAfter(step, { lastStatus, attachments: [] })).toBeUndefined();
  });

  it('leaves STOPPED only to record a late container exit, staying STOPPED', () => {
    const names: TransitionName[] = [
      'provisioned',
      'pullStarted',
      'pullStopped',
      'started',
      'failedToStart',
      'startInterrupted',
      'stopRequested',
      'containerExited',
      'executionStopped',
      'stopped',
      'lostOnRestart',
    ];
    const out = names.filter((name) => lastStatusAfter(name, { lastStatus: 'STOPPED', attachments: [] }) !== undefined);
    expect(out).toEqual(['containerExited']);
    expect(lastStatusAfter('containerExited', { lastStatus: 'STOPPED', attachments: [] })).toBe('STOPPED');
  });
});

describe('TaskAgent', () => {
  let dir: string;
  let store: DurableStore<unknown>;
  let agent: TaskAgent;
  let changes: { lastStatus: LastStatus; version: number }[];
  let released: number;
  const entries: TaskEntry[] = [];

  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'berth-agent-'));
    store = await DurableStore.open(dir, 'ecs');
    changes = [];
    released = 0;
    const host: AgentHost = {
      store,
      options: {
        region: 'us-east-1',
        accountId: '123456789012',
        stateDir: dir,
        stepMs: 1,
        simulateSeconds: 0.02,
        fargateMaxTasks: 10,
        stoppedTaskSeconds: 3600,
        random: Math.random,
        now: Date.now,
      },
      scratchDir: path.join(dir, 'ecs-scratch'),
      logFile: (taskId) => path.join(dir, 'ecs-logs', `${taskId}.log`),
      changed: (entry) =>
        changes.push({ lastStatus: entry.stored.task.lastStatus, version: entry.stored.task.version }),
      release: () => {
        released += 1;
      },
      instanceOf: () => undefined,
    };
    agent = new TaskAgent(host);
  });

  afterEach(async () => {
    agent.close(entries.splice(0));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function placed(labels: Record<string, string>, attachments: Attachment[] = []): TaskEntry {
    const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
    const definitions: ContainerDefinition[] = [{ name: 'app', image: 'someimage', dockerLabels: labels }];
    const task = {
      attachments,
      containers: [{ name: 'app', taskArn, lastStatus: 'PENDING' }],
      createdAt: Date.now() / 1000,
      desiredStatus: 'RUNNING',
      lastStatus: attachments.length > 0 ? 'PROVISIONING' : 'PENDING',
      overrides: { containerOverrides: [{ name: 'app' }], inferenceAcceleratorOverrides: [] },
      taskArn,
      taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
      version: 1,
    } as unknown as WireTask;
    const entry: TaskEntry = { stored: { task, tags: [], clusterName: 'default', pids: {} }, run: newRun(definitions) };
    entries.push(entry);
    return entry;
  }

  it('takes an awsvpc task from PROVISIONING to STOPPED, version + 1 each change, resources given back once', async () => {
    const entry = placed({ 'berth.runtime': 'simulate', 'berth.simulate.exit-code': '3' }, [ENI]);
    await agent.drive(entry);
    await waitFor(() => entry.stored.task.lastStatus === 'STOPPED', 'the task to stop');
    const statuses = changes.map((c) => c.lastStatus).filter((s, i, all) => s !== all[i - 1]);
    expect(statuses).toEqual(['PENDING', 'RUNNING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
    expect(changes.map((c) => c.version)).toEqual(changes.map((_, i) => i + 2));
    expect(released).toBe(1);
    const task = entry.stored.task;
    expect(task).toMatchObject({
      desiredStatus: 'STOPPED',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'app', lastStatus: 'STOPPED', exitCode: 3 }],
      attachments: [{ status: 'DELETED' }],
    });
    for (const at of ['pullStartedAt', 'pullStoppedAt', 'startedAt', 'stoppingAt', 'executionStoppedAt', 'stoppedAt']) {
      expect(task[at as keyof WireTask]).toEqual(expect.any(Number));
    }
    await store.durable();
    expect(store.get(`task/default/${task.taskArn.slice(-32)}`)).toMatchObject({ task: { lastStatus: 'STOPPED' } });
  });

  it('stops a RUNNING task that is asked to, with the stop code and reason given', async () => {
    const entry = placed({ 'berth.runtime': 'simulate', 'berth.simulate.seconds': '600' });
    await agent.drive(entry);
    await waitFor(() => entry.stored.task.lastStatus === 'RUNNING', 'the task to run');
    await agent.requestStop(entry, 'UserInitiated', 'enough');
    expect(entry.stored.task).toMatchObject({ lastStatus: 'STOPPING', desiredStatus: 'STOPPED' });
    await waitFor(() => entry.stored.task.lastStatus === 'STOPPED', 'the task to stop');
    expect(entry.stored.task).toMatchObject({ stopCode: 'UserInitiated', stoppedReason: 'enough' });
    expect(released).toBe(1);
  });

  it('stops a task whose container cannot start with TaskFailedToStart and its reason', async () => {
    const entry = placed({ 'berth.runtime': 'simulate', 'berth.simulate.fail-to-start': 'no such image' });
    await agent.drive(entry);
    await waitFor(() => entry.stored.task.lastStatus === 'STOPPED', 'the task to stop');
    expect(changes.map((c) => c.lastStatus)).not.toContain('RUNNING');
    expect(entry.stored.task).toMatchObject({
      stopCode: 'TaskFailedToStart',
      stoppedReason: expect.stringContaining('no such image'),
      containers: [{ lastStatus: 'STOPPED', reason: expect.stringContaining('no such image') }],
    });
  });

  it('lets go of what ran a task once it is STOPPED (its record stays)', async () => {
    const entry = placed({ 'berth.runtime': 'simulate', 'berth.simulate.exit-code': '0' });
    expect(entry.run).toBeDefined();
    await agent.drive(entry);
    await waitFor(() => entry.stored.task.lastStatus === 'STOPPED' && entry.run === undefined, 'the run to go');
    // A StopTask after the stop changes nothing and needs no run.
    await agent.requestStop(entry, 'UserInitiated', 'late');
    expect(entry.stored.task).toMatchObject({ lastStatus: 'STOPPED', stopCode: 'EssentialContainerExited' });
  });

  it('changes nothing once closed', async () => {
    const entry = placed({ 'berth.runtime': 'simulate' });
    agent.close([]);
    await agent.requestStop(entry, 'UserInitiated', 'enough');
    expect(entry.stored.task).toMatchObject({ version: 1, desiredStatus: 'RUNNING' });
    expect(changes).toEqual([]);
  });
});
