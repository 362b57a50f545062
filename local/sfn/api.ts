/**
 * Step Functions' operations on the wire (awsJson1_0): read each request's members, call the model, shape
 * the response as Step Functions does. Follows the operation pages under
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 * (CreateStateMachine, DescribeStateMachine, ListStateMachines, UpdateStateMachine, DeleteStateMachine,
 * StartExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory,
 * DescribeStateMachineForExecution, and SendTaskSuccess, SendTaskFailure, SendTaskHeartbeat for the callback
 * pattern's task tokens, task-tokens.ts). Deliberate deviations:
 * - Only STANDARD state machines: `type: EXPRESS` is StateMachineTypeNotSupported.
 * - Members Berth does not model (publish, versionDescription, encryptionConfiguration, traceHeader,
 *   tags beyond storing them) are accepted and ignored; aliases, versions, map runs and redrive are not
 *   served (their operations answer UnknownOperationException).
 * Timestamps are epoch seconds on the wire, as the awsJson protocols carry them. Every answer waits until
 * what it shows is on disk.
 */
import { memberReader, smithyRule, type Violation, validationMessage } from '../endpoint/members';
import type { JsonObject, Operation } from '../endpoint/service';
import {
  InvalidArn,
  InvalidToken,
  MissingRequiredParameter,
  StateMachineTypeNotSupported,
  ValidationException,
} from './exceptions';
import type { HistoryEvent } from './history';
import {
  EXECUTION_STATUSES,
  type ExecutionRecord,
  type ExecutionSummary,
  type StateMachineRecord,
  type StepFunctions,
} from './models';

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const STATE_MACHINE_TYPES = ['STANDARD', 'EXPRESS'] as const;
const STATUS_FILTERS = [...EXECUTION_STATUSES, 'PENDING_REDRIVE'] as const;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

/** Step Functions' words differ from Smithy's for lengths (a long value is not echoed) and ranges. */
function sfnRule(violation: Violation): [rule: string, value: unknown] {
  if (violation.kind === 'range') {
    return [`Member must have value between ${violation.min} and ${violation.max}`, violation.value];
  }
  if (violation.kind === 'length') {
    const { value, min, max } = violation;
    return min !== undefined && value.length < min
      ? [`Member must have length greater than or equal to ${min}`, value]
      : [`Member must have length less than or equal to ${max}`, undefined];
  }
  return smithyRule(violation);
}

const sfnViolation = (path: string, violation: Violation) =>
  new ValidationException(validationMessage(path, ...sfnRule(violation)));

const { optionalString, requiredString, optionalEnum, optionalInteger, optionalBoolean, optionalObject, optionalList } =
  memberReader({ violation: sfnViolation, emptyRequired: 'too-short', structure: 'an object' });

/** ARNs are 1 to 256 characters (the API model's Arn shape). */
const ARN = { maxLength: 256 };
/** The API model's TaskToken, SensitiveData, SensitiveError and SensitiveCause shapes. */
const TASK_TOKEN = { maxLength: 2048 };
const OUTPUT = { maxLength: 262_144 };
const ERROR = { maxLength: 256 };
const CAUSE = { maxLength: 32_768 };

function pageSize(input: JsonObject): number {
  const value = optionalInteger(input, 'maxResults', { min: 0, max: MAX_PAGE }) ?? 0;
  return value === 0 ? DEFAULT_PAGE : value;
}

function roleArn(input: JsonObject, required: boolean): string | undefined {
  const value = required ? requiredString(input, 'roleArn', ARN) : optionalString(input, 'roleArn', ARN);
  if (value !== undefined && !ROLE_ARN.test(value)) throw new InvalidArn(`Invalid Arn: 'Invalid role ARN: ${value}'`);
  return value;
}

/** Page tokens are opaque: the offset into one listing, bound to that listing (`scope`). */
function encodeToken(scope: string, offset: number): string {
  return Buffer.from(JSON.stringify({ s: scope, o: offset })).toString('base64url');
}

function decodeToken(input: JsonObject, scope: string): number {
  const token = optionalString(input, 'nextToken', { maxLength: 1024 });
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    if (parsed.s === scope && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0)
      return parsed.o;
  } catch {
    // falls through
  }
  throw new InvalidToken(`Invalid Token: '${token}'`);
}

function page<T>(items: readonly T[], input: JsonObject, scope: string): { items: T[]; nextToken?: string } {
  const offset = decodeToken(input, scope);
  const size = pageSize(input);
  const slice = items.slice(offset, offset + size);
  return offset + size < items.length
    ? { items: slice, nextToken: encodeToken(scope, offset + size) }
    : { items: slice };
}

const seconds = (ms: number) => ms / 1000;

function executionListItem(execution: ExecutionSummary) {
  const item: Record<string, unknown> = {
    executionArn: execution.executionArn,
    stateMachineArn: execution.stateMachineArn,
    name: execution.name,
    status: execution.status,
    startDate: seconds(execution.startDate),
  };
  if (execution.stopDate !== undefined) item.stopDate = seconds(execution.stopDate);
  return item;
}

function describeExecution(execution: ExecutionRecord) {
  const out: Record<string, unknown> = {
    ...executionListItem(execution),
    input: execution.input,
    inputDetails: { included: true },
    redriveCount: 0,
  };
  if (execution.output !== undefined) {
    out.output = execution.output;
    out.outputDetails = { included: true };
  }
  if (execution.error !== undefined) out.error = execution.error;
  if (execution.cause !== undefined) out.cause = execution.cause;
  return out;
}

function describeStateMachine(machine: StateMachineRecord) {
  return {
    stateMachineArn: machine.stateMachineArn,
    name: machine.name,
    status: 'ACTIVE',
    definition: machine.definition,
    roleArn: machine.roleArn,
    type: machine.type,
    creationDate: seconds(machine.creationDate),
    loggingConfiguration: machine.loggingConfiguration,
    tracingConfiguration: machine.tracingConfiguration,
    revisionId: machine.revisionId,
  };
}

/** An event as the wire carries it; without inputs and outputs when `includeData` is false. */
function wireEvent(event: HistoryEvent, includeData: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event, timestamp: seconds(event.timestamp) };
  if (!includeData) {
    for (const [key, value] of Object.entries(out)) {
      if (key.endsWith('EventDetails') && typeof value === 'object' && value !== null) {
        const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
        out[key] = rest;
      }
    }
  }
  return out;
}

export function stepFunctionsOperations(model: StepFunctions): Record<string, Operation> {
  return {
    async CreateStateMachine(input) {
      const name = requiredString(input, 'name', { maxLength: 80 });
      const definition = requiredString(input, 'definition', { maxLength: 1_048_576 });
      const role = roleArn(input, true)!;
      if (optionalEnum(input, 'type', STATE_MACHINE_TYPES) === 'EXPRESS') {
        throw new StateMachineTypeNotSupported("Berth's local Step Functions runs STANDARD state machines only.");
      }
      const tags = optionalList(input, 'tags');
      const machine = await model.createStateMachine({
        name,
        definition,
        roleArn: role,
        loggingConfiguration: optionalObject(input, 'loggingConfiguration'),
        tracingConfiguration: optionalObject(input, 'tracingConfiguration'),
        tags: tags as CreateTags,
      });
      const out: Record<string, unknown> = {
        stateMachineArn: machine.stateMachineArn,
        creationDate: seconds(machine.creationDate),
      };
      return out;
    },

    async DescribeStateMachine(input) {
      const machine = model.getStateMachine(requiredString(input, 'stateMachineArn', ARN));
      await model.durable();
      return describeStateMachine(machine);
    },

    async ListStateMachines(input) {
      const machines = model.listStateMachines();
      const result = page(machines, input, 'state-machines');
      await model.durable();
      const out: Record<string, unknown> = {
        stateMachines: result.items.map((m) => ({
          stateMachineArn: m.stateMachineArn,
          name: m.name,
          type: m.type,
          creationDate: seconds(m.creationDate),
        })),
      };
      if (result.nextToken) out.nextToken = result.nextToken;
      return out;
    },

    async UpdateStateMachine(input) {
      const arn = requiredString(input, 'stateMachineArn', ARN);
      const definition = optionalString(input, 'definition', { maxLength: 1_048_576 });
      const role = roleArn(input, false);
      const loggingConfiguration = optionalObject(input, 'loggingConfiguration');
      const tracingConfiguration = optionalObject(input, 'tracingConfiguration');
      model.getStateMachine(arn);
      if (
        definition === undefined &&
        role === undefined &&
        loggingConfiguration === undefined &&
        tracingConfiguration === undefined
      ) {
        throw new MissingRequiredParameter(
          'Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified',
        );
      }
      const updated = await model.updateStateMachine(arn, {
        definition,
        roleArn: role,
        loggingConfiguration,
        tracingConfiguration,
      });
      return { updateDate: seconds(updated.updateDate!), revisionId: updated.revisionId };
    },

    async DeleteStateMachine(input) {
      await model.deleteStateMachine(requiredString(input, 'stateMachineArn', ARN));
      return {};
    },

    async StartExecution(input) {
      const arn = requiredString(input, 'stateMachineArn', ARN);
      const name = optionalString(input, 'name');
      const executionInput = optionalString(input, 'input');
      optionalString(input, 'traceHeader', { maxLength: 256 });
      const execution = await model.startExecution(arn, name, executionInput);
      return { executionArn: execution.executionArn, startDate: seconds(execution.startDate) };
    },

    async DescribeExecution(input) {
      const execution = model.getExecution(requiredString(input, 'executionArn', ARN));
      await model.durable();
      return describeExecution(execution);
    },

    async ListExecutions(input) {
      const arn = optionalString(input, 'stateMachineArn', ARN);
      if (arn === undefined) {
        if (input.mapRunArn !== undefined)
          throw new ValidationException("Berth's local Step Functions does not serve map runs.");
        throw sfnViolation('stateMachineArn', { kind: 'required' });
      }
      const status = optionalEnum(input, 'statusFilter', STATUS_FILTERS);
      const executions = status === 'PENDING_REDRIVE' ? [] : model.listExecutions(arn, status);
      // Offsets count from the oldest execution, so pages stay put while new executions start.
      const total = executions.length;
      const fromOldest = decodeToken(input, `executions:${arn}:${status ?? ''}`);
      const size = pageSize(input);
      const start = fromOldest === 0 ? 0 : total - fromOldest;
      const slice = executions.slice(Math.max(0, start), Math.max(0, start) + size);
      const out: Record<string, unknown> = { executions: slice.map(executionListItem) };
      const end = Math.max(0, start) + size;
      if (end < total) out.nextToken = encodeToken(`executions:${arn}:${status ?? ''}`, total - end);
      await model.durable();
      return out;
    },

    async StopExecution(input) {
      const arn = requiredString(input, 'executionArn', ARN);
      const error = optionalString(input, 'error', { maxLength: 256 });
      const cause = optionalString(input, 'cause', { maxLength: 32_768 });
      const execution = await model.stopExecution(arn, error, cause);
      return { stopDate: seconds(execution.stopDate ?? Date.now()) };
    },

    async GetExecutionHistory(input) {
      const arn = requiredString(input, 'executionArn', ARN);
      const reverse = optionalBoolean(input, 'reverseOrder') ?? false;
      const includeData = optionalBoolean(input, 'includeExecutionData') ?? true;
      const history = model.history(arn);
      const ordered = reverse ? [...history].reverse() : history;
      const result = page(ordered, input, `history:${arn}:${reverse}`);
      await model.durable();
      const out: Record<string, unknown> = { events: result.items.map((e) => wireEvent(e, includeData)) };
      if (result.nextToken) out.nextToken = result.nextToken;
      return out;
    },

    async SendTaskSuccess(input) {
      const token = requiredString(input, 'taskToken', TASK_TOKEN);
      // The model gives output no minimum length: an empty output is InvalidOutput (not JSON), not a length error.
      const output = optionalString(input, 'output', OUTPUT);
      if (output === undefined) throw sfnViolation('output', { kind: 'required' });
      await model.sendTaskSuccess(token, output);
      return {};
    },

    async SendTaskFailure(input) {
      const token = requiredString(input, 'taskToken', TASK_TOKEN);
      const error = optionalString(input, 'error', ERROR);
      const cause = optionalString(input, 'cause', CAUSE);
      await model.sendTaskFailure(token, error, cause);
      return {};
    },

    async SendTaskHeartbeat(input) {
      await model.sendTaskHeartbeat(requiredString(input, 'taskToken', TASK_TOKEN));
      return {};
    },

    async DescribeStateMachineForExecution(input) {
      const machine = model.stateMachineForExecution(requiredString(input, 'executionArn', ARN));
      await model.durable();
      const out: Record<string, unknown> = {
        stateMachineArn: machine.stateMachineArn,
        name: machine.name,
        definition: machine.definition,
        roleArn: machine.roleArn,
        updateDate: seconds(machine.updateDate ?? machine.creationDate),
        loggingConfiguration: machine.loggingConfiguration,
        tracingConfiguration: machine.tracingConfiguration,
        revisionId: machine.revisionId,
      };
      return out;
    },
  };
}

type CreateTags = Array<{ key?: string; value?: string }> | undefined;
