/**
 * CloudWatch Logs' operations on the wire (awsJson1_1, `X-Amz-Target: Logs_20140328.<Operation>`): read each
 * request's members, call the model, shape the response as CloudWatch Logs does. Follows the operation pages under
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_Operations.html: CreateLogGroup,
 * DeleteLogGroup, DescribeLogGroups, CreateLogStream, DescribeLogStreams, PutLogEvents, GetLogEvents,
 * FilterLogEvents, PutRetentionPolicy, DeleteRetentionPolicy. Constraint violations answer
 * InvalidParameterException in Smithy's "1 validation error detected: ..." words; a member of the wrong JSON type
 * answers SerializationException, as the protocol does. Deliberate deviations:
 * - kmsKeyId, tags, logGroupClass, deletionProtectionEnabled, entity, unmask, accountIdentifiers and
 *   includeLinkedAccounts are accepted and ignored (no KMS, no tags, one account); sequence tokens are ignored, as
 *   AWS has ignored them since January 2023.
 * - FilterLogEvents matches terms and quoted phrases (filter-pattern.ts), not JSON or space-delimited patterns.
 */
import { memberReader, smithyRule, validationMessage } from '../endpoint/members';
import type { JsonObject, Operation } from '../endpoint/service';
import { GROUP_NOT_FOUND, InvalidParameterException, ResourceNotFoundException } from './exceptions';
import { FilterPatternError, parseFilterPattern } from './filter-pattern';
import { type LogStore, type NewLogEvent, type StoredStream, streamTag } from './models';
import {
  decodeFilterToken,
  decodeToken,
  EVENT_OVERHEAD_BYTES,
  encodeFilterToken,
  encodeToken,
  filterEventsPage,
  getEventsPage,
  InvalidTokenError,
  MAX_EVENTS,
} from './reads';

/** https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;
/** PutLogEvents' quotas: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html */
export const MAX_BATCH_BYTES = 1_048_576;
export const MAX_EVENT_BYTES = 262_144;
const MAX_BATCH_SPAN_MS = 24 * 60 * 60 * 1000;
const TOO_NEW_MS = 2 * 60 * 60 * 1000;
const TOO_OLD_MS = 14 * 24 * 60 * 60 * 1000;
const DESCRIBE_LIMIT = 50;
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]+$/;
const STREAM_NAME = /^[^:*]*$/;

function invalid(path: string, rule: string, value?: unknown): InvalidParameterException {
  return new InvalidParameterException(validationMessage(path, rule, value));
}

const {
  optionalString,
  requiredString,
  optionalInteger,
  optionalBoolean,
  optionalEnum,
  optionalStringList,
  optionalList,
} = memberReader({
  violation: (path, violation) => invalid(path, ...smithyRule(violation)),
  emptyRequired: 'too-short',
});

function groupName(input: JsonObject, name = 'logGroupName'): string {
  const value = requiredString(input, name, { minLength: 1, maxLength: 512 });
  if (!GROUP_NAME.test(value)) {
    throw invalid(name, 'Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+', value);
  }
  return value;
}

function streamName(value: string, path: string): string {
  if (!STREAM_NAME.test(value)) throw invalid(path, 'Member must satisfy regular expression pattern: [^:*]*', value);
  return value;
}

function requiredStreamName(input: JsonObject): string {
  return streamName(requiredString(input, 'logStreamName', { minLength: 1, maxLength: 512 }), 'logStreamName');
}

/** The group a read names by `logGroupName` or `logGroupIdentifier` (a name or an ARN), one of them only. */
function readGroup(model: LogStore, input: JsonObject): string {
  const hasName = input.logGroupName !== undefined && input.logGroupName !== null;
  const identifier = optionalString(input, 'logGroupIdentifier', { minLength: 1, maxLength: 2048 });
  if (hasName && identifier !== undefined) {
    throw new InvalidParameterException('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
  }
  if (identifier === undefined) return groupName(input);
  const arn = /^arn:aws[a-z-]*:logs:([^:]*):(\d{12}):log-group:([^:]+)(:\*)?$/.exec(identifier);
  if (arn === null) return groupName({ logGroupName: identifier });
  if (arn[1] !== model.region) throw new ResourceNotFoundException(GROUP_NOT_FOUND);
  return arn[3]!;
}

function timestamp(input: JsonObject, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidParameterException(`'${name}' must be a long.`);
  }
  if (value < 0) throw invalid(name, 'Member must have value greater than or equal to 0', value);
  return value;
}

function token(input: JsonObject): string | undefined {
  return optionalString(input, 'nextToken', { minLength: 1 });
}

function tokenError(err: unknown): never {
  if (err instanceof InvalidTokenError) throw new InvalidParameterException(err.message);
  throw err;
}

/** DescribeLogGroups' and DescribeLogStreams' tokens: the name a page ended at. */
const nameToken = (name: string) => Buffer.from(name, 'utf8').toString('base64url');
function afterName(input: JsonObject): string | undefined {
  const given = token(input);
  if (given === undefined) return undefined;
  const name = Buffer.from(given, 'base64url').toString('utf8');
  if (nameToken(name) !== given) throw new InvalidParameterException('The specified nextToken is invalid.');
  return name;
}

function page<T>(items: T[], limit: number, name: (item: T) => string, after: string | undefined) {
  const start = after === undefined ? 0 : items.findIndex((item) => name(item) === after) + 1;
  if (after !== undefined && start === 0) throw new InvalidParameterException('The specified nextToken is invalid.');
  const slice = items.slice(start, start + limit);
  const more = start + limit < items.length;
  return { slice, next: more ? nameToken(name(slice[slice.length - 1]!)) : undefined };
}

function readLogEvents(input: JsonObject): NewLogEvent[] {
  const list = optionalList(input, 'logEvents');
  if (list === undefined) throw invalid('logEvents', 'Member must not be null', null);
  if (list.length < 1) throw invalid('logEvents', 'Member must have length greater than or equal to 1');
  if (list.length > MAX_EVENTS)
    throw invalid('logEvents', `Member must have length less than or equal to ${MAX_EVENTS}`);
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new InvalidParameterException(`'logEvents.${i + 1}' must be a structure.`);
    }
    const event = item as JsonObject;
    const path = `logEvents.${i + 1}.member`;
    const time = timestamp(event, 'timestamp');
    if (time === undefined) throw invalid(`${path}.timestamp`, 'Member must not be null', null);
    const message = requiredString(event, 'message', { path: `${path}.message`, minLength: 1 });
    return { timestamp: time, message };
  });
}

function streamView(model: LogStore, stream: StoredStream) {
  return {
    logStreamName: stream.name,
    creationTime: stream.creationTime,
    ...(stream.firstEventTimestamp === undefined
      ? {}
      : {
          firstEventTimestamp: stream.firstEventTimestamp,
          lastEventTimestamp: stream.lastEventTimestamp,
          lastIngestionTime: stream.lastIngestionTime,
        }),
    uploadSequenceToken: String(stream.nextSeq).padStart(56, '0'),
    arn: `${model.groupArn(stream.group)}:log-stream:${stream.name}`,
    storedBytes: 0, // deprecated by AWS, which answers 0
  };
}

export function logsOperations(model: LogStore, now: () => number = Date.now): Record<string, Operation> {
  return {
    async CreateLogGroup(input) {
      const name = groupName(input);
      if (name.startsWith('aws/')) {
        throw new InvalidParameterException('Log group names cannot start with the string aws/');
      }
      optionalString(input, 'kmsKeyId');
      optionalEnum(input, 'logGroupClass', ['STANDARD', 'INFREQUENT_ACCESS', 'DELIVERY']);
      await model.createGroup(name);
      return {};
    },

    async DeleteLogGroup(input) {
      await model.deleteGroup(groupName(input));
      return {};
    },

    async DescribeLogGroups(input) {
      const prefix = optionalString(input, 'logGroupNamePrefix', { minLength: 1, maxLength: 512 });
      const pattern = optionalString(input, 'logGroupNamePattern', { maxLength: 512 });
      if (prefix !== undefined && pattern !== undefined) {
        throw new InvalidParameterException(
          'LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.',
        );
      }
      const identifiers = optionalStringList(input, 'logGroupIdentifiers', { maxItems: 50 });
      const limit = optionalInteger(input, 'limit', { min: 1, max: DESCRIBE_LIMIT }) ?? DESCRIBE_LIMIT;
      const lowered = pattern?.toLowerCase();
      const groups = model
        .listGroups()
        .filter(
          (group) =>
            (prefix === undefined || group.name.startsWith(prefix)) &&
            (lowered === undefined || group.name.toLowerCase().includes(lowered)) &&
            (identifiers === undefined ||
              identifiers.some((id) => id === group.name || id === model.groupArn(group.name))),
        );
      const { slice, next } = page(groups, limit, (group) => group.name, afterName(input));
      await model.durable();
      return {
        logGroups: slice.map((group) => ({
          logGroupName: group.name,
          creationTime: group.creationTime,
          ...(group.retentionInDays === undefined ? {} : { retentionInDays: group.retentionInDays }),
          metricFilterCount: 0,
          arn: `${model.groupArn(group.name)}:*`,
          storedBytes: model.groupStoredBytes(group.name),
          logGroupClass: 'STANDARD',
          logGroupArn: model.groupArn(group.name),
        })),
        ...(next === undefined ? {} : { nextToken: next }),
      };
    },

    async PutRetentionPolicy(input) {
      const name = groupName(input);
      const days = optionalInteger(input, 'retentionInDays');
      if (days === undefined) throw invalid('retentionInDays', 'Member must not be null', null);
      if (!(RETENTION_DAYS as readonly number[]).includes(days)) {
        throw invalid('retentionInDays', `Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`, days);
      }
      await model.setRetention(name, days);
      return {};
    },

    async DeleteRetentionPolicy(input) {
      await model.setRetention(groupName(input), undefined);
      return {};
    },

    async CreateLogStream(input) {
      await model.createStream(groupName(input), requiredStreamName(input));
      return {};
    },

    async DescribeLogStreams(input) {
      const group = readGroup(model, input);
      const prefix = optionalString(input, 'logStreamNamePrefix', { minLength: 1, maxLength: 512 });
      const orderBy = optionalEnum(input, 'orderBy', ['LogStreamName', 'LastEventTime']) ?? 'LogStreamName';
      const descending = optionalBoolean(input, 'descending') ?? false;
      const limit = optionalInteger(input, 'limit', { min: 1, max: DESCRIBE_LIMIT }) ?? DESCRIBE_LIMIT;
      if (prefix !== undefined && orderBy === 'LastEventTime') {
        throw new InvalidParameterException('Cannot order by LastEventTime with a logStreamNamePrefix.');
      }
      let streams = model.listStreams(group).filter((s) => prefix === undefined || s.name.startsWith(prefix));
      if (orderBy === 'LastEventTime') {
        streams = streams.sort((a, b) => (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0));
      }
      if (descending) streams.reverse();
      const { slice, next } = page(streams, limit, (stream) => stream.name, afterName(input));
      await model.durable();
      return {
        logStreams: slice.map((stream) => streamView(model, stream)),
        ...(next === undefined ? {} : { nextToken: next }),
      };
    },

    async PutLogEvents(input) {
      const group = groupName(input);
      const stream = requiredStreamName(input);
      optionalString(input, 'sequenceToken');
      const events = readLogEvents(input);
      let batchBytes = 0;
      for (const event of events) {
        const size = Buffer.byteLength(event.message, 'utf8') + EVENT_OVERHEAD_BYTES;
        if (size > MAX_EVENT_BYTES) {
          throw new InvalidParameterException(`Log event too large: ${size} bytes exceeds limit of ${MAX_EVENT_BYTES}`);
        }
        batchBytes += size;
      }
      if (batchBytes > MAX_BATCH_BYTES) {
        throw new InvalidParameterException(
          `Upload too large: ${batchBytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`,
        );
      }
      for (let i = 1; i < events.length; i++) {
        if (events[i]!.timestamp < events[i - 1]!.timestamp) {
          throw new InvalidParameterException(
            'Log events in a single PutLogEvents request must be in chronological order.',
          );
        }
      }
      if (events[events.length - 1]!.timestamp - events[0]!.timestamp > MAX_BATCH_SPAN_MS) {
        throw new InvalidParameterException(
          'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
        );
      }
      const target = model.stream(group, stream);
      const at = now();
      const cutoff = model.retentionCutoff(model.group(group));
      // Events are sorted: the rejected ones are a run at either end (AWS's RejectedLogEventsInfo).
      let tooOldEnd = -1;
      let expiredEnd = -1;
      let tooNewStart = events.length;
      events.forEach((event, i) => {
        if (event.timestamp < at - TOO_OLD_MS) tooOldEnd = i;
        if (cutoff > 0 && event.timestamp < cutoff) expiredEnd = i;
        if (event.timestamp > at + TOO_NEW_MS && tooNewStart === events.length) tooNewStart = i;
      });
      const accepted = events.slice(Math.max(tooOldEnd, expiredEnd) + 1, tooNewStart);
      const stored = accepted.length > 0 ? await model.putEvents(group, stream, accepted) : target;
      const rejected = {
        ...(tooNewStart < events.length ? { tooNewLogEventStartIndex: tooNewStart } : {}),
        ...(tooOldEnd >= 0 ? { tooOldLogEventEndIndex: tooOldEnd } : {}),
        ...(expiredEnd >= 0 ? { expiredLogEventEndIndex: expiredEnd } : {}),
      };
      return {
        nextSequenceToken: String(stored.nextSeq).padStart(56, '0'),
        ...(Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {}),
      };
    },

    async GetLogEvents(input) {
      const group = readGroup(model, input);
      const stream = model.stream(group, requiredStreamName(input));
      const startTime = timestamp(input, 'startTime');
      const endTime = timestamp(input, 'endTime');
      const limit = optionalInteger(input, 'limit', { min: 1, max: MAX_EVENTS }) ?? MAX_EVENTS;
      const startFromHead = optionalBoolean(input, 'startFromHead') ?? false;
      optionalBoolean(input, 'unmask');
      const tag = streamTag(stream);
      const given = token(input);
      let cursor: ReturnType<typeof decodeToken> | undefined;
      try {
        cursor = given === undefined ? undefined : decodeToken(given, tag);
      } catch (err) {
        tokenError(err);
      }
      const cutoff = model.retentionCutoff(model.group(group));
      const result = getEventsPage(model.events(stream), {
        startTime: Math.max(startTime ?? 0, cutoff),
        ...(endTime === undefined ? {} : { endTime }),
        limit,
        startFromHead,
        ...(cursor === undefined ? {} : { cursor }),
      });
      await model.durable();
      return {
        events: result.events.map((event) => ({
          timestamp: event.timestamp,
          message: event.message,
          ingestionTime: event.ingestionTime,
        })),
        nextForwardToken: encodeToken(result.forward, tag),
        nextBackwardToken: encodeToken(result.backward, tag),
      };
    },

    async FilterLogEvents(input) {
      const group = readGroup(model, input);
      const names = optionalStringList(input, 'logStreamNames', { maxItems: 100 });
      for (const [i, name] of (names ?? []).entries()) streamName(name, `logStreamNames.${i + 1}.member`);
      const prefix = optionalString(input, 'logStreamNamePrefix', { minLength: 1, maxLength: 512 });
      if (names !== undefined && prefix !== undefined) {
        throw new InvalidParameterException(
          'logStreamNames and logStreamNamePrefix are mutually exclusive parameters.',
        );
      }
      const startTime = timestamp(input, 'startTime');
      const endTime = timestamp(input, 'endTime');
      const limit = optionalInteger(input, 'limit', { min: 1, max: MAX_EVENTS }) ?? MAX_EVENTS;
      optionalBoolean(input, 'interleaved');
      optionalBoolean(input, 'unmask');
      const patternText = optionalString(input, 'filterPattern', { maxLength: 1024 }) ?? '';
      let pattern: ReturnType<typeof parseFilterPattern>;
      try {
        pattern = parseFilterPattern(patternText);
      } catch (err) {
        if (err instanceof FilterPatternError) throw new InvalidParameterException(err.message);
        throw err;
      }
      const given = token(input);
      let after: ReturnType<typeof decodeFilterToken> | undefined;
      try {
        after = given === undefined ? undefined : decodeFilterToken(given);
      } catch (err) {
        tokenError(err);
      }
      const streams = model
        .listStreams(group)
        .filter(
          (s) => (names === undefined || names.includes(s.name)) && (prefix === undefined || s.name.startsWith(prefix)),
        );
      const cutoff = model.retentionCutoff(model.group(group));
      const result = filterEventsPage(
        streams.map((stream) => ({ name: stream.name, events: model.events(stream) })),
        {
          startTime: Math.max(startTime ?? 0, cutoff),
          ...(endTime === undefined ? {} : { endTime }),
          limit,
          pattern,
          ...(after === undefined ? {} : { after }),
        },
      );
      await model.durable();
      const tags = new Map(streams.map((stream) => [stream.name, streamTag(stream)]));
      return {
        events: result.events.map((event) => ({
          logStreamName: event.stream,
          timestamp: event.timestamp,
          message: event.message,
          ingestionTime: event.ingestionTime,
          eventId: `${String(event.timestamp).padStart(20, '0')}${String(event.seq).padStart(20, '0')}${tags.get(event.stream)}`,
        })),
        searchedLogStreams: streams.map((stream) => ({ logStreamName: stream.name, searchedCompletely: true })),
        ...(result.next === undefined ? {} : { nextToken: encodeFilterToken(result.next) }),
      };
    },
  };
}
