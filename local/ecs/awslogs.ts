/**
 * The awslogs log driver of the local ECS: what the ECS agent's Docker does with a container whose
 * logConfiguration is `awslogs` (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html),
 * writing to the local CloudWatch Logs of the same endpoint (local/logs, in this process).
 *
 * - Before the task's containers start, each awslogs container's group is checked and its stream made
 *   (`prefix/container-name/task-id`, lib/logs/location.ts; without a prefix, the container's runtime id, as Docker
 *   names it by the container id). A missing group is made when `awslogs-create-group` is "true"; otherwise the
 *   task fails to start with the reason ECS gives (AWS re:Post and the ECS stopped-task errors page:
 *   "ResourceInitializationError: failed to validate logger args: ...").
 * - The runtimes write a container's output to a file (local/ecs/runtime); an awslogs container gets a file of its
 *   own, and a LogShipper tails it, putting each complete line as one event as it comes (every POLL_MS), stamped
 *   with the time it was read, the way Docker stamps a line when it receives it. Lines longer than an event may be
 *   are split, as the driver splits them. How far the file has been shipped is kept beside it (`.offset`), so an
 *   endpoint restart neither loses nor repeats lines; a partial last line is shipped when the container ends.
 * Deliberate deviation: `awslogs-region` is not followed (there is one region here); `mode`, `max-buffer-size`,
 * `awslogs-datetime-format` and `awslogs-multiline-pattern` are ignored (one line is one event).
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, writeFileSync } from 'node:fs';
import type { ContainerDefinition } from '@aws-sdk/client-ecs';
import { logLocation } from '../../lib/logs/location';
import { MAX_BATCH_BYTES, MAX_EVENT_BYTES } from '../logs/api';
import type { LogStore, NewLogEvent } from '../logs/models';
import { EVENT_OVERHEAD_BYTES, MAX_EVENTS } from '../logs/reads';

export const POLL_MS = 100;
/** The most read from a container's file at one poll: a container printing faster is shipped over several polls. */
const MAX_READ_BYTES = 4 * 1024 * 1024;
const MAX_MESSAGE_BYTES = MAX_EVENT_BYTES - EVENT_OVERHEAD_BYTES;

export interface AwslogsTarget {
  group: string;
  stream: string;
  createGroup: boolean;
}

/** Where an awslogs container writes, or undefined for a container with another driver (or none). */
export function awslogsTarget(
  definition: ContainerDefinition,
  taskArn: string,
  runtimeId: string,
  region: string,
): AwslogsTarget | undefined {
  const configuration = definition.logConfiguration;
  if (configuration?.logDriver !== 'awslogs') return undefined;
  const options = configuration.options ?? {};
  const group = options['awslogs-group'] ?? '';
  const location = logLocation(
    { name: definition.name ?? '', logConfiguration: { logDriver: 'awslogs', options } },
    taskArn,
    region,
  );
  const stream = 'logStream' in location ? location.logStream : runtimeId;
  return { group, stream, createGroup: options['awslogs-create-group'] === 'true' };
}

/** ECS's reason for a task whose awslogs group does not exist (and may not be made). */
export function missingGroupReason(): string {
  return (
    'ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: ' +
    'failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist. ' +
    ': exit status 1'
  );
}

/** Makes the group (if allowed) and the stream; returns the reason the task cannot start, if it cannot. */
export async function prepareAwslogs(logs: LogStore, target: AwslogsTarget): Promise<string | undefined> {
  if (target.group === '') {
    return 'ResourceInitializationError: failed to validate logger args: awslogs-group is required : exit status 1';
  }
  if (!logs.hasGroup(target.group)) {
    if (!target.createGroup) return missingGroupReason();
    await logs.createGroup(target.group).catch((err: unknown) => {
      if ((err as { code?: string }).code !== 'ResourceAlreadyExistsException') throw err;
    });
  }
  await logs.createStream(target.group, target.stream).catch((err: unknown) => {
    if ((err as { code?: string }).code !== 'ResourceAlreadyExistsException') throw err;
  });
  return undefined;
}

/** Splits a line into messages an event can hold (at UTF-8 character boundaries). */
export function messagesOf(line: string): string[] {
  if (Buffer.byteLength(line, 'utf8') <= MAX_MESSAGE_BYTES) return [line];
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const char of line) {
    const size = Buffer.byteLength(char, 'utf8');
    if (bytes + size > MAX_MESSAGE_BYTES) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += char;
    bytes += size;
  }
  if (current !== '') out.push(current);
  return out;
}

/** Events in PutLogEvents-sized batches: at most 10,000 events and 1 MB each. */
export function batchesOf(events: readonly NewLogEvent[]): NewLogEvent[][] {
  const batches: NewLogEvent[][] = [];
  let batch: NewLogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const size = Buffer.byteLength(event.message, 'utf8') + EVENT_OVERHEAD_BYTES;
    if (batch.length === MAX_EVENTS || bytes + size > MAX_BATCH_BYTES) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Tails one container's output file into its stream (see the module comment). */
export class LogShipper {
  private offset: number;
  private pending = Buffer.alloc(0);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastTimestamp = 0;
  private failed = false;

  constructor(
    private readonly file: string,
    private readonly target: AwslogsTarget,
    private readonly logs: LogStore,
    private readonly options: { pollMs?: number; now?: () => number } = {},
  ) {
    this.offset = readOffset(`${file}.offset`);
  }

  start(): void {
    this.schedule();
  }

  /** The container has ended: ships what is left, its partial last line included, and stops. */
  async finish(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.running = this.running.then(() => this.ship(true));
    await this.running;
  }

  /** Stops without shipping more (the endpoint closes; a restarted one goes on from the offset). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.running.then(() => this.ship(false)).then(() => this.schedule());
    }, this.options.pollMs ?? POLL_MS);
    this.timer.unref();
  }

  private async ship(final: boolean): Promise<void> {
    try {
      for (;;) {
        const chunk = readFrom(this.file, this.offset + this.pending.length, MAX_READ_BYTES);
        const data = chunk.length === 0 ? this.pending : Buffer.concat([this.pending, chunk]);
        const end = data.lastIndexOf(0x0a) + 1;
        const complete = final && chunk.length < MAX_READ_BYTES ? data.length : end;
        this.pending = data.subarray(complete);
        if (complete > 0) {
          await this.put(data.subarray(0, complete).toString('utf8'));
          this.offset += complete;
          writeFileSync(`${this.file}.offset`, String(this.offset));
        }
        if (chunk.length < MAX_READ_BYTES) return;
      }
    } catch (err) {
      if (!this.failed) console.error(`[berth] awslogs could not ship ${this.file} to ${this.target.group}:`, err);
      this.failed = true;
    }
  }

  private async put(text: string): Promise<void> {
    const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
    const now = Math.max(this.options.now?.() ?? Date.now(), this.lastTimestamp);
    this.lastTimestamp = now;
    // Docker's awslogs driver sends no event for an empty line (CloudWatch Logs takes no empty message).
    const events = lines
      .filter((line) => line !== '')
      .flatMap((line) => messagesOf(line).map((message) => ({ timestamp: now, message })));
    for (const batch of batchesOf(events)) await this.logs.putEvents(this.target.group, this.target.stream, batch);
  }
}

function readOffset(file: string): number {
  try {
    const value = Number(readFileSync(file, 'utf8'));
    return Number.isSafeInteger(value) && value >= 0 ? value : 0;
  } catch {
    return 0;
  }
}

/** Up to `max` bytes of `file` from `position`; nothing when there is no file yet. */
function readFrom(file: string, position: number, max: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= position) return Buffer.alloc(0);
    const buffer = Buffer.alloc(Math.min(max, size - position));
    const read = readSync(fd, buffer, 0, buffer.length, position);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}
