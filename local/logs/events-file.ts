/**
 * The events of one log stream on disk: `<dir>/<id>.jsonl`, one event a line, `[seq, timestamp, ingestionTime,
 * message]`, appended in the order PutLogEvents accepted them. Why a file per stream, apart from the group and
 * stream records (models.ts): log lines are the bulk of the local state, and keeping them out of the journals the
 * other services replay at start means an endpoint with millions of lines starts as fast as one with none, and a
 * stream is read (loadEvents) only when someone reads it.
 *
 * Appends follow DurableStore's contract (local/store.ts): once an append's promise resolves, a kill -9 loses
 * nothing. The appends of one event-loop turn are written together at its end, one fdatasync per file. A crash
 * can tear only the end of the last append; reading drops that line, and repairTail cuts it off before anything
 * is appended after it.
 */
import {
  closeSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';

/** One event as kept: its order within the stream (`seq`, increasing), when it happened and was taken, its text. */
export interface StoredEvent {
  seq: number;
  timestamp: number;
  ingestionTime: number;
  message: string;
}

type Line = [seq: number, timestamp: number, ingestionTime: number, message: string];

export function eventLine(event: StoredEvent): string {
  const line: Line = [event.seq, event.timestamp, event.ingestionTime, event.message];
  return `${JSON.stringify(line)}\n`;
}

/** The events of a file in the order written; a torn last line is dropped, any other bad line fails loudly. */
export function loadEvents(file: string): StoredEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines = text.split('\n');
  const events: StoredEvent[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') continue;
    let parsed: Line;
    try {
      parsed = JSON.parse(line) as Line;
    } catch {
      if (i === lines.length - 1) break; // torn by a crash
      throw new Error(`${file} is corrupt at line ${i + 1}`);
    }
    const [seq, timestamp, ingestionTime, message] = parsed;
    events.push({ seq, timestamp, ingestionTime, message });
  }
  return events;
}

/** Cuts off a last line a crash tore (one no newline ends), so that the next append starts on a line of its own. */
export function repairTail(file: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'r+');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    const text = readFileSync(file);
    const end = text.lastIndexOf(0x0a) + 1;
    ftruncateSync(fd, end);
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replaces a file's events (a retention sweep); written whole and renamed over, so a crash keeps one or the other. */
export function rewriteEvents(file: string, events: readonly StoredEvent[]): void {
  const temp = `${file}.tmp`;
  const fd = openSync(temp, 'w');
  try {
    writeFully(fd, Buffer.from(events.map(eventLine).join('')));
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

export function removeEvents(file: string): void {
  rmSync(file, { force: true });
}

function writeFully(fd: number, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) offset += writeSync(fd, data, offset, data.length - offset);
}

/** Appends to several files with group commit (see the module comment). */
export class EventAppender {
  private pending: Map<string, string[]> | undefined;
  private waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];

  append(file: string, lines: string[]): Promise<void> {
    if (this.pending === undefined) {
      this.pending = new Map();
      setImmediate(() => this.flush());
    }
    const chunks = this.pending.get(file);
    if (chunks === undefined) this.pending.set(file, [...lines]);
    else chunks.push(...lines);
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Writes what is pending now (a reader is about to read a file from disk). */
  flushNow(): void {
    if (this.pending !== undefined) this.flush();
  }

  /** Resolves once every append made so far is on disk. */
  flushed(): Promise<void> {
    if (this.pending === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private flush(): void {
    const pending = this.pending;
    const waiters = this.waiters;
    this.pending = undefined;
    this.waiters = [];
    let failure: unknown;
    for (const [file, chunks] of pending ?? []) {
      try {
        const fd = openSync(file, 'a');
        try {
          writeFully(fd, Buffer.from(chunks.join('')));
          fdatasyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (err) {
        failure ??= err;
      }
    }
    for (const waiter of waiters) {
      if (failure === undefined) waiter.resolve();
      else waiter.reject(failure);
    }
  }
}
