/**
 * EventBridge's operations on the wire (awsJson1_1, `X-Amz-Target: AWSEvents.<Operation>`): read each request's
 * members, call the model, shape the response as EventBridge does. Follows the operation pages under
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Operations.html
 * (PutEvents, PutRule, DescribeRule, ListRules, DeleteRule, TestEventPattern), plus one of Berth's own,
 * ListRecordedEvents, which reads back what PutEvents recorded (there is no BerthLocal admin service yet).
 * Constraint violations answer ValidationException in AWS's "1 validation error detected: ..." form; members of
 * the wrong JSON type answer SerializationException, as the protocol does. Deliberate deviations:
 * - PutEvents' EndpointId and entries' TraceHeader are accepted and ignored (no global endpoints, no X-Ray).
 * - Rules take no ScheduleExpression (refused: nothing here would run it) and no Tags.
 */
import { compileEventPattern, InvalidEventPatternError, matchesEventPattern } from '../../lib/events/pattern';
import { SerializationException } from '../endpoint/errors';
import { memberReader, parseJsonObject, smithyRule, validationMessage } from '../endpoint/members';
import type { JsonObject, Operation } from '../endpoint/service';
import { InvalidEventPatternException, ResourceNotFoundException, ValidationException } from './exceptions';
import { type LocalEventBus, type NewEvent, RULE_STATES, type RuleState } from './models';

/** https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html: Entries 1..10. */
const MAX_ENTRIES = 10;
/** https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html: the entries' total size. */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;
const RULE_NAME = /^[.\-_A-Za-z0-9]+$/;
const MAX_LIST = 100;
/** https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_TestEventPattern.html */
const MAX_PATTERN_LENGTH = 4096;
/** The fields TestEventPattern requires of its Event. */
const REQUIRED_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];

/** EventBridge's messages name a member as its model does, in lower camel case: `Name` is `name`. */
const modelName = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);

/** A ValidationException in Smithy's words for the member `key`; `value` as validationMessage echoes it. */
function validationError(key: string, rule: string, value?: unknown): ValidationException {
  return new ValidationException(validationMessage(modelName(key), rule, value));
}

const { optionalString, requiredString, optionalEnum, optionalInteger, optionalStringList } = memberReader({
  violation: (key, violation) => validationError(key, ...smithyRule(violation)),
  emptyRequired: 'allowed',
});

function limit(input: JsonObject, key: string): number {
  return optionalInteger(input, key, { min: 1, max: MAX_LIST }) ?? MAX_LIST;
}

function ruleName(input: JsonObject): string {
  const name = requiredString(input, 'Name', { minLength: 1, maxLength: 64 });
  if (!RULE_NAME.test(name)) {
    throw validationError('Name', 'Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+', name);
  }
  return name;
}

/** The bus a rule operation names (default when absent); only `default` exists here. */
function ruleBus(model: LocalEventBus, input: JsonObject): string {
  const given = optionalString(input, 'EventBusName');
  const bus = model.busName(given);
  if (bus === undefined) throw new ResourceNotFoundException(`Event bus ${given} does not exist.`);
  return bus;
}

function patternException(err: unknown): never {
  if (err instanceof InvalidEventPatternError) throw new InvalidEventPatternException(err.message);
  throw err;
}

function encodeToken(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

function decodeToken(input: JsonObject, name: string): string | undefined {
  const token = optionalString(input, name);
  if (token === undefined || token === '') return undefined;
  const decoded = Buffer.from(token, 'base64url').toString('utf8');
  if (encodeToken(decoded) !== token) throw new ValidationException(`The ${name} is not valid.`);
  return decoded;
}

/** One PutEvents entry's outcome on the wire. */
type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

/** The size EventBridge counts for an entry (eb-putevent-size.html): Time is 14 bytes, strings their UTF-8 bytes. */
function entrySize(entry: JsonObject): number {
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  let size = entry.Time === undefined || entry.Time === null ? 0 : 14;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const resource of entry.Resources) size += bytes(resource);
  return size;
}

/**
 * Checks one entry as PutEvents does, in its order and words; the wrong JSON type for a member fails the whole
 * request (SerializationException), a missing or bad value fails only the entry.
 */
function readEntry(
  model: LocalEventBus,
  entry: JsonObject,
  now: number,
): NewEvent | { ErrorCode: string; ErrorMessage: string } {
  const source = optionalString(entry, 'Source');
  const detailType = optionalString(entry, 'DetailType');
  const detailText = optionalString(entry, 'Detail');
  const busGiven = optionalString(entry, 'EventBusName');
  optionalString(entry, 'TraceHeader');
  const resources = optionalStringList(entry, 'Resources');
  const time = entry.Time;
  if (time !== undefined && time !== null && (typeof time !== 'number' || !Number.isFinite(time))) {
    throw new SerializationException("'Time' must be a timestamp (epoch seconds).");
  }
  const invalid = (member: string) => ({
    ErrorCode: 'InvalidArgument',
    ErrorMessage: `Parameter ${member} is not valid. Reason: ${member} is a required argument.`,
  });
  if (source === undefined || source === '') return invalid('Source');
  if (detailType === undefined || detailType === '') return invalid('DetailType');
  if (detailText === undefined || detailText === '') return invalid('Detail');
  const detail = parseJsonObject(detailText);
  if (!detail.ok) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  // Custom events cannot claim an AWS service as their source.
  if (source.startsWith('aws.')) {
    return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
  }
  const eventBusName = model.busName(busGiven);
  if (eventBusName === undefined) {
    return { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${busGiven} does not exist.` };
  }
  return {
    source,
    detailType,
    detail: detail.value,
    resources: resources ?? [],
    time: typeof time === 'number' ? time * 1000 : now,
    eventBusName,
  };
}

export function eventBridgeOperations(model: LocalEventBus, now: () => number = Date.now): Record<string, Operation> {
  return {
    async PutEvents(input) {
      const entries = input.Entries;
      if (entries === undefined || entries === null)
        throw validationError('Entries', ...smithyRule({ kind: 'required' }));
      if (!Array.isArray(entries) || entries.some((e) => typeof e !== 'object' || e === null || Array.isArray(e))) {
        throw new SerializationException("'Entries' must be a list of PutEventsRequestEntry structures.");
      }
      if (entries.length < 1) {
        throw validationError('Entries', 'Member must have length greater than or equal to 1', '[]');
      }
      if (entries.length > MAX_ENTRIES) {
        throw validationError('Entries', `Member must have length less than or equal to ${MAX_ENTRIES}`);
      }
      optionalString(input, 'EndpointId');
      const objects = entries as JsonObject[];
      if (objects.reduce((total, entry) => total + entrySize(entry), 0) > MAX_PUT_EVENTS_BYTES) {
        throw new ValidationException('Total size of the entries in the request is over the limit.');
      }
      const at = now();
      const read = objects.map((entry) => readEntry(model, entry, at));
      const accepted = read.filter((r): r is NewEvent => !('ErrorCode' in r));
      const recorded = accepted.length > 0 ? await model.putEvents(accepted) : [];
      let next = 0;
      const results: EntryResult[] = read.map((r) => ('ErrorCode' in r ? r : { EventId: recorded[next++]!.event.id }));
      return { FailedEntryCount: read.length - accepted.length, Entries: results };
    },

    async PutRule(input) {
      const name = ruleName(input);
      const bus = ruleBus(model, input);
      if (optionalString(input, 'ScheduleExpression') !== undefined) {
        throw new ValidationException(
          "Berth's local EventBridge does not run scheduled rules; schedules are Berth triggers (see docs/triggers.md).",
        );
      }
      const eventPattern = optionalString(input, 'EventPattern');
      if (eventPattern === undefined) {
        throw new ValidationException('Parameter(s) EventPattern or ScheduleExpression must be specified.');
      }
      try {
        compileEventPattern(eventPattern);
      } catch (err) {
        patternException(err);
      }
      const state = optionalEnum<RuleState>(input, 'State', RULE_STATES) ?? 'ENABLED';
      const description = optionalString(input, 'Description', { maxLength: 512 });
      const roleArn = optionalString(input, 'RoleArn');
      if (input.Tags !== undefined)
        throw new ValidationException("Berth's local EventBridge does not take Tags on rules.");
      const RuleArn = await model.putRule({
        name,
        eventBusName: bus,
        eventPattern,
        state,
        ...(description === undefined ? {} : { description }),
        ...(roleArn === undefined ? {} : { roleArn }),
      });
      return { RuleArn };
    },

    async DescribeRule(input) {
      const view = model.describeRule(ruleBus(model, input), ruleName(input));
      await model.durable();
      return view;
    },

    async ListRules(input) {
      const bus = ruleBus(model, input);
      const namePrefix = optionalString(input, 'NamePrefix');
      const max = limit(input, 'Limit');
      const after = decodeToken(input, 'NextToken');
      const all = model.listRules(bus, namePrefix);
      const start = after === undefined ? 0 : all.findIndex((rule) => rule.Name > after);
      const page = start < 0 ? [] : all.slice(start, start + max);
      await model.durable();
      const more = start >= 0 && start + max < all.length;
      return more ? { Rules: page, NextToken: encodeToken(page[page.length - 1]!.Name) } : { Rules: page };
    },

    async DeleteRule(input) {
      await model.deleteRule(ruleBus(model, input), ruleName(input));
      return {};
    },

    async TestEventPattern(input) {
      const eventPattern = requiredString(input, 'EventPattern', { maxLength: MAX_PATTERN_LENGTH });
      const eventText = requiredString(input, 'Event');
      let pattern: ReturnType<typeof compileEventPattern>;
      try {
        pattern = compileEventPattern(eventPattern);
      } catch (err) {
        patternException(err);
      }
      const parsed = parseJsonObject(eventText);
      if (!parsed.ok) throw new ValidationException('Parameter Event is not valid.');
      const event = parsed.value;
      const missing = REQUIRED_EVENT_FIELDS.find((field) => !Object.hasOwn(event, field));
      if (missing !== undefined) {
        throw new ValidationException(`Parameter Event is not valid. Reason: Provided Event must have ${missing}.`);
      }
      return { Result: matchesEventPattern(pattern, event) };
    },

    /** Berth's own: what PutEvents recorded, oldest first, filtered by Source and DetailType, paged. */
    async ListRecordedEvents(input) {
      const source = optionalString(input, 'Source');
      const detailType = optionalString(input, 'DetailType');
      const maxResults = limit(input, 'MaxResults');
      const token = decodeToken(input, 'NextToken');
      const after = token === undefined ? undefined : Number(token);
      if (after !== undefined && !Number.isSafeInteger(after))
        throw new ValidationException('The NextToken is not valid.');
      const page = model.listEvents({
        ...(source === undefined ? {} : { source }),
        ...(detailType === undefined ? {} : { detailType }),
        maxResults,
        ...(after === undefined ? {} : { after }),
      });
      await model.durable();
      return {
        Events: page.events.map((record) => ({
          EventId: record.event.id,
          EventBusName: record.eventBusName,
          ReceivedAt: record.receivedAt / 1000,
          MatchedRules: record.matchedRules,
          Event: record.event,
        })),
        ...(page.next === undefined ? {} : { NextToken: encodeToken(String(page.next)) }),
      };
    },
  };
}
