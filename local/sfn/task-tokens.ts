/**
 * Task tokens of the callback pattern (`.waitForTaskToken`), and what SendTaskSuccess, SendTaskFailure and
 * SendTaskHeartbeat do with them.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_SendTaskSuccess.html (and SendTaskFailure,
 * SendTaskHeartbeat)
 * - Every invocation of a Task state gets a fresh token as `$$.Task.Token` (a retry is a new invocation, with a new
 *   token); a token is 1 to 1024 characters, opaque to its holder. Berth's names the execution it belongs to and a
 *   random id, base64url-encoded, so a token of another format is told apart (InvalidToken) from one of Berth's
 *   that was never given to a waiting task (TaskDoesNotExist).
 * - A token is registered when its task starts waiting on it (wait-for-task-token.ts); its lifecycle is
 *   TRANSITIONS below. Only an OPEN token takes a callback or a heartbeat; a closed one (its task succeeded,
 *   failed, timed out, was retried, or its execution ended) answers TaskTimedOut "Provided task does not exist
 *   anymore", as AWS answers it.
 * - Durable: each token is a record in the Step Functions store (`tt/<id>`, models.ts), written before its task
 *   is invoked; a callback is acknowledged only once its outcome is on disk. A token still OPEN when the endpoint
 *   stops stays valid: the execution resumes waiting on it (models.ts, execution.ts), and an outcome acknowledged
 *   before a crash is what the resumed state gets.
 * - HeartbeatSeconds: the clock starts when the task starts and each SendTaskHeartbeat resets it (the time of the
 *   last one is kept in the record, so the clock survives a restart); no heartbeat in time closes the token
 *   TIMED_OUT and the state fails with States.HeartbeatTimeout.
 * - The tokens of an execution that leaves memory (models.ts, finishedInMemory) leave it with it (`forget`): they are
 *   all closed by then, and a callback with one reads it back from the store to answer as before.
 */
import { randomBytes } from 'node:crypto';
import type { DurableStore } from '../store';
import { InvalidOutput, InvalidToken, TaskDoesNotExist, TaskTimedOut } from './exceptions';
import { HeartbeatTimeoutError, TaskCancelledError, TaskError } from './task-error';

export type TokenStatus = 'OPEN' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CLOSED';

/** Each status and the statuses it may move to: only an OPEN token changes. */
const TRANSITIONS: Record<TokenStatus, readonly TokenStatus[]> = {
  OPEN: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CLOSED'],
  SUCCEEDED: [],
  FAILED: [],
  TIMED_OUT: [],
  CLOSED: [],
};

export interface TaskTokenRecord {
  id: string;
  token: string;
  executionArn: string;
  stateName: string;
  status: TokenStatus;
  /** Epoch ms: when the task started waiting on it. */
  createdAt: number;
  /** Epoch ms: the start, or the last SendTaskHeartbeat. */
  heartbeatAt: number;
  /** Whether the resource accepted the task (TaskSubmitted recorded): a resumed state does not invoke it again. */
  submitted: boolean;
  output?: string;
  error?: string;
  cause?: string;
}

/** The store's key prefix for token records. */
export const TOKEN_PREFIX = 'tt/';
/** SendTaskSuccess's output: at most 256 KiB of UTF-8, as every Step Functions payload (service quotas). */
export const MAX_OUTPUT_BYTES = 256 * 1024;
const MAX_TOKEN_LENGTH = 1024;
/** The longest one Node timer holds. */
const MAX_TIMER_MS = 2_147_483_647;

/** A fresh token for a task of `executionArn`. */
export function newTaskToken(executionArn: string): string {
  const id = randomBytes(24).toString('base64url');
  return Buffer.from(JSON.stringify({ e: executionArn, i: id })).toString('base64url');
}

/** The execution and id a token of Berth's names, or undefined for any other string. */
function decodeToken(token: string): { executionArn: string; id: string } | undefined {
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { e?: unknown; i?: unknown };
    if (typeof parsed.e === 'string' && typeof parsed.i === 'string' && parsed.i !== '') {
      return { executionArn: parsed.e, id: parsed.i };
    }
  } catch {
    // not Berth's
  }
  return undefined;
}

interface Waiter {
  resolve(output: unknown): void;
  reject(err: unknown): void;
}

export class TaskTokens {
  private readonly records = new Map<string, TaskTokenRecord>();
  private readonly byExecution = new Map<string, Set<string>>();
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly store: DurableStore<unknown>) {}

  /** A record read back from the store at open. */
  load(record: TaskTokenRecord): void {
    this.index(record);
  }

  get(token: string): TaskTokenRecord | undefined {
    const decoded = decodeToken(token);
    const record = decoded && this.lookup(decoded.id);
    return record?.token === token ? record : undefined;
  }

  /** The last token a task of `stateName` waited on in the execution, if any. */
  latest(executionArn: string, stateName: string): TaskTokenRecord | undefined {
    let found: TaskTokenRecord | undefined;
    for (const id of this.byExecution.get(executionArn) ?? []) {
      const record = this.records.get(id)!;
      if (record.stateName === stateName && (found === undefined || record.createdAt >= found.createdAt)) {
        found = record;
      }
    }
    return found;
  }

  /** Registers `token` for the task of `stateName` that waits on it; on disk before it resolves. */
  async open(token: string, executionArn: string, stateName: string): Promise<TaskTokenRecord> {
    const decoded = decodeToken(token);
    if (decoded === undefined || decoded.executionArn !== executionArn) {
      throw new Error(`not a task token of execution ${executionArn}`);
    }
    const now = Date.now();
    const record: TaskTokenRecord = {
      id: decoded.id,
      token,
      executionArn,
      stateName,
      status: 'OPEN',
      createdAt: now,
      heartbeatAt: now,
      submitted: false,
    };
    this.index(record);
    await this.store.put(`${TOKEN_PREFIX}${record.id}`, record);
    return record;
  }

  /** The resource accepted the task: a state resumed after a restart waits on the token without invoking it again. */
  async submitted(token: string): Promise<void> {
    const record = this.get(token);
    if (record === undefined || record.submitted) return;
    await this.save({ ...record, submitted: true });
  }

  /** SendTaskSuccess: `output` must be JSON and at most MAX_OUTPUT_BYTES. */
  succeed(token: string, output: string): Promise<void> {
    const record = this.openRecord(token);
    if (Buffer.byteLength(output) > MAX_OUTPUT_BYTES) {
      throw new InvalidOutput(`Invalid Output: 'The output is over ${MAX_OUTPUT_BYTES} bytes'`);
    }
    try {
      JSON.parse(output);
    } catch (err) {
      throw new InvalidOutput(`Invalid Output: '${(err as Error).message}'`);
    }
    return this.settle(record, { status: 'SUCCEEDED', output });
  }

  /** SendTaskFailure: the state fails with `error` and `cause` (either may be absent). */
  fail(token: string, error: string | undefined, cause: string | undefined): Promise<void> {
    const record = this.openRecord(token);
    const change: Partial<TaskTokenRecord> & { status: TokenStatus } = { status: 'FAILED' };
    if (error !== undefined) change.error = error;
    if (cause !== undefined) change.cause = cause;
    return this.settle(record, change);
  }

  /** SendTaskHeartbeat: resets the heartbeat clock. */
  heartbeat(token: string): Promise<void> {
    const record = this.openRecord(token);
    return this.save({ ...record, heartbeatAt: Date.now() });
  }

  /** Closes an OPEN token without an outcome (its task ended otherwise); any other is left as it is. */
  close(token: string): void {
    const record = this.get(token);
    if (record?.status === 'OPEN') void this.settle(record, { status: 'CLOSED' }).catch(() => {});
  }

  /** Closes every OPEN token of an execution that has ended. */
  closeExecution(executionArn: string): void {
    for (const id of this.byExecution.get(executionArn) ?? []) {
      const record = this.records.get(id)!;
      if (record.status === 'OPEN') void this.settle(record, { status: 'CLOSED' }).catch(() => {});
    }
  }

  /** The execution has left memory (it has ended, so its tokens are closed): so do its tokens (the module comment). */
  forget(executionArn: string): void {
    for (const id of this.byExecution.get(executionArn) ?? []) {
      if (this.waiters.has(id)) continue; // still settling: it stays
      this.records.delete(id);
      this.store.evict(`${TOKEN_PREFIX}${id}`);
    }
    this.byExecution.delete(executionArn);
  }

  /**
   * What the task waiting on `token` ends with: the output JSON of SendTaskSuccess; a TaskError with the error
   * and cause of SendTaskFailure; a HeartbeatTimeoutError when `heartbeatSeconds` go by without a heartbeat; a
   * TaskCancelledError when `signal` aborts. An outcome already recorded (before a restart) is given at once.
   */
  outcome(token: string, signal: AbortSignal, heartbeatSeconds: number | undefined): Promise<unknown> {
    const record = this.get(token);
    if (record === undefined) return Promise.reject(new Error(`task token ${token} is not registered`));
    const settled = outcomeOf(record);
    if (settled !== undefined) return settled;
    return new Promise<unknown>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        this.waiters.delete(record.id);
      };
      const onAbort = () => {
        done();
        reject(new TaskCancelledError(String(signal.reason)));
      };
      if (signal.aborted) {
        reject(new TaskCancelledError(String(signal.reason)));
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(record.id, {
        resolve: (output) => {
          done();
          resolve(output);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      if (heartbeatSeconds === undefined) return;
      const check = () => {
        const current = this.records.get(record.id)!;
        const left = current.heartbeatAt + heartbeatSeconds * 1000 - Date.now();
        if (current.status !== 'OPEN') return;
        if (left > 0) {
          timer = setTimeout(check, Math.min(left, MAX_TIMER_MS));
          return;
        }
        void this.settle(current, { status: 'TIMED_OUT' }).catch(() => {});
      };
      check();
    });
  }

  private index(record: TaskTokenRecord) {
    this.records.set(record.id, record);
    let ids = this.byExecution.get(record.executionArn);
    if (ids === undefined) {
      ids = new Set();
      this.byExecution.set(record.executionArn, ids);
    }
    ids.add(record.id);
  }

  /** The OPEN record of `token`, or the exception AWS answers for it. */
  private openRecord(token: string): TaskTokenRecord {
    const decoded = decodeToken(token);
    if (decoded === undefined) throw new InvalidToken("Invalid Token: 'Invalid token'");
    const record = this.lookup(decoded.id);
    if (record === undefined || record.token !== token) {
      throw new TaskDoesNotExist("Task Does Not Exist: 'Provided task does not exist'");
    }
    if (record.status !== 'OPEN') throw new TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'");
    return record;
  }

  /** The record in memory, or, for an execution that has left memory, in the store. */
  private lookup(id: string): TaskTokenRecord | undefined {
    return this.records.get(id) ?? (this.store.get(`${TOKEN_PREFIX}${id}`) as TaskTokenRecord | undefined);
  }

  private save(record: TaskTokenRecord): Promise<void> {
    this.records.set(record.id, record);
    return this.store.put(`${TOKEN_PREFIX}${record.id}`, record);
  }

  /** Moves an OPEN record to a terminal status (TRANSITIONS) and hands the outcome to its waiting task. */
  private settle(record: TaskTokenRecord, change: Partial<TaskTokenRecord> & { status: TokenStatus }): Promise<void> {
    const current = this.records.get(record.id)!;
    if (!TRANSITIONS[current.status].includes(change.status)) {
      return Promise.reject(new TaskTimedOut("Task Timed Out: 'Provided task does not exist anymore'"));
    }
    const next = { ...current, ...change };
    const written = this.save(next);
    const waiter = this.waiters.get(next.id);
    if (waiter !== undefined) {
      const outcome = outcomeOf(next);
      if (outcome !== undefined) outcome.then(waiter.resolve, waiter.reject);
      else waiter.reject(new TaskCancelledError('the task token was closed'));
    }
    return written;
  }
}

/** The outcome a settled record gives its task; undefined while it is OPEN. */
function outcomeOf(record: TaskTokenRecord): Promise<unknown> | undefined {
  switch (record.status) {
    case 'OPEN':
      return undefined;
    case 'SUCCEEDED':
      return Promise.resolve(JSON.parse(record.output ?? 'null'));
    case 'FAILED':
      return Promise.reject(new TaskError(record.error ?? '', record.cause ?? ''));
    case 'TIMED_OUT':
      return Promise.reject(new HeartbeatTimeoutError());
    case 'CLOSED':
      return Promise.reject(new TaskCancelledError('the task token was closed'));
  }
}
