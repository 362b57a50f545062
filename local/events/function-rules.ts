/**
 * The functions' `eventBridge` and `schedule` events in serverless.yml, under `npm start`: each becomes a rule on the
 * local default bus whose target is the function, invoked through serverless-offline's Lambda port, as on AWS each
 * becomes an AWS::Events::Rule with the function as its target.
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html (retries),
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html (dead letters),
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html (the function's own retries),
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html (the Scheduled Event).
 *
 * Where the events come from: the serverless-offline child resolves serverless.yml (its variables `${self:...}`,
 * `${sls:stage}`, `${param:...}`, `${file(...)}` included) before it serves anything; a preload in that process
 * (local/offline-fix/function-events.mjs) writes the functions' resolved events to a pipe the launcher reads. No
 * second resolver: the rules are the Framework's own reading of the file. Cost at start: nothing on the path to the
 * API answering (the report is written before serverless-offline's plugins start, and read while they do); building
 * the rules takes well under a millisecond per function.
 *
 * Delivery, as EventBridge delivers to a Lambda target (asynchronous invocation): a matching event is handed to the
 * function in the background, never awaited by the bus, so a slow function never holds up the bus or the emitter.
 * - The Lambda service not answering or refusing (serverless-offline still starting, the function unknown, a 5xx)
 *   is EventBridge's failure to deliver: retried with exponential backoff and jitter until the rule's retryPolicy
 *   is spent (maximumRetryAttempts, default 185; maximumEventAge, default 86400 s).
 * - The function failing (an error or a timeout) is retried as Lambda retries an asynchronous invocation: at most
 *   the function's `maximumRetryAttempts` more times (default 2) within its `maximumEventAge` (default 21600 s).
 * - When either gives up, the event is dead-lettered: one JSON line appended to `<stateDir>/events-dead-letter.jsonl`
 *   (`deadLetteredAt`, `ruleArn`, `targetArn`, `deadLetterQueueArn` as configured, `errorCode`, `errorMessage`,
 *   `retryAttempts`, `event`: the attributes EventBridge sets on a dead-letter message, and its body) and logged once.
 * Deliberate deviations: the waits between retries are shorter (from BERTH_EVENTS_RETRY_BASE_MS, default 1 s,
 * doubling, at most 60 s; Lambda waits 1 then 2 minutes); a dead letter goes to the file whether or not the rule
 * names a deadLetterQueueArn (there is no local SQS); retries still pending when `npm start` stops are dropped.
 * Rules on another bus than `default`, and `inputPath`/`inputTransformer`, are refused with an error line and the
 * rule is not made (nothing would match, or the function would get the wrong input).
 * Schedules run on the trigger file's scheduler (local/triggers/scheduler.ts, the same expressions and clock).
 */
import { createHash, randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import { positiveNumberFromEnv } from '../../lib/env';
import { compileEventPattern, InvalidEventPatternError } from '../../lib/events/pattern';
import { validateScheduleExpression } from '../../lib/triggers/schedule-expression';
import type { LambdaInvoker } from '../sfn/lambda-invoke';
import { DurableStore } from '../store';
import type { Clock } from '../triggers/clock';
import { type Firing, LocalScheduler } from '../triggers/scheduler';
import { DEFAULT_BUS, eventTime } from './models';
import type { EventBridgeEvent, EventSubscribers } from './subscribers';

/** What function-events.mjs reports: the functions with eventBridge or schedule events, as the Framework resolved them. */
export const FunctionEventsReportSchema = z.object({
  service: z.string(),
  stage: z.string(),
  region: z.string().optional(),
  functions: z.array(
    z.object({
      key: z.string(),
      name: z.string(),
      maximumRetryAttempts: z.int().min(0).max(2).optional(),
      maximumEventAge: z.int().min(60).max(21600).optional(),
      events: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
});
export type FunctionEventsReport = z.infer<typeof FunctionEventsReportSchema>;

const RetryPolicySchema = z.object({
  maximumEventAge: z.int().min(60).max(86400).default(86400),
  maximumRetryAttempts: z.int().min(0).max(185).default(185),
});

const EventBridgeEventSchema = z.object({
  eventBus: z.unknown().optional(),
  schedule: z.string().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  enabled: z.boolean().optional(),
  pattern: z.record(z.string(), z.unknown()).optional(),
  input: z.record(z.string(), z.unknown()).optional(),
  inputPath: z.string().optional(),
  inputTransformer: z.unknown().optional(),
  retryPolicy: RetryPolicySchema.optional(),
  deadLetterQueueArn: z.unknown().optional(),
});

const ScheduleObjectSchema = z.object({
  rate: z.array(z.unknown()).min(1),
  enabled: z.boolean().optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  input: z.union([z.string(), z.record(z.string(), z.unknown())]).optional(),
  inputPath: z.string().optional(),
  inputTransformer: z.unknown().optional(),
  method: z.string().optional(),
  timezone: z.string().optional(),
});
const ScheduleEventSchema = z.union([z.string(), ScheduleObjectSchema]);

/** How often a delivery is tried: EventBridge's part (the rule) and Lambda's part (the function). */
export interface Retries {
  /** Failures to deliver: retries after the first attempt, and the age past which none is made (seconds). */
  delivery: { maximumRetryAttempts: number; maximumEventAge: number };
  /** The function's errors: retries after the first, and the age past which none is made (seconds). */
  function: { maximumRetryAttempts: number; maximumEventAge: number };
}

interface RuleCommon {
  /** The rule's name, as the Framework names it (`<function name>-rule-<n>`, or the event's `name`). */
  ruleName: string;
  functionKey: string;
  functionName: string;
  enabled: boolean;
  /** Input: the constant JSON text the target gets instead of the event. */
  input?: string;
  retries: Retries;
  deadLetterQueueArn?: string;
}

export interface FunctionPatternRule extends RuleCommon {
  kind: 'pattern';
  pattern: Record<string, unknown>;
}

export interface FunctionScheduleRule extends RuleCommon {
  kind: 'schedule';
  /** `rate(...)` or `cron(...)`. */
  expression: string;
  /** The scheduler's name for it (unique per rule and expression). */
  name: string;
  timeZone?: string;
}

export type FunctionRule = FunctionPatternRule | FunctionScheduleRule;

/** A rule name within EventBridge's 64 characters, as the Framework shortens a long one (a hash suffix). */
export function ruleNameFor(functionName: string, index: number): string {
  const name = `${functionName}-rule-${index}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 64 - 9)}-${hash}`;
}

const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The rules the report's functions define; `problems` names each event that cannot be made a local rule (and why),
 * which the caller logs: such an event is left out, never half-made.
 */
export function functionRules(report: FunctionEventsReport): { rules: FunctionRule[]; problems: string[] } {
  const rules: FunctionRule[] = [];
  const problems: string[] = [];
  for (const fn of report.functions) {
    const functionRetries = {
      maximumRetryAttempts: fn.maximumRetryAttempts ?? 2,
      maximumEventAge: fn.maximumEventAge ?? 21600,
    };
    fn.events.forEach((raw, i) => {
      const where = `serverless.yml functions.${fn.key}.events[${i}]`;
      const common = { functionKey: fn.key, functionName: fn.name };
      if ('eventBridge' in raw) {
        const parsed = EventBridgeEventSchema.safeParse(raw.eventBridge);
        if (!parsed.success) {
          problems.push(`${where}.eventBridge: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`);
          return;
        }
        const event = parsed.data;
        if (event.inputPath !== undefined || event.inputTransformer !== undefined) {
          problems.push(`${where}.eventBridge: inputPath and inputTransformer are not supported locally`);
          return;
        }
        const bus = event.eventBus ?? DEFAULT_BUS;
        if (bus !== DEFAULT_BUS && !(typeof bus === 'string' && bus.endsWith(':event-bus/default'))) {
          problems.push(
            `${where}.eventBridge: eventBus ${JSON.stringify(bus)} does not exist locally (only "default" does)`,
          );
          return;
        }
        const retry = event.retryPolicy ?? RetryPolicySchema.parse({});
        const base: RuleCommon = {
          ...common,
          ruleName: event.name ?? ruleNameFor(fn.name, i + 1),
          enabled: event.enabled !== false,
          retries: { delivery: retry, function: functionRetries },
          ...(event.input !== undefined && { input: JSON.stringify(event.input) }),
          ...(typeof event.deadLetterQueueArn === 'string' && { deadLetterQueueArn: event.deadLetterQueueArn }),
        };
        if (event.pattern !== undefined) {
          try {
            compileEventPattern(event.pattern);
          } catch (err) {
            if (!(err instanceof InvalidEventPatternError)) throw err;
            problems.push(`${where}.eventBridge.pattern: ${err.message}`);
            return;
          }
          rules.push({ ...base, kind: 'pattern', pattern: event.pattern });
        } else if (event.schedule !== undefined) {
          const invalid = validateScheduleExpression(event.schedule);
          if (invalid !== undefined) {
            problems.push(`${where}.eventBridge.schedule: ${invalid}`);
            return;
          }
          rules.push({ ...base, kind: 'schedule', expression: event.schedule, name: base.ruleName });
        } else {
          problems.push(`${where}.eventBridge: needs a pattern or a schedule`);
        }
        return;
      }
      const parsed = ScheduleEventSchema.safeParse(raw.schedule);
      if (!parsed.success) {
        problems.push(`${where}.schedule: ${z.prettifyError(parsed.error).replaceAll('\n', ' ')}`);
        return;
      }
      const options: z.infer<typeof ScheduleObjectSchema> =
        typeof parsed.data === 'string' ? { rate: [parsed.data] } : parsed.data;
      const event = options;
      if (options.inputPath !== undefined || options.inputTransformer !== undefined) {
        problems.push(`${where}.schedule: inputPath and inputTransformer are not supported locally`);
        return;
      }
      const ruleName = options.name ?? ruleNameFor(fn.name, i + 1);
      event.rate.forEach((expression, j) => {
        const invalid = typeof expression === 'string' ? validateScheduleExpression(expression) : 'not a string';
        if (invalid !== undefined) {
          problems.push(`${where}.schedule.rate[${j}]: ${invalid}`);
          return;
        }
        const input = options.input;
        rules.push({
          ...common,
          kind: 'schedule',
          ruleName,
          name: event.rate.length > 1 ? `${ruleName}#${j + 1}` : ruleName,
          expression: expression as string,
          enabled: options.enabled !== false,
          ...(input !== undefined && { input: typeof input === 'string' ? input : JSON.stringify(input) }),
          ...(options.timezone !== undefined && { timeZone: options.timezone }),
          // A schedule rule has the default retry policy.
          retries: { delivery: RetryPolicySchema.parse({}), function: functionRetries },
        });
      });
    });
  }
  return { rules, problems };
}

export interface DeadLetter {
  deadLetteredAt: string;
  ruleArn: string;
  targetArn: string;
  deadLetterQueueArn?: string;
  errorCode: string;
  errorMessage: string;
  /** Retries made after the first attempt. */
  retryAttempts: number;
  event: unknown;
}

export interface LambdaTargetsOptions {
  invoke: LambdaInvoker;
  region: string;
  accountId: string;
  /** `<stateDir>/events-dead-letter.jsonl`. */
  deadLetterFile: string;
  log: (line: string) => void;
  /** The first wait between retries (doubling, with jitter, at most maxDelayMs). */
  baseDelayMs: number;
  maxDelayMs?: number;
  now?: () => number;
  random?: () => number;
}

export const DEAD_LETTER_FILE = 'events-dead-letter.jsonl';

/** Delivers to Lambda targets in the background, with retries and a dead-letter file (see the module comment). */
export class LambdaTargets {
  private readonly pending = new Set<Promise<void>>();
  private readonly controller = new AbortController();
  private appending: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: LambdaTargetsOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  /** Starts delivering `payload` to the rule's function; returns at once. */
  deliver(rule: RuleCommon, payload: string, event: unknown): void {
    const delivery = this.run(rule, payload, event).catch((err: unknown) =>
      this.options.log(`Rule ${rule.ruleName}: delivering to ${rule.functionName} failed: ${describe(err)}`),
    );
    this.pending.add(delivery);
    void delivery.finally(() => this.pending.delete(delivery));
  }

  /** Deliveries under way (including those waiting to retry). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once every delivery started so far has ended (delivered or dead-lettered). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    await this.appending;
  }

  /** Drops the retries still waiting (see the module comment) and waits for dead letters being written. */
  async close(): Promise<void> {
    this.controller.abort();
    await Promise.allSettled([...this.pending]);
    await this.appending;
  }

  private functionArn(name: string): string {
    return `arn:aws:lambda:${this.options.region}:${this.options.accountId}:function:${name}`;
  }

  private ruleArn(name: string): string {
    return `arn:aws:events:${this.options.region}:${this.options.accountId}:rule/${name}`;
  }

  private async run(rule: RuleCommon, payload: string, event: unknown): Promise<void> {
    const started = this.now();
    let deliveryRetries = 0;
    let functionRetries = 0;
    const { delivery, function: fn } = rule.retries;
    for (;;) {
      if (this.controller.signal.aborted) return;
      let failure: { code: string; message: string; kind: 'delivery' | 'function' };
      try {
        const result = await this.options.invoke({ functionName: rule.functionName, payload });
        if (result.functionError === undefined) return;
        const body = parseJson(result.payload) as { errorType?: unknown; errorMessage?: unknown } | undefined;
        failure = {
          kind: 'function',
          code: typeof body?.errorType === 'string' ? body.errorType : 'Lambda.Unknown',
          message: typeof body?.errorMessage === 'string' ? body.errorMessage : (result.payload ?? ''),
        };
      } catch (err) {
        failure = { kind: 'delivery', code: (err as Error)?.name ?? 'Error', message: describe(err) };
      }
      const ageSeconds = (this.now() - started) / 1000;
      const policy = failure.kind === 'delivery' ? delivery : fn;
      const retries = failure.kind === 'delivery' ? deliveryRetries : functionRetries;
      if (retries >= policy.maximumRetryAttempts || ageSeconds >= policy.maximumEventAge) {
        return this.deadLetter(rule, event, failure, deliveryRetries + functionRetries);
      }
      if (failure.kind === 'delivery') deliveryRetries++;
      else functionRetries++;
      const wait = this.delay(retries + 1);
      const ok = await sleep(wait, this.controller.signal);
      if (!ok) return;
    }
  }

  /** Exponential backoff with equal jitter: half the step fixed, half random. */
  private delay(retry: number): number {
    const cap = this.options.maxDelayMs ?? 60_000;
    const step = Math.min(cap, this.options.baseDelayMs * 2 ** (retry - 1));
    return step / 2 + this.random() * (step / 2);
  }

  private deadLetter(
    rule: RuleCommon,
    event: unknown,
    failure: { code: string; message: string },
    retryAttempts: number,
  ): Promise<void> {
    const letter: DeadLetter = {
      deadLetteredAt: new Date(this.now()).toISOString(),
      ruleArn: this.ruleArn(rule.ruleName),
      targetArn: this.functionArn(rule.functionName),
      ...(rule.deadLetterQueueArn !== undefined && { deadLetterQueueArn: rule.deadLetterQueueArn }),
      errorCode: failure.code,
      errorMessage: failure.message,
      retryAttempts,
      event,
    };
    const id = (event as { id?: unknown } | null)?.id;
    this.options.log(
      `Rule ${rule.ruleName}: gave up delivering${typeof id === 'string' ? ` event ${id}` : ''} to ${rule.functionName} after ${retryAttempts + 1} attempt(s) (${failure.code}: ${failure.message.split('\n')[0]}); dead-lettered to ${this.options.deadLetterFile}`,
    );
    const line = `${JSON.stringify(letter)}\n`;
    this.appending = this.appending
      .then(() => fs.mkdir(path.dirname(this.options.deadLetterFile), { recursive: true }))
      .then(() => fs.appendFile(this.options.deadLetterFile, line))
      .catch((err: unknown) => this.options.log(`Could not write the dead letter: ${describe(err)}`));
    return this.appending;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The event a schedule rule sends its target (eb-run-lambda-schedule.html), when it has no constant input. */
export function scheduledEvent(ruleArn: string, scheduledTimeMs: number, region: string, accountId: string) {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: accountId,
    time: eventTime(scheduledTimeMs),
    region,
    resources: [ruleArn],
    detail: {},
  };
}

export interface LocalFunctionRulesOptions {
  rules: readonly FunctionRule[];
  subscribers: EventSubscribers;
  targets: LambdaTargets;
  stateDir: string;
  region: string;
  accountId: string;
  clock: Clock;
  log: (line: string) => void;
}

/** The functions' rules at work: pattern rules subscribed on the local bus, schedules on the scheduler. */
export class LocalFunctionRules {
  private readonly unsubscribe: Array<() => void> = [];
  private scheduler: LocalScheduler<FunctionScheduleRule> | undefined;
  private store: DurableStore<unknown> | undefined;

  constructor(private readonly options: LocalFunctionRulesOptions) {}

  async start(): Promise<void> {
    const { rules, subscribers, targets, log } = this.options;
    const patterns = rules.filter((r): r is FunctionPatternRule => r.kind === 'pattern' && r.enabled);
    for (const rule of patterns) {
      this.unsubscribe.push(
        subscribers.onEvent(
          rule.pattern,
          (event: EventBridgeEvent, delivery) => {
            if (delivery.eventBusName !== DEFAULT_BUS) return;
            targets.deliver(rule, rule.input ?? JSON.stringify(event), event);
          },
          `rule ${rule.ruleName}`,
        ),
      );
    }
    const schedules = rules.filter((r): r is FunctionScheduleRule => r.kind === 'schedule');
    if (schedules.length > 0) {
      this.store = await DurableStore.open<unknown>(this.options.stateDir, 'function-schedules');
      this.scheduler = new LocalScheduler<FunctionScheduleRule>({
        triggers: schedules,
        clock: this.options.clock,
        store: this.store,
        log,
        fire: async (firing: Firing<FunctionScheduleRule>) => {
          const rule = firing.trigger;
          const ruleArn = `arn:aws:events:${this.options.region}:${this.options.accountId}:rule/${rule.ruleName}`;
          const event = scheduledEvent(
            ruleArn,
            Date.parse(firing.scheduledTime),
            this.options.region,
            this.options.accountId,
          );
          targets.deliver(rule, rule.input ?? JSON.stringify(event), event);
        },
      });
      await this.scheduler.start();
    }
    const disabled = rules.length - patterns.length - schedules.filter((s) => s.enabled).length;
    log(
      `serverless.yml functions' events: ${patterns.length} rule(s) listening, ${schedules.length - schedules.filter((s) => !s.enabled).length} schedule(s) running` +
        `${disabled > 0 ? `, ${disabled} disabled` : ''}; dead letters go to ${path.join(this.options.stateDir, DEAD_LETTER_FILE)}`,
    );
  }

  /** Resolves once every delivery started so far has ended (delivered or dead-lettered). */
  idle(): Promise<void> {
    return this.options.targets.idle();
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.unsubscribe.splice(0)) unsubscribe();
    await this.scheduler?.close();
    await this.options.targets.close();
    await this.store?.close();
  }
}

/** The first line the serverless-offline child writes to its function-events pipe, parsed; rejects if none comes. */
export function readFunctionEventsReport(stream: NodeJS.ReadableStream): Promise<FunctionEventsReport> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk: Buffer | string) => {
      text += chunk.toString();
      const end = text.indexOf('\n');
      if (end < 0) return;
      stream.off('data', onData);
      stream.off('end', onEnd);
      try {
        resolve(FunctionEventsReportSchema.parse(JSON.parse(text.slice(0, end))));
      } catch (err) {
        reject(new Error(`the serverless-offline child's function events are not readable: ${describe(err)}`));
      }
    };
    const onEnd = () => reject(new Error('serverless-offline ended before it reported its functions'));
    stream.on('data', onData);
    stream.once('end', onEnd);
  });
}

/**
 * The functions' rules `npm start` runs, from the child's report: problems are logged (one line each, the event
 * left out), the rest start at once (deliveries retry until the Lambda port serves).
 */
export async function startFunctionRules(options: {
  report: FunctionEventsReport;
  settings: { region: string; accountId: string; stateDir: string };
  invoke: LambdaInvoker;
  subscribers: EventSubscribers;
  clock: Clock;
  env?: NodeJS.ProcessEnv;
  log: (line: string) => void;
}): Promise<LocalFunctionRules> {
  const { rules, problems } = functionRules(options.report);
  for (const problem of problems) options.log(`${problem}; this rule is not run locally`);
  const { region, accountId, stateDir } = options.settings;
  const targets = new LambdaTargets({
    invoke: options.invoke,
    region,
    accountId,
    deadLetterFile: path.join(stateDir, DEAD_LETTER_FILE),
    log: options.log,
    baseDelayMs: positiveNumberFromEnv(options.env ?? process.env, 'BERTH_EVENTS_RETRY_BASE_MS', 1000),
  });
  const local = new LocalFunctionRules({
    rules,
    subscribers: options.subscribers,
    targets,
    stateDir,
    region,
    accountId,
    clock: options.clock,
    log: options.log,
  });
  await local.start();
  return local;
}
