/**
 * local/events/function-rules.ts: the functions' eventBridge and schedule events read as rules (tables of cases),
 * delivery to a fake Lambda invoker with EventBridge's and Lambda's retries, the dead-letter file, and the rules at
 * work on real in-process subscribers and the real scheduler on a fast clock.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEAD_LETTER_FILE,
  type FunctionEventsReport,
  type FunctionRule,
  functionRules,
  LambdaTargets,
  LocalFunctionRules,
  ruleNameFor,
} from '../../../local/events/function-rules';
import { EventSubscribers } from '../../../local/events/subscribers';
import { type LambdaInvocation, type LambdaInvoker, LambdaServiceError } from '../../../local/sfn/lambda-invoke';
import { scaledClock } from '../../../local/triggers/clock';

const REGION = 'us-east-1';
const ACCOUNT = '123456789012';

function report(events: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}): FunctionEventsReport {
  return {
    service: 'berth',
    stage: 'dev',
    region: REGION,
    functions: [{ key: 'recordTask', name: 'berth-dev-recordTask', events, ...extra }],
  };
}

/** Waits (bounded) until `check` holds. */
async function until(what: string, check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('functionRules: serverless.yml events as local rules', () => {
  const ecsPattern = { source: ['aws.ecs'], 'detail-type': ['ECS Task State Change'] };

  it('reads an eventBridge pattern with its retry policy and dead-letter queue, and the function’s own retries', () => {
    const { rules, problems } = functionRules(
      report(
        [
          {
            eventBridge: {
              pattern: ecsPattern,
              retryPolicy: { maximumRetryAttempts: 3, maximumEventAge: 120 },
              deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
            },
          },
        ],
        { maximumRetryAttempts: 1 },
      ),
    );
    expect(problems).toEqual([]);
    expect(rules).toEqual([
      {
        kind: 'pattern',
        ruleName: 'berth-dev-recordTask-rule-1',
        functionKey: 'recordTask',
        functionName: 'berth-dev-recordTask',
        enabled: true,
        pattern: ecsPattern,
        retries: {
          delivery: { maximumRetryAttempts: 3, maximumEventAge: 120 },
          function: { maximumRetryAttempts: 1, maximumEventAge: 21600 },
        },
        deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
      },
    ]);
  });

  it.each<[string, Record<string, unknown>, Partial<FunctionRule>[]]>([
    [
      'defaults: EventBridge 185 retries / 24 h, Lambda 2 retries / 6 h',
      { eventBridge: { pattern: ecsPattern } },
      [
        {
          retries: {
            delivery: { maximumRetryAttempts: 185, maximumEventAge: 86400 },
            function: { maximumRetryAttempts: 2, maximumEventAge: 21600 },
          },
        },
      ],
    ],
    [
      'a named, disabled rule with a constant input',
      { eventBridge: { name: 'my-rule', enabled: false, pattern: ecsPattern, input: { a: 1 } } },
      [{ ruleName: 'my-rule', enabled: false, input: '{"a":1}' }],
    ],
    ['a schedule string', { schedule: 'rate(5 minutes)' }, [{ kind: 'schedule', expression: 'rate(5 minutes)' }]],
    [
      'a schedule with two rates and an input object: one schedule each, the rule name shared',
      { schedule: { rate: ['rate(1 hour)', 'cron(0 12 * * ? *)'], input: { x: 'y' }, enabled: false } },
      [
        {
          kind: 'schedule',
          name: 'berth-dev-recordTask-rule-1#1',
          expression: 'rate(1 hour)',
          input: '{"x":"y"}',
          enabled: false,
        },
        { kind: 'schedule', name: 'berth-dev-recordTask-rule-1#2', expression: 'cron(0 12 * * ? *)', enabled: false },
      ],
    ],
    [
      'an eventBridge schedule',
      { eventBridge: { schedule: 'rate(10 minutes)' } },
      [{ kind: 'schedule', ruleName: 'berth-dev-recordTask-rule-1', expression: 'rate(10 minutes)' }],
    ],
    [
      'the ARN of the default bus',
      { eventBridge: { eventBus: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`, pattern: ecsPattern } },
      [{ kind: 'pattern' }],
    ],
  ])('%s', (_, event, expected) => {
    const { rules, problems } = functionRules(report([event]));
    expect(problems).toEqual([]);
    expect(rules).toEqual(expected.map((e) => expect.objectContaining(e)));
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'an invalid pattern',
      { eventBridge: { pattern: { source: 'aws.ecs' } } },
      /events\[1\]\.eventBridge\.pattern: Event pattern is not valid/,
    ],
    [
      'another bus',
      { eventBridge: { eventBus: 'orders', pattern: ecsPattern } },
      /eventBus "orders" does not exist locally/,
    ],
    [
      'inputPath',
      { eventBridge: { pattern: ecsPattern, inputPath: '$.detail' } },
      /inputPath and inputTransformer are not supported locally/,
    ],
    [
      'a bad schedule expression',
      { schedule: 'rate(0 minutes)' },
      /events\[1\]\.schedule\.rate\[0\]: The value of a rate expression/,
    ],
    [
      'a retry policy out of range',
      { eventBridge: { pattern: ecsPattern, retryPolicy: { maximumRetryAttempts: 500 } } },
      /maximumRetryAttempts/,
    ],
  ])('leaves out %s, naming the event and why', (_, event, message) => {
    const { rules, problems } = functionRules(report([{ eventBridge: { pattern: ecsPattern } }, event]));
    expect(rules).toHaveLength(1);
    expect(problems).toEqual([expect.stringMatching(message)]);
    expect(problems[0]).toContain('serverless.yml functions.recordTask.events[1]');
  });

  it('keeps a long rule name within 64 characters, as the Framework does', () => {
    const name = ruleNameFor('x'.repeat(70), 1);
    expect(name).toHaveLength(64);
    expect(ruleNameFor('x'.repeat(70), 2)).not.toBe(name);
    expect(ruleNameFor('short', 3)).toBe('short-rule-3');
  });
});

function targetsWith(invoke: LambdaInvoker, options: { baseDelayMs?: number } = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-function-rules-'));
  const logs: string[] = [];
  const targets = new LambdaTargets({
    invoke,
    region: REGION,
    accountId: ACCOUNT,
    deadLetterFile: path.join(dir, DEAD_LETTER_FILE),
    log: (line) => logs.push(line),
    baseDelayMs: options.baseDelayMs ?? 1,
    random: () => 0.5,
  });
  const deadLetters = () => {
    try {
      return readFileSync(path.join(dir, DEAD_LETTER_FILE), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  return { targets, logs, deadLetters, dir };
}

const rule = (delivery: number, fn: number) =>
  ({
    ruleName: 'r1',
    functionKey: 'recordTask',
    functionName: 'berth-dev-recordTask',
    enabled: true,
    retries: {
      delivery: { maximumRetryAttempts: delivery, maximumEventAge: 86400 },
      function: { maximumRetryAttempts: fn, maximumEventAge: 21600 },
    },
  }) as const;

const ok = { statusCode: 200, executedVersion: '$LATEST', requestId: 'r' };
const functionError = (message: string) => ({
  ...ok,
  functionError: 'Unhandled',
  payload: JSON.stringify({ errorType: 'RecordError', errorMessage: message }),
});

describe('LambdaTargets: delivery to a function', () => {
  it('retries a Lambda service that does not answer, then delivers once', async () => {
    const calls: LambdaInvocation[] = [];
    const { targets, deadLetters } = targetsWith(async (invocation) => {
      calls.push(invocation);
      if (calls.length < 4) throw new LambdaServiceError('SdkClientException', 'connect ECONNREFUSED');
      return ok;
    });
    targets.deliver(rule(185, 2), '{"id":"e1"}', { id: 'e1' });
    await targets.idle();
    expect(calls.map((c) => c.functionName)).toEqual(Array(4).fill('berth-dev-recordTask'));
    expect(calls[3]!.payload).toBe('{"id":"e1"}');
    expect(deadLetters()).toEqual([]);
  });

  it('dead-letters once the rule’s maximumRetryAttempts are spent, with EventBridge’s attributes, logged once', async () => {
    let calls = 0;
    const { targets, deadLetters, logs } = targetsWith(async () => {
      calls++;
      throw new LambdaServiceError('ResourceNotFoundException', 'Function not found');
    });
    const event = { id: 'e2', source: 'aws.ecs' };
    targets.deliver(
      { ...rule(2, 2), deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq' },
      JSON.stringify(event),
      event,
    );
    await targets.idle();
    expect(calls).toBe(3);
    expect(deadLetters()).toEqual([
      {
        deadLetteredAt: expect.stringMatching(/^\d{4}-.*Z$/),
        ruleArn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/r1`,
        targetArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:berth-dev-recordTask`,
        deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:dlq',
        errorCode: 'ResourceNotFoundException',
        errorMessage: 'Function not found',
        retryAttempts: 2,
        event,
      },
    ]);
    expect(logs.filter((l) => l.includes('dead-lettered'))).toHaveLength(1);
    expect(logs[0]).toContain('gave up delivering event e2 to berth-dev-recordTask after 3 attempt(s)');
  });

  it('retries a failing function as Lambda does (the function’s maximumRetryAttempts), not the rule’s 185', async () => {
    let calls = 0;
    const { targets, deadLetters } = targetsWith(async () => {
      calls++;
      return functionError(`attempt ${calls}`);
    });
    targets.deliver(rule(185, 2), '{}', { id: 'e3' });
    await targets.idle();
    expect(calls).toBe(3);
    expect(deadLetters()).toEqual([
      expect.objectContaining({ errorCode: 'RecordError', errorMessage: 'attempt 3', retryAttempts: 2 }),
    ]);
  });

  it('with no retries allowed, one attempt and the dead letter', async () => {
    let calls = 0;
    const { targets, deadLetters } = targetsWith(async () => {
      calls++;
      return functionError('no');
    });
    targets.deliver(rule(0, 0), '{}', { id: 'e4' });
    await targets.idle();
    expect(calls).toBe(1);
    expect(deadLetters()).toHaveLength(1);
  });

  it('stops retrying past the maximum event age', async () => {
    let now = 0;
    let calls = 0;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-function-rules-'));
    const targets = new LambdaTargets({
      invoke: async () => {
        calls++;
        now += 61_000; // each attempt takes a minute here
        throw new LambdaServiceError('TooManyRequestsException', 'Rate exceeded');
      },
      region: REGION,
      accountId: ACCOUNT,
      deadLetterFile: path.join(dir, DEAD_LETTER_FILE),
      log: () => {},
      baseDelayMs: 1,
      now: () => now,
    });
    targets.deliver(
      {
        ...rule(185, 2),
        retries: { ...rule(185, 2).retries, delivery: { maximumRetryAttempts: 185, maximumEventAge: 120 } },
      },
      '{}',
      {},
    );
    await targets.idle();
    expect(calls).toBe(2);
  });

  it('backs off exponentially between retries', async () => {
    const at: number[] = [];
    const { targets } = targetsWith(
      async () => {
        at.push(Date.now());
        if (at.length < 4) throw new LambdaServiceError('ServiceException', 'busy');
        return ok;
      },
      { baseDelayMs: 40 },
    );
    targets.deliver(rule(185, 2), '{}', {});
    await targets.idle();
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    // Equal jitter at 0.5: 30, 60, 120 ms (three quarters of 40, 80, 160).
    expect(gaps[0]).toBeGreaterThanOrEqual(28);
    expect(gaps[1]).toBeGreaterThanOrEqual(58);
    expect(gaps[2]).toBeGreaterThanOrEqual(118);
  });

  it('never waits for the function: deliver returns at once and a slow function does not hold the next', async () => {
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { targets } = targetsWith(async (invocation) => {
      started.push(invocation.payload);
      if (invocation.payload === '"slow"') await gate;
      return ok;
    });
    targets.deliver(rule(185, 2), '"slow"', {});
    targets.deliver(rule(185, 2), '"fast"', {});
    expect(targets.inFlight).toBe(2);
    await until('the fast delivery', () => targets.inFlight === 1);
    expect(started).toEqual(['"slow"', '"fast"']);
    release();
    await targets.idle();
  });
});

describe('LocalFunctionRules: the rules at work', () => {
  it('hands matching events to the function as delivered, the input instead when given, and none on no match', async () => {
    const subscribers = new EventSubscribers(() => {});
    const calls: LambdaInvocation[] = [];
    const { targets, dir } = targetsWith(async (invocation) => {
      calls.push(invocation);
      return ok;
    });
    const { rules } = functionRules(
      report([
        { eventBridge: { pattern: { source: ['aws.ecs'], detail: { lastStatus: ['STOPPED'] } } } },
        { eventBridge: { name: 'constant', pattern: { source: ['aws.states'] }, input: { fixed: true } } },
        { eventBridge: { name: 'off', enabled: false, pattern: { source: ['aws.ecs'] } } },
      ]),
    );
    const local = new LocalFunctionRules({
      rules,
      subscribers,
      targets,
      stateDir: dir,
      region: REGION,
      accountId: ACCOUNT,
      clock: scaledClock(),
      log: () => {},
    });
    await local.start();
    const event = (source: string, detail: Record<string, unknown>) => ({
      version: '0' as const,
      id: `${source}-${JSON.stringify(detail)}`,
      'detail-type': 'x',
      source,
      account: ACCOUNT,
      time: '2026-01-01T00:00:00Z',
      region: REGION,
      resources: [],
      detail,
    });
    const stopped = event('aws.ecs', { lastStatus: 'STOPPED' });
    subscribers.deliver([
      { event: event('aws.ecs', { lastStatus: 'RUNNING' }), eventBusName: 'default' },
      { event: stopped, eventBusName: 'default' },
      { event: event('aws.states', { status: 'RUNNING' }), eventBusName: 'default' },
    ]);
    await targets.idle();
    expect(calls.map((c) => [c.functionName, JSON.parse(c.payload)])).toEqual([
      ['berth-dev-recordTask', stopped],
      ['berth-dev-recordTask', { fixed: true }],
    ]);
    await local.close();
    subscribers.deliver([{ event: stopped, eventBusName: 'default' }]);
    await targets.idle();
    expect(calls).toHaveLength(2);
  });

  it('fires a schedule on the clock with the Scheduled Event (or its input), and not a disabled one', async () => {
    const calls: LambdaInvocation[] = [];
    const { targets, dir } = targetsWith(async (invocation) => {
      calls.push(invocation);
      return ok;
    });
    const { rules } = functionRules(
      report([
        { schedule: 'rate(1 minute)' },
        { schedule: { rate: ['rate(1 minute)'], input: '{"from":"schedule"}' } },
        { schedule: { rate: ['rate(1 minute)'], enabled: false } },
      ]),
    );
    const local = new LocalFunctionRules({
      rules,
      subscribers: new EventSubscribers(() => {}),
      targets,
      stateDir: dir,
      region: REGION,
      accountId: ACCOUNT,
      // A minute passes in 6 ms.
      clock: scaledClock({ start: Date.UTC(2026, 0, 1, 12, 0, 30), scale: 1e-4 }),
      log: () => {},
    });
    await local.start();
    await until('two firings of each enabled schedule', () => calls.length >= 4);
    await local.close();
    const payloads = calls.map((c) => JSON.parse(c.payload) as Record<string, unknown>);
    const scheduled = payloads.filter((p) => p['detail-type'] === 'Scheduled Event');
    expect(scheduled[0]).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: ACCOUNT,
      // The scheduled time, to the second, on the test's clock (the store opens while a minute passes in 6 ms).
      time: expect.stringMatching(/^2026-01-01T12:\d\d:\d\dZ$/),
      region: REGION,
      resources: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/berth-dev-recordTask-rule-1`],
      detail: {},
    });
    expect(payloads.filter((p) => p.from === 'schedule').length).toBeGreaterThanOrEqual(1);
    expect(scheduled.length + payloads.filter((p) => p.from === 'schedule').length).toBe(payloads.length);
  });
});
