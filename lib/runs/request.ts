/**
 * The POST /runs body: a zod/mini schema (the full zod build would not fit the Lambda size budget),
 * the rules that relate fields to each other, and the conversion to the run-task state machine's
 * input. Every violation is reported at once with its JSONPath; objects are strict, so a misspelt
 * field is refused rather than dropped.
 *
 * Field rules follow the AWS pages they come from:
 * - RunTask (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RunTask.html): `count`
 *   1..10; `launchType` and `capacityProviderStrategy` are exclusive ("Specifying both a launch type
 *   and capacity provider strategy is not supported."), a strategy holds at most 20 providers and only
 *   one may have a `base`; "A total of 8192 characters are allowed for overrides", counting the JSON
 *   formatting; placement constraints at most 10, strategies at most 5 (checked by lib/placement);
 *   `startedBy` up to 128 letters, numbers, hyphens, forward slashes and underscores.
 * - AwsVpcConfiguration: up to 16 subnets and 5 security groups.
 * - Tag (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Tag.html): at most 50, keys
 *   1..128 and values 0..256 characters of letters, numbers, spaces and `+ - = . _ : / @`, no `aws:` prefix.
 * - AWS Batch RetryStrategy and EvaluateOnExit
 *   (https://docs.aws.amazon.com/batch/latest/APIReference/API_EvaluateOnExit.html): `attempts` 1..10,
 *   up to 5 rules; `onExitCode` only digits, optionally ending with `*`, up to 512 characters;
 *   `onStatusReason`/`onReason` letters, numbers, periods, colons and white space, optionally ending
 *   with `*`, up to 512 characters; `action` RETRY or EXIT, "the values aren't case sensitive".
 *   Deviation: Batch lets a rule combine conditions (all must match); Berth takes exactly one per rule.
 * - `timeoutSeconds` is enforced by the Run Task state's `TimeoutSeconds`, so it takes what Step
 *   Functions takes (a positive integer; https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html),
 *   capped at a year (an execution's limit), rather than AWS Batch's 60-second floor.
 * - `retry.backoffSeconds`/`backoffRate` mirror a Step Functions Retrier's IntervalSeconds and BackoffRate
 *   (rate at least 1.0). Defaults: retry at once (0 s, AWS Batch re-queues a failed attempt without delay),
 *   rate 2.0 (Step Functions' default).
 */
import * as z from 'zod/mini';
import { parsePart, withRules } from '../parse';
import { PlacementParameterError, validatePlacementOptions } from '../placement/placement';
import { MAX_PRIORITY, QUEUE_NAME, RUN_SHARE_IDENTIFIER } from '../queues/names';
import { parseTaskCpu, parseTaskMemory, TASK_CPU_MAX, TASK_CPU_MIN } from '../task-definition/units';
import type { ValidationResult, Violation } from '../task-definition/validate';
import { historyBoundViolation } from './history-bound';
import type { ExecutionInput, RunCapacity, RunTaskParameters, RunTrigger } from './types';

export const MAX_COUNT = 10;
export const MAX_ATTEMPTS = 10;
export const MAX_EVALUATE_ON_EXIT = 5;
export const MAX_OVERRIDES_LENGTH = 8192;
export const MAX_TIMEOUT_SECONDS = 31_536_000;
export const MAX_WAIT_SECONDS = 604_800;
export const MAX_CHECK_INTERVAL_SECONDS = 3_600;
export const MAX_BACKOFF_SECONDS = 86_400;
export const MAX_BACKOFF_RATE = 10;
export const DEFAULT_BACKOFF_SECONDS = 0;
export const DEFAULT_BACKOFF_RATE = 2;

/** Stage defaults the request falls back on (lib/runs/config.ts). */
export interface RunDefaults {
  capacity: RunCapacity;
}

/** An integer in [min, max], with one message for any other value. */
export function int(min: number, max: number, message: string) {
  return z.int({ error: message }).check(z.gte(min, message), z.lte(max, message));
}

function text(min: number, max: number, what: string) {
  return z.string().check(z.minLength(min), z.maxLength(max, `${what} must be at most ${max} characters.`));
}

const FAMILY = '[A-Za-z0-9_-]{1,255}';
const TASK_DEFINITION = new RegExp(
  `^(?:${FAMILY}(?::[1-9][0-9]{0,9})?|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/${FAMILY}(?::[1-9][0-9]{0,9})?)$`,
);
/** A cluster name or ARN, as RunTask's `cluster` takes it. */
export const CLUSTER = new RegExp(`^(?:${FAMILY}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/${FAMILY})$`);
const STARTED_BY = /^[A-Za-z0-9_/-]{1,128}$/;
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const EXIT_CODE_GLOB = /^[0-9]*\*?$/;
const REASON_GLOB = /^[A-Za-z0-9.:\s]*\*?$/;

const KeyValuePairSchema = z.strictObject({ name: text(1, 1024, 'Environment name'), value: z.string() });

const ContainerOverrideSchema = z.strictObject({
  name: z.string({ error: 'Container override name is required.' }).check(z.minLength(1)),
  command: z.optional(z.array(z.string())),
  environment: z.optional(z.array(KeyValuePairSchema)),
  cpu: z.optional(int(0, 2_147_483_647, "'cpu' must be a non-negative integer (CPU units).")),
  memory: z.optional(int(1, 2_147_483_647, "'memory' must be a positive integer (MiB).")),
  memoryReservation: z.optional(int(1, 2_147_483_647, "'memoryReservation' must be a positive integer (MiB).")),
});

/** Task-level cpu/memory overrides: CPU units or vCPUs, MiB or GB, stored as ECS's strings of integers. */
function taskSize(message: string, parse: (value: number | string) => number | undefined) {
  return z.pipe(
    z.union([z.number(), z.string()], { error: message }),
    z.transform((value: number | string, ctx): string => {
      const n = parse(value);
      if (n !== undefined) return String(n);
      ctx.issues.push({ code: 'custom', message, input: value });
      return z.NEVER;
    }),
  );
}

const TaskOverrideSchema = z.strictObject({
  containerOverrides: z.optional(
    z
      .array(ContainerOverrideSchema)
      .check(z.maxLength(10, 'Too many container overrides: a task has at most 10 containers.')),
  ),
  cpu: z.optional(
    taskSize(
      `Invalid 'cpu' override for task. Give CPU units from ${TASK_CPU_MIN} to ${TASK_CPU_MAX} ("1024" or 1024) or vCPUs ("1 vCPU").`,
      parseTaskCpu,
    ),
  ),
  memory: z.optional(
    taskSize(
      `Invalid 'memory' override for task. Give a positive number of MiB ("2048" or 2048) or a size with a unit ("2 GB").`,
      parseTaskMemory,
    ),
  ),
});

const NetworkConfigurationSchema = z.strictObject({
  awsvpcConfiguration: z.strictObject({
    subnets: z
      .array(text(1, 1024, 'A subnet id'))
      .check(z.minLength(1, 'subnets can not be empty.'), z.maxLength(16, 'At most 16 subnets are allowed.')),
    securityGroups: z.optional(
      z.array(text(1, 1024, 'A security group id')).check(z.maxLength(5, 'At most 5 security groups are allowed.')),
    ),
    assignPublicIp: z.optional(z.enum(['ENABLED', 'DISABLED'])),
  }),
});

const CapacityProviderItemSchema = z.strictObject({
  capacityProvider: text(1, 255, 'capacityProvider'),
  weight: z.optional(int(0, 1000, "'weight' must be an integer from 0 to 1000.")),
  base: z.optional(int(0, 100_000, "'base' must be an integer from 0 to 100000.")),
});

const PlacementConstraintSchema = z.strictObject({
  type: z.enum(['distinctInstance', 'memberOf']),
  expression: z.optional(z.string()),
});

const PlacementStrategySchema = z.strictObject({
  type: z.enum(['random', 'spread', 'binpack']),
  field: z.optional(z.string()),
});

const TagSchema = z.strictObject({
  key: z
    .string()
    .check(
      z.minLength(1, 'Tag keys must be 1 to 128 characters.'),
      z.maxLength(128, 'Tag keys must be 1 to 128 characters.'),
      z.regex(TAG_TEXT, 'Tag keys may contain letters, numbers, spaces and + - = . _ : / @.'),
    ),
  value: z.optional(
    z
      .string()
      .check(
        z.maxLength(256, 'Tag values must be at most 256 characters.'),
        z.regex(TAG_TEXT, 'Tag values may contain letters, numbers, spaces and + - = . _ : / @.'),
      ),
  ),
});

function glob(pattern: RegExp, allowed: string) {
  return z
    .string()
    .check(
      z.minLength(1),
      z.maxLength(512, 'The pattern can be up to 512 characters long.'),
      z.regex(pattern, `The pattern ${allowed}, and can end with an asterisk (*).`),
    );
}

const EvaluateOnExitSchema = z.strictObject({
  onExitCode: z.optional(glob(EXIT_CODE_GLOB, 'can contain only numbers')),
  onStatusReason: z.optional(glob(REASON_GLOB, 'can contain only letters, numbers, periods, colons and white space')),
  onReason: z.optional(glob(REASON_GLOB, 'can contain only letters, numbers, periods, colons and white space')),
  action: z.pipe(
    z.string({ error: 'action is required: RETRY or EXIT.' }),
    z.transform((value: string, ctx) => {
      const upper = value.toUpperCase();
      if (upper === 'RETRY' || upper === 'EXIT') return upper;
      ctx.issues.push({ code: 'custom', message: 'action must be RETRY or EXIT (any case).', input: value });
      return z.NEVER;
    }),
  ),
});

const RetrySchema = z.strictObject({
  attempts: z._default(int(1, MAX_ATTEMPTS, `'attempts' must be an integer from 1 to ${MAX_ATTEMPTS}.`), 1),
  backoffSeconds: z.optional(
    int(0, MAX_BACKOFF_SECONDS, `'backoffSeconds' must be an integer from 0 to ${MAX_BACKOFF_SECONDS}.`),
  ),
  backoffRate: z.optional(
    z
      .number({ error: `'backoffRate' must be a number from 1 to ${MAX_BACKOFF_RATE}.` })
      .check(
        z.gte(1, `'backoffRate' must be a number from 1 to ${MAX_BACKOFF_RATE}.`),
        z.lte(MAX_BACKOFF_RATE, `'backoffRate' must be a number from 1 to ${MAX_BACKOFF_RATE}.`),
      ),
  ),
  evaluateOnExit: z._default(
    z
      .array(EvaluateOnExitSchema)
      .check(z.maxLength(MAX_EVALUATE_ON_EXIT, `At most ${MAX_EVALUATE_ON_EXIT} evaluateOnExit rules are allowed.`)),
    [],
  ),
});

/** `capacity`: how long to wait for room and how often to check (also a queue's defaults, lib/queues/config.ts). */
export const CapacitySchema = z.strictObject({
  waitSeconds: z.optional(int(0, MAX_WAIT_SECONDS, `'waitSeconds' must be an integer from 0 to ${MAX_WAIT_SECONDS}.`)),
  checkIntervalSeconds: z.optional(
    int(
      1,
      MAX_CHECK_INTERVAL_SECONDS,
      `'checkIntervalSeconds' must be an integer from 1 to ${MAX_CHECK_INTERVAL_SECONDS}.`,
    ),
  ),
});

const taskDefinitionRule =
  'taskDefinition must be a family, family:revision or a task definition ARN (letters, numbers, hyphens and underscores).';

const RunRequestObjectSchema = z.strictObject(
  {
    taskDefinition: z
      .string({ error: (issue) => (issue.input === undefined ? 'taskDefinition is required.' : taskDefinitionRule) })
      .check(z.regex(TASK_DEFINITION, taskDefinitionRule)),
    cluster: z.optional(
      z
        .string()
        .check(z.regex(CLUSTER, 'cluster must be a cluster name (letters, numbers, hyphens and underscores) or ARN.')),
    ),
    count: z._default(int(1, MAX_COUNT, `'count' must be an integer from 1 to ${MAX_COUNT}.`), 1),
    launchType: z.optional(z.enum(['EC2', 'FARGATE', 'EXTERNAL'])),
    capacityProviderStrategy: z.optional(
      z
        .array(CapacityProviderItemSchema)
        .check(
          z.minLength(1, 'capacityProviderStrategy can not be empty.'),
          z.maxLength(20, 'A capacity provider strategy can contain at most 20 capacity providers.'),
        ),
    ),
    networkConfiguration: z.optional(NetworkConfigurationSchema),
    overrides: z.optional(TaskOverrideSchema),
    placementConstraints: z.optional(z.array(PlacementConstraintSchema)),
    placementStrategy: z.optional(z.array(PlacementStrategySchema)),
    retry: z._default(RetrySchema, { attempts: 1, evaluateOnExit: [] }),
    timeoutSeconds: z.optional(
      int(1, MAX_TIMEOUT_SECONDS, `'timeoutSeconds' must be an integer from 1 to ${MAX_TIMEOUT_SECONDS} (a year).`),
    ),
    capacity: z.optional(CapacitySchema),
    tags: z.optional(z.array(TagSchema).check(z.maxLength(50, 'At most 50 tags are allowed.'))),
    propagateTags: z.optional(z.enum(['TASK_DEFINITION', 'NONE'])),
    startedBy: z.optional(
      z
        .string()
        .check(
          z.regex(STARTED_BY, 'startedBy allows up to 128 letters, numbers, hyphens, forward slashes and underscores.'),
        ),
    ),
    queue: z.optional(
      z
        .string()
        .check(z.regex(QUEUE_NAME, 'queue must be a queue name: 1 to 128 letters, numbers, hyphens and underscores.')),
    ),
    priority: z.optional(
      int(0, MAX_PRIORITY, `'priority' must be an integer from 0 to ${MAX_PRIORITY} (higher first).`),
    ),
    shareIdentifier: z.optional(
      z
        .string()
        .check(
          z.regex(RUN_SHARE_IDENTIFIER, 'shareIdentifier must be 1 to 255 letters, numbers, hyphens and underscores.'),
        ),
    ),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'The run request must be a JSON object.' : undefined) },
);

/** The POST /runs body as the schema gives it: stage defaults not yet applied. */
export type RunRequestBody = z.output<typeof RunRequestObjectSchema>;
type ParsedRunRequest = RunRequestBody;

/** A validated run request with the stage's defaults applied: what a run is started with, and hashed. */
export type RunRequest = Omit<RunRequestBody, 'capacity'> & { capacity: RunCapacity };
export type TaskOverrideRequest = NonNullable<RunRequestBody['overrides']>;
export type NetworkConfigurationRequest = NonNullable<RunRequestBody['networkConfiguration']>;
export type EvaluateOnExitRule = RunRequestBody['retry']['evaluateOnExit'][number];
export type RetryAction = EvaluateOnExitRule['action'];
export type LaunchType = NonNullable<RunRequestBody['launchType']>;
export type PropagateTags = NonNullable<RunRequestBody['propagateTags']>;

/** ECS's counting of the 8192-character limit: the overrides as JSON, formatting included. */
export function overridesLength(overrides: TaskOverrideRequest): number {
  return JSON.stringify(overrides).length;
}

/** Rules across fields, on a request that parsed. */
function checkRules(request: ParsedRunRequest): Violation[] {
  const out: Violation[] = [];
  if (request.launchType !== undefined && request.capacityProviderStrategy !== undefined) {
    out.push({
      path: '$.capacityProviderStrategy',
      message: 'Specifying both a launch type and capacity provider strategy is not supported.',
    });
  }
  const withBase = (request.capacityProviderStrategy ?? []).filter((item) => (item.base ?? 0) > 0);
  if (withBase.length > 1) {
    out.push({
      path: '$.capacityProviderStrategy',
      message: 'Only one capacity provider in a capacity provider strategy can have a base defined.',
    });
  }
  if (request.overrides !== undefined && overridesLength(request.overrides) > MAX_OVERRIDES_LENGTH) {
    out.push({
      path: '$.overrides',
      message: `Container Overrides length must be at most ${MAX_OVERRIDES_LENGTH} (${overridesLength(request.overrides)} characters as JSON).`,
    });
  }
  const names = new Set<string>();
  request.overrides?.containerOverrides?.forEach((override, i) => {
    if (names.has(override.name)) {
      out.push({
        path: `$.overrides.containerOverrides[${i}].name`,
        message: `Container ${override.name} is overridden more than once.`,
      });
    }
    names.add(override.name);
  });
  request.retry.evaluateOnExit.forEach((rule, i) => {
    const conditions = [rule.onExitCode, rule.onStatusReason, rule.onReason].filter((c) => c !== undefined);
    if (conditions.length !== 1) {
      out.push({
        path: `$.retry.evaluateOnExit[${i}]`,
        message: 'Each rule takes exactly one of onExitCode, onStatusReason and onReason.',
      });
    }
  });
  const keys = new Set<string>();
  request.tags?.forEach((tag, i) => {
    if (tag.key.toLowerCase().startsWith('aws:')) {
      out.push({ path: `$.tags[${i}].key`, message: 'Tag keys starting with aws: are reserved for AWS use.' });
    }
    if (keys.has(tag.key)) out.push({ path: `$.tags[${i}].key`, message: `Duplicate tag key ${tag.key}.` });
    keys.add(tag.key);
  });
  if (request.launchType === 'FARGATE' && (request.placementConstraints?.length || request.placementStrategy?.length)) {
    out.push({
      path: request.placementConstraints?.length ? '$.placementConstraints' : '$.placementStrategy',
      message: 'Task placement constraints and strategies are not supported for tasks on Fargate.',
    });
  }
  out.push(...checkPlacement(request));
  return out;
}

/** lib/placement's own RunTask checks, each attributed to the constraint or strategy it is about. */
function checkPlacement(request: ParsedRunRequest): Violation[] {
  const out: Violation[] = [];
  const check = (path: string, run: () => void) => {
    try {
      run();
    } catch (err) {
      if (!(err instanceof PlacementParameterError)) throw err;
      out.push({ path, message: err.message });
    }
  };
  const constraints = request.placementConstraints ?? [];
  const strategies = request.placementStrategy ?? [];
  constraints.forEach((c, i) => {
    check(`$.placementConstraints[${i}]`, () => validatePlacementOptions([c], []));
  });
  strategies.forEach((s, i) => {
    check(`$.placementStrategy[${i}]`, () => validatePlacementOptions([], [s]));
  });
  if (out.length === 0) {
    check(constraints.length > 10 ? '$.placementConstraints' : '$.placementStrategy', () =>
      validatePlacementOptions(constraints, strategies),
    );
  }
  return out;
}

/** The POST /runs body: every field and the rules across fields (these only once the fields parse). */
export const RunRequestSchema = withRules(RunRequestObjectSchema, checkRules);

/**
 * The stage's defaults on a validated body: capacity from the stage. When only `waitSeconds` is given and it is
 * shorter than the stage's check interval, the interval shrinks to it so the run is checked again before it gives up.
 */
export function withStageDefaults(body: RunRequestBody, defaults: RunDefaults): RunRequest {
  const { capacity, retry, ...rest } = body;
  const waitSeconds = capacity?.waitSeconds ?? defaults.capacity.waitSeconds;
  const checkIntervalSeconds =
    capacity?.checkIntervalSeconds ?? Math.max(1, Math.min(defaults.capacity.checkIntervalSeconds, waitSeconds));
  return {
    ...rest,
    retry: { ...retry, evaluateOnExit: retry.evaluateOnExit.map((rule) => ({ ...rule })) },
    capacity: { waitSeconds, checkIntervalSeconds },
  };
}

/**
 * Validates a run request and applies the defaults (count 1, retry {attempts 1, evaluateOnExit []}, capacity from
 * the stage), for callers that hold a request outside an API call (trigger files).
 */
export function parseRunRequest(body: unknown, defaults: RunDefaults): ValidationResult<RunRequest> {
  const parsed = parsePart(RunRequestSchema, body);
  if (!parsed.ok) return parsed;
  const request = withStageDefaults(parsed.value, defaults);
  const violation = historyBoundViolationOf(request);
  return violation === undefined ? { ok: true, value: request } : { ok: false, violations: [violation] };
}

/**
 * Whether a run with the stage's defaults applied could outgrow its execution history (lib/runs/history-bound.ts):
 * its capacity settings are only final once the defaults are in.
 */
export function historyBoundViolationOf(request: RunRequest): Violation | undefined {
  return historyBoundViolation({ attempts: request.retry.attempts, ...request.capacity });
}

export interface ExecutionInputParts {
  runId: string;
  submittedAt: Date;
  request: RunRequest;
  /** From DescribeTaskDefinition: always with its revision. */
  taskDefinitionArn: string;
  /** The request's cluster, else the stage's. */
  cluster: string;
  /** The request's, else the stage's subnets and security groups when the task uses awsvpc. */
  networkConfiguration?: RunRequest['networkConfiguration'];
  trigger?: RunTrigger;
  idempotency?: ExecutionInput['idempotency'];
  /** The queue the run waits in, with its limit's timeout (lib/queues/run-queue.ts). */
  queue?: ExecutionInput['queue'];
}

/** The RunTask parameters in Step Functions' PascalCase. */
export function toRunTaskParameters(parts: ExecutionInputParts): RunTaskParameters {
  const { request, networkConfiguration } = parts;
  const out: RunTaskParameters = {
    Cluster: parts.cluster,
    TaskDefinition: parts.taskDefinitionArn,
    Count: request.count,
  };
  if (request.launchType !== undefined) out.LaunchType = request.launchType;
  if (request.capacityProviderStrategy !== undefined) {
    out.CapacityProviderStrategy = request.capacityProviderStrategy.map((item) => ({
      CapacityProvider: item.capacityProvider,
      ...(item.weight !== undefined && { Weight: item.weight }),
      ...(item.base !== undefined && { Base: item.base }),
    }));
  }
  if (networkConfiguration !== undefined) {
    const vpc = networkConfiguration.awsvpcConfiguration;
    out.NetworkConfiguration = {
      AwsvpcConfiguration: {
        Subnets: [...vpc.subnets],
        ...(vpc.securityGroups !== undefined && { SecurityGroups: [...vpc.securityGroups] }),
        ...(vpc.assignPublicIp !== undefined && { AssignPublicIp: vpc.assignPublicIp }),
      },
    };
  }
  if (request.overrides !== undefined) {
    const o = request.overrides;
    out.Overrides = {
      ...(o.containerOverrides !== undefined && {
        ContainerOverrides: o.containerOverrides.map((c) => ({
          Name: c.name,
          ...(c.command !== undefined && { Command: [...c.command] }),
          ...(c.environment !== undefined && {
            Environment: c.environment.map((e) => ({ Name: e.name, Value: e.value })),
          }),
          ...(c.cpu !== undefined && { Cpu: c.cpu }),
          ...(c.memory !== undefined && { Memory: c.memory }),
          ...(c.memoryReservation !== undefined && { MemoryReservation: c.memoryReservation }),
        })),
      }),
      ...(o.cpu !== undefined && { Cpu: o.cpu }),
      ...(o.memory !== undefined && { Memory: o.memory }),
    };
  }
  if (request.placementConstraints !== undefined) {
    out.PlacementConstraints = request.placementConstraints.map((c) => ({
      Type: c.type,
      ...(c.expression !== undefined && { Expression: c.expression }),
    }));
  }
  if (request.placementStrategy !== undefined) {
    out.PlacementStrategy = request.placementStrategy.map((s) => ({
      Type: s.type,
      ...(s.field !== undefined && { Field: s.field }),
    }));
  }
  if (request.tags !== undefined) {
    out.Tags = request.tags.map((t) => ({ Key: t.key, ...(t.value !== undefined && { Value: t.value }) }));
  }
  if (request.propagateTags !== undefined) out.PropagateTags = request.propagateTags;
  return out;
}

/** What POST /runs starts the state machine with (lib/runs/types.ts, ExecutionInput). */
export function toExecutionInput(parts: ExecutionInputParts): ExecutionInput {
  const { request } = parts;
  return {
    runId: parts.runId,
    submittedAt: parts.submittedAt.toISOString(),
    ...(parts.trigger !== undefined && { trigger: parts.trigger }),
    taskDefinitionArn: parts.taskDefinitionArn,
    runTask: toRunTaskParameters(parts),
    retry: {
      attempts: request.retry.attempts,
      backoffSeconds: request.retry.backoffSeconds ?? DEFAULT_BACKOFF_SECONDS,
      backoffRate: request.retry.backoffRate ?? DEFAULT_BACKOFF_RATE,
      evaluateOnExit: request.retry.evaluateOnExit,
    },
    ...(request.timeoutSeconds !== undefined && { timeoutSeconds: request.timeoutSeconds }),
    capacity: { ...request.capacity },
    ...(parts.queue !== undefined && { queue: parts.queue }),
    ...(parts.idempotency !== undefined && { idempotency: parts.idempotency }),
  };
}
