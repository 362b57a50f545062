/**
 * The history bound (lib/runs/history-bound.ts) against executions of the real state machine on the local engine:
 * a run that waits for capacity until its budget is spent, and one whose attempts fail and are retried, record
 * exactly the events the per-state costs give for the path they took (no Lambda or ECS call is retried here),
 * and fewer than the worst case for their settings.
 */

import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import YAML from 'yaml';
import {
  type AslDefinition,
  type HistorySettings,
  stateHistoryEvents,
  worstCaseHistoryEvents,
} from '../../lib/runs/history-bound';
import { ENTERS_QUEUE, executionInput, path_, type Stack, startStack } from './harness';

const asl = YAML.parse(
  readFileSync(path.join(__dirname, '..', '..', 'workflows', 'run-task.asl.yaml'), 'utf8'),
) as AslDefinition;

/** The events a path records when no call is retried: the execution's two, and each state's without its retriers. */
function eventsOfPath(states: string[]): number {
  return states.reduce((sum, name) => {
    const { Retry: _retries, ...state } = asl.States[name] as AslDefinition['States'][string];
    return sum + stateHistoryEvents(name, state);
  }, 2);
}

let stack: Stack;
let job: string;
let failing: string;

beforeAll(async () => {
  stack = await startStack([{ count: 1, cpu: 1024, memory: 2048 }], 0.01);
  job = await stack.register({
    family: 'history-job',
    containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 512, memory: 256 }],
  });
  failing = await stack.register({
    family: 'history-failing',
    containerDefinitions: [{ name: 'main', image: 'busybox', cpu: 256, memory: 128, command: ['sh', '-c', 'exit 3'] }],
  });
});

afterAll(async () => {
  await stack?.close();
});

async function historyOf(input: ReturnType<typeof executionInput>): Promise<HistoryEvent[]> {
  const arn = await stack.start(input);
  const execution = await stack.finished(arn);
  expect(execution.status).toBe('FAILED');
  return stack.history(arn);
}

it('a run that waits until its capacity budget is spent records every capacity loop, within the bound', async () => {
  const settings: HistorySettings = { attempts: 1, waitSeconds: 5, checkIntervalSeconds: 1 };
  const events = await historyOf(
    executionInput(job, {
      runTask: { Overrides: { ContainerOverrides: [{ Name: 'main', Cpu: 4096 }] } },
      capacity: { waitSeconds: settings.waitSeconds, checkIntervalSeconds: settings.checkIntervalSeconds },
    }),
  );
  const loop = ['Check Capacity', 'Is There Room', 'Wait For Capacity'];
  const states = path_(events);
  expect(states).toEqual([
    ...ENTERS_QUEUE,
    ...loop,
    ...loop,
    ...loop,
    ...loop,
    ...loop,
    'Check Capacity',
    'Is There Room',
    'Insufficient Capacity',
  ]);
  expect(events).toHaveLength(eventsOfPath(states));
  expect(events.length).toBeLessThan(worstCaseHistoryEvents(settings));
});

it('a run whose attempts fail records each retry loop, within the bound', async () => {
  const settings: HistorySettings = { attempts: 3, waitSeconds: 0, checkIntervalSeconds: 1 };
  const events = await historyOf(
    executionInput(failing, {
      retry: { attempts: settings.attempts, backoffSeconds: 0, backoffRate: 1, evaluateOnExit: [] },
      capacity: { waitSeconds: settings.waitSeconds, checkIntervalSeconds: settings.checkIntervalSeconds },
    }),
  );
  const attempt = ['Check Capacity', 'Is There Room', 'Run Task', 'Decide Retry', 'Should Retry'];
  const states = path_(events);
  expect(states).toEqual([...ENTERS_QUEUE, ...attempt, 'Back Off', ...attempt, 'Back Off', ...attempt, 'Run Failed']);
  expect(events).toHaveLength(eventsOfPath(states));
  expect(events.length).toBeLessThan(worstCaseHistoryEvents(settings));
});
