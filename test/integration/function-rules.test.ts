/**
 * A function's eventBridge events, from serverless.yml to the function, through the real parts `npm start` uses:
 * the Serverless Framework resolves a fixture service's serverless.yml (its `${param:}`, `${self:}` and `${sls:stage}`
 * variables) with the function-events preload (local/offline-fix/function-events.mjs) reporting on fd 3, read by the
 * launcher's reader; the rules (local/events/function-rules.ts) subscribe on the local bus of a real local endpoint
 * whose ECS runs a task; the function (in-process, through the Lambda invoker interface) gets the ECS Task State
 * Change events its pattern matches, and a failing function's event lands in the dead-letter file.
 * The fixture is the test's own: Berth's serverless.yml and its functions are not touched.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegisterTaskDefinitionCommand, RunTaskCommand } from '@aws-sdk/client-ecs';
import { localEcsServices } from '../../local/ecs/service';
import {
  DEAD_LETTER_FILE,
  type FunctionEventsReport,
  readFunctionEventsReport,
  startFunctionRules,
} from '../../local/events/function-rules';
import { eventBridgeService } from '../../local/events/service';
import { EventSubscribers } from '../../local/events/subscribers';
import { inProcessInvoker } from '../../local/sfn/lambda-invoke';
import { scaledClock } from '../../local/triggers/clock';
import { DEFAULT_CONFIG, FAST } from '../conformance/ecs-cluster';
import { ACCOUNT_ID, example, REGION, startLocalEndpoint, tempStateDir } from '../conformance/endpoint';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '..', '..');

const FIXTURE = `
service: fixture
frameworkVersion: '3'
provider:
  name: aws
  runtime: nodejs20.x
  stage: \${opt:stage, 'dev'}
params:
  default:
    startedBy: fixture-runs
custom:
  lastStatus: STOPPED
functions:
  onStopped:
    handler: handler.onStopped
    events:
      - eventBridge:
          pattern:
            source: [aws.ecs]
            detail-type: [ECS Task State Change]
            detail:
              lastStatus: ['\${self:custom.lastStatus}']
              startedBy: ['\${param:startedBy}']
              group: ['family:\${sls:stage}']
          retryPolicy:
            maximumRetryAttempts: 1
            maximumEventAge: 60
  alwaysFails:
    handler: handler.alwaysFails
    maximumRetryAttempts: 1
    events:
      - eventBridge:
          pattern:
            source: [aws.ecs]
            detail:
              lastStatus: [RUNNING]
              startedBy: ['\${param:startedBy}']
  plain:
    handler: handler.plain
`;

/** The Framework's reading of the fixture, as the preload reports it to the launcher. */
async function frameworkReport(dir: string): Promise<FunctionEventsReport> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      path.join(root, 'local/offline-fix/function-events.mjs'),
      path.join(root, 'node_modules/serverless/bin/serverless.js'),
      'print',
      '--stage',
      'itest',
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe', 'pipe'], env: { ...process.env, BERTH_FUNCTION_EVENTS_FD: '3' } },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    return await readFunctionEventsReport(child.stdio[3] as NodeJS.ReadableStream);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${stderr}`);
  } finally {
    expect(await exited).toBe(0);
  }
}

/** Waits (bounded) until `check` holds. */
async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

it('runs the functions’ eventBridge rules as the Framework resolved them, with retries and the dead-letter file', async () => {
  const fixture = mkdtempSync(path.join(os.tmpdir(), 'berth-function-rules-fixture-'));
  writeFileSync(path.join(fixture, 'serverless.yml'), FIXTURE);
  const report = await frameworkReport(fixture);
  expect(report.functions.map((f) => f.name)).toEqual(['fixture-itest-onStopped', 'fixture-itest-alwaysFails']);
  expect(report.functions[0]!.events[0]).toEqual({
    eventBridge: {
      pattern: {
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: { lastStatus: ['STOPPED'], startedBy: ['fixture-runs'], group: ['family:itest'] },
      },
      retryPolicy: { maximumRetryAttempts: 1, maximumEventAge: 60 },
    },
  });

  const subscribers = new EventSubscribers(() => {});
  const stateDir = tempStateDir();
  const [ecs, admin] = localEcsServices({ clusterConfig: DEFAULT_CONFIG, ...FAST });
  const endpoint = await startLocalEndpoint(stateDir, {
    services: [ecs, admin, eventBridgeService({ subscribers, log: () => {} })],
  });
  const received: Array<Record<string, unknown>> = [];
  const stoppedDelivered = new Set<string>();
  let failures = 0;
  const logs: string[] = [];
  const rules = await startFunctionRules({
    report,
    settings: { region: REGION, accountId: ACCOUNT_ID, stateDir },
    invoke: inProcessInvoker(
      {
        'fixture-itest-onStopped': (event) => {
          received.push(event as Record<string, unknown>);
          return { recorded: true };
        },
        'fixture-itest-alwaysFails': () => {
          failures++;
          throw new Error('the record store is down');
        },
      },
      { region: REGION, accountId: ACCOUNT_ID },
    ),
    subscribers,
    clock: scaledClock(),
    env: { BERTH_EVENTS_RETRY_BASE_MS: '5' },
    log: (line) => logs.push(line),
  });
  subscribers.onEvent({ source: ['aws.ecs'], detail: { lastStatus: ['STOPPED'] } }, (event) => {
    stoppedDelivered.add(event.resources[0]!);
  });
  try {
    await endpoint.ecs.send(new RegisterTaskDefinitionCommand(example({ family: 'fixture-task' }) as never));
    const run = (group: string) =>
      endpoint.ecs.send(
        new RunTaskCommand({
          taskDefinition: 'fixture-task',
          launchType: 'FARGATE',
          networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
          startedBy: 'fixture-runs',
          group,
        }),
      );
    const matching = (await run('family:itest')).tasks![0]!.taskArn!;
    const other = (await run('family:other')).tasks![0]!.taskArn!;
    const deadLetterFile = path.join(stateDir, DEAD_LETTER_FILE);
    const deadLetters = () => {
      try {
        return readFileSync(deadLetterFile, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l));
      } catch {
        return [];
      }
    };
    // Both tasks run and stop; each of their events with lastStatus RUNNING (started, then its container's exit)
    // fails twice and is dead-lettered; the matching task's STOPPED event reaches onStopped.
    // Events are delivered in order: once both STOPPED events are, every delivery of the earlier ones has started.
    await until('both STOPPED events delivered', () => stoppedDelivered.has(matching) && stoppedDelivered.has(other));
    await rules.idle();

    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      source: 'aws.ecs',
      'detail-type': 'ECS Task State Change',
      resources: [matching],
      detail: { lastStatus: 'STOPPED', group: 'family:itest', startedBy: 'fixture-runs' },
    });
    const letters = deadLetters();
    expect(new Set(letters.map((l) => l.event.resources[0]))).toEqual(new Set([matching, other]));
    expect(failures).toBe(2 * letters.length);
    for (const letter of letters) {
      expect(letter).toMatchObject({
        ruleArn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:rule/fixture-itest-alwaysFails-rule-1`,
        targetArn: `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:fixture-itest-alwaysFails`,
        errorCode: 'Error',
        errorMessage: 'the record store is down',
        retryAttempts: 1,
        event: { detail: { lastStatus: 'RUNNING' } },
      });
    }
    expect(logs.filter((l) => l.includes('dead-lettered'))).toHaveLength(letters.length);
  } finally {
    await rules.close();
    await endpoint.close();
  }
});
